"""The PyTorch example runs; the package installs from a fresh clone with the documented
command and works from an unrelated folder."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_pytorch_example_trains_on_ascnet_features():
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, str(ROOT / "python" / "examples" / "train_torch.py"), "--epochs", "2"],
                       capture_output=True, text=True, timeout=300, env=os.environ)
    assert r.returncode == 0, r.stderr
    assert "recording accuracy" in r.stdout, r.stdout


USE = r"""
import sys, numpy as np, ascnet
assert ascnet.__file__.startswith(sys.argv[1]), ascnet.__file__
x = ascnet.features(np.sin(np.arange(3 * 22050, dtype=np.float32) / 10), "loggam")
assert x.shape == (1, 2, 64, 80) and x.dtype == np.float32, x.shape
try:
    ascnet.load_audio("/nonexistent.wav")
except ascnet.IoError as e:
    assert "/nonexistent.wav" in str(e)
print("installed package works")
"""


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_fresh_clone_installs_with_the_documented_command(tmp_path):
    """git clone of the committed tree, scripts/install-python DIR, then import from DIR only.
    Builds only the libraries and the module (about 30 s on 2 cores when ccache holds the
    main build's objects, as in scripts/test; minutes without)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASCNET_BUILD_DIR", "ASCNET_CLI")}
    env["ASCNET_CMAKE_ARGS"] = "-DASCNET_BUILD_TESTS=OFF -DASCNET_BUILD_BENCH=OFF -DASCNET_BUILD_APPS=OFF"
    site = tmp_path / "site"
    r = subprocess.run([str(clone / "scripts" / "install-python"), str(site)], cwd=clone, env=env,
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (site / "ascnet" / "__init__.py").exists()
    r = subprocess.run(["/usr/bin/python3", "-c", USE, str(site)], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(env, PYTHONPATH=str(site)), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "installed package works" in r.stdout
