"""Fixtures of the Python package tests: a generated tone dataset (three pitches), the
`ascnet` CLI of the same build, and small models trained with it.

The package is found through PYTHONPATH (scripts/test sets it to BUILD/python); the CLI
through ASCNET_CLI or BUILD/apps/ascnet/ascnet with BUILD = ASCNET_BUILD_DIR or build.
"""
import json
import os
import pathlib
import subprocess
import wave

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _cli_path():
    if os.environ.get("ASCNET_CLI"):
        return pathlib.Path(os.environ["ASCNET_CLI"])
    build = pathlib.Path(os.environ.get("ASCNET_BUILD_DIR", "build"))
    if not build.is_absolute():
        build = ROOT / build
    return build / "apps" / "ascnet" / "ascnet"


def write_wav(path, freq, seconds, rate=22050, channels=1, seed=12345):
    """16-bit PCM: a tone with a little deterministic noise (tests/common/pcm_wav.h's recipe)."""
    n = int(seconds * rate)
    t = np.arange(n)
    noise = np.random.default_rng(seed).uniform(-1, 1, n)
    v = 0.3 * np.sin(2 * np.pi * freq * t / rate) + 0.02 * noise
    pcm = np.round(v * 32767).astype("<i2")
    if channels > 1:
        pcm = np.stack([pcm] * channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return str(path)


class Cli:
    def __init__(self, path):
        self.path = path

    def run(self, *args, check=True):
        r = subprocess.run([str(self.path), *map(str, args)], capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"ascnet {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stderr}")
        return r

    def classify(self, model, files, *extra):
        r = self.run("classify", "--model", model, "--segments", "--threads", "1", *extra, *files)
        return {d["file"]: d for d in map(json.loads, r.stdout.splitlines())}


@pytest.fixture(scope="session")
def cli():
    p = _cli_path()
    if not p.exists():
        pytest.fail(f"the ascnet CLI is not built at {p} (set ASCNET_CLI or ASCNET_BUILD_DIR)")
    return Cli(p)


@pytest.fixture(scope="session")
def tones(tmp_path_factory):
    """Three classes of tones, three 4.1 s clips each; fold 1 = the first clip of each class."""
    d = tmp_path_factory.mktemp("tones")
    rows = ["filename,label,fold"]
    files = []
    for c, (name, freq) in enumerate((("low", 300.0), ("mid", 1500.0), ("high", 6000.0))):
        for k in range(3):
            f = f"{name}{k}.wav"
            files.append(write_wav(d / f, freq * (1 + 0.03 * k), 4.1, seed=10 * c + k))
            rows.append(f"{f},{name},{1 if k == 0 else 2}")
    (d / "meta.csv").write_text("\n".join(rows) + "\n")
    return {"dir": d, "csv": str(d / "meta.csv"), "files": files}


TRAIN_ARGS = dict(split="fold1", arch="cnn", features="logmel", preset="fast", steps=3, batch_size=4,
                  threads=1, seed=3)


@pytest.fixture(scope="session")
def cli_bundle(cli, tones, tmp_path_factory):
    """A CNN trained for 3 steps by `ascnet train` (softmax scorer: no calibration)."""
    d = tmp_path_factory.mktemp("cli_train")
    a = TRAIN_ARGS
    cli.run("train", "--dataset", "csv:" + tones["csv"], "--split", a["split"], "--arch", a["arch"],
            "--features", a["features"], "--preset", a["preset"], "--steps", a["steps"], "--batch-size",
            a["batch_size"], "--threads", a["threads"], "--seed", a["seed"], "--cache", d / "cache",
            "--out", d / "run", "--no-progress")
    return str(d / "run" / "model.ascnet")


@pytest.fixture(scope="session")
def experiment_run(tones, tmp_path_factory):
    """ascnet.experiment on fold1 with a 3-step CNN: a calibrated bundle and its predictions."""
    import ascnet
    d = tmp_path_factory.mktemp("experiment")
    lines = []
    results = ascnet.experiment("csv:" + tones["csv"], d / "exp", arch="cnn", features="logmel", splits="fold1",
                                steps=3, batch_size=4, threads=1, seed=3, progress=lines.append)
    system = d / "exp" / "splits" / "fold1" / "cnn-logmel"
    return {"dir": d / "exp", "results": results, "lines": lines, "bundle": str(system / "model.ascnet"),
            "predictions": json.loads((system / "predictions.json").read_text())}
