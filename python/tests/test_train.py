"""Training and experiments from Python: the library's runs, their results as Python
objects, callbacks, and option checks."""
import json

import numpy as np
import pytest

import ascnet
from conftest import TRAIN_ARGS


def test_train_matches_the_cli_run(tones, cli_bundle, tmp_path):
    rows = []
    lines = []
    r = ascnet.train("csv:" + tones["csv"], out=tmp_path / "run", cache=tmp_path / "cache", on_epoch=rows.append,
                     progress=lines.append, **TRAIN_ARGS)
    assert isinstance(r, ascnet.TrainResult)
    assert r.completed and not r.resumed and r.steps == 3 and r.split == "fold1" and r.failures == []
    assert r.bundle_path == str(tmp_path / "run" / "model.ascnet")
    assert len(r.log) == r.epochs == len(rows) and rows[-1]["step"] == 3
    assert 0.0 <= r.test_accuracy <= 1.0
    assert any("preset=fast" in line for line in lines), lines
    # Same options and seed as the CLI fixture's `ascnet train`: the same network.
    cli_model = ascnet.Model.load(cli_bundle)
    x = ascnet.features(tones["files"][0])
    np.testing.assert_array_equal(r.model.embed(x), cli_model.embed(x))
    assert ascnet.Model.load(r.bundle_path).labels == cli_model.labels


def test_train_without_files_stop_and_options(tones, tmp_path):
    seen = []

    def stop(row):
        seen.append(row)
        return False

    r = ascnet.train("csv:" + tones["csv"], cache=tmp_path / "cache", progress=False, on_epoch=stop,
                     **{**TRAIN_ARGS, "steps": 6, "batch_size": 2})
    assert not r.completed and len(seen) == 1 and r.bundle_path is None
    assert r.model.path is None and r.model.labels == ["high", "low", "mid"]
    r.model.save(tmp_path / "saved.ascnet")
    assert ascnet.Model.load(tmp_path / "saved.ascnet").labels == r.model.labels

    default = ascnet.train_options()
    assert default == ascnet.train_options(default["preset"])  # ascnet train's default recipe
    o = ascnet.train_options("fast", epochs=2, weight_decay=1e-4)
    assert o["epochs"] == 2 and o["steps"] == 0 and o["weight_decay"] == 1e-4 and o["preset"] == "fast"
    with pytest.raises(TypeError, match="weight_decay"):
        ascnet.train_options("fast", no_such_option=1)
    with pytest.raises(ascnet.ConfigError, match="lr"):
        ascnet.train("csv:" + tones["csv"], lr=-1.0, progress=False, cache=tmp_path / "cache")
    with pytest.raises(ascnet.ConfigError):
        ascnet.train("csv:" + tones["csv"], preset="slow", progress=False)
    with pytest.raises(ascnet.DatasetError, match="missing.csv"):
        ascnet.train("csv:" + str(tmp_path / "missing.csv"), progress=False)
    with pytest.raises(ascnet.ConfigError, match="fold7"):
        ascnet.train("csv:" + tones["csv"], test_fold=7, progress=False, cache=tmp_path / "cache")


def test_callback_exceptions_propagate(tones, tmp_path):
    def boom(row):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        ascnet.train("csv:" + tones["csv"], cache=tmp_path / "cache", progress=False, on_epoch=boom, **TRAIN_ARGS)


def test_experiment_results(experiment_run):
    r = experiment_run["results"]
    on_disk = json.loads((experiment_run["dir"] / "results.json").read_text())
    md = r.pop("markdown")
    assert r == on_disk
    assert "CNN baseline (logMel)" in md
    assert [s["split"] for s in r["splits"]] == ["fold1"]
    assert any(line.startswith("[experiment]") for line in experiment_run["lines"])
    merged = ascnet.merge_experiments([experiment_run["dir"]], experiment_run["dir"].parent / "merged")
    assert merged["splits"] == r["splits"]
    info = ascnet.Model.load(experiment_run["bundle"]).info()
    assert info["calibrated"] and info["scorer"] == "svm"
