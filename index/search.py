"""The search side of an index: every question retrieval asks of it, and nothing else.

`bot/` ranks, fuses and quotes through this class alone; it never reads FAISS, bm25s or the
row layout of the vector files. Another backend (a search server holding the same passages,
BM25 statistics and vectors) could stand behind the same methods.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from symspellpy import SymSpell, Verbosity

from index.analysis import GermanAnalyzer
from index.passages import Passage
from index.store import IndexContent
from index.vectors import one_thread_per_query, search_vectors
from index.words import matchable

MIN_CORRECTED_WORD = 5
"""Shorter words have too many neighbours one edit away to guess which one was meant."""


def max_edits(word: str) -> int:
    """One edit for words of five to eight letters, two for longer ones (a long word two
    edits away from a corpus word is still unlikely to be another word)."""
    return 2 if len(word) > 8 else 1


def _spelling_dictionary(passages: Sequence[Passage], analyzer: GermanAnalyzer) -> SymSpell:
    """Every word of the corpus (before stemming) with its count, for spelling repair."""
    counts = Counter(
        word
        for passage in passages
        for word in analyzer.words(passage.search_text)
        if len(word) >= MIN_CORRECTED_WORD and not word.isdigit()
    )
    spelling = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word, count in counts.items():
        spelling.create_dictionary_entry(word, count)
    return spelling


MIN_COMPOUND_PART = 4
"""Shorter stems would match inside too many unrelated words."""


def contains_term(terms: set[str], term: str, ends_only: bool = False) -> bool:
    """`term` itself, or a compound that starts or ends with it, is among `terms`; with
    `ends_only`, one that ends with it: a German word's head ("geführt" for "führt",
    "Ukrainehilfe" for "Hilfe"), not its beginning, which holds unrelated words ("form" in
    "formell")."""
    if term in terms:
        return True
    if len(term) < MIN_COMPOUND_PART:
        return False
    return any(
        len(t) > len(term) and (t.endswith(term) or (not ends_only and t.startswith(term)))
        for t in terms
    )


@dataclass(frozen=True)
class QuestionWords:
    """A question's words worth a vector (`matchable`), row by row: what a sentence's soft
    coverage is measured against."""

    terms: tuple[str, ...]
    """The BM25 term of each word."""
    vectors: np.ndarray
    """Its vector."""


class SearchIndex:
    """Lexical and dense evidence for a query, over one loaded index (read-only, so one
    instance serves many threads)."""

    def __init__(self, content: IndexContent) -> None:
        self.content = content
        self.analyzer = GermanAnalyzer()
        bm25 = content.bm25
        self._vocabulary: dict[str, int] = bm25.vocab_dict
        frequencies = np.diff(bm25.scores["indptr"]).astype(np.float64)
        documents = float(bm25.scores["num_docs"])
        self._idf = np.log1p((documents - frequencies + 0.5) / (frequencies + 0.5))
        self._unknown_idf = float(np.log1p((documents + 0.5) / 0.5))
        self.faq_rows = content.question_rows
        """Passage rows of the FAQ entries, in the order of `faq_similarities`."""
        self._faq_index = np.full(len(content.passages), -1, dtype=np.int64)
        self._faq_index[self.faq_rows] = np.arange(len(self.faq_rows))
        self._sentence_offsets = content.sentence_offsets
        self._spelling = _spelling_dictionary(content.passages, self.analyzer)
        self._sentence_terms: dict[int, tuple[tuple[str, ...], ...]] = {}
        self._sentence_words: dict[int, tuple[np.ndarray, ...]] = {}
        self._term_sets: dict[int, tuple[set[str], ...]] = {}

    @property
    def passages(self) -> tuple[Passage, ...]:
        return self.content.passages

    # ------------------------------------------------------------ lexical

    def lexical_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage, by row."""
        if not terms:
            return np.zeros(len(self.passages), dtype=np.float32)
        return self.content.bm25.get_scores(list(terms))

    def knows(self, term: str) -> bool:
        return term in self._vocabulary

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term no passage has is the rarest there is."""
        row = self._vocabulary.get(term)
        return (
            float(self._idf[row])
            if row is not None and row < len(self._idf)
            else (self._unknown_idf)
        )

    def coverage(self, query_terms: tuple[str, ...], terms: set[str]) -> float:
        """Share of the query's IDF mass found in `terms`: rare words count most.

        A query term also counts as found inside a compound that begins or ends with it
        ("Hilfe" in "Ukrainehilfe", "Generalsekretär" in "NATO-Generalsekretär").
        """
        total = sum(self.idf(term) for term in query_terms)
        found = sum(self.idf(term) for term in query_terms if contains_term(terms, term))
        return found / total if total > 0 else 0.0

    def passage_terms(self, row: int) -> set[str]:
        return set(self.analyzer(self.passages[row].search_text))

    def sentence_terms(self, row: int) -> tuple[tuple[str, ...], ...]:
        """The BM25 terms of each sentence of passage `row`, in order. Analysed the first time
        a passage's sentences are quoted from, then kept: a passage is judged again and again,
        and analysing its sentences would be most of the work of choosing them."""
        found = self._sentence_terms.get(row)
        if found is None:
            passage = self.passages[row]
            found = tuple(tuple(self.analyzer(passage.text[a:b])) for a, b in passage.sentences)
            self._sentence_terms[row] = found  # one dict item set: safe across threads
        return found

    # ------------------------------------------------------------ words

    def question_words(self, words: Sequence[str]) -> QuestionWords:
        """The question's `words` worth a vector, each with its BM25 term and its vector (the
        corpus's, else embedded now)."""
        kept = matchable(words)
        return QuestionWords(tuple(self.analyzer.stem(word) for word in kept),
                             self.content.words.of(kept))  # fmt: skip

    def soft_coverage(self, row: int, question: QuestionWords) -> np.ndarray:
        """For each sentence of passage `row`: how closely it holds each of the question's
        words, the similarity of its nearest word (or of its passage's heading's), averaged
        over the question's words. A word whose term the sentence holds, alone or as a
        word's head ("geführt" for "führt", "Ukrainehilfe" for "Hilfe"), counts fully, one that
        means the same nearly so ("Botschafter" for "ambassadors"); 0 for a sentence without
        words, or a question without."""
        rows = self._sentence_word_rows(row)
        if not question.terms:
            return np.zeros(len(rows), dtype=np.float32)
        vectors = self.content.words.vectors
        soft = []
        for found, terms in zip(rows, self._sentence_term_sets(row), strict=True):
            if not len(found):
                soft.append(0.0)
                continue
            nearest = (question.vectors @ vectors[found].T).max(axis=1)
            held = [contains_term(terms, term, ends_only=True) for term in question.terms]
            soft.append(float(np.where(held, 1.0, nearest).mean()))
        return np.array(soft, dtype=np.float32)

    def _sentence_term_sets(self, row: int) -> tuple[set[str], ...]:
        """The BM25 terms of each sentence of passage `row` with its context's, kept."""
        found = self._term_sets.get(row)
        if found is None:
            context = set(self.analyzer(self.passages[row].context))
            found = tuple(set(terms) | context for terms in self.sentence_terms(row))
            self._term_sets[row] = found
        return found

    def _sentence_word_rows(self, row: int) -> tuple[np.ndarray, ...]:
        """The rows in the word vectors of each sentence's words and its passage's context
        (title and section), kept like `sentence_terms`. A sentence often names its topic
        only by the heading above it ("Die Mission, geführt vom Joint Force Command
        Norfolk, …" under "Arctic Sentry: …"; XQuAD-de, cross-validated: gold in the first
        quote German 0.866 → 0.871, English 0.809 → 0.812, against the sentence alone)."""
        found = self._sentence_words.get(row)
        if found is None:
            passage = self.passages[row]
            words, context = self.content.words, self.analyzer.words(passage.context)
            found = tuple(
                words.rows([*self.analyzer.words(passage.text[a:b]), *context])
                for a, b in passage.sentences
            )
            self._sentence_words[row] = found
        return found

    def correct(self, words: Iterable[str], most_edits: int = 2) -> dict[str, str]:
        """Corpus words for the query words the corpus does not know, where one lies within
        `max_edits` and `most_edits` (the most frequent of the closest); known and short
        words are kept."""
        corrections = {}
        for word in words:
            if len(word) < MIN_CORRECTED_WORD or word.isdigit() or self._is_corpus_word(word):
                continue
            found = self._spelling.lookup(
                word, Verbosity.CLOSEST, max_edit_distance=min(max_edits(word), most_edits)
            )
            if found:
                corrections[word] = found[0].term
        return corrections

    def _is_corpus_word(self, word: str) -> bool:
        return word in self._spelling.words or self.knows(self.analyzer.stem(word))

    # ------------------------------------------------------------ dense

    def dense_search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best `k` passages by cosine similarity: (scores, rows), best first."""
        one_thread_per_query()  # per calling thread: OpenMP settings do not cross threads
        return search_vectors(self.content.vectors, vector, k)

    def passage_similarities(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return self.content.embeddings[rows] @ vector

    def faq_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Similarity of every FAQ question to the query, in the order of `faq_rows`."""
        return self.content.question_embeddings @ vector

    def faq_position(self, rows: np.ndarray) -> np.ndarray:
        """Where each passage row stands in `faq_rows`; -1 for passages that are no FAQ entry."""
        return self._faq_index[rows]

    def sentence_similarities(self, row: int, vector: np.ndarray) -> np.ndarray:
        """Similarity of each sentence of passage `row`, in the order of its `sentences`."""
        first, last = self._sentence_offsets[row], self._sentence_offsets[row + 1]
        return self.content.sentence_embeddings[first:last] @ vector

    def best_sentence_similarities(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return np.array(
            [self.sentence_similarities(int(row), vector).max() for row in rows], dtype=np.float32
        )
