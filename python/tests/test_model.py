"""Models from Python: parity with `ascnet classify` and the experiment's predictions,
embeddings, argument checks, threads and the GIL."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import ascnet
from conftest import write_wav


def assert_same_result(py, cli, tol=1e-6):
    assert py["label"] == cli["label"]
    assert py["num_segments"] == cli["num_segments"]
    assert py["duration_s"] == pytest.approx(cli["duration_s"], abs=1e-9)
    assert py["probabilities"].keys() == cli["probabilities"].keys()
    for k, v in cli["probabilities"].items():
        assert py["probabilities"][k] == pytest.approx(v, abs=tol)
    assert len(py.get("segments", [])) == len(cli.get("segments", []))
    for a, b in zip(py.get("segments", []), cli.get("segments", [])):
        assert a["start_s"] == pytest.approx(b["start_s"], abs=1e-9)
        for k, v in b["probabilities"].items():
            assert a["probabilities"][k] == pytest.approx(v, abs=tol)


def test_model_properties(cli_bundle):
    m = ascnet.Model.load(cli_bundle)
    assert m.labels == ["high", "low", "mid"]
    assert m.scorer == "softmax" and m.device == "cpu" and m.path == cli_bundle
    assert m.config == ascnet.FeatureConfig.preset("logmel")
    info = m.info()
    assert info["arch"]["arch"] == "cnn" and info["calibrated"] is False and info["parameters"] > 0
    assert info["metadata"]["training"]["steps"] == 3
    assert "cnn" in repr(m)


@pytest.mark.parametrize("which", ["softmax", "svm"])
def test_classify_matches_the_cli(cli, tones, cli_bundle, experiment_run, which):
    bundle = cli_bundle if which == "softmax" else experiment_run["bundle"]
    m = ascnet.Model.load(bundle)
    assert m.scorer == which
    want = cli.classify(bundle, tones["files"])
    for f in tones["files"]:
        got = m.classify(f, segments=True)
        assert got["file"] == f
        assert_same_result(got, want[f])
        nosegs = m.classify(f)
        assert "segments" not in nosegs and nosegs["label"] == got["label"]
        # The decoded waveform gives the same result (file "").
        w = m.classify(ascnet.load_audio(f), segments=True)
        assert w["file"] == ""
        assert_same_result(w, want[f])
        # Segment posteriors from features() + posteriors() are the CLI's segments'.
        p = m.posteriors(ascnet.features(f, m.config))
        assert p.dtype == np.float64 and p.shape == (want[f]["num_segments"], 3)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
        for row, seg in zip(p, want[f]["segments"]):
            np.testing.assert_allclose(row, [seg["probabilities"][k] for k in m.labels], atol=1e-6)


def test_posteriors_match_the_experiment_predictions(tones, experiment_run):
    """The experiment's predictions.json (segment posteriors rounded to 1e-6, computed on its
    feature cache) against posteriors() on features() of the same files."""
    pred = experiment_run["predictions"]
    for scorer in ("svm", "softmax"):
        m = ascnet.Model.load(experiment_run["bundle"], scorer=scorer)
        assert m.labels == pred["labels"]
        for item in pred["items"]:
            f = next(p for p in tones["files"] if os.path.basename(p) == item["id"] or p.endswith(item["id"]))
            got = m.posteriors(ascnet.features(f, m.config))
            np.testing.assert_allclose(got, np.array(item[scorer]), atol=1e-6)


def test_embeddings_are_the_exported_networks_pooled_features(cli, tones, experiment_run, tmp_path):
    """embed() against the pooled output of `ascnet export --torchscript` run by PyTorch."""
    torch = pytest.importorskip("torch")
    m = ascnet.Model.load(experiment_run["bundle"])
    x = ascnet.features(tones["files"][0], m.config)
    e = m.embed(x)
    assert e.dtype == np.float32 and e.shape == (x.shape[0], m.info()["pooled_size"])
    ts = tmp_path / "model.pt"
    cli.run("export", "--model", experiment_run["bundle"], "--torchscript", ts)
    module = torch.jit.load(str(ts))
    with torch.no_grad():
        _, pooled = module.network(module.normalise(torch.from_numpy(x)))
    np.testing.assert_allclose(e, pooled.numpy(), rtol=1e-5, atol=1e-6)
    # The SVM posteriors are computed from these embeddings.
    with torch.no_grad():
        svm = module.svm(module.normalise(torch.from_numpy(x))).numpy()
    np.testing.assert_allclose(m.posteriors(x), svm, atol=1e-5)


def test_segment_arrays_are_checked(cli_bundle):
    m = ascnet.Model.load(cli_bundle)
    good = np.zeros((3, 2, 64, 80), np.float32)
    assert m.posteriors(good).shape == (3, 3)
    assert m.embed(good).shape == (3, 256)
    assert m.posteriors(good[:0]).shape == (0, 3)
    for call in (m.posteriors, m.embed):
        with pytest.raises(TypeError, match="float32"):
            call(good.astype(np.float64))
        with pytest.raises(ValueError, match=r"\[S, 2, 64, 80\]"):
            call(np.zeros((3, 2, 64, 40), np.float32))
        with pytest.raises(ValueError, match="4 dimension"):
            call(np.zeros((2, 64, 80), np.float32))
        with pytest.raises(ValueError, match="C-contiguous"):
            call(np.zeros((3, 2, 80, 64), np.float32).transpose(0, 1, 3, 2))
        bad = good.copy()
        bad[1, 1, 5, 5] = np.nan
        with pytest.raises(ValueError, match="non-finite"):
            call(bad)
    with pytest.raises(TypeError, match="float32"):
        m.classify(np.zeros(22050, np.float64))
    with pytest.raises(ascnet.AudioError, match="non-finite"):
        m.classify(np.full(22050, np.inf, np.float32))


def test_bad_models_and_files_raise_clear_errors(cli_bundle, tmp_path):
    with pytest.raises(ascnet.IoError, match="nope.ascnet"):
        ascnet.Model.load(tmp_path / "nope.ascnet")
    data = open(cli_bundle, "rb").read()
    broken = tmp_path / "broken.ascnet"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(ascnet.BundleError, match="broken.ascnet"):
        ascnet.Model.load(broken)
    with pytest.raises(ascnet.ConfigError, match="calibration"):
        ascnet.Model.load(cli_bundle, scorer="svm")
    with pytest.raises(ascnet.ConfigError):
        ascnet.Model.load(cli_bundle, scorer="best")
    with pytest.raises(ascnet.ConfigError):
        ascnet.Model.load(cli_bundle, device="tpu")
    if not ascnet.cuda_available():
        with pytest.raises(ascnet.ConfigError, match="(?i)cuda"):
            ascnet.Model.load(cli_bundle, device="cuda")
    m = ascnet.Model.load(cli_bundle)
    with pytest.raises(ascnet.IoError, match="missing.wav"):
        m.classify(str(tmp_path / "missing.wav"))


def test_four_threads_classify_like_one(tones, cli_bundle):
    m = ascnet.Model.load(cli_bundle)
    files = tones["files"] * 2
    serial = [m.classify(f, segments=True) for f in files]
    results = [None] * len(files)
    errors = []

    def work(t):
        try:
            for i in range(t, len(files), 4):
                results[i] = m.classify(files[i], segments=True)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == serial


GIL_SCRIPT = r"""
import os, sys, threading
import ascnet
fifo, wav, mode = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(wav, "rb").read()
def writer():
    # The file is larger than a pipe holds, and is written in small pieces, each needing the
    # GIL: nothing reads the FIFO before the native call below opens it, so the writer can
    # only finish while that call is running, which needs the call to release the GIL.
    assert len(data) > 4 * 65536
    with open(fifo, "wb", buffering=0) as f:
        for i in range(0, len(data), 4096):
            f.write(data[i:i + 4096])
t = threading.Thread(target=writer)
t.start()
if mode == "load_audio":
    out = ascnet.load_audio(fifo)
    ok = out.shape[0] == len(ascnet.load_audio(wav))
elif mode == "features":
    ok = ascnet.features(fifo).tobytes() == ascnet.features(wav).tobytes()
else:
    m = ascnet.Model.load(sys.argv[4])
    ok = m.classify(fifo)["probabilities"] == m.classify(wav)["probabilities"]
t.join()
print("OK" if ok else "MISMATCH")
"""


@pytest.mark.parametrize("mode", ["load_audio", "features", "classify"])
def test_gil_is_released_during_native_work(tones, cli_bundle, tmp_path, mode):
    """A native call reads a FIFO that only another Python thread writes: it can only finish
    if the GIL is released while it works (with the GIL held it would wait forever; the
    subprocess's timeout turns that into a failure)."""
    fifo = tmp_path / "audio.fifo"
    os.mkfifo(fifo)
    wav = write_wav(tmp_path / "long.wav", 440.0, 12.0)
    try:
        r = subprocess.run([sys.executable, "-c", GIL_SCRIPT, str(fifo), wav, mode, cli_bundle],
                           capture_output=True, text=True, timeout=int(os.environ.get("ASCNET_GIL_TIMEOUT", "120")),
                           env=os.environ)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{mode}: the writer thread never ran while the native call waited: the GIL was held")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "OK", r.stdout + r.stderr
