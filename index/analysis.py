"""German text analysis for BM25: words, hyphenated compounds, stopwords, Snowball stems.

"Ukraine-Hilfe" yields "ukraine", "hilfe" and "ukrainehilfe", so that the hyphenated and
the closed spelling of a compound, and either of its parts, find each other.
"""

import re

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

ANALYZER_SETTINGS = {
    "version": 3,
    "stemmer": "german",
    "stopwords": "bm25s-german+english+questions",
}
"""Recorded in the manifest; bump the version when tokens change, so old indexes are refused."""

_WORD = re.compile(r"[^\W_]+(?:[-‐‑_][^\W_]+)*")
_JOINER = re.compile(r"[-‐‑_]")
# Question words say what kind of answer is wanted, not what it is about; as terms they only
# make a question look less covered by a passage that answers it ("Inwiefern ändert sich die
# Rolle der USA?" was declined), and spelling repair read "Worum" as a corpus's "Forum".
# English ones too, because English questions are welcome.
_QUESTION_WORDS = frozenset(
    {
        "wer", "wen", "wem", "wessen", "wann", "warum", "weshalb", "weswegen", "wieso",
        "woher", "wohin", "wozu", "womit", "wofür", "worüber", "wodurch", "woran", "worauf",
        "wovon", "wovor", "worum", "worin", "woraus", "wobei", "wonach", "wogegen", "worunter",
        "inwiefern", "inwieweit", "wieviel", "wieviele", "heißt", "eigentlich", "what", "when",
        "who", "whom", "whose", "which", "where", "why", "how", "does", "do", "did", "has",
        "have", "had", "can", "could", "would", "should", "you", "we",
    }
)  # fmt: skip
_STOPWORDS = frozenset(
    word.casefold() for word in (*STOPWORDS_GERMAN, *STOPWORDS_EN, *_QUESTION_WORDS)
)


def is_stopword(word: str) -> bool:
    """A word BM25 ignores: German and English stopwords and question words, any case."""
    return word.casefold() in _STOPWORDS


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

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def __call__(self, text: str) -> list[str]:
        return self._stemmer.stemWords(self.words(text))
