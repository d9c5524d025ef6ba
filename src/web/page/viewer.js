// camview's browser viewer: enrols with a one-time link, then plays the
// camera over WebRTC (WHEP). No dependencies, no build step.
//
// Trust: the page keeps one ECDSA certificate in IndexedDB. Its fingerprint
// is in every offer; the camera answers only offers whose fingerprint it
// trusts, and DTLS proves this browser holds the key. The first offer
// carries the link's token (from the URL fragment, never sent in a URL),
// which makes the camera trust that fingerprint.
//
// Through an SFU: when the camera publishes to one (`send --whip`), its
// `/stream` names the SFU's WHEP URL. The page then asks the camera for
// the stream's keys alone (a data channel on a session authenticated as
// above) and the SFU for the pictures, which are sealed end to end: a
// worker (`opener.js`, an RTCRtpScriptTransform) opens each one before
// the decoder sees it.
//
// With `report` in the fragment the page also logs, on the console, each
// frame's burned-in number pattern and a stats record each second (the
// tests read them).
"use strict";

const video = document.getElementById("video");
const statusLine = document.getElementById("status");
const statsLine = document.getElementById("stats");
const fragment = new URLSearchParams(location.hash.slice(1));
const report = fragment.has("report");

// Set once an error is shown: nothing says "live" over it afterwards.
let ended = false;

function showError(text) {
  ended = true;
  statusLine.textContent = text;
  statusLine.className = "error";
  if (report) console.log("camview-error " + text);
}

document.getElementById("fullscreen").onclick = () => {
  const stage = document.getElementById("stage");
  (stage.requestFullscreen || stage.webkitRequestFullscreen).call(stage);
};

// The browser's persistent identity: an ECDSA P-256 RTCCertificate kept in
// IndexedDB (it is structured-cloneable).
function openStore() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("camview", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("identity");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function storeOp(db, mode, op) {
  return new Promise((resolve, reject) => {
    const request = op(db.transaction("identity", mode).objectStore("identity"));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function certificate() {
  const db = await openStore();
  let cert = await storeOp(db, "readonly", (s) => s.get("certificate"));
  if (!cert || cert.expires < Date.now() + 86400e3) {
    cert = await RTCPeerConnection.generateCertificate({
      name: "ECDSA", namedCurve: "P-256", expires: 3650 * 86400e3,
    });
    await storeOp(db, "readwrite", (s) => s.put(cert, "certificate"));
  }
  return cert;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// fetch(), tried again after a network error (a connection reset, the
// network changing under the browser: Chromium fails requests in flight
// with ERR_NETWORK_CHANGED) up to FETCH_TRIES times, a second apart; the
// last try's error is thrown. Each failure is logged to the console.
const FETCH_TRIES = 3;
async function fetchRetried(url, init) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      console.log(`camview: ${init?.method ?? "GET"} ${url} failed (try ${attempt} of ${FETCH_TRIES}): ${e}`);
      if (attempt >= FETCH_TRIES) throw e;
      await sleep(1000);
    }
  }
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

// Offer only H.264 (the camera's one encode) with its retransmissions, and
// ask for the capture-time header extension (glass-to-glass latency).
function prepare(transceiver) {
  const codecs = RTCRtpReceiver.getCapabilities("video").codecs
    .filter((c) => c.mimeType === "video/H264" || c.mimeType === "video/rtx");
  if (transceiver.setCodecPreferences) transceiver.setCodecPreferences(codecs);
  if (transceiver.getHeaderExtensionsToNegotiate) {
    const extensions = transceiver.getHeaderExtensionsToNegotiate();
    for (const e of extensions) {
      if (e.uri.endsWith("abs-capture-time")) e.direction = "recvonly";
    }
    try { transceiver.setHeaderExtensionsToNegotiate(extensions); } catch (e) { /* older browser */ }
  }
}

// Shows a received track, with as little buffering as the browser allows:
// this is live video.
function play(e) {
  video.srcObject = new MediaStream([e.track]);
  receiver = e.receiver;
  if ("jitterBufferTarget" in e.receiver) e.receiver.jitterBufferTarget = 0;
  else if ("playoutDelayHint" in e.receiver) e.receiver.playoutDelayHint = 0;
}

function showLive(pc, what) {
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected") {
      if (ended) return;
      statusLine.textContent = "live";
      statusLine.className = "";
    } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
      showError(`the connection to ${what} ended (${pc.connectionState}); reload to try again`);
    }
  });
}

async function start() {
  const where = await (await fetchRetried("/stream")).json();
  if (where.sfu) await connectThroughSfu(where.sfu);
  else await connect();
}

// The camera's offer and answer for `pc` (this browser's certificate):
// false, with the reason shown, if the camera refused it.
async function offerToCamera(pc) {
  const token = fragment.get("enrol");
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 2000);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers.Authorization = "Bearer " + token;
  // (Tried again after a network error: a session a lost try did open at
  // the camera ends unconnected after 10 s, and an enrolment is claimed
  // only when the browser connects.)
  const response = await fetchRetried("/whep", { method: "POST", headers, body: pc.localDescription.sdp });
  if (!response.ok) {
    showError(`The camera refused this browser (${response.status}): ${await response.text()}`);
    pc.close();
    return false;
  }
  if (token) {
    // Enrolled (or about to be): the link has done its work.
    fragment.delete("enrol");
    history.replaceState(null, "", location.pathname + (fragment.toString() ? "#" + fragment : ""));
  }
  const session = response.headers.get("Location");
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  addEventListener("pagehide", () => fetch(session, { method: "DELETE", keepalive: true }));
  return true;
}

async function connect() {
  const pc = new RTCPeerConnection({ certificates: [await certificate()], bundlePolicy: "max-bundle" });
  const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
  prepare(transceiver);
  pc.ontrack = play;
  if (!(await offerToCamera(pc))) return;
  showLive(pc, "the camera");
  watchStats(pc);
  if (report) reportFrames();
}

function hexBytes(hex) {
  return new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
}

// Keys from the camera, pictures from the SFU.
async function connectThroughSfu(sfu) {
  if (!("RTCRtpScriptTransform" in window)) {
    showError("this browser cannot open end-to-end encrypted video (no RTCRtpScriptTransform): use a current Chromium, Safari or Firefox");
    return;
  }
  const worker = new Worker("/opener.js", { type: "module" });
  worker.onmessage = (e) => {
    if (e.data.stamp) {
      stamps.set(e.data.stamp.rtpTimestamp, e.data.stamp.captureMs);
      if (stamps.size > 256) stamps.delete(stamps.keys().next().value);
    }
    if (e.data.counts) openCounts = e.data.counts;
    if (e.data.error) showError(e.data.error);
  };
  captureOf = (meta) => (stamps.has(meta.rtpTimestamp) ? stamps.get(meta.rtpTimestamp) : null);

  const keys = new RTCPeerConnection({ certificates: [await certificate()] });
  const channel = keys.createDataChannel("keys");
  channel.onmessage = (e) => {
    const message = JSON.parse(e.data);
    if (message.grant) {
      const { generation, step, material } = message.grant;
      worker.postMessage({ grant: { generation, step, material: hexBytes(material) } });
      if (report) console.log(`camview-key ${generation} ${step}`);
    } else if (message.farewell) {
      showError("the camera ended this browser's keys: " + message.farewell);
    }
  };
  if (!(await offerToCamera(keys))) return;
  keys.addEventListener("connectionstatechange", () => {
    if (keys.connectionState === "failed" || keys.connectionState === "closed") {
      showError(`the connection to the camera (for the keys) ended (${keys.connectionState}); reload to try again`);
    }
  });

  const media = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  media.ontrack = (e) => {
    e.receiver.transform = new RTCRtpScriptTransform(worker, {});
    play(e);
  };
  const giveUp = (text) => {
    showError(text);
    keys.close();
    media.close();
  };
  const origin = new URL(sfu.whep).origin;
  let response;
  for (;;) {
    try {
      // WHEP as camview's gateway serves it: Janus makes the offer.
      response = await fetchRetried(sfu.whep, { method: "POST" });
    } catch (e) {
      giveUp(`could not reach the SFU at ${origin}: open ${origin}/ once in this browser and accept its certificate (${sfu.fingerprint})`);
      return;
    }
    // Not published yet (the camera is connecting), or the SFU is full:
    // try again.
    if (response.status !== 404 && response.status !== 503) break;
    statusLine.textContent = `waiting for the SFU: ${await response.text()}`;
    await sleep(2000);
  }
  if (!response.ok) {
    giveUp(`The SFU refused this browser (${response.status}): ${await response.text()}`);
    return;
  }
  const session = new URL(response.headers.get("Location"), sfu.whep).href;
  addEventListener("pagehide", () => fetch(session, { method: "DELETE", keepalive: true }));
  await media.setRemoteDescription({ type: "offer", sdp: await response.text() });
  await media.setLocalDescription(await media.createAnswer());
  await gathered(media, 2000);
  const answered = await fetchRetried(session, {
    method: "PATCH", headers: { "Content-Type": "application/sdp" }, body: media.localDescription.sdp,
  });
  if (!answered.ok) {
    giveUp(`The SFU refused this browser's answer (${answered.status}): ${await answered.text()}`);
    return;
  }
  showLive(media, "the SFU");
  watchStats(media);
  if (report) reportFrames();
}

// The stats line: frames per second, bitrate, round trip, and latency from
// the camera's capture time.
let latencyMs = null;
let receiver = null;
// Through an SFU: capture times (ms since the epoch) by RTP timestamp, from
// the stamps the worker reads, and its counts of units opened and not.
const stamps = new Map();
let openCounts = null;

// Glass-to-glass for one frame: from its capture time to when the page is
// handed the decoded picture (presentationTime).
// The capture time travels in the abs-capture-time header extension, which
// the browser reports (NTP milliseconds) with the RTP timestamp it came
// with; a frame's own capture time is that, moved by the difference of RTP
// timestamps (90 kHz). Across machines it also holds the clocks' offset.
const NTP_TO_UNIX_MS = 2208988800000;
function captureFromExtension(meta) {
  if (!receiver) return null;
  const source = receiver.getSynchronizationSources()[0];
  if (!source || source.captureTimestamp === undefined) return null;
  const ticks = (meta.rtpTimestamp - source.rtpTimestamp) | 0;
  return source.captureTimestamp - NTP_TO_UNIX_MS + ticks / 90;
}
// Through an SFU, the capture time comes from the stamp inside the
// picture instead (the SFU forwards no capture-time extension).
let captureOf = captureFromExtension;
function latencyOf(meta) {
  if (meta.rtpTimestamp === undefined) return null;
  const captured = captureOf(meta);
  if (captured === null) return null;
  return performance.timeOrigin + meta.presentationTime - captured;
}
function watchStats(pc) {
  let last = null;
  setInterval(async () => {
    const stats = await pc.getStats();
    let inbound = null, pair = null;
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") inbound = s;
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
    });
    if (!inbound) return;
    const kbps = last ? (8 * (inbound.bytesReceived - last.bytesReceived)) / (inbound.timestamp - last.timestamp) : 0;
    last = inbound;
    const rtt = pair && pair.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : null;
    const parts = [
      `${(inbound.framesPerSecond || 0).toFixed(0)} fps`,
      `${kbps.toFixed(0)} kbit/s`,
      rtt === null ? "rtt –" : `rtt ${rtt.toFixed(1)} ms`,
      latencyMs === null ? "latency –" : `latency ${latencyMs.toFixed(0)} ms`,
    ];
    statsLine.textContent = parts.join(" · ");
    if (report) {
      console.log("camview-stats " + JSON.stringify({
        framesDecoded: inbound.framesDecoded || 0,
        packetsLost: inbound.packetsLost || 0,
        jitter: inbound.jitter || 0,
        fps: inbound.framesPerSecond || 0,
        kbps, rttMs: rtt, latencyMs,
        decoder: inbound.decoderImplementation || "",
        bytesReceived: inbound.bytesReceived || 0,
        opened: openCounts,
      }));
    }
  }, 1000);
  if ("requestVideoFrameCallback" in video) {
    const onFrame = (now, meta) => {
      latencyMs = latencyOf(meta);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
}

// Test mode: reads the 32-block number pattern across the top of each
// decoded frame and logs its bits; the test checks the CRC and the run.
function reportFrames() {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const onFrame = (now, meta) => {
    const width = video.videoWidth, height = video.videoHeight;
    const size = Math.floor(Math.min(Math.floor(width / 32), 32) / 8) * 8;
    if (size >= 8 && height >= size) {
      canvas.width = width; canvas.height = size;
      ctx.drawImage(video, 0, 0, width, size, 0, 0, width, size);
      const row = ctx.getImageData(0, 0, width, size).data;
      let bits = 0;
      for (let block = 0; block < 32; block++) {
        const x = block * size + size / 2, y = size / 2;
        const i = (y * width + x) * 4;
        const luma = 0.299 * row[i] + 0.587 * row[i + 1] + 0.114 * row[i + 2];
        bits = ((bits << 1) | (luma > 128 ? 1 : 0)) >>> 0;
      }
      const latency = latencyOf(meta);
      console.log(`camview-frame ${bits} ${meta.presentedFrames} ${latency === null ? "-" : latency.toFixed(1)}`);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

start().catch((e) => showError("could not connect: " + e));
