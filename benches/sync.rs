//! Timing logic on the receive path: the clock filter and the latency
//! histogram run once per pong and once per frame.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use std::time::Duration;

use camview::model::{Micros, Seq};
use camview::sync::{ClockSync, JitterBuffer, LatencyHistogram};
use criterion::{Criterion, criterion_group, criterion_main};

fn clock(c: &mut Criterion) {
    c.bench_function("sync/clock: one pong into a full window", |b| {
        let mut clock = ClockSync::default();
        let mut t = 1_764_000_000_000_000u64;
        b.iter(|| {
            t += 1_000_000;
            clock.handle_pong(Micros(t), Micros(t + 2_500), Micros(t + 4_000));
            black_box(clock.offset_us())
        });
    });
}

fn histogram(c: &mut Criterion) {
    let mut h = LatencyHistogram::default();
    for i in 0..100_000u64 {
        h.record(Micros(2_000 + (i * 7919) % 50_000));
    }
    c.bench_function("sync/histogram: record", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            h.record(black_box(Micros(2_000 + (i * 7919) % 50_000)));
        });
    });
    c.bench_function("sync/histogram: p50, p95, p99", |b| {
        b.iter(|| (h.percentile(0.5), h.percentile(0.95), h.percentile(0.99)));
    });
}

fn jitter(c: &mut Criterion) {
    c.bench_function(
        "sync/jitter: hold and release one picture (120 ms target)",
        |b| {
            let mut buffer = JitterBuffer::new(Duration::from_millis(120));
            let mut seq = 0u64;
            b.iter(|| {
                seq += 1;
                let capture = Micros(seq * 33_333);
                buffer.handle_picture(capture, Seq(seq), capture, ());
                black_box(buffer.poll_picture(Micros(capture.0 + 120_000)))
            });
        },
    );
}

criterion_group!(benches, clock, histogram, jitter);
criterion_main!(benches);
