"""Exceptions raised by the index layer.

Python callers catch these precisely; the CLI turns each into one line and a non-zero exit.
"""


class FaqbotError(Exception):
    """Base class of every error this project raises on purpose."""


class NoPassagesError(FaqbotError):
    """A build found nothing to index, so there is no index to write."""


class IndexMissingError(FaqbotError):
    """No index exists at the requested place."""


class IndexMismatchError(FaqbotError):
    """The index was built with another model or format version than the one in use."""


class IndexCorruptError(FaqbotError):
    """An index file is missing, truncated or disagrees with the manifest."""


class ModelLoadError(FaqbotError):
    """The embedding model could not be loaded (offline, misspelt name, bad path)."""


class CalibrationMissingError(FaqbotError):
    """The index's model has no fitted confidence calibration, so answers cannot be trusted."""


class IndexWriteError(FaqbotError):
    """The index could not be written (disk full, read-only, no permission); the index in
    place, if any, stays in use."""
