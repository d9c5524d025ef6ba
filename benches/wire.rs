//! The wire codec and session: how much a frame costs to frame and parse,
//! at the sizes H.264 produces (a small delta, a large delta, a keyframe).

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use camview::model::{Codec, EncodedFrame, FrameRate, Micros, Seq, StreamInfo};
use camview::wire::{Message, MessageReader, Role, Session};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const SIZES: [usize; 3] = [5 * 1024, 50 * 1024, 500 * 1024];

fn frame(len: usize) -> EncodedFrame {
    EncodedFrame {
        seq: Seq(1),
        capture_time: Micros(1_764_000_000_000_000),
        keyframe: false,
        discontinuity: false,
        data: vec![0x5a; len],
    }
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire/frame");
    for len in SIZES {
        let frame = frame(len);
        let bytes = Message::Frame(frame.clone()).to_bytes();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("encode", len), &frame, |b, frame| {
            let mut out = Vec::with_capacity(len + 64);
            b.iter(|| {
                out.clear();
                Message::encode_frame(black_box(frame), &mut out);
            });
        });
        group.bench_with_input(BenchmarkId::new("decode", len), &bytes, |b, bytes| {
            b.iter(|| {
                let mut reader = MessageReader::new();
                reader.handle_bytes(black_box(bytes));
                reader.poll_message().unwrap().unwrap()
            });
        });
    }
    group.finish();
}

fn session(c: &mut Criterion) {
    // A receiver session taking 50 KiB frames in 16 KiB reads (TLS records).
    let now = Instant::now();
    let mut stream = Message::hello(Role::Sender).to_bytes();
    Message::StreamInfo(StreamInfo {
        codec: Codec::H264,
        width: 1280,
        height: 720,
        frame_rate: FrameRate::per_second(30),
        encoder: "x264enc".into(),
        codec_config: vec![],
    })
    .encode(&mut stream);
    let frames: Vec<u8> = {
        let mut out = Vec::new();
        for _ in 0..30 {
            Message::encode_frame(&frame(50 * 1024), &mut out);
        }
        out
    };
    let mut group = c.benchmark_group("wire/session");
    group.throughput(Throughput::Bytes(frames.len() as u64));
    group.bench_function("receiver, 30 frames of 50 KiB", |b| {
        b.iter(|| {
            let mut s = Session::new(Role::Receiver, now, Micros(0));
            s.handle_bytes(now, &stream).unwrap();
            for chunk in frames.chunks(16 * 1024) {
                s.handle_bytes(now, black_box(chunk)).unwrap();
                while s.poll_event().is_some() {}
            }
        });
    });
    group.finish();
}

criterion_group!(benches, codec, session);
criterion_main!(benches);
