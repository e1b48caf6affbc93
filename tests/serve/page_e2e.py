#!/usr/bin/python3
"""The page served at GET / in headless Chromium, driven over the DevTools protocol.

usage: page_e2e.py ASCNET FIXTURE_DIR   (fixtures from tests/serve/test_serve_e2e.cpp)

(a) a file picked in the page shows the label `ascnet classify` gives that file; (b) with
Chromium's fake microphone playing a clip (--use-file-for-fake-audio-capture), the page
shows live segment labels, and they are the labels `ascnet stream` gives that clip (the clip
is a steady tone: the browser's capture starts at an arbitrary point of it, so the labels are
compared as a set, not segment by segment). A screenshot is left in FIXTURE_DIR/page.png.
Exits 0 on success, 1 on a failed check, 77 when Chromium is missing.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

sys.path.insert(0, os.path.dirname(__file__))
from serve_e2e import Server, check, cli, failures, path, without_latency  # noqa: E402

ASCNET, DIR = sys.argv[1], sys.argv[2]


class Browser:
    def __init__(self, clip):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            sys.exit(77)
        self.profile = tempfile.mkdtemp(prefix="ascnet-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio",
             "--remote-debugging-port=0", "--user-data-dir=" + self.profile,
             "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             "--use-file-for-fake-audio-capture=" + clip, "--autoplay-policy=no-user-gesture-required",
             "--window-size=1100,1400", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=30))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait(self, expr, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(0.1)
        return None

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:  # noqa: BLE001
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    att = path("att.ascnet")
    clip = path("mono.wav")  # a steady tone, 4.5 s, 22050 Hz
    srv = Server("--model", "att=" + att, "--torch-threads", "1", name="page")
    browser = None
    try:
        browser = Browser(clip)
        browser.call("Page.enable")
        browser.call("Runtime.enable")
        browser.call("Page.navigate", url=srv.base + "/")
        check(browser.wait("document.readyState === 'complete' && document.getElementById('model').options.length > 0") is True,
              "page loads and lists the models")
        # (a) pick a file: the label equals `ascnet classify`.
        want = json.loads(cli("classify", "--threads", "1", "--model", att, path("stereo.wav")))
        doc = browser.call("DOM.getDocument")
        node = browser.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#file")["nodeId"]
        browser.call("DOM.setFileInputFiles", files=[path("stereo.wav")], nodeId=node)
        label = browser.wait("(() => { const t = document.getElementById('label').textContent;"
                             " return t !== '\\u2013' && t !== '\\u2026' ? t : null; })()")
        check(label == want["label"], "file upload in the page shows the label of ascnet classify", (label, want["label"]))
        check(browser.wait("document.getElementById('attention').hidden === false && "
                           "document.getElementById('attention').naturalWidth > 0", 30) is True,
              "the page shows the attention picture (Att-CRNN)")
        bars = browser.eval("document.querySelectorAll('#bars .bar').length")
        check(bars == 3, "the page shows one posterior bar per class", bars)
        # (b) the microphone (Chromium's fake device playing the clip).
        raw = os.path.join(DIR, "mic.raw")
        subprocess.run(["sox", clip, "-t", "raw", "-e", "signed", "-b", "16", "-L", raw], check=True)
        with open(raw, "rb") as f:
            stream = [json.loads(l) for l in cli("stream", "--model", att, "--rate", "22050", stdin=f).splitlines() if l]
        stream_labels = {s["label"] for s in stream if "segment" in s}
        browser.eval("document.getElementById('mic').click()")
        n = browser.wait("document.querySelectorAll('#segments li').length >= 3 ? "
                         "document.querySelectorAll('#segments li').length : 0", 60)
        live = browser.eval("[...document.querySelectorAll('#segments li')].map(li => li.textContent)") or []
        running = browser.eval("document.getElementById('live-label').textContent")
        check(bool(n) and len(live) >= 3, "the page shows live segment labels from the microphone", live)
        check(live and set(live) <= stream_labels and running in stream_labels,
              "live labels match ascnet stream on the clip", (live, running, stream_labels))
        shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(os.path.join(DIR, "page.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        browser.eval("document.getElementById('stop').click()")
    finally:
        if browser:
            browser.close()
        code = srv.stop()
    check(code == 0, "server exits 0", code)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
