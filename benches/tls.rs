//! What encryption costs next to the video: the mutual TLS 1.3 handshake
//! with camview's own configurations, and bulk throughput of each TLS 1.3
//! suite for frame-sized writes. In memory (no sockets), so the numbers are
//! the crypto and record layer alone.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use camview::identity::{self, Identity, TrustedPeers};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rustls::{ClientConnection, ServerConnection};

/// Moves every pending record between the two ends until both are idle.
fn pump(client: &mut ClientConnection, server: &mut ServerConnection) {
    let mut buf = Vec::new();
    loop {
        let mut moved = false;
        buf.clear();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            server.read_tls(&mut buf.as_slice()).unwrap();
            server.process_new_packets().unwrap();
            moved = true;
        }
        buf.clear();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            let mut rest = buf.as_slice();
            while !rest.is_empty() {
                client.read_tls(&mut rest).unwrap();
                client.process_new_packets().unwrap();
            }
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

struct Pair {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
}

impl Pair {
    fn connect(&self) -> (ClientConnection, ServerConnection) {
        let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
        let mut client = ClientConnection::new(Arc::clone(&self.client), name).unwrap();
        let mut server = ServerConnection::new(Arc::clone(&self.server)).unwrap();
        pump(&mut client, &mut server);
        assert!(!client.is_handshaking() && !server.is_handshaking());
        (client, server)
    }
}

fn pair(suite: Option<rustls::CipherSuite>) -> Pair {
    let (camera, viewer) = (
        Identity::ephemeral().unwrap(),
        Identity::ephemeral().unwrap(),
    );
    let trust_camera = TrustedPeers::new([camera.fingerprint()]);
    let client = match suite {
        Some(suite) => identity::client_config_with_suite(&viewer, trust_camera, suite).unwrap(),
        None => identity::client_config(&viewer, trust_camera).unwrap(),
    };
    let server =
        identity::server_config(&camera, TrustedPeers::new([viewer.fingerprint()])).unwrap();
    Pair {
        client: Arc::new(client),
        server: Arc::new(server),
    }
}

fn handshake(c: &mut Criterion) {
    let pair = pair(None);
    c.bench_function("tls/handshake: mutual, pinned, TLS 1.3", |b| {
        b.iter(|| pair.connect())
    });
}

/// Seals `frame` on the server and opens it on the client, draining the
/// plaintext as records open (as a receiver reading its socket does).
fn send_frame(
    server: &mut ServerConnection,
    client: &mut ClientConnection,
    frame: &[u8],
    sink: &mut [u8],
) {
    use std::io::{Read, Write};
    server.set_buffer_limit(None);
    server.writer().write_all(frame).unwrap();
    let mut records = Vec::with_capacity(frame.len() + 1024);
    while server.wants_write() {
        server.write_tls(&mut records).unwrap();
    }
    let (mut rest, mut got) = (records.as_slice(), 0);
    while !rest.is_empty() {
        client.read_tls(&mut rest).unwrap();
        client.process_new_packets().unwrap();
        loop {
            match client.reader().read(&mut sink[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(got, frame.len());
}

fn throughput(c: &mut Criterion) {
    use rustls::CipherSuite::*;
    let mut group = c.benchmark_group("tls/seal+open");
    for suite in [
        TLS13_AES_128_GCM_SHA256,
        TLS13_AES_256_GCM_SHA384,
        TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        let (mut client, mut server) = pair(Some(suite)).connect();
        assert_eq!(server.negotiated_cipher_suite().unwrap().suite(), suite);
        for len in [5 * 1024, 50 * 1024, 500 * 1024] {
            let frame = vec![0x5au8; len];
            let mut sink = vec![0u8; len];
            group.throughput(Throughput::Bytes(len as u64));
            let id = BenchmarkId::new(suite.as_str().unwrap_or("?"), len);
            group.bench_function(id, |b| {
                b.iter(|| send_frame(&mut server, &mut client, &frame, &mut sink));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, handshake, throughput);
criterion_main!(benches);
