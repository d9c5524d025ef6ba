// The worker behind the page's RTCRtpScriptTransform when it views through
// an SFU: every access unit the SFU forwards is sealed (`sframe.js`); this
// opens each one before the browser's decoder sees it, and drops what it
// cannot open (no key yet, another camera's key, altered, replayed).
//
// Messages in:  {grant: {generation, step, material: Uint8Array}}
// Messages out: {stamp: {rtpTimestamp, seq, captureMs}} for each opened
//               unit that carries camview's capture stamp (the page's
//               latency), {counts: {opened, unopened, reasons}} each
//               second, and {error} when a key cannot be used.
import { Opener } from "./sframe.js";

const opener = new Opener();
const counts = { opened: 0, unopened: 0, reasons: {} };
// The receiver's transformer, once the track is set up.
let transformer = null;
// Whether units were dropped since the last one opened: the decoder
// needs a keyframe to start again.
let starved = true;
let lastKeyframeRequest = 0;
const KEYFRAME_REQUEST_GAP_MS = 500;

function requestKeyframe() {
  const now = performance.now();
  if (!transformer || !transformer.sendKeyFrameRequest || now - lastKeyframeRequest < KEYFRAME_REQUEST_GAP_MS) {
    return;
  }
  lastKeyframeRequest = now;
  transformer.sendKeyFrameRequest().catch(() => {});
}

onmessage = async (event) => {
  if (!event.data.grant) return;
  try {
    await opener.grant(event.data.grant);
  } catch (e) {
    postMessage({ error: "a key from the camera could not be used: " + e });
    return;
  }
  // A new key: the pictures that wait for it start at a keyframe.
  if (starved) requestKeyframe();
};

// camview's capture stamp (`media/stamp.rs`): an SEI NAL unit (type 6)
// holding user data (payload type 5, 32 bytes) under camview's UUID, then
// the frame number and the capture time in microseconds, both u64 BE.
const UUID = [0x63, 0x61, 0x6d, 0x76, 0x9e, 0x57, 0x4a, 0x1b, 0xa4, 0x3c, 0x5e, 0x0f, 0x21, 0xd8, 0x6b, 0x90];

function stampOf(au) {
  for (let i = 0; i + 4 < au.length; i++) {
    if (au[i] !== 0 || au[i + 1] !== 0 || au[i + 2] !== 1 || (au[i + 3] & 0x1f) !== 6) continue;
    // Undo emulation prevention over the SEI's payload (00 00 03 → 00 00).
    const rbsp = [];
    let zeros = 0;
    for (let j = i + 4; j < au.length && rbsp.length < 2 + 32; j++) {
      const b = au[j];
      if (zeros >= 2 && b === 3) { zeros = 0; continue; }
      rbsp.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    if (rbsp.length < 34 || rbsp[0] !== 5 || rbsp[1] !== 32) continue;
    if (!UUID.every((b, k) => rbsp[2 + k] === b)) continue;
    const view = new DataView(new Uint8Array(rbsp.slice(18, 34)).buffer);
    return { seq: Number(view.getBigUint64(0)), captureMs: Number(view.getBigUint64(8)) / 1000 };
  }
  return null;
}

async function open(frame, controller) {
  try {
    const plain = await opener.open(new Uint8Array(frame.data));
    frame.data = plain.buffer;
    counts.opened++;
    starved = false;
    const stamp = stampOf(plain);
    if (stamp) postMessage({ stamp: { rtpTimestamp: frame.getMetadata().rtpTimestamp ?? frame.timestamp, ...stamp } });
    controller.enqueue(frame);
  } catch (e) {
    counts.unopened++;
    const reason = e.reason || "error";
    counts.reasons[reason] = (counts.reasons[reason] || 0) + 1;
    starved = true;
  }
}

onrtctransform = (event) => {
  transformer = event.transformer;
  transformer.readable
    .pipeThrough(new TransformStream({ transform: open }))
    .pipeTo(transformer.writable);
};

setInterval(() => postMessage({ counts }), 1000);
