"""The search index: documents from `data/` in, a persisted hybrid (FAISS + BM25) index out.

`python -m index build` rebuilds it; `build()` does the same from Python and returns the
manifest; `load_index()` reads it back, checked against the manifest.
"""

import index.settings  # noqa: F401 -- first: OpenMP spinning bounded before faiss, torch load
from index.build import build
from index.documents import Block, BlockKind, Document, Skipped
from index.errors import (
    FaqbotError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    ModelLoadError,
    NoPassagesError,
)
from index.passages import ChunkSettings, Passage
from index.store import IndexContent, Manifest, index_exists, load_index, read_manifest
from index.vectors import VectorSettings

__all__ = [
    "Block",
    "BlockKind",
    "ChunkSettings",
    "Document",
    "FaqbotError",
    "IndexContent",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexMissingError",
    "Manifest",
    "ModelLoadError",
    "NoPassagesError",
    "Passage",
    "Skipped",
    "VectorSettings",
    "build",
    "index_exists",
    "load_index",
    "read_manifest",
]
