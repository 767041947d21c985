"""Build the index: load → split → embed (reusing unchanged vectors) → BM25 → write.

Vectors are cached by the hash of the exact text embedded, so a rebuild embeds only text
that is new: nothing when nothing changed, one document's passages when one changed.
"""

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import bm25s
import numpy as np

from index import config
from index.analysis import ANALYZER_SETTINGS, GermanAnalyzer
from index.documents import BlockKind, Corpus, content_hash
from index.embedding import Embedder, load_embedder
from index.errors import FaqbotError, NoPassagesError
from index.loaders import load_corpus
from index.passages import ChunkSettings, Passage, split_document
from index.store import (
    DocumentRecord,
    IndexContent,
    Manifest,
    build_lock,
    index_exists,
    load_index,
    now_iso,
    write_index,
)
from index.vectors import VectorSettings, build_vector_index

log = logging.getLogger("index")

VectorCache = dict[str, np.ndarray]


def previous_vectors(out_dir: Path, model: str) -> VectorCache:
    """Vectors of the index now in place, by text hash; empty if there is none to trust."""
    if not index_exists(out_dir):
        return {}
    try:
        previous = load_index(out_dir, model)
    except FaqbotError as error:
        log.info("not reusing the previous index: %s", error)
        return {}
    cache = {
        content_hash(p.search_text): v
        for p, v in zip(previous.passages, previous.embeddings, strict=True)
    }
    faq = [p for p in previous.passages if p.kind is BlockKind.FAQ]
    cache.update(
        (content_hash(p.question), v)
        for p, v in zip(faq, previous.question_embeddings, strict=True)
    )
    sentences = sentence_texts(previous.passages)
    cache.update(
        (content_hash(s), v) for s, v in zip(sentences, previous.sentence_embeddings, strict=True)
    )
    return cache


def sentence_texts(passages: Sequence[Passage]) -> list[str]:
    """Each passage's sentences, passage after passage: the rows of the sentence vectors."""
    return [p.text[start:end] for p in passages for start, end in p.sentences]


def embed_with_cache(
    embedder: Embedder, texts: Sequence[str], cache: VectorCache, progress: bool = False
) -> np.ndarray:
    """Vectors for `texts`, embedding only those whose hash is not in `cache` (which grows)."""
    keys = [content_hash(text) for text in texts]
    missing = list(dict.fromkeys(key for key in keys if key not in cache))
    if missing:
        text_of = dict(zip(keys, texts, strict=True))
        fresh = embedder.embed([text_of[key] for key in missing], progress=progress)
        cache.update(zip(missing, fresh, strict=True))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, key in enumerate(keys):
        vectors[row] = cache[key]
    return vectors


@dataclass(frozen=True)
class PassageVectors:
    """The three kinds of vectors an index holds, and how many distinct texts were
    embedded now versus taken over from the previous index."""

    passages: np.ndarray
    questions: np.ndarray
    sentences: np.ndarray
    embedded: int
    reused: int


def embed_passages(
    embedder: Embedder, passages: Sequence[Passage], cache: VectorCache, progress: bool = False
) -> PassageVectors:
    """Passage texts (with their headings), FAQ questions on their own, and every sentence."""
    previous = set(cache)
    texts = {
        "passages": [p.search_text for p in passages],
        "questions": [p.question for p in passages if p.kind is BlockKind.FAQ],
        "sentences": sentence_texts(passages),
    }
    vectors = {name: embed_with_cache(embedder, t, cache, progress) for name, t in texts.items()}
    needed = {content_hash(text) for group in texts.values() for text in group}
    return PassageVectors(**vectors, embedded=len(needed - previous), reused=len(needed & previous))


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
    )


def build(
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    chunking: ChunkSettings | None = None,
    vectors: VectorSettings | None = None,
    progress: bool = False,
) -> Manifest:
    """Build the index of `data_dir` into `out_dir` and return its manifest.

    `embedder` overrides `model` (tests pass a fake). A failure at any point leaves the
    index that was in place untouched.
    """
    started = time.perf_counter()
    data_dir = data_dir or config.data_dir()
    out_dir = out_dir or config.index_dir()
    settings = (chunking or ChunkSettings(), vectors or VectorSettings())
    corpus = load_corpus(data_dir)
    for item in corpus.skipped:
        log.warning("skipped %s", item)
    passages = [p for document in corpus.documents for p in split_document(document, settings[0])]
    if not passages:
        raise _no_passages(data_dir, corpus)
    embedder = embedder or load_embedder(model or config.model_name())
    with build_lock(out_dir):
        cache = previous_vectors(out_dir, embedder.name)
        made = embed_passages(embedder, passages, cache, progress)
        bm25 = build_bm25(passages, GermanAnalyzer())
        manifest = _manifest(corpus, passages, embedder, settings, bm25, made)
        content = IndexContent(
            manifest=replace(manifest, build_seconds=round(time.perf_counter() - started, 2)),
            passages=tuple(passages),
            embeddings=made.passages,
            question_embeddings=made.questions,
            sentence_embeddings=made.sentences,
            vectors=build_vector_index(made.passages, settings[1]),
            bm25=bm25,
        )
        return write_index(out_dir, content)
