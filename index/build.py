"""Build the index: load → split → embed (reusing unchanged vectors) → BM25 → write.

Vectors are cached by the hash of the exact text embedded, so a rebuild embeds only text
that is new: nothing when nothing changed, one document's passages when one changed.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import bm25s
import numpy as np

from index.analysis import ANALYZER_SETTINGS, GermanAnalyzer
from index.build_lock import build_turn
from index.calibration import calibration_for
from index.corpus import load_corpus
from index.documents import BlockKind, Corpus, content_hash
from index.embedding import Embedder, Role, load_embedder
from index.errors import FaqbotError, NoPassagesError
from index.passages import ChunkSettings, Passage, split_corpus
from index.progress import BuildProgress, ProgressReport, Stage
from index.reading import ReadLimits
from index.settings import Settings
from index.store import (
    DocumentRecord,
    IndexContent,
    Manifest,
    index_exists,
    load_index,
    now_iso,
    read_manifest,
    write_index,
)
from index.vectors import VectorSettings, build_vector_index
from index.words import WORD_MODEL, WordVectors

log = logging.getLogger("index")

VectorCache = dict[str, np.ndarray]
Advance = Callable[[int], None]
"""Told how many more texts were embedded."""

EMBED_STEP = 256
"""Texts embedded per call while progress is reported: a few seconds of the default model
on two cores, so a report comes every few seconds without slowing the embedding."""


def vector_key(text: str, role: Role) -> str:
    """The cache key of a vector: the same text embedded in another role is another vector."""
    return content_hash(f"{role}\n{text}")


def previous_vectors(out_dir: Path, model: str) -> VectorCache:
    """Vectors of the index now in place, by text hash; empty if there is none to trust.
    An index of another BM25 analyzer or without word vectors is trusted: its passage
    vectors depend on neither."""
    if not index_exists(out_dir):
        return {}
    try:
        previous = load_index(out_dir, model, vectors_only=True)
    except FaqbotError as error:
        log.info("not reusing the previous index: %s", error)
        return {}
    stored = {
        "contexts": previous.context_embeddings,
        "questions": previous.question_embeddings,
        "sentences": previous.sentence_embeddings,
    }
    return {
        vector_key(text, ROLES[name]): vector
        for name, texts in embedded_texts(previous.passages).items()
        for text, vector in zip(texts, stored[name], strict=True)
    }


def sentence_texts(passages: Sequence[Passage]) -> list[str]:
    """Each passage's sentences, passage after passage: the rows of the sentence vectors."""
    return [p.text[start:end] for p in passages for start, end in p.sentences]


def context_texts(passages: Sequence[Passage]) -> list[str]:
    """The distinct contexts (title, heading, question) of the passages, in order: the rows
    of the context vectors."""
    return list(dict.fromkeys(p.context for p in passages if p.context))


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    role: Role,
    cache: VectorCache,
    progress: bool = False,
    advance: Advance | None = None,
) -> np.ndarray:
    """Vectors for `texts`, embedding only those whose key is not in `cache` (which grows);
    with `advance`, in steps of `EMBED_STEP` texts, each step told to it."""
    keys = [vector_key(text, role) for text in texts]
    missing = list(dict.fromkeys(key for key in keys if key not in cache))
    text_of = dict(zip(keys, texts, strict=True))
    step = EMBED_STEP if advance is not None else max(len(missing), 1)
    for start in range(0, len(missing), step):
        batch = missing[start : start + step]
        fresh = embedder.embed([text_of[key] for key in batch], role, progress=progress)
        cache.update(zip(batch, fresh, strict=True))
        if advance is not None:
            advance(len(batch))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, key in enumerate(keys):
        vectors[row] = cache[key]
    return vectors


@dataclass(frozen=True)
class PassageVectors:
    """The vectors an index holds, and how many distinct texts were embedded now versus
    taken over from the previous index."""

    passages: np.ndarray
    contexts: np.ndarray
    questions: np.ndarray
    sentences: np.ndarray
    embedded: int
    reused: int


ROLES = {"contexts": Role.DOCUMENT, "questions": Role.DOCUMENT, "sentences": Role.DOCUMENT}
"""Everything the index holds is a document, FAQ questions included. Measured with e5 on
XQuAD-de, each question standing for an FAQ question and its English, keyword and typo
forms for users' restatements of it (asked as queries), against the other questions on the
same paragraph: the FAQ question embedded as a document separates them with AUROC 0.928,
as a query with 0.901."""


def embedded_texts(passages: Sequence[Passage]) -> dict[str, list[str]]:
    """What is embedded: every sentence, every distinct context, FAQ questions on their own."""
    return {
        "contexts": context_texts(passages),
        "questions": [p.question for p in passages if p.kind is BlockKind.FAQ],
        "sentences": sentence_texts(passages),
    }


def pooled_passage_vectors(
    passages: Sequence[Passage], sentences: np.ndarray, contexts: np.ndarray
) -> np.ndarray:
    """Each passage's vector as the length-weighted mean of its context's and its sentences'
    vectors, normalized.

    The default model mean-pools its token vectors, so this approximates embedding the whole
    passage while embedding every token once instead of twice: half the build time, for
    hybrid MRR@10 0.972 instead of 0.978 on XQuAD-de (e5, fusion otherwise alike; 0.976
    with the best sentence weighted more, the default; README, "Where the build time goes").
    """
    context_row = {text: row for row, text in enumerate(context_texts(passages))}
    vectors = np.zeros((len(passages), sentences.shape[1]), dtype=np.float32)
    row = 0
    for number, passage in enumerate(passages):
        for start, end in passage.sentences:
            vectors[number] += (end - start) * sentences[row]
            row += 1
        if passage.context:
            vectors[number] += len(passage.context) * contexts[context_row[passage.context]]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embed_passages(
    embedder: Embedder,
    passages: Sequence[Passage],
    cache: VectorCache,
    progress: bool = False,
    on_progress: ProgressReport | None = None,
) -> PassageVectors:
    """The vectors of `embedded_texts`, each group in its role, and the passage vectors;
    `on_progress` is told how many of the texts not in `cache` are embedded."""
    previous = set(cache)
    texts = embedded_texts(passages)
    needed = {vector_key(text, ROLES[name]) for name, group in texts.items() for text in group}
    advance = None
    if on_progress is not None:
        total, done = len(needed - previous), 0
        on_progress(BuildProgress(Stage.EMBED, 0, total))

        def advance(count: int) -> None:
            nonlocal done
            done += count
            on_progress(BuildProgress(Stage.EMBED, done, total))

    vectors = {
        name: embed_with_cache(embedder, group, ROLES[name], cache, progress, advance)
        for name, group in texts.items()
    }
    return PassageVectors(
        passages=pooled_passage_vectors(passages, vectors["sentences"], vectors["contexts"]),
        **vectors,
        embedded=len(needed - previous),
        reused=len(needed & previous),
    )


def build_bm25(passages: Sequence[Passage], analyzer: GermanAnalyzer) -> bm25s.BM25:
    logging.getLogger("bm25s").setLevel(logging.ERROR)  # it warns on every token-list build
    bm25 = bm25s.BM25()
    bm25.index([analyzer(p.search_text) for p in passages], show_progress=False)
    return bm25


def _no_passages(data_dir: Path, corpus: Corpus) -> NoPassagesError:
    reasons = "; ".join(str(item) for item in corpus.skipped[:5]) or "no files"
    return NoPassagesError(
        f"nothing to index in {data_dir} ({reasons}). Add .txt, .md, .html, .jsonl or .csv files."
    )


def _manifest(
    corpus: Corpus,
    passages: Sequence[Passage],
    embedder: Embedder,
    settings: tuple[ChunkSettings, VectorSettings],
    bm25: bm25s.BM25,
    vectors_made: PassageVectors,
) -> Manifest:
    chunking, vectors = settings
    per_document = Counter(p.doc_id for p in passages)
    faq_entries = sum(p.kind is BlockKind.FAQ for p in passages)
    return Manifest(
        model=embedder.name,
        dimension=embedder.dimension,
        documents=len(corpus.documents),
        passages=len(passages),
        faq_entries=faq_entries,
        chunking=chunking,
        vectors=vectors,
        vector_index=vectors.kind(len(passages)),
        bm25={
            "analyzer": ANALYZER_SETTINGS,
            "method": bm25.method,
            "k1": bm25.k1,
            "b": bm25.b,
        },
        sources=tuple(
            DocumentRecord(d.doc_id, d.source, d.content_hash, per_document[d.doc_id])
            for d in corpus.documents
        ),
        skipped=corpus.skipped,
        embedded=vectors_made.embedded,
        reused=vectors_made.reused,
        furniture=sum(d.furniture for d in corpus.documents),
        built_at=now_iso(),
        build_seconds=0.0,
        calibration=calibration_for(embedder.name),
        word_model=WORD_MODEL,
    )


def recorded_manifest(index_dir: Path) -> Manifest | None:
    """The manifest of the index at `index_dir`, or None if there is none that can be read
    (a first build, or one that repairs a broken index)."""
    try:
        return read_manifest(index_dir)
    except FaqbotError:
        return None


def build_settings(
    recorded: Manifest | None,
    *,
    max_chars: int | None = None,
    overlap_sentences: int | None = None,
    approximate_above: int | None = None,
) -> tuple[ChunkSettings, VectorSettings]:
    """The settings of a rebuild: each value given explicitly, else the one `recorded` in
    the manifest of the index it replaces, else the default. A rebuild without options
    thus keeps what the index was built with (`python -m index build` run again, /admin)."""
    chunking = recorded.chunking if recorded is not None else ChunkSettings()
    vectors = recorded.vectors if recorded is not None else VectorSettings()
    given = {"max_chars": max_chars, "overlap_sentences": overlap_sentences}
    chunking = replace(chunking, **{name: v for name, v in given.items() if v is not None})
    if approximate_above is not None:
        vectors = replace(vectors, approximate_above=approximate_above)
    return chunking, vectors


def build(
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    chunking: ChunkSettings | None = None,
    vectors: VectorSettings | None = None,
    progress: bool = False,
    settings: Settings | None = None,
    on_progress: ProgressReport | None = None,
) -> Manifest:
    """Build the index of `data_dir` into `out_dir` and return its manifest.

    `embedder` overrides `model` (tests pass a fake). What is not given comes from
    `settings` (read from the environment if None and needed): directories and model; the
    limits of reading PDF, Word and web pages come from `settings`, else are the defaults
    (`index.reading.ReadLimits`); `chunking` and `vectors` default to `ChunkSettings()` and
    `VectorSettings()` (callers that rebuild pass `build_settings(...)`). A failure at any
    point leaves the index that was in place untouched. `on_progress` is told each stage as
    it begins, and how far the counted ones (reading, embedding) have come.
    """
    if data_dir is None or out_dir is None or (model is None and embedder is None):
        settings = settings or Settings()
        data_dir = data_dir or settings.data_dir
        out_dir = out_dir or settings.index_dir
        model = model or settings.model
    chunked = (chunking or ChunkSettings(), vectors or VectorSettings())
    reading = ReadLimits.of(settings) if settings is not None else ReadLimits()
    with build_turn(out_dir):
        return _build_in_turn(
            data_dir, out_dir, model, embedder, chunked, reading, progress, on_progress
        )


def _ignore(_: BuildProgress) -> None:
    """No one asked for progress (the command line shows its bars instead)."""


def _build_in_turn(
    data_dir: Path,
    out_dir: Path,
    model: str | None,
    embedder: Embedder | None,
    settings: tuple[ChunkSettings, VectorSettings],
    reading: ReadLimits,
    progress: bool,
    on_progress: ProgressReport | None,
) -> Manifest:
    """The whole build, reading included, within the build's turn: two builds never hold
    two corpora in memory at once, and a waiting build reads the data as it is then."""
    stages = StageClock()
    report = on_progress or _ignore
    report(BuildProgress(Stage.READ))
    corpus = load_corpus(
        data_dir,
        progress,
        lambda done, total: report(BuildProgress(Stage.READ, done, total)),
        reading,
    )
    report(BuildProgress(Stage.SPLIT))
    split = split_corpus(corpus, settings[0], progress)
    corpus = replace(corpus, skipped=corpus.skipped + split.skipped)
    for item in corpus.skipped:
        log.warning("skipped %s", item)
    passages = list(split.passages)
    if not passages:
        raise _no_passages(data_dir, corpus)
    stages.lap("read and split")
    report(BuildProgress(Stage.LOAD_MODEL))
    embedder = embedder or load_embedder(model)
    stages.lap("load model")
    cache = previous_vectors(out_dir, embedder.name)
    made = embed_passages(embedder, passages, cache, progress, on_progress)
    stages.lap("embed")
    report(BuildProgress(Stage.SEARCH_INDEX))
    analyzer = GermanAnalyzer()
    bm25 = build_bm25(passages, analyzer)
    stages.lap("BM25")
    words = WordVectors.of_corpus(w for p in passages for w in analyzer.words(p.search_text))
    stages.lap("word vectors")
    vector_index = build_vector_index(made.passages, settings[1])
    stages.lap("FAISS")
    manifest = _manifest(corpus, passages, embedder, settings, bm25, made)
    content = IndexContent(
        manifest=replace(manifest, build_seconds=stages.total(), stage_seconds=stages.laps),
        passages=tuple(passages),
        embeddings=made.passages,
        context_embeddings=made.contexts,
        question_embeddings=made.questions,
        sentence_embeddings=made.sentences,
        vectors=vector_index,
        bm25=bm25,
        words=words,
    )
    report(BuildProgress(Stage.WRITE))
    return write_index(out_dir, content)


class StageClock:
    """Seconds per build stage, for the manifest: where the build time goes."""

    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self._last, 2)
        self._last = now

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 2)
