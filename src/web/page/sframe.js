// Opening camview's end-to-end encrypted H.264 in the browser: the inverse
// of the camera's `e2ee::Sealer`, as `e2ee::Opener` does natively, on
// WebCrypto. A stream an SFU forwards arrives sealed NAL unit by NAL unit:
// each unit that carries picture content keeps its clear part (SPS, PPS
// and delimiters whole; a slice's header byte and its header up to
// pic_parameter_set_id) and carries the rest as one SFrame (RFC 9605,
// AES_128_GCM_SHA256_128), escaped against start codes and closed by 0x80.
//
// Keys match the `sframe` crate's: an SFrame key and salt are HKDF-SHA-256
// (empty salt) of the key material with RFC 9605's labels; a key id is a
// generation and an 8-bit ratchet step; a ratchet step is HKDF-SHA-256
// (empty salt) of the material with the label "Sframe 1.0 Ratchet", 16
// bytes long (the crate's, not RFC 9605 §5.1's Expand-only, SFrame-cased,
// hash-long ratchet).
//
// No dependencies, no build step: an ES module.
"use strict";

const SUITE = 4; // AES_128_GCM_SHA256_128
const KEY_LEN = 16;
const SALT_LEN = 12;
const RATCHET_BITS = 8n;
const MAX_CATCH_UP_STEPS = 16n;
const REPLAY_WINDOW = 1024n;
const KEPT_GENERATIONS = 2n;
const TRAILER = 0x80;
// NAL unit types carried whole, and those that start with a slice header
// (H.264 Table 7-1), as in e2ee/prefix.rs.
const WHOLE = new Set([7, 8, 9, 10, 11, 12, 13, 15]);
const SLICES = new Set([1, 2, 5]);

const text = new TextEncoder();

/// Why a unit was not opened: `reason` is one of not-annex-b, prefix,
/// not-sealed, no-key, forged, replayed.
export class OpenError extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

async function hkdf(material, info, length) {
  const ikm = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
    ikm,
    length * 8,
  );
  return new Uint8Array(bits);
}

function label(prefix, kid) {
  const head = text.encode(prefix);
  const out = new Uint8Array(head.length + 10);
  out.set(head);
  const view = new DataView(out.buffer);
  view.setBigUint64(head.length, kid);
  view.setUint16(head.length + 8, SUITE);
  return out;
}

/// The SFrame key and salt of key id `kid` (a BigInt) from `material`.
export async function deriveKey(material, kid) {
  const key = await hkdf(material, label("SFrame 1.0 Secret key ", kid), KEY_LEN);
  const salt = await hkdf(material, label("SFrame 1.0 Secret salt ", kid), SALT_LEN);
  return {
    key: await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]),
    salt,
  };
}

/// The next ratchet step's material.
export function ratchet(material) {
  return hkdf(material, text.encode("Sframe 1.0 Ratchet"), KEY_LEN);
}

/// An SFrame header (RFC 9605 §4.3): key id, counter (BigInts), length.
export function parseHeader(bytes) {
  if (bytes.length < 1) throw new OpenError("not-sealed", "an empty SFrame");
  const config = bytes[0];
  let at = 1;
  const field = (extended, value) => {
    if (!extended) return BigInt(value);
    const length = value + 1;
    if (at + length > bytes.length) throw new OpenError("not-sealed", "an SFrame header cut short");
    let n = 0n;
    for (let i = 0; i < length; i++) n = (n << 8n) | BigInt(bytes[at + i]);
    at += length;
    return n;
  };
  const kid = field(config & 0x80, (config >> 4) & 7);
  const ctr = field(config & 0x08, config & 7);
  return { kid, ctr, length: at };
}

/// Decrypts one SFrame (header, ciphertext, tag) with `metadata` as the
/// clear part it authenticates; the plaintext, or an OpenError "forged".
export async function openFrame({ key, salt }, sframe, metadata) {
  const header = parseHeader(sframe);
  const nonce = salt.slice();
  for (let i = 0, ctr = header.ctr; i < 8; i++, ctr >>= 8n) {
    nonce[SALT_LEN - 1 - i] ^= Number(ctr & 0xffn);
  }
  const aad = new Uint8Array(header.length + metadata.length);
  aad.set(sframe.subarray(0, header.length));
  aad.set(metadata, header.length);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 },
      key,
      sframe.subarray(header.length),
    );
    return new Uint8Array(plain);
  } catch (e) {
    throw new OpenError("forged", "a NAL unit failed authentication: altered on the way, or sealed with another key");
  }
}

/// The units of an Annex-B access unit, each with the start code before
/// it, so that they concatenate back to `au`; null without a leading one.
export function framedUnits(au) {
  const starts = [];
  for (let i = 0; i + 2 < au.length; i++) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      const at = i > 0 && au[i - 1] === 0 ? i - 1 : i;
      starts.push([at, i + 3]);
      i += 2;
    }
  }
  if (starts.length === 0 || starts[0][0] !== 0) return null;
  return starts.map(([code, unit], n) => {
    const end = n + 1 < starts.length ? starts[n + 1][0] : au.length;
    return { code: au.subarray(code, unit), nal: au.subarray(unit, end) };
  });
}

/// How many leading bytes of `nal` stay clear; Infinity for the whole.
export function clearPart(nal) {
  if (nal.length === 0) throw new OpenError("prefix", "an empty NAL unit");
  const type = nal[0] & 0x1f;
  if (WHOLE.has(type)) return Infinity;
  if (!SLICES.has(type)) return 1;
  // Three ue(v) fields over the bytes as carried, stepping over
  // emulation prevention bytes (00 00 03).
  let at = 1, bit = 0, zeros = 0;
  const readBit = () => {
    if (bit === 0 && zeros >= 2 && nal[at] === 3) {
      at += 1;
      zeros = 0;
    }
    if (at >= nal.length) throw new OpenError("prefix", `a slice (NAL type ${type}) whose header is cut short`);
    const byte = nal[at];
    const value = (byte >> (7 - bit)) & 1;
    bit += 1;
    if (bit === 8) {
      bit = 0;
      at += 1;
      zeros = byte === 0 ? Math.min(zeros + 1, 2) : 0;
    }
    return value;
  };
  for (let field = 0; field < 3; field++) {
    let leading = 0;
    while (!readBit()) {
      if (++leading > 31) throw new OpenError("prefix", `a slice (NAL type ${type}) whose header is cut short`);
    }
    for (let i = 0; i < leading; i++) readBit();
  }
  return at + (bit > 0 ? 1 : 0);
}

/// The bytes carried after a clear prefix that ended in `zeros` zero
/// bytes (0..2), or null when the closing byte is missing.
export function unescape(zeros, carried) {
  const out = new Uint8Array(carried.length);
  let n = 0;
  for (const byte of carried) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = byte;
    zeros = byte === 0 ? Math.min(zeros + 1, 2) : 0;
  }
  if (n === 0 || out[n - 1] !== TRAILER) return null;
  return out.subarray(0, n - 1);
}

function trailingZeros(bytes) {
  const n = bytes.length;
  if (n >= 2 && bytes[n - 1] === 0 && bytes[n - 2] === 0) return 2;
  return n >= 1 && bytes[n - 1] === 0 ? 1 : 0;
}

/// A viewer's keys and the units it has opened: `grant` takes what the
/// camera gave, `open` turns a sealed access unit back into the encoder's.
export class Opener {
  constructor() {
    // generation (BigInt) -> { step, material, derived: { key, salt } }
    this.generations = new Map();
    // key id (BigInt) -> { top, seen: Set of counters }
    this.replays = new Map();
  }

  async grant({ generation, step, material }) {
    generation = BigInt(generation);
    step = BigInt(step);
    const kid = (generation << RATCHET_BITS) | step;
    this.generations.set(generation, { step, material, derived: await deriveKey(material, kid) });
    const newest = [...this.generations.keys()].reduce((a, b) => (a > b ? a : b));
    for (const kept of [...this.generations.keys()]) {
      if (kept + KEPT_GENERATIONS <= newest) this.generations.delete(kept);
    }
    for (const tracked of [...this.replays.keys()]) {
      if (!this.generations.has(tracked >> RATCHET_BITS)) this.replays.delete(tracked);
    }
  }

  async open(sealed) {
    const units = framedUnits(sealed);
    if (!units) throw new OpenError("not-annex-b", "not an H.264 access unit in Annex-B form");
    const parts = [];
    for (const { code, nal } of units) {
      parts.push(code);
      const clear = clearPart(nal);
      if (clear === Infinity) {
        parts.push(nal);
        continue;
      }
      const prefix = nal.subarray(0, clear);
      const sframe = unescape(trailingZeros(prefix), nal.subarray(clear));
      if (!sframe) throw new OpenError("not-sealed", "a NAL unit carries no end-to-end encrypted frame");
      parts.push(prefix, await this.openUnit(sframe, prefix));
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  async openUnit(sframe, prefix) {
    const { kid, ctr } = parseHeader(sframe);
    const generation = kid >> RATCHET_BITS;
    const step = kid & ((1n << RATCHET_BITS) - 1n);
    const held = this.generations.get(generation);
    if (!held || step < held.step || step - held.step > MAX_CATCH_UP_STEPS) {
      throw new OpenError("no-key", `no key for key generation ${generation} step ${step}`);
    }
    const window = this.replays.get(kid) || { top: -1n, seen: new Set() };
    if (window.seen.has(ctr) || ctr + REPLAY_WINDOW <= window.top) {
      throw new OpenError("replayed", "a NAL unit arrived twice (a replay), dropped");
    }
    // Catch up with the ratchet step the unit names; keep the step only
    // once a unit opened with it.
    let material = held.material;
    let derived = held.derived;
    if (step > held.step) {
      for (let s = held.step; s < step; s++) material = await ratchet(material);
      derived = await deriveKey(material, kid);
    }
    const plain = await openFrame(derived, sframe, prefix);
    if (step > held.step) this.generations.set(generation, { step, material, derived });
    window.seen.add(ctr);
    if (ctr > window.top) window.top = ctr;
    for (const old of window.seen) if (old + REPLAY_WINDOW <= window.top) window.seen.delete(old);
    this.replays.set(kid, window);
    return plain;
  }
}
