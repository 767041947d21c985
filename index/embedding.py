"""Embedding models behind a one-method interface.

Everything that needs vectors asks an `Embedder`; tests hand in a deterministic fake, and
only a few tests load the real model.
"""

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from index.config import DEFAULT_MODEL
from index.errors import ModelLoadError


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors, one row per text."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; the bundled USE model goes through the same class."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model = _load_sentence_transformer(name)
        self.dimension = int(self._model.get_embedding_dimension())

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load_sentence_transformer(name: str):  # noqa: ANN202 -- keeps torch imports lazy
    if name == DEFAULT_MODEL:
        # The bundled model never needs the network; make sure nothing tries it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        from index.use_module import UniversalSentenceEncoder

        return SentenceTransformer(modules=[UniversalSentenceEncoder()], device="cpu")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name, device="cpu")
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"cannot load embedding model {name!r}: {error}. Give a local model directory, "
            f"a model already in the Hugging Face cache, or the bundled {DEFAULT_MODEL!r}."
        ) from error


def load_embedder(name: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    """The embedder for a model name or path (the bundled model by default)."""
    return SentenceTransformerEmbedder(name)
