"""Exceptions raised by ascnet: one class per error type of the C++ library
(src/ascnet/core/error.h and the stage-specific ones), all under :class:`Error`.

Each also derives from the closest built-in exception, so ``except OSError`` catches a
missing file and ``except ValueError`` a bad config value.
"""


class Error(Exception):
    """Base of every ascnet error; the message is the library's (it names the file, the
    field and the expected value where they are known)."""


class IoError(Error, OSError):
    """A file could not be opened, read, written or renamed."""


class FormatError(Error, ValueError):
    """A file was read but its content is not what it must be (bad header, truncated,
    corrupted, wrong shape...)."""


class ConfigError(Error, ValueError):
    """A configuration value is out of range or inconsistent (the message names the field)."""


class AudioError(Error, ValueError):
    """Audio could not be decoded or is unusable (empty, non-finite samples...)."""


class BundleError(FormatError):
    """A model bundle is missing parts, truncated, corrupted or inconsistent."""


class CheckpointError(FormatError):
    """A training checkpoint is corrupted or belongs to another run."""


class DatasetError(FormatError):
    """A dataset's metadata is malformed or refers to missing audio."""


__all__ = ["Error", "IoError", "FormatError", "ConfigError", "AudioError", "BundleError",
           "CheckpointError", "DatasetError"]
