#!/usr/bin/python3
"""PyTorch peer of ascnet's networks (src/ascnet/model/networks.cpp), written idiomatically.

The same two networks (shared spec system.md, "Networks"): conv block (SAME-padded conv ->
ReLU -> BatchNorm -> 4x1 max pool over frequency -> dropout), then either the Att-CRNN
(2-layer bidirectional nn.GRU, projection, temporal + spatial attention pooling) or the CNN
baseline (global max). Weights come from a directory written by ascnet (ExportWeightsNpy):
manifest.json ({"arch": ArchConfig JSON, "tensors": {name: file.npy}}) plus one .npy per tensor.

  ascnet_peer.py parity DIR        DIR also holds input.npy and ascnet's logits.npy, pooled.npy,
                                   a_spa.npy, a_tem.npy; checks ours match to 1e-4 relative.
                                   Prints one JSON line; exit 0 on match, 1 on mismatch.
  ascnet_peer.py bench DIR [DIR..] [--threads 2] [--batch 100] [--min-time 2] [--channels-last]
                                   eval-mode inference throughput (segments/s), one JSON line.
  ascnet_peer.py train DIR [DIR..] [--threads 2] [--batch 100] [--min-time 2] [--channels-last]
                                   training throughput (segments/s) of full between-class steps:
                                   pair drawing, gathering and mixing, forward in training mode,
                                   KL loss, backward, Adam (lr 1e-4); one JSON line.
  ascnet_peer.py best bench|train DIR [DIR..] [same options] [--openblas-core NAME]
                                   the peer's best configuration: runs bench/train once per
                                   configuration a careful user would try (OpenBLAS's own
                                   thread pool as is and with OPENBLAS_NUM_THREADS=1, each in
                                   contiguous and channels-last memory format; every one with
                                   OPENBLAS_CORETYPE=NAME when given: the kernels ascnet chose
                                   for this CPU) and prints every result plus, per network, the
                                   best one; one JSON line. With --only-best-of FILE (an
                                   earlier `best` output): only the configurations that were
                                   best there (the later rounds of scripts/bench-*).
  ascnet_peer.py count ARCH CLASSES    trainable parameter count.

Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy).
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# padding="same" with an even kernel pads a copy of the input; that is the intended behaviour.
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")

DEFAULT_ARCH = {
    "arch": "attcrnn", "channels": 2, "bands": 64, "frames": 80, "filters": [64, 128, 256],
    "kernels": [5, 3, 2], "pool": 4, "conv_dropout": 0.25, "batchnorm_eps": 1e-5,
    "batchnorm_momentum": 0.1, "hidden": 128, "rnn_layers": 2, "rnn_dropout": 0.1,
    "attention": 64, "attention_scale": "none", "classes": 19,
}


class ConvBlock(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.pool = a["pool"]
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        cin = a["channels"]
        for f, k in zip(a["filters"], a["kernels"]):
            # padding="same" pads (k-1)//2 before and the rest after (TensorFlow SAME).
            self.convs.append(nn.Conv2d(cin, f, k, padding="same"))
            self.bns.append(nn.BatchNorm2d(f, eps=a["batchnorm_eps"], momentum=a["batchnorm_momentum"]))
            cin = f
        self.drop = nn.Dropout(a["conv_dropout"])

    def forward(self, x):  # [B, C, M, T] -> [B, F, M / pool^N, T]
        for conv, bn in zip(self.convs, self.bns):
            x = self.drop(F.max_pool2d(bn(F.relu(conv(x))), (self.pool, 1)))
        return x


class AttCrnn(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        h, att = a["hidden"], a["attention"]
        self.conv = ConvBlock(a)
        feat = a["filters"][-1] * (a["bands"] // a["pool"] ** len(a["filters"]))
        self.drop = nn.Dropout(a["rnn_dropout"])
        self.gru = nn.GRU(feat, h, num_layers=a["rnn_layers"], bidirectional=True, batch_first=True,
                          dropout=a["rnn_dropout"] if a["rnn_layers"] > 1 else 0.0)
        self.proj = nn.Linear(2 * h, 2 * h)
        self.temporal_w = nn.Linear(2 * h, att)
        self.temporal_v = nn.Linear(att, 1, bias=False)
        self.spatial_w = nn.Linear(a["frames"], att)
        self.spatial_v = nn.Linear(att, 1, bias=False)
        self.classifier = nn.Linear(2 * h, a["classes"])
        self.scale_kind = a["attention_scale"]
        if self.scale_kind == "learned":
            self.attention_scale = nn.Parameter(torch.full((1,), 2.0 * h * a["frames"]))

    def forward(self, x):
        c = self.conv(x)                                     # [B, 256, 1, T]
        seq = c.permute(0, 3, 1, 2).flatten(2)               # [B, T, F]
        hs, _ = self.gru(self.drop(seq))                     # [B, T, 2H]
        z = self.proj(self.drop(hs))                         # [B, T, 2H]
        a_tem = torch.softmax(self.temporal_v(torch.tanh(self.temporal_w(z))).squeeze(-1), 1)   # [B, T]
        zs = z.transpose(1, 2)                               # [B, 2H, T]
        a_spa = torch.softmax(self.spatial_v(torch.tanh(self.spatial_w(zs))).squeeze(-1), 1)  # [B, 2H]
        att = a_spa.unsqueeze(2) * a_tem.unsqueeze(1)        # [B, 2H, T]
        if self.scale_kind == "mean1":
            att = att * (2.0 * self.a["hidden"] * self.a["frames"])
        elif self.scale_kind == "row1":
            att = att * (2.0 * self.a["hidden"])
        elif self.scale_kind == "learned":
            att = att * self.attention_scale
        pooled = torch.tanh(att * zs).sum(2)                 # [B, 2H]
        return self.classifier(pooled), pooled, a_spa, a_tem


class Cnn(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.conv = ConvBlock(a)
        self.classifier = nn.Linear(a["filters"][-1], a["classes"])

    def forward(self, x):
        pooled = self.conv(x).amax(dim=(2, 3))               # [B, 256]
        return self.classifier(pooled), pooled, None, None


def make(a):
    return AttCrnn(a) if a["arch"] == "attcrnn" else Cnn(a)


def ascnet_to_peer_name(name):
    """Maps an ascnet tensor name to this module's state_dict key."""
    parts = name.split(".")
    if parts[0] == "conv":  # conv.conv1.weight -> conv.convs.0.weight, conv.bn2.x -> conv.bns.1.x
        kind, idx = parts[1][:-1], int(parts[1][-1]) - 1
        return "conv.%ss.%d.%s" % ("conv" if kind == "conv" else "bn", idx, ".".join(parts[2:]))
    if parts[0].startswith("gru"):  # gru2.weight_ih_l0_reverse -> gru.weight_ih_l1_reverse
        layer = int(parts[0][3:]) - 1
        return "gru." + parts[1].replace("_l0", "_l%d" % layer)
    return name


def load(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    a = dict(DEFAULT_ARCH)
    a.update(manifest["arch"])
    net = make(a)
    state = net.state_dict()
    loaded = set()
    for name, fname in manifest["tensors"].items():
        key = ascnet_to_peer_name(name)
        if key not in state:
            raise SystemExit("peer: unknown tensor %s (-> %s)" % (name, key))
        arr = torch.from_numpy(np.load(os.path.join(directory, fname)))
        if tuple(arr.shape) != tuple(state[key].shape):
            raise SystemExit("peer: %s has shape %s, expected %s" % (name, tuple(arr.shape), tuple(state[key].shape)))
        state[key] = arr.to(state[key].dtype)
        loaded.add(key)
    missing = [k for k in state if k not in loaded and not k.endswith("num_batches_tracked")]
    if missing:
        raise SystemExit("peer: tensors missing from %s: %s" % (directory, missing))
    net.load_state_dict(state)
    net.eval()
    return a, net


def rel_err(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    return float(np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-12))


def cmd_parity(args):
    a, net = load(args.dir)
    x = torch.from_numpy(np.load(os.path.join(args.dir, "input.npy")))
    with torch.no_grad():
        logits, pooled, a_spa, a_tem = net(x)
    result = {"arch": a["arch"], "tolerance": args.tol, "parameters": sum(p.numel() for p in net.parameters())}
    ok = True
    for name, ours in (("logits", logits), ("pooled", pooled), ("a_spa", a_spa), ("a_tem", a_tem)):
        path = os.path.join(args.dir, name + ".npy")
        if ours is None or not os.path.exists(path):
            continue
        ref = np.load(path)
        if ref.shape != tuple(ours.shape):
            result[name] = "shape %s vs ascnet %s" % (tuple(ours.shape), ref.shape)
            ok = False
            continue
        err = rel_err(ours.numpy(), ref)
        result[name + "_rel_err"] = err
        ok = ok and err <= args.tol
    result["match"] = ok
    print(json.dumps(result))
    return 0 if ok else 1


def timed(fn, min_time):
    """Two warm-up calls, then calls until min_time seconds and 3 calls have passed: (calls, seconds)."""
    for _ in range(2):
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if el >= min_time and n >= 3:
            return n, el


def memory_format(args):
    return torch.channels_last if args.channels_last else torch.contiguous_format


def cmd_bench(args):
    torch.set_num_threads(args.threads)
    out = {"torch": torch.__version__, "threads": args.threads, "batch": args.batch, "results": {}}
    for d in args.dirs:
        a, net = load(d)
        net = net.to(memory_format=memory_format(args))
        torch.manual_seed(0)
        x = torch.randn(args.batch, a["channels"], a["bands"], a["frames"]).contiguous(
            memory_format=memory_format(args))
        with torch.inference_mode():
            n, el = timed(lambda: net(x), args.min_time)
        out["results"][a["arch"]] = {"segments_per_second": n * args.batch / el, "seconds_per_batch": el / n,
                                     "iterations": n}
    print(json.dumps(out))
    return 0


def cmd_train(args):
    torch.set_num_threads(args.threads)
    out = {"torch": torch.__version__, "threads": args.threads, "batch": args.batch, "results": {}}
    pool_size, classes = 1000, None
    for d in args.dirs:
        a, net = load(d)
        classes = a["classes"]
        net = net.to(memory_format=memory_format(args))
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        torch.manual_seed(0)
        pool = torch.randn(pool_size, a["channels"], a["bands"], a["frames"])
        labels = np.arange(pool_size) % classes
        rng = np.random.default_rng(3)

        def step():
            first = rng.integers(0, pool_size, args.batch)
            second = np.empty_like(first)
            for i, f in enumerate(first):  # a partner of another class, by rejection
                while True:
                    s = rng.integers(0, pool_size)
                    if labels[s] != labels[f]:
                        second[i] = s
                        break
            r = torch.from_numpy(rng.random(args.batch)).float()
            rr = r.view(-1, 1, 1, 1)
            x = (rr * pool[first] + (1 - rr) * pool[second]) / torch.sqrt(rr * rr + (1 - rr) ** 2)
            x = x.contiguous(memory_format=memory_format(args))
            y = (r.view(-1, 1) * F.one_hot(torch.from_numpy(labels[first]), classes)
                 + (1 - r).view(-1, 1) * F.one_hot(torch.from_numpy(labels[second]), classes))
            opt.zero_grad()
            logits = net(x)[0]
            loss = F.kl_div(F.log_softmax(logits, 1), y, reduction="batchmean")
            loss.backward()
            opt.step()
            return loss.item()

        n, el = timed(step, args.min_time)
        out["results"][a["arch"]] = {"segments_per_second": n * args.batch / el, "seconds_per_step": el / n,
                                     "iterations": n}
    print(json.dumps(out))
    return 0


PEER_CONFIGS = (  # (name, environment additions, extra flags)
    ("default", {}, []),
    ("OPENBLAS_NUM_THREADS=1", {"OPENBLAS_NUM_THREADS": "1"}, []),
    ("channels-last", {}, ["--channels-last"]),
    ("OPENBLAS_NUM_THREADS=1 + channels-last", {"OPENBLAS_NUM_THREADS": "1"}, ["--channels-last"]),
)


def cmd_best(args):
    import subprocess
    runs = []
    only = None
    if args.only_best_of:
        only = {v["config"] for v in json.load(open(args.only_best_of))["best"].values()}
    for name, env, flags in PEER_CONFIGS:
        if args.openblas_core:  # the kernels ascnet selected for this CPU (core/blas.h), for the peer too
            name, env = f"OPENBLAS_CORETYPE={args.openblas_core} + {name}", {**env, "OPENBLAS_CORETYPE": args.openblas_core}
        if only is not None and name not in only:
            continue
        cmd = [sys.executable, os.path.abspath(__file__), args.what, *args.dirs, "--threads", str(args.threads),
               "--batch", str(args.batch), "--min-time", str(args.min_time), *flags]
        res = subprocess.run(cmd, env={**os.environ, **env}, check=True, capture_output=True, text=True)
        runs.append({"config": name, **json.loads(res.stdout)})
    best = {}
    for r in runs:
        for arch, v in r["results"].items():
            if arch not in best or v["segments_per_second"] > best[arch]["segments_per_second"]:
                best[arch] = {"segments_per_second": v["segments_per_second"], "config": r["config"]}
    print(json.dumps({"torch": runs[0]["torch"], "threads": args.threads, "batch": args.batch, "what": args.what,
                      "runs": runs, "best": best}))
    return 0


def cmd_count(args):
    a = dict(DEFAULT_ARCH, arch=args.arch, classes=args.classes)
    print(sum(p.numel() for p in make(a).parameters() if p.requires_grad))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("parity")
    q.add_argument("dir")
    q.add_argument("--tol", type=float, default=1e-4)
    q.set_defaults(fn=cmd_parity)
    for name, fn in (("bench", cmd_bench), ("train", cmd_train), ("best", cmd_best)):
        q = sub.add_parser(name)
        if name == "best":
            q.add_argument("what", choices=["bench", "train"])
            q.add_argument("--openblas-core", default="",
                           help="run every configuration with OPENBLAS_CORETYPE set to this (the core ascnet uses)")
            q.add_argument("--only-best-of", default="",
                           help="an earlier `best` output: run only the configurations that were best there")
        q.add_argument("dirs", nargs="+")
        q.add_argument("--threads", type=int, default=2)
        q.add_argument("--batch", type=int, default=100)
        q.add_argument("--min-time", type=float, default=2.0)
        if name != "best":
            q.add_argument("--channels-last", action="store_true", help="network and input in channels-last format")
        q.set_defaults(fn=fn)
    q = sub.add_parser("count")
    q.add_argument("arch", choices=["attcrnn", "cnn"])
    q.add_argument("classes", type=int)
    q.set_defaults(fn=cmd_count)
    args = p.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
