"""Shared reporting of scripts/bench-model and scripts/bench-train (run with /usr/bin/python3).

Reads Google Benchmark JSON from ascnet's bench binaries, the peer's `ascnet_peer.py best`
JSON (every configuration it tried and the best per network) and the FLOPs per segment the
bench binary wrote with --export (flops.json), and prints one table: ascnet's segments/s,
the peer's best (and in which configuration), the ratio and its target, achieved GFLOP/s and
the fraction of the machine's GEMM limit measured in the same run (BM_GemmLimit).
"""
import json

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


def print_header(context, peer, load0, load1, what):
    print(f"machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz, load average {load0} (start) / "
          f"{load1} (end); {peer['threads']} threads; torch {peer['torch']}; batch {peer['batch']}; {what}; "
          f"OpenBLAS kernels {openblas_core(context) or 'none'} (both sides)")


def print_table(rows, peer, flops, gemm_limit, kind):
    """rows: (label, arch, ascnet segments/s, ratio target or None, fraction-of-limit target or None).
    kind: "forward" or "training" (which FLOPs per segment apply)."""
    print(f"{'network':<10}{'ascnet':>10}{'best peer':>11}{'ratio':>8}{'target':>9}   "
          f"{'GFLOP/s':>8}{'of GEMM':>9}{'target':>8}   peer's best configuration")
    gemm, gemm_way, gemm_rates = gemm_limit
    for label, arch, ours, ratio_target, limit_target in rows:
        best = peer["best"][arch]
        ratio = ours / best["segments_per_second"]
        rt = f">= {ratio_target:g}x" if ratio_target else "-"
        rv = ("met" if ratio >= ratio_target else "NOT met") if ratio_target else ""
        achieved = ours * flops[arch][kind] / 1e9
        frac = achieved / gemm if gemm else float("nan")
        lt = f">= {limit_target:.0%}" if limit_target else "-"
        lv = ("met" if frac >= limit_target else "NOT met") if limit_target else ""
        print(f"{label:<10}{ours:>10.1f}{best['segments_per_second']:>11.1f}{ratio:>7.2f}x{rt:>9} {rv:<7}"
              f"{achieved:>8.1f}{frac:>9.0%}{lt:>8} {lv:<7} {best['config']}")
    if gemm:
        print(f"(segments/s; GEMM limit {gemm:.1f} GFLOP/s = float32 1024^3 product, the fastest of: " +
              ", ".join(f"{w} {g:.1f}" for w, g in gemm_rates.items()) +
              "; FLOPs per segment = 2 x CountMacs, x3 for training)")
    else:
        print("(GEMM limit not measured)")
    configs = [r["config"] for r in peer["runs"]]
    print("peer, every configuration tried (segments/s): " + "; ".join(
        f"{c}: " + ", ".join(f"{a} {v['segments_per_second']:.1f}" for a, v in r["results"].items())
        for c, r in zip(configs, peer["runs"])))
