#!/usr/bin/python3
"""Train a network of your own in PyTorch on ascnet's front end.

ascnet computes the 2-channel segment images (log-Mel or log-Gammatone plus the
background-subtracted channel) of every recording, in parallel Python threads (the GIL is
released while it works); torch.from_numpy wraps them without a copy; a small CNN written
here in PyTorch is trained on one fold and tested on another, recording accuracy by
summing segment log-posteriors, as ascnet does.

    python3 python/examples/train_torch.py --dataset ../shared/data/ambience/meta.csv
    python3 python/examples/train_torch.py            # a generated dataset of tones

The dataset is a CSV with columns filename, label, fold (paths relative to the CSV).
"""
import argparse
import concurrent.futures
import csv
import os
import tempfile
import wave

import numpy as np
import torch

import ascnet


def tone_dataset(folder):
    """Three classes of noisy tones, four clips each; fold 1 = the first clip of each class."""
    rows = []
    rng = np.random.default_rng(0)
    for name, freq in (("low", 300.0), ("mid", 1500.0), ("high", 6000.0)):
        for k in range(4):
            path = os.path.join(folder, f"{name}{k}.wav")
            t = np.arange(int(6.1 * 22050)) / 22050
            x = 0.3 * np.sin(2 * np.pi * freq * (1 + 0.03 * k) * t) + 0.05 * rng.uniform(-1, 1, t.size)
            with wave.open(path, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(22050)
                w.writeframes(np.round(x * 32767).astype("<i2").tobytes())
            rows.append({"filename": path, "label": name, "fold": "1" if k == 0 else "2"})
    return rows


def read_csv(path):
    base = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["filename"] = os.path.join(base, r["filename"])
    return rows


class SmallCnn(torch.nn.Module):
    """Your own network: two conv blocks and a linear layer over [B, C, M, T] images."""

    def __init__(self, channels, classes):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(channels, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.MaxPool2d((4, 2)),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
            torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, classes))

    def forward(self, x):
        return self.net(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", help="CSV with filename,label,fold (default: generated tones)")
    ap.add_argument("--features", default="logmel", choices=["logmel", "loggam"])
    ap.add_argument("--test-fold", default="1")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2, help="Python threads computing features")
    args = ap.parse_args()
    torch.manual_seed(0)

    tmp = None
    if args.dataset:
        rows = read_csv(args.dataset)
    else:
        tmp = tempfile.TemporaryDirectory()
        rows = tone_dataset(tmp.name)
    labels = sorted({r["label"] for r in rows})
    config = ascnet.FeatureConfig.preset(args.features)

    # The front end in parallel threads: each call releases the GIL while it works.
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        images = list(pool.map(lambda r: ascnet.features(r["filename"], config), rows))
    print(f"{len(rows)} recordings -> {sum(len(x) for x in images)} segments of shape {images[0].shape[1:]}")

    def segments(fold_test):
        xs, ys, rec = [], [], []
        for i, (r, x) in enumerate(zip(rows, images)):
            if (r["fold"] == args.test_fold) == fold_test:
                xs.append(torch.from_numpy(x))  # no copy: shares ascnet's array
                ys += [labels.index(r["label"])] * len(x)
                rec += [i] * len(x)
        return torch.cat(xs), torch.tensor(ys), torch.tensor(rec)

    x_train, y_train, _ = segments(False)
    x_test, y_test, rec_test = segments(True)
    mean = x_train.mean(dim=(0, 3), keepdim=True)
    std = x_train.std(dim=(0, 3), keepdim=True) + 1e-5

    model = SmallCnn(config.num_channels, len(labels))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train))
        total = 0.0
        for b in perm.split(32):
            loss = torch.nn.functional.cross_entropy(model((x_train[b] - mean) / std), y_train[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(b)
        print(f"epoch {epoch + 1}: train loss {total / len(x_train):.4f}")

    model.eval()
    with torch.no_grad():
        logp = torch.log_softmax(model((x_test - mean) / std), dim=1)
    seg_acc = float((logp.argmax(1) == y_test).float().mean())
    # Recording decisions: sum of segment log-posteriors (ascnet's multiplicative fusion).
    correct = 0
    recs = rec_test.unique()
    for i in recs:
        s = logp[rec_test == i].sum(0)
        correct += int(int(s.argmax()) == labels.index(rows[int(i)]["label"]))
    print(f"test fold {args.test_fold}: segment accuracy {100 * seg_acc:.1f} %, "
          f"recording accuracy {100 * correct / len(recs):.1f} % ({len(recs)} recordings)")


if __name__ == "__main__":
    main()
