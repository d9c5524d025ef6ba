//! What a browser viewer costs the camera in encryption: SRTP protection of
//! one video packet (1200 bytes of payload, a 12-byte RTP header as
//! additional data) with each profile str0m offers, through str0m's own
//! crypto provider (aws-lc-rs), the code its sessions run. A 2 Mbit/s
//! stream is about 210 such packets a second per browser, so the cost per
//! browser is 210 × the time per packet.
//!
//! `just bench` runs it. On a Raspberry Pi 4 (no AES instructions) the GCM
//! profiles run in software: expect several times the x86 figure; it is
//! still a small share of one core per browser at these packet rates.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PAYLOAD: usize = 1200;

fn srtp(c: &mut Criterion) {
    let provider = str0m::crypto::from_feature_flags();
    let srtp = provider.srtp_provider;
    let header = [
        0x80u8, 0x66, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef,
    ];
    let input = vec![0x5au8; PAYLOAD];
    let mut output = vec![0u8; PAYLOAD + 16];
    let mut group = c.benchmark_group("srtp_protect_packet");
    group.throughput(Throughput::Bytes(PAYLOAD as u64));

    let mut gcm256 = srtp.aead_aes_256_gcm().create_cipher([7; 32], true);
    group.bench_function("AEAD_AES_256_GCM", |b| {
        b.iter(|| {
            gcm256
                .encrypt(&[1; 12], &header, &input, &mut output)
                .unwrap()
        });
    });
    let mut gcm128 = srtp.aead_aes_128_gcm().create_cipher([7; 16], true);
    group.bench_function("AEAD_AES_128_GCM", |b| {
        b.iter(|| {
            gcm128
                .encrypt(&[1; 12], &header, &input, &mut output)
                .unwrap()
        });
    });
    let mut cm = srtp.aes_128_cm_sha1_80().create_cipher([7; 16], true);
    group.bench_function("AES128_CM_SHA1_80 (cipher only)", |b| {
        b.iter(|| {
            cm.encrypt(&[1; 16], &input, &mut output[..PAYLOAD])
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, srtp);
criterion_main!(benches);
