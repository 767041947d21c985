"""Hybrid retrieval: dense (FAISS) and German BM25 candidates, scored and fused.

A passage's dense score mixes the similarity of the whole passage with that of its best
sentence (a question usually matches one sentence better than a paragraph), and an FAQ
entry also matches on its question alone. Fusion runs over the union of both retrievers'
top candidates, so every candidate has both scores.
"""

from dataclasses import dataclass

import numpy as np

from bot.fusion import FusionMethod, fuse
from index.analysis import GermanAnalyzer
from index.store import IndexContent
from index.vectors import one_thread_per_query


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    """Chosen by measuring on XQuAD-de and the seed article (`make bench`), not by taste."""

    fusion: FusionMethod = FusionMethod.ZSCORE
    dense_weight: float = 0.6
    """Share of the dense score in the fusion; BM25 gets the rest."""
    sentence_weight: float = 0.3
    """Share of the best sentence's similarity in a passage's dense score."""
    candidates: int = 50
    """Top passages taken from each retriever before fusing."""
    faq_match: float = 0.75
    """From this similarity up, an FAQ question matches the user's question, and the entry
    is ranked (and answered) by it. Below, short questions resemble each other ("Was ist
    X?", "Wie heißt Y?") more than their topics do, so the question alone says little."""

    def __post_init__(self) -> None:
        for name in ("dense_weight", "sentence_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be positive, got {self.candidates}")


@dataclass(frozen=True)
class Query:
    """A question as retrieval sees it: its vector and its distinct BM25 terms."""

    text: str
    vector: np.ndarray
    terms: tuple[str, ...]


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
    """Similarity of an FAQ candidate's question; -1 for other passages."""

    def __len__(self) -> int:
        return len(self.rows)


MIN_COMPOUND_PART = 4
"""Shorter stems would match inside too many unrelated words."""


def contains_term(terms: set[str], term: str) -> bool:
    """`term` itself, or a compound that starts or ends with it, is among `terms`."""
    if term in terms:
        return True
    if len(term) < MIN_COMPOUND_PART:
        return False
    return any(len(t) > len(term) and (t.startswith(term) or t.endswith(term)) for t in terms)


class Lexicon:
    """Inverse document frequencies of the BM25 index, for weighting query terms."""

    def __init__(self, content: IndexContent) -> None:
        self.vocabulary: dict[str, int] = content.bm25.vocab_dict
        frequencies = np.diff(content.bm25.scores["indptr"]).astype(np.float64)
        documents = float(content.bm25.scores["num_docs"])
        self.idf = np.log1p((documents - frequencies + 0.5) / (frequencies + 0.5))
        self.unknown_idf = float(np.log1p((documents + 0.5) / 0.5))
        """A term no passage has is the rarest there is."""

    def weight(self, term: str) -> float:
        row = self.vocabulary.get(term)
        return float(self.idf[row]) if row is not None and row < len(self.idf) else self.unknown_idf

    def coverage(self, query_terms: tuple[str, ...], terms: set[str]) -> float:
        """Share of the query's IDF mass found in `terms`: rare words count most.

        A query term also counts as found inside a compound that begins or ends with it
        ("Hilfe" in "Ukrainehilfe", "Generalsekretär" in "NATO-Generalsekretär").
        """
        total = sum(self.weight(term) for term in query_terms)
        found = sum(self.weight(term) for term in query_terms if contains_term(terms, term))
        return found / total if total > 0 else 0.0


class Retriever:
    """Ranks the passages of one loaded index for a query; holds no per-query state."""

    def __init__(self, content: IndexContent, settings: RetrievalSettings) -> None:
        self.content = content
        self.settings = settings
        self.analyzer = GermanAnalyzer()
        self.lexicon = Lexicon(content)
        self.sentence_offsets = content.sentence_offsets
        self.question_row = np.full(len(content.passages), -1, dtype=np.int64)
        self.question_row[content.question_rows] = np.arange(len(content.question_rows))
        one_thread_per_query()

    def terms(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.analyzer(text)))

    def _lexical_scores(self, query: Query) -> np.ndarray:
        if not query.terms:
            return np.zeros(len(self.content.passages), dtype=np.float32)
        return self.content.bm25.get_scores(list(query.terms))

    def _candidate_rows(
        self, query: Query, lexical: np.ndarray, faq_similarity: np.ndarray
    ) -> np.ndarray:
        k = min(self.settings.candidates, len(self.content.passages))
        _, dense_rows = self.content.dense_search(query.vector, k)
        lexical_rows = np.argpartition(-lexical, k - 1)[:k]
        faq_rows = self.content.question_rows[np.argsort(-faq_similarity)[:k]]
        return np.unique(np.concatenate([dense_rows, lexical_rows, faq_rows]))

    def _best_sentence_similarity(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        best = np.empty(len(rows), dtype=np.float32)
        for i, row in enumerate(rows):
            first, last = self.sentence_offsets[row], self.sentence_offsets[row + 1]
            best[i] = (self.content.sentence_embeddings[first:last] @ vector).max()
        return best

    def rank(self, query: Query) -> Ranked:
        lexical_all = self._lexical_scores(query)
        faq_similarity = self.content.question_embeddings @ query.vector  # every FAQ question
        rows = self._candidate_rows(query, lexical_all, faq_similarity)
        passage = self.content.embeddings[rows] @ query.vector
        sentence = self._best_sentence_similarity(rows, query.vector)
        question = np.full(len(rows), -1.0, dtype=np.float32)
        is_faq = self.question_row[rows] >= 0
        question[is_faq] = faq_similarity[self.question_row[rows[is_faq]]]
        weight = self.settings.sentence_weight
        matched = np.where(question >= self.settings.faq_match, question, -1.0)
        dense = np.maximum((1 - weight) * passage + weight * sentence, matched)
        lexical = lexical_all[rows]
        fused = fuse(self.settings.fusion, dense, lexical, self.settings.dense_weight)
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
