"""German text analysis for BM25: words, hyphenated compounds, stopwords, Snowball stems.

"Ukraine-Hilfe" yields "ukraine", "hilfe" and "ukrainehilfe", so that the hyphenated and
the closed spelling of a compound, and either of its parts, find each other.
"""

import re

import Stemmer
from bm25s.stopwords import STOPWORDS_GERMAN

ANALYZER_SETTINGS = {"version": 1, "stemmer": "german", "stopwords": "bm25s-german"}
"""Recorded in the manifest; bump the version when tokens change, so old indexes are refused."""

_WORD = re.compile(r"[^\W_]+(?:[-‐‑_][^\W_]+)*")
_JOINER = re.compile(r"[-‐‑_]")
_STOPWORDS = frozenset(STOPWORDS_GERMAN)


class GermanAnalyzer:
    """Turns text into BM25 terms; the same analyzer must serve the index and its queries."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("german")

    def words(self, text: str) -> list[str]:
        """Lower-cased words and compound parts, without stopwords, not yet stemmed."""
        words: list[str] = []
        for match in _WORD.finditer(text.casefold()):
            parts = _JOINER.split(match.group())
            if len(parts) > 1:
                parts.append("".join(parts))
            words.extend(p for p in parts if p not in _STOPWORDS and (len(p) > 1 or p.isdigit()))
        return words

    def __call__(self, text: str) -> list[str]:
        return self._stemmer.stemWords(self.words(text))
