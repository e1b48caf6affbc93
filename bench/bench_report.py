"""Shared reporting of scripts/bench-model and scripts/bench-train (run with /usr/bin/python3).

Reads Google Benchmark JSON from ascnet's bench binaries, the peer's `ascnet_peer.py best`
JSON (every configuration it tried and the best per network) and the FLOPs per segment the
bench binary wrote with --export (flops.json), and prints one table: ascnet's segments/s,
the peer's best (and in which configuration), the ratio and its target, achieved GFLOP/s and
the fraction of the machine's GEMM limit measured in the same run (BM_GemmLimit).

A run has one or more rounds: round 1 measures everything and tries every peer
configuration; each later round measures ascnet's networks and the GEMM limit again and then
the peer in its best configurations only. The machines these run on change speed by up to a
third within minutes, so a ratio is only honest between measurements taken side by side: the
table quotes the median over rounds of each round's ratio (and each side's median rate), and
prints every round's ratio.
"""
import json
import statistics

UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def load_benchmarks(path):
    """{name without /real_time: entry} of a Google Benchmark JSON file, plus its context."""
    a = json.load(open(path))
    return {x["name"].replace("/real_time", ""): x for x in a["benchmarks"]}, a["context"]


def openblas_core(context):
    """The OpenBLAS kernels the bench ran (its openblas_core context, core/blas.h); "" without OpenBLAS."""
    core = context.get("openblas_core", "")
    return "" if core == "none" else core


def ms(entry):
    """Real time per iteration in milliseconds."""
    return entry["real_time"] * UNIT_MS[entry["time_unit"]]


GEMM_WAYS = {0: "at::mm split over the threads", 1: "at::mm on OpenBLAS's threads",
             2: "1x1 convolution (oneDNN, channels-last)"}


def gemm_gflops(b):
    """The machine's float32 GEMM limit (BM_GemmLimit, the fastest way measured) as
    (GFLOP/s, which way, {way: GFLOP/s}), or (None, None, {}) if it did not run."""
    rates = {GEMM_WAYS[w]: b[k]["flop"] / (ms(b[k]) * 1e-3) / 1e9
             for w in GEMM_WAYS for k in [f"BM_GemmLimit/1024/{w}"] if k in b}
    if not rates:
        return None, None, {}
    way = max(rates, key=rates.get)
    return rates[way], way, rates


def load_rounds(tmp, rounds):
    """[(ascnet benchmarks, peer JSON)] of rounds 1..rounds written by scripts/bench-*:
    round 1 in TMP/ascnet.json and TMP/peer.json, round i in TMP/ascnet.i.json, TMP/peer.i.json."""
    files = [("ascnet.json", "peer.json")] + [(f"ascnet.{i}.json", f"peer.{i}.json") for i in range(2, rounds + 1)]
    return [(load_benchmarks(f"{tmp}/{a}")[0], json.load(open(f"{tmp}/{p}"))) for a, p in files]


def print_header(context, peer, load0, load1, what):
    print(f"machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz, load average {load0} (start) / "
          f"{load1} (end); {peer['threads']} threads; torch {peer['torch']}; batch {peer['batch']}; {what}; "
          f"OpenBLAS kernels {openblas_core(context) or 'none'} (both sides)")


def print_table(rows, rounds, flops, kind):
    """rows: (label, arch, ascnet benchmark name, ratio target or None, fraction-of-limit target
    or None). rounds: [(ascnet benchmarks, peer `best` JSON)], round 1 first. kind: "forward"
    or "training" (which FLOPs per segment apply)."""
    print(f"{'network':<10}{'ascnet':>10}{'best peer':>11}{'ratio':>8}{'target':>9}   "
          f"{'GFLOP/s':>8}{'of GEMM':>9}{'target':>8}   peer's best configuration")
    med = statistics.median
    for label, arch, name, ratio_target, limit_target in rows:
        ours = [b[name]["items_per_second"] for b, _ in rounds]
        theirs = [p["best"][arch]["segments_per_second"] for _, p in rounds]
        ratios = [o / t for o, t in zip(ours, theirs)]
        limits = [gemm_gflops(b)[0] for b, _ in rounds]
        fracs = [o * flops[arch][kind] / 1e9 / g for o, g in zip(ours, limits) if g]
        ratio, frac = med(ratios), med(fracs) if fracs else float("nan")
        rt = f">= {ratio_target:g}x" if ratio_target else "-"
        rv = ("met" if ratio >= ratio_target else "NOT met") if ratio_target else ""
        achieved = med(ours) * flops[arch][kind] / 1e9
        lt = f">= {limit_target:.0%}" if limit_target else "-"
        lv = ("met" if frac >= limit_target else "NOT met") if limit_target else ""
        print(f"{label:<10}{med(ours):>10.1f}{med(theirs):>11.1f}{ratio:>7.2f}x{rt:>9} {rv:<7}"
              f"{achieved:>8.1f}{frac:>9.0%}{lt:>8} {lv:<7} {rounds[0][1]['best'][arch]['config']}")
    n = len(rounds)
    print(f"(median over {n} round{'s' if n > 1 else ''}, each round's ascnet and peer measured side by side; "
          "ratio per round: " + "; ".join(
              f"{label} " + ", ".join(f"{b[name]['items_per_second'] / p['best'][arch]['segments_per_second']:.2f}x"
                                      for b, p in rounds) for label, arch, name, _, _ in rows) + ")")
    gemm, gemm_way, gemm_rates = gemm_gflops(rounds[0][0])
    if gemm:
        print(f"(segments/s; GEMM limit {med(g for g in (gemm_gflops(b)[0] for b, _ in rounds) if g):.1f} GFLOP/s "
              "(median over rounds) = float32 1024^3 product, the fastest of (round 1): " +
              ", ".join(f"{w} {g:.1f}" for w, g in gemm_rates.items()) +
              "; FLOPs per segment = 2 x CountMacs, x3 for training)")
    else:
        print("(GEMM limit not measured)")
    peer = rounds[0][1]
    configs = [r["config"] for r in peer["runs"]]
    print("peer, every configuration tried (segments/s): " + "; ".join(
        f"{c}: " + ", ".join(f"{a} {v['segments_per_second']:.1f}" for a, v in r["results"].items())
        for c, r in zip(configs, peer["runs"])))
