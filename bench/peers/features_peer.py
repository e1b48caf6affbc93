#!/usr/bin/python3
"""torchaudio peer for bench_features: log-Mel of 30 s recordings with ascnet's framing.

Same framing as ascnet (22050 Hz, win 1102, hop 551, periodic Hann, n_fft 2048, 64 Slaney Mel
bands 50-11025 Hz, power 2, ln(max(x, 1e-10))), torch.set_num_threads(THREADS). Prints one
JSON line with the real-time factor (seconds of audio per second of wall time).
Run with Debian's /usr/bin/python3 (python3-torch, python3-torchaudio).
"""
import json
import sys
import time

import torch
import torchaudio

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
seconds_budget = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
torch.set_num_threads(threads)
torch.manual_seed(1)
x = 0.1 * torch.randn(30 * 22050) + 0.2 * torch.sin(0.07 * torch.arange(30 * 22050, dtype=torch.float32))
mel = torchaudio.transforms.MelSpectrogram(
    sample_rate=22050, n_fft=2048, win_length=1102, hop_length=551, f_min=50.0, f_max=11025.0,
    n_mels=64, power=2.0, norm="slaney", mel_scale="slaney", center=False,
    window_fn=lambda n: torch.hann_window(n, periodic=True))


def extract(sig):
    # Tail zero-padding so the frame count is floor(n / hop), as in ascnet.
    frames = sig.numel() // 551
    need = (frames - 1) * 551 + 2048
    padded = torch.nn.functional.pad(sig, (0, max(0, need - sig.numel())))
    m = mel(padded)[:, :frames]
    return torch.log(torch.clamp(m, min=1e-10))


with torch.inference_mode():
    for _ in range(3):
        out = extract(x)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds_budget:
        out = extract(x)
        n += 1
    dt = time.perf_counter() - t0
print(json.dumps({"peer": "torchaudio", "torch": torch.__version__, "torchaudio": torchaudio.__version__,
                  "threads": threads, "shape": list(out.shape), "recordings": n,
                  "realtime_factor": n * 30.0 / dt}))
