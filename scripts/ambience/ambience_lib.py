"""Checksums shared by scripts/get-ambience and scripts/ambience/make-manifest (python3 stdlib + sox).

Three levels, strictest first:
- sha256 of the .flac file (a copy of the reference corpus);
- pcm_sha256: sha256 of the decoded samples (16-bit little-endian mono; another libFLAC);
- rms fingerprint: sample count and RMS of every 0.5 s block (in 16-bit LSB, one decimal). sox adds
  random TPDF dither (+-1 LSB) whenever the chain leaves more than 16 bits (mixing channels,
  resampling), so a clip re-cut from its Debian source differs from the reference
  clip in the last bit of many samples; its block RMS stays within ~0.02 LSB of the reference.
"""
import array
import hashlib
import math
import subprocess
import sys

BLOCK = 11025  # samples per fingerprint block (0.5 s at 22050 Hz)
RMS_ABS_TOL = 0.3  # LSB
RMS_REL_TOL = 0.003


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def decode(path):
    """Raw 16-bit little-endian samples of a mono clip, or None when sox cannot decode it."""
    r = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-L", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.stdout if r.returncode == 0 else None


def fingerprint(raw):
    """'N:r1 r2 ...': sample count and per-block RMS, from decoded 16-bit LE bytes."""
    a = array.array("h")
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    rms = []
    for i in range(0, len(a), BLOCK):
        blk = a[i:i + BLOCK]
        rms.append(f"{math.sqrt(sum(x * x for x in blk) / len(blk)):.1f}")
    return f"{len(a)}:" + " ".join(rms)


def fingerprint_matches(got, want):
    n1, _, r1 = got.partition(":")
    n2, _, r2 = want.partition(":")
    if n1 != n2:
        return False
    a, b = [float(x) for x in r1.split()], [float(x) for x in r2.split()]
    return len(a) == len(b) and all(abs(x - y) <= RMS_ABS_TOL + RMS_REL_TOL * y for x, y in zip(a, b))


def verify_clip(path, row, extra_ok=()):
    """'file' (bytes match the manifest), 'known' (bytes match extra_ok: verified by an earlier run),
    'pcm' (decoded samples match),
    'rms' (within the fingerprint tolerance), or None (missing, undecodable or different)."""
    try:
        digest = sha256_file(path)
    except OSError:
        return None
    if digest == row["sha256"]:
        return "file"
    if digest in extra_ok:
        return "known"
    raw = decode(path)
    if raw is None:
        return None
    if hashlib.sha256(raw).hexdigest() == row["pcm_sha256"]:
        return "pcm"
    if fingerprint_matches(fingerprint(raw), row["rms"]):
        return "rms"
    return None
