"""ascnet: acoustic scene classification from Python, over the C++ library.

The front end (2-channel log-Mel / log-Gammatone segment images with a background-subtracted
channel), trained model bundles, training and the evaluation protocol, with NumPy arrays in
and out. Every call runs the same library code as the ``ascnet`` command-line tool, so the
results are the same (``features`` gives the same bytes as ``ascnet features``, ``Model.classify``
the same values as ``ascnet classify``). Long native work releases the GIL, so Python threads
run in parallel; library errors arrive as :class:`ascnet.Error` subclasses.

Quick start::

    import ascnet
    x = ascnet.features("street.wav", ascnet.FeatureConfig.preset("logmel"))  # [S, 2, 64, 80]
    model = ascnet.Model.load("runs/demo/splits/fold1/attcrnn-logmel/model.ascnet")
    model.classify("street.wav")["label"]

See docs/python.md for the whole API.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from ._errors import (AudioError, BundleError, CheckpointError, ConfigError, DatasetError, Error,
                      FormatError, IoError)
from . import _ascnet as _native
from ._ascnet import (FeatureConfig, FilterbankOptions, FrameOptions, NoiseOptions,
                      SegmentOptions)

__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]
#: A mono float32 signal, shape [num_samples], C-contiguous.
Waveform = np.ndarray
#: A progress sink: True (stderr), False (silent) or a callable receiving each line.
Progress = Union[bool, Callable[[str], None]]

DEFAULT_RATE = 22050

__all__ = [
    "Error", "IoError", "FormatError", "ConfigError", "AudioError", "BundleError",
    "CheckpointError", "DatasetError",
    "FeatureConfig", "FrameOptions", "NoiseOptions", "FilterbankOptions", "SegmentOptions",
    "load_audio", "features", "Model", "TrainResult", "train", "train_options",
    "experiment", "merge_experiments", "set_num_threads", "get_num_threads", "cuda_available",
]


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike))


def load_audio(path: PathLike, rate: int = DEFAULT_RATE) -> np.ndarray:
    """Decodes an audio file (any format libsndfile reads) to mono float32 at ``rate`` Hz.

    Channels are averaged and the signal is resampled with libsoxr (high quality), exactly as
    the ``ascnet`` tool does. Returns an array of shape [num_samples].

    Raises IoError (missing/unreadable file), AudioError (not audio, empty, non-finite
    samples) or ConfigError (bad rate).
    """
    return _native.load_audio(os.fspath(path), int(rate))


def _config(config: Union[FeatureConfig, str, None]) -> FeatureConfig:
    if config is None:
        return FeatureConfig.preset("logmel")
    if isinstance(config, str):
        return FeatureConfig.preset(config)
    if isinstance(config, FeatureConfig):
        return config
    raise TypeError("config must be an ascnet.FeatureConfig or a preset name ('logmel', 'loggam'), got "
                    + type(config).__name__)


def features(path_or_waveform: Union[PathLike, Waveform], config: Union[FeatureConfig, str, None] = None,
             sample_rate: Optional[int] = None) -> np.ndarray:
    """Segment images [S, C, M, T] (float32, C-contiguous) of a file or a mono waveform.

    ``path_or_waveform``: an audio file path, or a 1-D float32 C-contiguous array.
    ``config``: a FeatureConfig or a preset name (default "logmel": [S, 2, 64, 80]).
    ``sample_rate``: the waveform's rate in Hz; it is resampled to ``config.frame.sample_rate``
    when they differ. None means the waveform is already at the config's rate. Ignored for files.

    For a file, the bytes are those ``ascnet features`` writes to its .npy. The array owns
    its memory: ``torch.from_numpy(x)`` shares it without a copy.

    Raises TypeError/ValueError for a waveform of the wrong dtype, shape or layout,
    AudioError for empty or non-finite audio, ConfigError for a bad config, IoError for a
    missing file.
    """
    cfg = _config(config)
    if _is_path(path_or_waveform):
        return _native.features_from_path(os.fspath(path_or_waveform), cfg)
    return _native.features_from_waveform(path_or_waveform, cfg,
                                          None if sample_rate is None else int(sample_rate))


class Model:
    """A trained model bundle (.ascnet) ready to classify audio.

    Thread-safe: several Python threads may call one model at once (feature extraction runs
    in parallel, the network one batch at a time); the GIL is released while it works.

    ``device`` is "cpu", "cuda" or "cuda:N" (CUDA needs a LibTorch built with it; ConfigError
    otherwise). ``scorer`` is "auto" (the calibrated SVM when the bundle has one, else the
    network's softmax), "svm" or "softmax", as ``ascnet classify --scorer``.
    """

    def __init__(self, native: Any) -> None:
        self._m = native

    @classmethod
    def load(cls, bundle: PathLike, device: str = "cpu", scorer: str = "auto") -> "Model":
        """Loads a bundle file (IoError if unreadable, BundleError if invalid)."""
        return cls(_native._Model.load(os.fspath(bundle), device, scorer))

    @property
    def labels(self) -> List[str]:
        """Class names, in the order of the posterior columns."""
        return list(self._m.labels)

    @property
    def config(self) -> FeatureConfig:
        """A copy of the bundle's feature config (the input this model expects)."""
        return self._m.config

    @property
    def arch(self) -> Dict[str, Any]:
        """The architecture (as stored in the bundle)."""
        return self._m.arch

    @property
    def scorer(self) -> str:
        """"svm" or "softmax": where segment posteriors come from."""
        return self._m.scorer

    @property
    def device(self) -> str:
        return self._m.device

    @property
    def path(self) -> Optional[str]:
        """The bundle file, or None for a model that was not loaded from a file."""
        return self._m.path or None

    def info(self) -> Dict[str, Any]:
        """What ``ascnet info BUNDLE`` shows, as a dict: arch, features, labels,
        normalisation, calibrated, scorer, device, parameters, pooled_size, metadata and a
        printable ``description``."""
        return self._m.info()

    def classify(self, path_or_waveform: Union[PathLike, Waveform], sample_rate: Optional[int] = None,
                 segments: bool = False) -> Dict[str, Any]:
        """Classifies one recording; returns the object ``ascnet classify`` prints for it::

            {"file", "label", "probabilities": {label: p}, "num_segments", "duration_s"}

        plus ``"segments": [{"start_s", "probabilities"}]`` when ``segments`` is true. The
        decision is the multiplicative fusion of the segments' posteriors.

        A waveform is a 1-D float32 C-contiguous array at ``sample_rate`` Hz (None: the
        model's feature rate); its "file" is "". Files of any length are decoded block by block.
        """
        if _is_path(path_or_waveform):
            return self._m.classify_path(os.fspath(path_or_waveform), bool(segments))
        return self._m.classify_waveform(path_or_waveform, None if sample_rate is None else int(sample_rate),
                                         bool(segments), "")

    def posteriors(self, segments: np.ndarray) -> np.ndarray:
        """Segment posteriors [S, classes] (float64, rows sum to 1) of segment images
        [S, C, M, T] float32 (as ``features`` returns them with ``model.config``), from the
        model's scorer."""
        return self._m.posteriors(segments)

    def embed(self, segments: np.ndarray) -> np.ndarray:
        """The network's pooled features [S, P] float32 of segment images [S, C, M, T]:
        the embedding the calibrated SVM is trained on (P = 2H for the Att-CRNN, the last
        conv layer's channels for the CNN)."""
        return self._m.embed(segments)

    def save(self, path: PathLike) -> None:
        """Writes the bundle to ``path`` (atomically)."""
        self._m.save(os.fspath(path))

    def __repr__(self) -> str:
        a = self.arch
        return (f"ascnet.Model({self.path!r}, arch={a.get('arch')!r}, features={self.config.name!r}, "
                f"classes={len(self.labels)}, scorer={self.scorer!r}, device={self.device!r})")


@dataclasses.dataclass
class TrainResult:
    """What ``train`` returns."""
    model: Model                 #: the trained model (on ``device``); also at bundle_path when ``out`` was given
    log: List[Dict[str, Any]]    #: one dict per epoch: epoch, step, lr, train_loss, train_accuracy, test_loss, test_accuracy, seconds
    test_accuracy: float         #: segment accuracy on the test split after the last epoch (nan if none)
    epochs: int
    steps: int
    completed: bool              #: False if on_epoch stopped the run
    resumed: bool
    seconds: float
    bundle_path: Optional[str]   #: OUT/model.ascnet when written
    split: str                   #: the split trained on
    failures: List[Dict[str, str]]  #: dataset files that could not be decoded (skipped)


# TrainOptions fields set by train()'s own arguments rather than **options.
_RESERVED = {"out_dir", "resume", "progress", "preset"}


def train_options(preset: Optional[str] = None, epochs: Optional[int] = None, steps: Optional[int] = None,
                  lr: Optional[float] = None, batch_size: Optional[int] = None, seed: Optional[int] = None,
                  threads: Optional[int] = None, device: Optional[str] = None, **options: Any) -> Dict[str, Any]:
    """The library's TrainOptions as a dict: ``preset`` ("paper", "fast"...; None: the default
    recipe of ``ascnet train``) with overrides applied as ``ascnet train`` applies its flags
    (``epochs`` replaces the preset's step count unless ``steps`` is given). ``**options`` sets
    any other TrainOptions field by name (e.g. ``weight_decay=1e-4``, ``schedule="cosine"``,
    ``between_class=False``); an unknown name is a TypeError listing the fields."""
    base = _native.train_options_default("train") if preset is None else _native.train_options_preset(preset)
    return _apply_train_options(base, epochs, steps, lr, batch_size, seed, threads, device, options)


def _apply_train_options(o: Dict[str, Any], epochs: Optional[int], steps: Optional[int], lr: Optional[float],
                         batch_size: Optional[int], seed: Optional[int], threads: Optional[int],
                         device: Optional[str], options: Mapping[str, Any]) -> Dict[str, Any]:
    if epochs is not None:
        o["epochs"] = int(epochs)
        if steps is None:
            o["steps"] = 0
    if steps is not None:
        o["steps"] = int(steps)
    for key, value in (("lr", lr), ("batch_size", batch_size), ("seed", seed), ("threads", threads),
                       ("device", device)):
        if value is not None:
            o[key] = value
    for key, value in options.items():
        if key not in o or key in _RESERVED:
            fields = sorted(k for k in o if k not in _RESERVED)
            raise TypeError(f"unexpected keyword argument {key!r}; training options are: {', '.join(fields)}")
        o[key] = value
    return o


def _sink(progress: Progress) -> Optional[Callable[[str], None]]:
    if callable(progress):
        return progress
    if progress:
        return None  # the library's own output on stderr (a progress bar on a terminal)
    return lambda line: None


def train(dataset: str, *, out: Optional[PathLike] = None, split: Union[str, int] = "1",
          test_fold: Optional[int] = None, arch: str = "attcrnn", features: str = "logmel",
          cache: PathLike = "ascnet-cache", resume: bool = False, preset: Optional[str] = None,
          epochs: Optional[int] = None, steps: Optional[int] = None, lr: Optional[float] = None,
          batch_size: Optional[int] = None, attention_scale: Optional[str] = None, seed: int = 1,
          threads: int = 0, device: str = "cpu", progress: Progress = True,
          on_epoch: Optional[Callable[[Dict[str, Any]], Optional[bool]]] = None,
          **options: Any) -> TrainResult:
    """Between-class training of one split, as ``ascnet train`` (same keyword names as its
    flags: ``--batch-size`` is ``batch_size``, ``--test-fold`` ``test_fold``...).

    ``dataset`` is a spec KIND:PATH (e.g. "csv:data/meta.csv"). With ``out``, the run writes
    OUT/model.ascnet, log.csv, log.json and checkpoint.bin (``resume=True`` continues it);
    without, nothing is written and the model is only returned. ``preset`` None is
    ``ascnet train``'s default recipe. ``**options`` sets further TrainOptions fields by name
    (see ``train_options``).

    ``progress``: True (stderr), False (silent) or a callable receiving each progress line.
    ``on_epoch``: called after every epoch with its log row (dict); return False to stop the
    run there (``completed`` is then False and no bundle file is written). An exception
    raised by a callback, or Ctrl-C, stops the run after the epoch and is re-raised.
    """
    o = train_options(preset, epochs=epochs, steps=steps, lr=lr, batch_size=batch_size, seed=seed,
                      threads=threads, device=device, **options)
    o["out_dir"] = "" if out is None else os.fspath(out)
    o["resume"] = bool(resume)
    o["progress"] = bool(progress)
    spec = {"dataset": dataset, "split": str(split), "test_fold": int(test_fold or 0), "arch": arch,
            "features": features, "attention_scale": attention_scale or "", "cache": os.fspath(cache)}
    r = _native.train_split(spec, o, on_epoch, _sink(progress))
    r["model"] = Model(r["model"])
    return TrainResult(**r)


def experiment(dataset: str, out: PathLike, *, arch: Union[str, Sequence[str]] = ("attcrnn", "cnn"),
               features: Union[str, Sequence[str]] = ("logmel", "loggam"), splits: str = "all",
               cache: Optional[PathLike] = None, svm_c: float = 0.1, preset: Optional[str] = None,
               epochs: Optional[int] = None, steps: Optional[int] = None, lr: Optional[float] = None,
               batch_size: Optional[int] = None, attention_scale: Optional[str] = None, seed: int = 1,
               threads: int = 0, device: str = "cpu", progress: Progress = True,
               **options: Any) -> Dict[str, Any]:
    """The paper's protocol on every selected split, as ``ascnet experiment`` (same keyword
    names as its flags; ``arch``/``features`` take a list or a comma-separated string,
    ``threads=0`` means all cores; ``preset`` None is ``ascnet experiment``'s default recipe).
    Writes OUT/ (resumable; finished splits are reused) and
    returns OUT/results.json's content as a dict, plus "markdown": the results table.

    ``progress``: True (stderr), False (silent, as ``--quiet``) or a callable receiving each
    progress line. ``**options`` sets further TrainOptions fields by name.
    """
    def names(v: Union[str, Sequence[str]]) -> List[str]:
        return [s for s in v.split(",") if s] if isinstance(v, str) else list(v)

    base = (_native.train_options_default("experiment") if preset is None
            else _native.train_options_preset(preset))
    o = _apply_train_options(base, epochs, steps, lr, batch_size, seed, threads, device, options)
    spec = {"dataset": dataset, "out": os.fspath(out), "archs": names(arch), "features": names(features),
            "splits": str(splits), "cache": "" if cache is None else os.fspath(cache),
            "attention_scale": attention_scale or "", "svm_c": float(svm_c), "progress": bool(progress)}
    return _native.run_experiment(spec, o, _sink(progress))


def merge_experiments(dirs: Sequence[PathLike], out: Optional[PathLike] = None) -> Dict[str, Any]:
    """``ascnet experiment merge``: combines the finished splits of experiment folders into
    OUT/results.json and results.md (OUT defaults to the first folder); returns the results."""
    paths = [os.fspath(d) for d in dirs]
    if not paths:
        raise ValueError("merge_experiments: no folders given")
    return _native.merge_experiments(paths, os.fspath(out) if out is not None else paths[0])


def set_num_threads(n: int) -> None:
    """LibTorch's intra-op threads for this process (as ``--threads``); shared with ``torch``
    when it is imported in the same process."""
    _native.set_num_threads(int(n))


def get_num_threads() -> int:
    return _native.get_num_threads()


def cuda_available() -> bool:
    """Whether this LibTorch has CUDA and sees a GPU (then ``device="cuda"`` works)."""
    return _native.cuda_available()
