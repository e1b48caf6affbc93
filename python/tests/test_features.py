"""The front end from Python: parity with `ascnet features`, configs, argument checks."""
import copy
import pickle

import numpy as np
import pytest

import ascnet
from conftest import write_wav


@pytest.mark.parametrize("preset", ["logmel", "loggam"])
def test_features_are_the_cli_bytes(cli, tones, tmp_path, preset):
    f = tones["files"][4]
    out = tmp_path / "cli.npy"
    cli.run("features", "--features", preset, "-q", f, "-o", out)
    want = np.load(out)
    got = ascnet.features(f, ascnet.FeatureConfig.preset(preset))
    assert got.dtype == np.float32 and got.shape == want.shape == (2, 2, 64, 80)
    assert got.flags.c_contiguous
    assert got.tobytes() == want.tobytes()
    # A preset name works as the config; a waveform at the config's rate gives the same bytes.
    assert ascnet.features(f, preset).tobytes() == want.tobytes()
    assert ascnet.features(ascnet.load_audio(f), preset).tobytes() == want.tobytes()


def test_stereo_44k_file_and_segment_hop_match_the_cli(cli, tmp_path):
    f = write_wav(tmp_path / "stereo.wav", 800.0, 5.0, rate=44100, channels=2)
    out = tmp_path / "cli.npy"
    cli.run("features", "--features", "logmel", "--segment-hop", "40", "--cover-end", "on", "-q", f, "-o", out)
    cfg = ascnet.FeatureConfig.preset("logmel")
    cfg.segment.hop = 40
    cfg.segment.cover_end = True
    got = ascnet.features(f, cfg)
    assert got.tobytes() == np.load(out).tobytes()
    assert got.shape[0] > 2  # overlapping segments
    # The waveform path resamples with the library: same shape as the file's.
    w44 = ascnet.load_audio(f, rate=44100)
    assert ascnet.load_audio(f).shape[0] == pytest.approx(w44.shape[0] / 2, abs=2)
    assert ascnet.features(w44, cfg, sample_rate=44100).shape == got.shape


def test_torch_from_numpy_shares_the_memory(tones):
    torch = pytest.importorskip("torch")
    x = ascnet.features(tones["files"][0])
    t = torch.from_numpy(x)
    assert t.data_ptr() == x.ctypes.data
    assert t.shape == (2, 2, 64, 80) and t.dtype == torch.float32
    x[0, 0, 0, 0] = 123.0
    assert float(t[0, 0, 0, 0]) == 123.0


def test_load_audio(tones):
    w = ascnet.load_audio(tones["files"][0])
    assert w.dtype == np.float32 and w.ndim == 1 and w.shape[0] == int(4.1 * 22050)
    assert np.all(np.isfinite(w)) and 0.2 < np.abs(w).max() < 0.4
    assert ascnet.load_audio(tones["files"][0], rate=16000).shape[0] == pytest.approx(4.1 * 16000, abs=2)


def test_feature_config_fields_dict_and_copies():
    cfg = ascnet.FeatureConfig.preset("loggam")
    assert cfg.name == "loggam" and cfg.filterbank.type == "gammatone" and cfg.num_channels == 2
    assert cfg.frame.sample_rate == 22050 and cfg.frame.num_bins == 1025
    cfg.frame.sample_rate = 16000
    cfg.filterbank.high_freq = 8000.0
    cfg.noise.alpha = 2.0
    cfg.background_channel = False
    cfg.validate()
    d = cfg.to_dict()
    assert d["frame"]["sample_rate"] == 16000 and d["noise"]["alpha"] == 2.0
    back = ascnet.FeatureConfig.from_dict(d)
    assert back == cfg and back.num_channels == 1
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    c2 = copy.deepcopy(cfg)
    c2.segment.frames = 40
    assert c2 != cfg and cfg.segment.frames == 80
    assert "sample_rate" in repr(cfg)
    x = ascnet.features(np.zeros(16000 * 3, np.float32) + 0.1, cfg)
    assert x.shape[1] == 1


def test_bad_config_fields_raise_config_error():
    cfg = ascnet.FeatureConfig.preset("logmel")
    cfg.frame.fft_size = 100  # < frame_length
    with pytest.raises(ascnet.ConfigError, match="fft_size"):
        cfg.validate()
    with pytest.raises(ascnet.ConfigError, match="fft_size"):
        ascnet.features(np.zeros(22050, np.float32), cfg)
    with pytest.raises(ascnet.ConfigError, match="nope"):
        ascnet.FeatureConfig.preset("nope")
    with pytest.raises(ascnet.ConfigError):
        ascnet.FeatureConfig.preset("logmel").filterbank.type = "bark"
    with pytest.raises(TypeError):
        ascnet.FeatureConfig.preset("logmel").frame.sample_rate = "fast"
    d = ascnet.FeatureConfig.preset("logmel").to_dict()
    del d["noise"]["beta"]
    with pytest.raises(ascnet.ConfigError, match="noise.beta"):
        ascnet.FeatureConfig.from_dict(d)
    d = ascnet.FeatureConfig.preset("logmel").to_dict()
    d["frame"]["sample_rate"] = "x"
    with pytest.raises(ascnet.ConfigError, match="sample_rate"):
        ascnet.FeatureConfig.from_dict(d)
    with pytest.raises(TypeError):
        ascnet.features(np.zeros(100, np.float32), config=42)
    assert issubclass(ascnet.ConfigError, ValueError) and issubclass(ascnet.ConfigError, ascnet.Error)


def test_bad_waveforms_raise_clear_errors():
    ok = np.zeros(22050, np.float32)
    with pytest.raises(TypeError, match="float32"):
        ascnet.features(ok.astype(np.float64))
    with pytest.raises(TypeError, match="float32"):
        ascnet.features(ok.astype(np.int16))
    with pytest.raises(TypeError, match="ndarray"):
        ascnet.features([0.0] * 100)
    with pytest.raises(ValueError, match="1 dimension"):
        ascnet.features(np.zeros((2, 22050), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        ascnet.features(np.zeros(44100, np.float32)[::2])
    bad = ok.copy()
    bad[1000] = np.nan
    with pytest.raises(ascnet.AudioError, match="non-finite"):
        ascnet.features(bad)
    bad[1000] = np.inf
    with pytest.raises(ascnet.AudioError, match="non-finite"):
        ascnet.features(bad, sample_rate=44100)
    with pytest.raises(ascnet.AudioError):
        ascnet.features(np.zeros(0, np.float32))
    with pytest.raises(ascnet.ConfigError):
        ascnet.features(ok, sample_rate=-5)


def test_bad_files_raise_clear_errors(tmp_path):
    missing = str(tmp_path / "missing.wav")
    with pytest.raises(ascnet.IoError, match="missing.wav") as e:
        ascnet.features(missing)
    assert isinstance(e.value, OSError)
    with pytest.raises(ascnet.IoError, match="missing.wav"):
        ascnet.load_audio(missing)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really a wave file" * 10)
    with pytest.raises(ascnet.AudioError, match="junk.wav"):
        ascnet.load_audio(junk)
    with pytest.raises(ascnet.ConfigError):
        ascnet.load_audio(junk, rate=0)


def test_help_is_readable():
    import pydoc
    for obj in (ascnet, ascnet.features, ascnet.load_audio, ascnet.FeatureConfig, ascnet.Model, ascnet.train,
                ascnet.experiment):
        text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
        assert len(text) > 200, obj
    assert "[S, C, M, T]" in ascnet.features.__doc__
    assert "preset" in pydoc.render_doc(ascnet.FeatureConfig, renderer=pydoc.plaintext)
