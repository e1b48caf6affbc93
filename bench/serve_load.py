#!/usr/bin/python3
"""Load client for `ascnet serve` (used by scripts/bench-serve; Debian's python3-websocket).

  serve_load.py http URL FILE CONCURRENCY REQUESTS
      POSTs FILE to URL from CONCURRENCY threads (one keep-alive connection each) until
      REQUESTS answers came back (after one warm-up request per thread); prints JSON
      {"requests", "seconds", "rps", "p50_ms", "p99_ms", "errors"}.
  serve_load.py offline ASCNET MODEL FILE COPIES THREADS
      `ascnet classify --threads THREADS` over COPIES copies of FILE in one run, each output
      line time-stamped as it arrives: files/s from the 2nd to the last line (start-up and
      model loading left out) and the median gap between consecutive lines (with --threads 1:
      one file's latency). Prints JSON {"files_per_s", "per_file_ms"}.
  serve_load.py stream WS_URL RAW RATE STREAMS
      STREAMS concurrent WebSocket streams, each sending RAW (s16le mono at RATE Hz) paced in
      real time in 20 ms messages; for every segment answer, the delay from the moment the
      segment's last sample was sent to the moment its answer arrived. Prints JSON
      {"segments", "p50_ms", "p99_ms", "max_ms", "server_p99_ms"}.
"""
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

import websocket


def percentile(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(q / 100.0 * (len(v) - 1)))))
    return v[k]


def http_load(url, path, concurrency, requests):
    u = urllib.parse.urlparse(url)
    body = open(path, "rb").read()
    lock = threading.Lock()
    latencies, errors = [], [0]
    remaining = [requests]
    barrier = threading.Barrier(concurrency + 1)

    def post(conn):
        conn.request("POST", u.path + ("?" + u.query if u.query else ""), body=body,
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        data = r.read()
        return r.status, data

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
        post(conn)  # warm-up
        barrier.wait()
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            t0 = time.perf_counter()
            status, _ = post(conn)
            dt = time.perf_counter() - t0
            with lock:
                if status == 200:
                    latencies.append(dt)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    print(json.dumps({"requests": len(latencies), "seconds": wall, "rps": len(latencies) / wall,
                      "p50_ms": 1000 * percentile(latencies, 50), "p99_ms": 1000 * percentile(latencies, 99),
                      "errors": errors[0]}))


def offline(ascnet, model, path, copies, threads):
    p = subprocess.Popen([ascnet, "classify", "--model", model, "--threads", str(threads)] + [path] * copies,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stamps = []
    for line in p.stdout:
        if line.strip():
            stamps.append(time.perf_counter())
    if p.wait() != 0 or len(stamps) != copies:
        sys.exit("ascnet classify failed")
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:])]
    print(json.dumps({"files_per_s": (len(stamps) - 2) / (stamps[-1] - stamps[1]),
                      "per_file_ms": 1000 * percentile(gaps, 50)}))


# The front end's geometry (logmel preset): a segment is 80 frames of 1102 samples, hop 551,
# at 22050 Hz; it is complete once its last frame's samples have arrived.
SEGMENT_SPAN_S = (79 * 551 + 1102) / 22050.0


def stream_load(url, raw_path, rate, streams, stagger=False):
    """`streams` WebSocket clients sending the same PCM in real time. stagger=False: all start
    together, so their segments end at the same instant (the worst case); stagger=True: client i
    starts i/streams of a segment span after the first, as independent users would."""
    pcm = open(raw_path, "rb").read()
    chunk = int(rate * 0.02) * 2  # 20 ms of s16le mono
    delays, server = [], []
    lock = threading.Lock()

    def one():
        ws = websocket.create_connection(url, timeout=60)
        ws.send(json.dumps({"sample_rate": rate, "channels": 1, "format": "int16"}))
        json.loads(ws.recv())
        sent = []  # (audio seconds sent so far, wall time when sent)
        sent_lock = threading.Lock()

        def reader():
            while True:
                try:
                    m = ws.recv()
                except Exception:  # noqa: BLE001 - the stream ended
                    return
                if not m:
                    return
                now = time.perf_counter()
                j = json.loads(m)
                if "segment" not in j or j.get("final"):
                    if j.get("summary"):
                        return
                    continue
                need = j["start_s"] + SEGMENT_SPAN_S
                with sent_lock:
                    at = next((t for s, t in sent if s >= need - 1e-9), None)
                if at is not None:
                    with lock:
                        delays.append(now - at)
                        server.append(j["latency_ms"])

        rt = threading.Thread(target=reader)
        rt.start()
        start = time.perf_counter()
        for i in range(0, len(pcm), chunk):
            target = start + (i // 2) / rate
            d = target - time.perf_counter()
            if d > 0:
                time.sleep(d)
            ws.send_binary(pcm[i:i + chunk])
            with sent_lock:
                sent.append((min(len(pcm), i + chunk) // 2 / rate, time.perf_counter()))
        ws.send(json.dumps({"type": "end"}))
        rt.join(timeout=60)
        ws.close()

    threads = [threading.Thread(target=one) for _ in range(streams)]
    for i, t in enumerate(threads):
        if stagger and i:
            time.sleep(SEGMENT_SPAN_S / streams)
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"segments": len(delays), "p50_ms": 1000 * percentile(delays, 50),
                      "p99_ms": 1000 * percentile(delays, 99), "max_ms": 1000 * max(delays) if delays else None,
                      "server_p99_ms": percentile(server, 99)}))


if __name__ == "__main__":
    if sys.argv[1] == "http":
        http_load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "offline":
        offline(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "stream":
        stream_load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                    len(sys.argv) > 6 and sys.argv[6] == "stagger")
    else:
        sys.exit(__doc__)
