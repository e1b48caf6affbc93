#!/usr/bin/python3
"""`ascnet serve` end to end with real clients (Debian's python3-requests, python3-websocket).

usage: serve_e2e.py ASCNET FIXTURE_DIR   (the fixtures are made by tests/serve/test_serve_e2e.cpp)

Starts the real binary on a free loopback port (--port 0, the port read from its log), checks
every endpoint against `ascnet classify` / `ascnet stream` on the same inputs, the limits and
errors, 32 concurrent uploads with 8 concurrent streams, and SIGTERM under load. Prints one
line per check; exits 1 if any failed. Timeouts only bound liveness; nothing is timed.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import requests
import websocket

ASCNET, DIR = sys.argv[1], sys.argv[2]
TOKEN = "s3cret-token"
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else ": " + str(detail)[:600]), flush=True)
    if not cond:
        failures.append(what)


def path(name):
    return os.path.join(DIR, name)


class Server:
    def __init__(self, *args, name="server"):
        self.log_path = path(name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([ASCNET, "serve", "--port", "0", *args], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 60
        self.port = None
        while time.time() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + open(self.log_path).read())
            for line in open(self.log_path):
                if "listening on http://127.0.0.1:" in line:
                    self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("server did not start: " + open(self.log_path).read())
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


AUTH = {"Authorization": "Bearer " + TOKEN}


def cli(*args, stdin=None):
    r = subprocess.run([ASCNET, *args], stdin=stdin, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("ascnet %s failed: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def expected_classify(model_file, audio, segments):
    """What `ascnet classify` prints for `audio` (one line), with the file named as the server names it."""
    args = ["classify", "--threads", "1", "--model", model_file, audio] + (["--segments"] if segments else [])
    return cli(*args)


def renamed(line, audio, name):
    return line.replace(json.dumps(audio), json.dumps(name), 1)


def without_latency(objs):
    out = []
    for o in objs:
        o = dict(o)
        o.pop("latency_ms", None)
        out.append(o)
    return out


def expected_stream(model_file, raw, rate, channels, fmt):
    with open(raw, "rb") as f:
        out = cli("stream", "--model", model_file, "--rate", str(rate), "--channels", str(channels), "--format", fmt, stdin=f)
    return without_latency([json.loads(l) for l in out.splitlines() if l.strip()])


def classify(srv, data, content_type="audio/wav", query="", headers=None, files=None, timeout=60):
    h = dict(AUTH)
    if content_type and files is None:
        h["Content-Type"] = content_type
    h.update(headers or {})
    return requests.post(srv.base + "/v1/classify" + query, data=data, files=files, headers=h, timeout=timeout)


def ws_open(srv, target="/v1/stream", token=TOKEN):
    hdr = ["Authorization: Bearer " + token] if token else []
    return websocket.create_connection("ws://127.0.0.1:%d%s" % (srv.port, target), header=hdr, timeout=60)


def ws_run(ws, header, data=b"", chunk=8192, end=True, header_text=None):
    """Sends the header, the PCM in `chunk`-byte messages and {"type":"end"}; returns
    (messages, (close code, reason)). Stops sending when the server has closed."""
    msgs, close = [], None
    try:
        ws.send(header_text if header_text is not None else json.dumps(header))
        for i in range(0, len(data), chunk):
            ws.send_binary(data[i:i + chunk])
        if end:
            ws.send(json.dumps({"type": "end"}))
    except (BrokenPipeError, ConnectionResetError, websocket.WebSocketConnectionClosedException):
        pass
    while True:
        op, payload = next_message(ws)
        if op is None:
            break
        if op == websocket.ABNF.OPCODE_CLOSE:
            close = payload
            break
        if op == websocket.ABNF.OPCODE_TEXT:
            msgs.append(json.loads(payload))
    try:
        ws.close()
    except Exception:
        pass
    return msgs, close


def next_message(ws):
    """The next message as (opcode, payload); a close frame as (OPCODE_CLOSE, (code, reason));
    (None, None) when the connection dropped. Frames are read directly (the library's recv
    would answer a close frame first and fail when the server has already gone)."""
    op, data = None, b""
    while True:
        try:
            frame = ws.recv_frame()
        except (websocket.WebSocketConnectionClosedException, OSError):
            return None, None
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            p = frame.data
            return frame.opcode, (struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None, p[2:].decode("utf-8", "replace"))
        if frame.opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
            continue
        if frame.opcode != websocket.ABNF.OPCODE_CONT:
            op = frame.opcode
        data += frame.data
        if frame.fin:
            return op, data


def ws_run_close(ws):
    """Reads until the server's close frame: (code, reason), or None if the connection dropped."""
    while True:
        op, payload = next_message(ws)
        if op is None:
            return None
        if op == websocket.ABNF.OPCODE_CLOSE:
            return payload


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def good_request(srv, what):
    r = classify(srv, open(path("mono.wav"), "rb").read())
    check(r.status_code == 200 and r.json()["label"], "a good request right after " + what + " succeeds", r.text)


def main():
    with open(path("token"), "w") as f:
        f.write(TOKEN + "\n")
    att, cnn = path("att.ascnet"), path("cnn.ascnet")
    srv = Server("--model", "att=" + att, "--model", "cnn=" + cnn, "--torch-threads", "1", "--threads", "4",
                 "--max-body", "3000000", "--request-timeout", "1.5", "--max-stream-seconds", "12", "--max-frame-bytes", "65536",
                 "--token-file", path("token"), "--cors", "http://example.org", name="main")
    try:
        run_main(srv, att, cnn)
    finally:
        code = srv.stop()
    check(code == 0, "SIGTERM under load: exit code 0", code)
    busy_server(att)
    body_budget_server(att)
    if failures:
        print("%d check(s) failed: %s" % (len(failures), ", ".join(failures)))
        sys.exit(1)
    print("all checks passed")


def run_main(srv, att, cnn):
    # --- uploads in every format, raw and multipart, equal to `ascnet classify` ------------
    formats = ["mono.wav", "stereo.wav", "clip.flac", "clip.ogg", "clip.aiff"]
    if os.path.exists(path("clip.mp3")) and os.path.getsize(path("clip.mp3")) > 0:
        formats.append("clip.mp3")
    expected = {}
    for name in formats:
        for model, mfile in (("att", att), ("cnn", cnn)):
            for seg in (False, True):
                want = expected_classify(mfile, path(name), seg)
                expected[(name, model, seg)] = want
                data = open(path(name), "rb").read()
                q = "?model=%s%s" % (model, "&segments=true" if seg else "")
                r = classify(srv, data, "application/octet-stream" if name.endswith("ogg") else "audio/x-any", q)
                check(r.status_code == 200 and r.text == renamed(want, path(name), "upload"),
                      "raw %s %s%s equals ascnet classify byte for byte" % (name, model, " segments" if seg else ""),
                      (r.status_code, r.text, want))
                r = classify(srv, None, files={"file": (name, data, "audio/wav")}, query=q)
                check(r.status_code == 200 and r.text == renamed(want, path(name), name),
                      "multipart %s %s%s equals ascnet classify" % (name, model, " segments" if seg else ""),
                      (r.status_code, r.text))
    # The default model is the first.
    r = classify(srv, open(path("mono.wav"), "rb").read())
    check(r.text == renamed(expected[("mono.wav", "att", False)], path("mono.wav"), "upload"), "no ?model= uses the first model")

    # --- models, healthz, metrics, page, explain, CORS -------------------------------------
    r = requests.get(srv.base + "/v1/models", headers=AUTH, timeout=30)
    models = r.json()["models"]
    check(r.status_code == 200 and [m["name"] for m in models] == ["att", "cnn"], "/v1/models lists both", r.text)
    check(models[0]["labels"] == ["low", "mid", "high"] and models[0]["arch"]["arch"] == "attcrnn"
          and models[0]["scorer"] == "svm" and models[0]["features"]["name"] == "logmel" and models[0]["default"]
          and models[1]["arch"]["arch"] == "cnn" and models[1]["scorer"] == "softmax",
          "/v1/models: labels, architecture, feature config, scorer", r.text)
    r = requests.get(srv.base + "/healthz", timeout=30)
    check(r.status_code == 200 and r.json()["status"] == "ok", "/healthz without token", r.text)
    r = requests.get(srv.base + "/", timeout=30)
    page = r.text
    check(r.status_code == 200 and "text/html" in r.headers["Content-Type"] and "getUserMedia" in page
          and "/v1/stream" in page and "http://" not in page and "https://" not in page and "<script src" not in page,
          "GET / is one self-contained page")
    r = requests.post(srv.base + "/v1/explain?model=att", data=open(path("mono.wav"), "rb").read(),
                      headers=dict(AUTH, **{"Content-Type": "audio/wav"}), timeout=60)
    check(r.status_code == 200 and r.headers["Content-Type"] == "image/png" and r.content[:4] == b"\x89PNG",
          "/v1/explain draws the attention picture (Att-CRNN)", r.status_code)
    r = requests.post(srv.base + "/v1/explain?model=cnn", data=b"x", headers=dict(AUTH, **{"Content-Type": "audio/wav"}), timeout=30)
    check(r.status_code == 400 and "Att-CRNN" in r.json()["error"], "/v1/explain on a CNN: 400", r.text)
    r = requests.options(srv.base + "/v1/classify", headers={"Origin": "http://example.org",
                                                              "Access-Control-Request-Method": "POST"}, timeout=30)
    check(r.status_code == 204 and r.headers.get("Access-Control-Allow-Origin") == "http://example.org",
          "CORS preflight with --cors", r.headers)

    # --- streams equal `ascnet stream` ------------------------------------------------------
    s16 = open(path("s16_44k_stereo.raw"), "rb").read()
    f32 = open(path("f32_16k_mono.raw"), "rb").read()
    want_s16 = expected_stream(att, path("s16_44k_stereo.raw"), 44100, 2, "s16le")
    want_f32 = expected_stream(cnn, path("f32_16k_mono.raw"), 16000, 1, "f32le")
    msgs, close = ws_run(ws_open(srv), {"model": "att", "sample_rate": 44100, "channels": 2, "format": "int16"}, s16, 8192)
    check(msgs and msgs[0].get("type") == "ready" and msgs[0]["labels"] == ["low", "mid", "high"], "stream: ready message", msgs[:1])
    check(without_latency(msgs[1:]) == want_s16, "stream int16 stereo 44.1 kHz equals ascnet stream",
          (without_latency(msgs[1:]), want_s16))
    check(close == (1000, "end of stream"), "stream: normal close after the summary", close)
    # Odd message sizes (frames split across messages) give the same answers.
    msgs, close = ws_run(ws_open(srv), {"model": "cnn", "sample_rate": 16000, "format": "float32"}, f32, 1001)
    check(without_latency(msgs[1:]) == want_f32, "stream float32 in 1001-byte messages equals ascnet stream --format f32le",
          (without_latency(msgs[1:]), want_f32))
    check(all(m["latency_ms"] >= 0 for m in msgs[1:-1]) and msgs[-1].get("summary") is True, "stream: latency and summary")

    # --- 32 concurrent uploads + 8 concurrent streams ---------------------------------------
    before = requests.get(srv.base + "/metrics", headers=AUTH, timeout=30).text
    jobs = [(formats[i % len(formats)], ("att", "cnn")[i % 2], i % 3 == 0) for i in range(32)]
    results = [None] * 32
    stream_results = [None] * 8

    def upload(i):
        name, model, seg = jobs[i]
        try:
            r = classify(srv, open(path(name), "rb").read(), "audio/wav", "?model=%s%s" % (model, "&segments=1" if seg else ""))
            results[i] = (r.status_code, r.text)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            results[i] = (0, repr(e))

    def stream(i):
        try:
            if i % 2:
                stream_results[i] = ws_run(ws_open(srv), {"model": "cnn", "sample_rate": 16000, "format": "float32"}, f32, 4000 + i)
            else:
                stream_results[i] = ws_run(ws_open(srv), {"sample_rate": 44100, "channels": 2}, s16, 6000 + 2 * i)
        except Exception as e:  # noqa: BLE001
            stream_results[i] = ([], repr(e))

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(32)]
    threads += [threading.Thread(target=stream, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ok = sum(1 for i, (name, model, seg) in enumerate(jobs)
             if results[i] and results[i][0] == 200 and results[i][1] == renamed(expected[(name, model, seg)], path(name), "upload"))
    check(ok == 32, "32 concurrent uploads: all answered and equal to ascnet classify", [r for r in results if not r or r[0] != 200][:3])
    sok = sum(1 for i, (m, c) in enumerate(stream_results)
              if c == (1000, "end of stream") and without_latency(m[1:]) == (want_f32 if i % 2 else want_s16))
    check(sok == 8, "8 concurrent streams: all equal to ascnet stream", [r[1] for r in stream_results])
    after = requests.get(srv.base + "/metrics", headers=AUTH, timeout=30).text
    d = metric(after, 'ascnet_requests_total{endpoint="/v1/classify",status="200"}') - \
        metric(before, 'ascnet_requests_total{endpoint="/v1/classify",status="200"}')
    check(d == 32, "metrics count the 32 uploads", d)
    d = metric(after, 'ascnet_streams_closed_total{code="1000"}') - metric(before, 'ascnet_streams_closed_total{code="1000"}')
    check(d == 8, "metrics count the 8 streams", d)
    segs = sum(len(m) - 2 for m, c in stream_results if m)
    d = metric(after, 'ascnet_segments_total{source="stream"}') - metric(before, 'ascnet_segments_total{source="stream"}')
    check(d == segs, "metrics count the streamed segments", (d, segs))
    # Which batching the server chose: across requests with OpenBLAS whatever its kernels
    # (ctest runs this file with the machine's kernels and again with OpenBLAS's AVX2 ones,
    # whose BLAS products compute a row differently with every batch size; the answers above
    # still equal classify/stream).
    batching = [l for l in open(srv.log_path) if "ascnet serve: batching " in l]
    check(len(batching) == 1 and "across requests" in batching[0],
          "the server says it batches across requests", batching)
    check(metric(after, "ascnet_batch_calls_total") < metric(after, 'ascnet_segments_total{source="stream"}') +
          metric(after, 'ascnet_segments_total{source="classify"}'), "dynamic batching made fewer network calls than segments")
    for name in ("ascnet_request_duration_seconds_bucket", "ascnet_stream_segment_latency_seconds_bucket",
                 "ascnet_decoded_bytes_total", "ascnet_open_streams", "ascnet_queue_depth", 'ascnet_model_info{model="att",arch="attcrnn"} 1'):
        check(name in after, "metrics has " + name)

    # --- bad inputs: status, message, and a good request right after ------------------------
    big = os.urandom(4_000_000)
    r = classify(srv, big)
    check(r.status_code == 413 and "--max-body 3000000" in r.json()["error"], "oversized body: 413 naming --max-body", r.text[:200])
    good_request(srv, "413")
    wav = open(path("long.wav"), "rb").read()
    r = classify(srv, wav[: len(wav) // 2])
    check(r.status_code == 415 and "upload" in r.json()["error"], "truncated WAV: 415 with the decoder's message", r.text)
    good_request(srv, "a truncated file")
    r = classify(srv, os.urandom(5000))
    check(r.status_code == 415 and "not decodable audio" in r.json()["error"] and "libsndfile" in r.json()["error"],
          "non-audio: 415 with the decoder's message", r.text)
    good_request(srv, "non-audio")
    r = classify(srv, open(path("mono.wav"), "rb").read(), "text/plain")
    check(r.status_code == 415 and "Content-Type" in r.json()["error"], "wrong content type: 415", r.text)
    good_request(srv, "a wrong content type")
    r = classify(srv, b"--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nRIFF....", "multipart/form-data; boundary=B")
    check(r.status_code == 400 and "multipart" in r.json()["error"], "malformed multipart: 400", r.text)
    r = classify(srv, b"--B\r\n\r\nx\r\n--B--", "multipart/form-data")
    check(r.status_code == 400 and "boundary" in r.json()["error"], "multipart without boundary: 400", r.text)
    good_request(srv, "malformed multipart")
    r = classify(srv, open(path("mono.wav"), "rb").read(), query="?model=nope")
    check(r.status_code == 404 and "nope" in r.json()["error"], "unknown model: 404", r.text)
    r = classify(srv, open(path("mono.wav"), "rb").read(), query="?segmentz=1")
    check(r.status_code == 400 and "segmentz" in r.json()["error"], "unknown query parameter: 400", r.text)
    r = classify(srv, open(path("mono.wav"), "rb").read(), headers={"Authorization": "Bearer wrong"})
    check(r.status_code == 401 and "bad bearer token" in r.json()["error"], "bad token: 401", r.text)
    r = requests.get(srv.base + "/v1/models", timeout=30)
    check(r.status_code == 401 and "missing bearer token" in r.json()["error"], "missing token: 401", r.text)
    r = requests.get(srv.base + "/v1/nothing", headers=AUTH, timeout=30)
    check(r.status_code == 404, "unknown endpoint: 404", r.text)
    r = requests.get(srv.base + "/v1/classify", headers=AUTH, timeout=30)
    check(r.status_code == 405, "GET /v1/classify: 405", r.text)
    good_request(srv, "unknown model and bad token")
    # A client that stops mid-body, and one that sends too slowly.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(("POST /v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: audio/wav\r\n"
               "Content-Length: 100000\r\n\r\n" % TOKEN).encode() + wav[:1000])
    s.close()
    good_request(srv, "a client that stopped mid-body")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(("POST /v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: audio/wav\r\n"
               "Content-Length: 100000\r\n\r\n" % TOKEN).encode() + wav[:1000])
    reply = b""
    while True:  # the server answers after --request-timeout 1.5 s (bounded by the socket timeout)
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        reply += chunk
    s.close()
    check(reply.startswith(b"HTTP/1.1 408") and b"--request-timeout" in reply, "slow client: 408 after the request timeout", reply[:300])
    good_request(srv, "a slow client")
    # A malformed request line.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(b"GARBAGE\x01 / HTTP/1.1\r\n\r\n")
    reply = s.recv(65536)
    s.close()
    check(reply.startswith(b"HTTP/1.1 400"), "malformed HTTP: 400", reply[:200])

    # WebSocket: bad header, bad frames, too long, unknown model, bad token.
    def ws_bad(what, header, data=b"", code=None, reason=None, header_text=None, chunk=8192, end=False):
        msgs, close = ws_run(ws_open(srv), header, data, chunk=chunk, end=end, header_text=header_text)
        check(close is not None and close[0] == code and reason in close[1], "stream " + what + ": close %d" % code, close)

    ws_bad("header not JSON", None, header_text="hello", code=1008, reason="not JSON")
    ws_bad("header without sample_rate", {"channels": 1}, code=1008, reason="sample_rate")
    ws_bad("header with a bad format", {"sample_rate": 16000, "format": "mp3"}, code=1008, reason="format")
    ws_bad("unknown model", {"sample_rate": 16000, "model": "nope"}, code=1008, reason="unknown model")
    def send_raw(*messages):
        """Sends messages (bytes: binary, str: text) as they are; returns the close (code, reason)."""
        ws = ws_open(srv)
        try:
            for m in messages:
                ws.send_binary(m) if isinstance(m, bytes) else ws.send(m)
        except (BrokenPipeError, ConnectionResetError, websocket.WebSocketConnectionClosedException):
            pass
        return ws_run_close(ws)

    close = send_raw(b"\x00\x01" * 100)
    check(close is not None and close[0] == 1008 and "before the stream header" in close[1],
          "stream binary before header: close 1008", close)
    ws_bad("float32 frames that are not PCM", {"sample_rate": 16000, "format": "float32"}, b"\xff\xff\xff\x7f" * 2000,
           code=1007, reason="not finite")
    close = send_raw(json.dumps({"sample_rate": 16000}), b"\x00\x00" * 1000, "hello")
    check(close is not None and close[0] == 1003 and "binary" in close[1], "stream text message mid-stream: close 1003", close)
    ws_bad("longer than --max-stream-seconds", {"sample_rate": 16000}, b"\x00\x00" * 16000 * 13, chunk=32000,
           code=1009, reason="--max-stream-seconds 12")
    ws_bad("message over --max-frame-bytes", {"sample_rate": 16000}, b"\x00\x00" * 40000, chunk=80000, code=1009, reason="")
    try:
        ws_open(srv, token="wrong")
        check(False, "stream with a bad token: 401")
    except websocket.WebSocketBadStatusException as e:
        check(e.status_code == 401, "stream with a bad token: 401", e)
    try:
        ws_open(srv, target="/v1/elsewhere")
        check(False, "WebSocket on another path: 404")
    except websocket.WebSocketBadStatusException as e:
        check(e.status_code == 404, "WebSocket on another path: 404", e)
    msgs, close = ws_run(ws_open(srv), {"model": "att", "sample_rate": 44100, "channels": 2}, s16, 8192)
    check(without_latency(msgs[1:]) == want_s16 and close[0] == 1000, "a good stream right after the bad ones")

    # --- SIGTERM under load: in-flight requests complete -----------------------------------
    load = [None] * 8
    want_long = expected_classify(att, path("long.wav"), False)

    def long_upload(i):
        try:
            r = classify(srv, wav)
            load[i] = (r.status_code, r.text)
        except Exception as e:  # noqa: BLE001
            load[i] = (0, repr(e))

    threads = [threading.Thread(target=long_upload, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    # Wait until every upload is in (received and queued or running), then SIGTERM.
    deadline = time.time() + 30
    while time.time() < deadline:
        m = requests.get(srv.base + "/metrics", headers=AUTH, timeout=30).text
        if metric(m, "ascnet_queue_depth") + metric(m, "ascnet_busy_workers") >= 8:
            break
        time.sleep(0.01)
    srv.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=120)
    # Let the server finish its drain and exit on that one signal (main() checks the exit
    # code): a second SIGTERM from stop() could land after the server has put back the default
    # handler on its way out, and end it with -15.
    try:
        srv.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pass
    done = sum(1 for x in load if x and x[0] == 200 and x[1] == renamed(want_long, path("long.wav"), "upload"))
    check(done == 8, "SIGTERM under load: the 8 in-flight uploads complete", [x for x in load if not x or x[0] != 200][:2])


def busy_server(att):
    """One worker and no queue: concurrent uploads beyond it get 503 with Retry-After."""
    srv = Server("--model", att, "--threads", "1", "--queue", "0", "--torch-threads", "1", name="busy")
    try:
        wav = open(path("long.wav"), "rb").read()
        out = [None] * 10

        def up(i):
            r = requests.post(srv.base + "/v1/classify", data=wav, headers={"Content-Type": "audio/wav"}, timeout=120)
            out[i] = (r.status_code, r.headers.get("Retry-After"), r.text)

        threads = [threading.Thread(target=up, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        busy = [o for o in out if o and o[0] == 503]
        check(busy and all(o[1] == "1" and "--queue" in json.loads(o[2])["error"] for o in busy),
              "queue full: 503 with Retry-After and a JSON error", out)
        check(all(o and o[0] in (200, 503) for o in out) and any(o[0] == 200 for o in out), "queue full: the others succeed", out)
        r = requests.post(srv.base + "/v1/classify", data=open(path("mono.wav"), "rb").read(),
                          headers={"Content-Type": "audio/wav"}, timeout=60)
        check(r.status_code == 200, "a good request after 503s succeeds", r.text)
    finally:
        code = srv.stop(signal.SIGINT)
    check(code == 0, "SIGINT: exit code 0", code)


def body_budget_server(att):
    """--max-body-total: a request whose body would pass the bytes held by others gets 503 with
    Retry-After before its body is read; once the holder is gone the same request succeeds."""
    srv = Server("--model", att, "--max-body", "2000000", "--max-body-total", "2500000", name="budget")
    try:
        mono = open(path("mono.wav"), "rb").read()
        holder = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        holder.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                       b"Content-Length: 2000000\r\n\r\n" + mono[:1000])  # 2 MB reserved, body still coming
        deadline, reserved = time.time() + 30, 0.0  # until the server has read the headers and reserved the 2 MB
        while time.time() < deadline and reserved < 2000000:
            reserved = metric(requests.get(srv.base + "/metrics", timeout=30).text, "ascnet_body_bytes_reserved")
            time.sleep(0.02)
        check(reserved == 2000000, "body budget: /metrics shows the holder's 2 MB reserved", reserved)
        r = requests.post(srv.base + "/v1/classify", data=mono + bytes(600000), headers={"Content-Type": "audio/wav"},
                          timeout=60)
        check(r.status_code == 503 and r.headers.get("Retry-After") == "1" and "--max-body-total 2500000" in r.json()["error"],
              "body budget: 503 with Retry-After naming --max-body-total", (r.status_code, r.text[:200]))
        holder.close()
        ok = None
        for _ in range(50):  # the holder's reservation goes with its connection
            ok = requests.post(srv.base + "/v1/classify", data=mono + bytes(600000), headers={"Content-Type": "audio/wav"},
                               timeout=60)
            if ok.status_code != 503:
                break
            time.sleep(0.1)
        check(ok.status_code in (200, 415), "body budget: the same request after the holder left is read and answered",
              (ok.status_code, ok.text[:200]))
        r = requests.post(srv.base + "/v1/classify", data=mono, headers={"Content-Type": "audio/wav"}, timeout=60)
        check(r.status_code == 200, "body budget: a good request afterwards succeeds", r.text[:200])
    finally:
        code = srv.stop()
    check(code == 0, "body budget server: exit code 0", code)


if __name__ == "__main__":
    main()
