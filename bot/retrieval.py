"""Hybrid retrieval: dense (FAISS) and German BM25 candidates, scored and fused.

A passage's dense score mixes the similarity of the whole passage with that of its best
sentence (a question usually matches one sentence better than a paragraph), and an FAQ
entry also matches on its question alone. Fusion runs over the union of both retrievers'
top candidates, so every candidate has both scores. How much BM25 counts depends on how
much of the question it recognises: an English question over German text has few words
BM25 knows, and its scores would only add noise to the dense ranking.
"""

import re
from dataclasses import dataclass

import numpy as np

from bot.fusion import FusionMethod, fuse
from bot.language import language_guess
from bot.questions import QuestionKind, kinds_clash, question_kind
from index.embedding import Embedder, Role
from index.search import QuestionWords, SearchIndex


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    """Chosen by measuring on XQuAD-de and the seed article (`make bench`), not by taste."""

    fusion: FusionMethod = FusionMethod.ZSCORE
    dense_weight: float = 0.8
    """Share of the dense score in the fusion when BM25 recognises every word of the
    question; BM25's share shrinks with the share of the question's IDF mass it knows."""
    sentence_weight: float = 0.5
    """Share of the best sentence's similarity in a passage's dense score."""
    candidates: int = 50
    """Top passages taken from each retriever before fusing."""
    adaptive: bool = True
    """Scale BM25's share by how much of the question it recognises (off: fixed weights)."""
    spelling: bool = True
    """Repair query words the corpus does not know to a corpus word one or two edits away."""

    def __post_init__(self) -> None:
        for name in ("dense_weight", "sentence_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be positive, got {self.candidates}")


@dataclass(frozen=True)
class Query:
    """A question as retrieval sees it."""

    text: str
    vector: np.ndarray
    terms: tuple[str, ...]
    """Distinct BM25 terms, misspellings repaired."""
    corrections: tuple[tuple[str, str], ...]
    """(typed word, corpus word) for each repaired word."""
    recognised: float
    """Share of the question's IDF mass in terms the index knows (1.0 for no terms)."""
    foreign: float
    """Probability that the question is not in German, the corpus's language."""
    kind: QuestionKind | None
    words: QuestionWords
    """Its words with their vectors (`index.words`), to find them in sentences that spell
    them otherwise or say them in another language."""


@dataclass(frozen=True)
class Ranked:
    """Candidate passages of one query, best first, with the signals behind their rank."""

    rows: np.ndarray
    fused: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    passage_similarity: np.ndarray
    sentence_similarity: np.ndarray
    """Similarity of each candidate's best sentence."""
    question_similarity: np.ndarray
    """Similarity of an FAQ candidate's question, if that question may answer this one
    (kinds do not clash); -1 for other passages."""


@dataclass(frozen=True)
class Retrieved:
    """A question as retrieval saw it, and the passages it ranked."""

    query: Query
    ranked: Ranked


_WORD = re.compile(r"[^\W_]+")


def _respelled(word: str, corrections: dict[str, str]) -> str:
    """The correction of `word`, capitalised as `word` was (corrections are lower case)."""
    found = corrections.get(word.casefold())
    if found is None:
        return word
    return found[:1].upper() + found[1:] if word[:1].isupper() else found


class Retriever:
    """Reads a question as a query (embedded and analysed) and ranks the passages of one
    index for it; holds no per-query state."""

    def __init__(
        self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings, faq_match: float
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.faq_match = faq_match
        """From this similarity up (fitted per model), an FAQ question is the user's
        question, and its entry is ranked and answered by it."""
        faq_kinds = [question_kind(index.passages[row].question) for row in index.faq_rows]
        self._clashes = {
            asked: np.array([kinds_clash(asked, kind) for kind in faq_kinds], dtype=bool)
            for asked in (None, *QuestionKind)
        }
        """For each kind of question, the FAQ entries whose questions ask something else."""

    def retrieve(self, text: str) -> Retrieved:
        """The passages for `text`, best first."""
        query = self.read(text)
        return Retrieved(query, self.rank(query))

    def read(self, text: str) -> Query:
        """`text` embedded (as `spelled`) and analysed."""
        german = language_guess().german(text)
        vector = self.embedder.embed([self.spelled(text, german)], Role.QUERY)[0]
        return self.query(text, vector, german)

    def spelled(self, text: str, german: float) -> str:
        """`text` for the embedding model: in a German question, each word the corpus does
        not know but has one edit away is replaced by that corpus word ("Trefen in Brüsel"
        → "Treffen in Brüssel"). Only one edit, unlike BM25's repair: a real word the
        corpus lacks is two edits from its nearest corpus word more often than a typo is
        ("verhaftet" → "verhalten"), and a wrong word misleads the embedding more than a
        wrong term misleads BM25. Measured on XQuAD-de (48 articles, e5; one edit / any):
        with typos, R@1 0.926 → 0.944 / 0.943; as written, 0.9605 → 0.9605 / 0.9597."""
        if not self.settings.spelling or german < 0.5:
            return text
        corrections = self.index.correct(self.index.analyzer.words(text), most_edits=1)
        if not corrections:
            return text
        return _WORD.sub(lambda match: _respelled(match.group(), corrections), text)

    def query(self, text: str, vector: np.ndarray, german: float | None = None) -> Query:
        """Analyse `text` for BM25 (repairing misspelt words) and wrap it with its vector;
        `german`, the probability that it is German, if it was guessed already."""
        words = self.index.analyzer.words(text)
        corrections = self.index.correct(words) if self.settings.spelling else {}
        repaired = [corrections.get(word, word) for word in words]
        terms = tuple(dict.fromkeys(self.index.analyzer.stem(word) for word in repaired))
        total = sum(self.index.idf(term) for term in terms)
        known = sum(self.index.idf(term) for term in terms if self.index.knows(term))
        return Query(
            text=text,
            vector=vector,
            terms=terms,
            corrections=tuple(corrections.items()),
            recognised=known / total if total > 0 else 1.0,
            foreign=1.0 - (language_guess().german(text) if german is None else german),
            kind=question_kind(text),
            words=self.index.question_words(repaired),
        )

    def dense_weight(self, query: Query) -> float:
        bm25_share = 1.0 - self.settings.dense_weight
        if self.settings.adaptive:
            bm25_share *= query.recognised
        return 1.0 - bm25_share

    def _candidate_rows(
        self, query: Query, lexical: np.ndarray, faq_similarity: np.ndarray
    ) -> np.ndarray:
        k = min(self.settings.candidates, len(self.index.passages))
        _, dense_rows = self.index.dense_search(query.vector, k)
        lexical_rows = np.argpartition(-lexical, k - 1)[:k]
        faq_rows = self.index.faq_rows[np.argsort(-faq_similarity)[:k]]
        return np.unique(np.concatenate([dense_rows, lexical_rows, faq_rows]))

    def faq_similarities(self, query: Query) -> np.ndarray:
        """Similarity of every FAQ question to the query; -1 where the kinds clash."""
        similarity = self.index.faq_similarities(query.vector)
        return np.where(self._clashes[query.kind], -1.0, similarity).astype(np.float32)

    def rank(self, query: Query) -> Ranked:
        lexical_all = self.index.lexical_scores(query.terms)
        faq_similarity = self.faq_similarities(query)
        rows = self._candidate_rows(query, lexical_all, faq_similarity)
        passage = self.index.passage_similarities(rows, query.vector)
        sentence = self.index.best_sentence_similarities(rows, query.vector)
        position = self.index.faq_position(rows)
        question = np.full(len(rows), -1.0, dtype=np.float32)
        question[position >= 0] = faq_similarity[position[position >= 0]]
        weight = self.settings.sentence_weight
        matched = np.where(question >= self.faq_match, question, -1.0)
        dense = np.maximum((1 - weight) * passage + weight * sentence, matched)
        lexical = lexical_all[rows]
        fused = fuse(self.settings.fusion, dense, lexical, self.dense_weight(query))
        order = np.argsort(-fused, kind="stable")
        return Ranked(
            rows=rows[order],
            fused=fused[order],
            dense=dense[order],
            lexical=lexical[order],
            passage_similarity=passage[order],
            sentence_similarity=sentence[order],
            question_similarity=question[order],
        )
