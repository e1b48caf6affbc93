// The browser page served at GET /: one self-contained HTML file (no CDN, nothing fetched
// from elsewhere). (a) Drop or pick an audio file: label, posterior bars and, for an
// Att-CRNN, the attention picture of `ascnet explain`. (b) Listen to the microphone: float32
// PCM at the AudioContext's rate goes to /v1/stream (resampled on the server); the running
// label and a scrolling strip of segment posteriors update live.
#include "ascnet/serve/server.h"

namespace ascnet::serve {

const std::string& PageHtml() {
  static const std::string page = R"ASCNET(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ascnet serve</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.5em}
#drop{border:2px dashed #888;border-radius:8px;padding:1.5em;text-align:center;cursor:pointer}
#drop.over{background:#eef}
.bar{display:flex;align-items:center;margin:2px 0;font-size:.9em}
.bar span{width:10em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar div{height:1em;background:#3b6ea5;margin-right:.5em}
.big{font-size:1.6em;font-weight:bold}
#error{color:#b00020} #strip{border:1px solid #ccc;background:#fff}
button{font-size:1em;padding:.4em 1em} small{color:#666}
#attention{max-width:100%}
</style></head><body>
<h1>ascnet serve: acoustic scene classification</h1>
<p>Model <select id="model"></select> <small id="modelinfo"></small>
 <label>Token <input id="token" type="password" size="12" placeholder="(if required)"></label></p>
<p id="error"></p>
<h2>Classify a recording</h2>
<div id="drop">Drop an audio file here, or <input type="file" id="file" accept="audio/*"></div>
<p>Label: <span id="label" class="big">&ndash;</span> <small id="fileinfo"></small></p>
<div id="bars"></div>
<img id="attention" alt="" hidden>
<h2>Listen to the microphone</h2>
<p><button id="mic">Start listening</button> <button id="stop" disabled>Stop</button>
 <small id="micinfo"></small></p>
<p>Scene now: <span id="live-label" class="big">&ndash;</span> <small id="liveinfo"></small></p>
<canvas id="strip" width="720" height="120"></canvas>
<div id="livebars"></div>
<ol id="segments" start="0"></ol>
<script>
"use strict";
const $ = id => document.getElementById(id);
let models = [], labels = [], ws = null, ctx = null, node = null, src = null, media = null, strip = [];
function auth() { const t = $("token").value.trim(); return t ? {"Authorization": "Bearer " + t} : {}; }
function showError(e) { $("error").textContent = e ? String(e) : ""; }
function bars(el, probs) {
  el.innerHTML = "";
  // In the model's class order (JSON objects come back sorted by name).
  const order = labels.length ? labels.filter(l => l in probs) : Object.keys(probs);
  for (const k of order) {
    const v = probs[k];
    const row = document.createElement("div"); row.className = "bar";
    const name = document.createElement("span"); name.textContent = k;
    const b = document.createElement("div"); b.style.width = (v * 20) + "em";
    const num = document.createElement("small"); num.textContent = v.toFixed(3);
    row.append(name, b, num); el.append(row);
  }
}
function current() { return models.find(m => m.name === $("model").value) || models[0]; }
async function loadModels() {
  try {
    const r = await fetch("/v1/models", {headers: auth()});
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || r.status);
    models = j.models; $("model").innerHTML = "";
    for (const m of models) { const o = document.createElement("option"); o.value = o.textContent = m.name; $("model").append(o); }
    describe(); showError("");
  } catch (e) { showError("cannot list models: " + e.message); }
}
function describe() {
  const m = current(); if (!m) return;
  labels = m.labels;
  $("modelinfo").textContent = m.arch.arch + ", " + m.features.name + ", scorer " + m.scorer + ", " + m.labels.length + " classes";
}
async function classify(file) {
  showError(""); $("label").textContent = "\u2026"; $("attention").hidden = true;
  const m = current(); labels = m.labels;
  try {
    const r = await fetch("/v1/classify?segments=true&model=" + encodeURIComponent(m.name),
                          {method: "POST", headers: Object.assign({"Content-Type": "application/octet-stream"}, auth()), body: file});
    const j = await r.json();
    if (!r.ok) throw new Error(j.error);
    $("label").textContent = j.label;
    $("fileinfo").textContent = file.name + ": " + j.duration_s.toFixed(2) + " s, " + j.num_segments + " segment(s)";
    bars($("bars"), j.probabilities);
    if (m.explain) {
      const e = await fetch("/v1/explain?model=" + encodeURIComponent(m.name),
                            {method: "POST", headers: Object.assign({"Content-Type": "application/octet-stream"}, auth()), body: file});
      if (e.ok) { $("attention").src = URL.createObjectURL(await e.blob()); $("attention").hidden = false; }
    }
  } catch (e) { $("label").textContent = "\u2013"; showError(e.message); }
}
function drawStrip() {
  const c = $("strip"), g = c.getContext("2d"), n = Math.max(labels.length, 1), w = 12, h = c.height / n, x0 = 90;
  g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
  const cols = Math.floor((c.width - x0) / w), first = Math.max(0, strip.length - cols);
  for (let i = first; i < strip.length; ++i) {
    labels.forEach((l, k) => {
      const p = strip[i][l] || 0;
      g.fillStyle = "rgba(59,110,165," + p.toFixed(3) + ")";
      g.fillRect(x0 + (i - first) * w, k * h, w - 1, h - 1);
    });
  }
  g.fillStyle = "#000"; g.font = "11px sans-serif";
  labels.forEach((l, k) => g.fillText(l.slice(0, 14), 2, k * h + Math.min(h - 2, 10)));
}
async function startMic() {
  showError(""); strip = []; $("segments").innerHTML = "";
  const m = current(); labels = m.labels;
  try {
    media = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
  } catch (e) { showError("microphone: " + e.message); return; }
  ctx = new AudioContext();
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  const t = $("token").value.trim();
  ws = new WebSocket(proto + location.host + "/v1/stream" + (t ? "?token=" + encodeURIComponent(t) : ""));
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    ws.send(JSON.stringify({model: m.name, sample_rate: ctx.sampleRate, channels: 1, format: "float32"}));
    src = ctx.createMediaStreamSource(media);
    node = ctx.createScriptProcessor(4096, 1, 1);
    node.onaudioprocess = ev => {
      if (ws && ws.readyState === 1) ws.send(new Float32Array(ev.inputBuffer.getChannelData(0)).buffer);
    };
    src.connect(node); node.connect(ctx.destination);
    $("micinfo").textContent = "streaming " + ctx.sampleRate + " Hz float32 to the server";
    $("mic").disabled = true; $("stop").disabled = false;
  };
  ws.onmessage = ev => {
    const j = JSON.parse(ev.data);
    if (j.type === "ready") return;
    if (j.summary) { $("liveinfo").textContent = "summary: " + j.label + " over " + j.segments + " segment(s), " + j.duration_s.toFixed(1) + " s"; return; }
    if (j.segment === undefined) return;
    $("live-label").textContent = j.running.label;
    $("liveinfo").textContent = "segment " + j.segment + " @ " + j.start_s.toFixed(2) + " s: " + j.label +
                                " (server latency " + j.latency_ms.toFixed(1) + " ms)";
    bars($("livebars"), j.running.probabilities);
    const li = document.createElement("li"); li.textContent = j.label; li.dataset.start = j.start_s; $("segments").append(li);
    strip.push(j.probabilities); drawStrip();
  };
  ws.onclose = ev => { if (ev.code !== 1000 && ev.reason) showError("stream closed (" + ev.code + "): " + ev.reason); stopAudio(); };
  ws.onerror = () => showError("WebSocket error");
}
function stopAudio() {
  if (node) { node.disconnect(); node = null; } if (src) { src.disconnect(); src = null; }
  if (media) { media.getTracks().forEach(t => t.stop()); media = null; }
  if (ctx) { ctx.close(); ctx = null; }
  $("mic").disabled = false; $("stop").disabled = true;
}
function stopMic() {
  stopAudio();
  if (ws && ws.readyState === 1) ws.send(JSON.stringify({type: "end"}));
}
$("mic").onclick = startMic; $("stop").onclick = stopMic;
$("model").onchange = describe; $("token").onchange = loadModels;
$("file").onchange = e => { if (e.target.files[0]) classify(e.target.files[0]); };
const drop = $("drop");
drop.ondragover = e => { e.preventDefault(); drop.classList.add("over"); };
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = e => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]); };
drawStrip(); loadModels();
</script></body></html>
)ASCNET";
  return page;
}

}  // namespace ascnet::serve
