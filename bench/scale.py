"""Scale: synthetic German corpora of 1k to 100k passages, exact versus HNSW vectors.

Passages are made offline from XQuAD-de: each joins 3–5 sentences of one article, drawn at
random and shuffled, so every passage is new text on a real topic. Because the sentence
boundaries are known by construction, the index is assembled from the same parts as
`index.build` (embedding, BM25, FAISS) without re-splitting sentences; the XQuAD build
measures sentence splitting on its own (see the speed section). Passage vectors are pooled
from the pool's sentence vectors and the title's, as `index.build` pools them, so each
sentence is embedded once for all sizes; the embedding time of a size is measured on its
first `EMBED_SAMPLE` passages and scaled to all of them (the default model embeds about
a thousand tokens a second here: 100k passages would take hours).
"""

import time
from dataclasses import dataclass, replace
from statistics import median

import numpy as np

from bench.metrics import Latency, latency
from bench.xquad import XQuad
from bot import Bot, BotSettings
from index.analysis import ANALYZER_SETTINGS, GermanAnalyzer
from index.build import ROLES, build_bm25, context_texts, embedded_texts, pooled_passage_vectors
from index.calibration import calibration_for
from index.documents import BlockKind
from index.embedding import Embedder, Role
from index.passages import ChunkSettings, Passage
from index.sentences import split_sentences
from index.store import IndexContent, Manifest, now_iso
from index.vectors import VectorSettings, build_vector_index, search_vectors
from index.words import WORD_MODEL, WordVectors


@dataclass(frozen=True)
class SentencePool:
    """Every XQuAD-de sentence once, with its vector and its article."""

    texts: tuple[str, ...]
    articles: np.ndarray
    titles: tuple[str, ...]
    vectors: np.ndarray
    title_vectors: np.ndarray
    words: WordVectors
    """The words of every sentence, as a synthetic corpus of any size has them."""


def sentence_pool(xquad: XQuad, embedder: Embedder) -> SentencePool:
    texts, articles = [], []
    for paragraph in xquad.paragraphs:
        for start, end in split_sentences(paragraph.text):
            texts.append(paragraph.text[start:end])
            articles.append(paragraph.article)
    titles = tuple(dict.fromkeys(p.title for p in xquad.paragraphs))
    analyzer = GermanAnalyzer()
    return SentencePool(
        tuple(texts),
        np.array(articles),
        titles,
        embedder.embed(texts, Role.DOCUMENT),
        embedder.embed(titles, Role.DOCUMENT),
        WordVectors.of_corpus(word for text in (*texts, *titles) for word in analyzer.words(text)),
    )


@dataclass(frozen=True)
class SyntheticCorpus:
    passages: tuple[Passage, ...]
    sentence_rows: np.ndarray
    """Pool row of every passage sentence, passage after passage."""


def synthetic_corpus(pool: SentencePool, size: int, seed: int = 13) -> SyntheticCorpus:
    rng = np.random.default_rng(seed)
    by_article = [np.flatnonzero(pool.articles == a) for a in range(len(pool.titles))]
    passages, rows = [], []
    for number in range(size):
        article = int(rng.integers(len(by_article)))
        chosen = rng.choice(by_article[article], size=int(rng.integers(3, 6)), replace=False)
        spans, position = [], 0
        for row in chosen:
            spans.append((position, position + len(pool.texts[row])))
            position += len(pool.texts[row]) + 1
        text = " ".join(pool.texts[row] for row in chosen)
        passages.append(
            Passage(
                passage_id=f"synthetic-{number}",
                doc_id=f"synthetic-{number}",
                source="synthetic.jsonl",
                title=pool.titles[article],
                section=pool.titles[article],
                kind=BlockKind.TEXT,
                text=text,
                start=0,
                end=len(text),
                sentences=tuple(spans),
            )
        )
        rows.extend(chosen.tolist())
    return SyntheticCorpus(tuple(passages), np.array(rows, dtype=np.int64))


def _manifest(passages: int, embedder: Embedder, vectors: VectorSettings) -> Manifest:
    return Manifest(
        model=embedder.name,
        dimension=embedder.dimension,
        documents=passages,
        passages=passages,
        faq_entries=0,
        chunking=ChunkSettings(),
        vectors=vectors,
        vector_index=vectors.kind(passages),
        bm25={"analyzer": ANALYZER_SETTINGS},
        sources=(),
        skipped=(),
        embedded=passages,
        reused=0,
        furniture=0,
        built_at=now_iso(),
        build_seconds=0.0,
        calibration=calibration_for(embedder.name),
        word_model=WORD_MODEL,
    )


@dataclass(frozen=True, slots=True)
class ScalePoint:
    """One corpus size: what building it costs and how queries fare, exact versus HNSW."""

    passages: int
    embed_seconds: float
    bm25_seconds: float
    exact_build_seconds: float
    hnsw_build_seconds: float
    exact_search: Latency
    hnsw_search: Latency
    exact_faiss_ms: float
    hnsw_faiss_ms: float
    hnsw_recall_at_10: float
    exact_mib: float
    hnsw_mib: float
    """Index memory: passage and sentence vectors, BM25, and the FAISS index."""


EMBED_SAMPLE = 200


def _embed_seconds(passages: tuple[Passage, ...], embedder: Embedder) -> float:
    """What embedding all passages' sentences and contexts takes, from a sample of them."""
    sample = passages[:EMBED_SAMPLE]
    texts = embedded_texts(sample)
    _, seconds = _timed(
        lambda: [embedder.embed(group, ROLES[name]) for name, group in texts.items()]
    )
    return seconds * len(passages) / len(sample)


def _timed(call):  # noqa: ANN001, ANN202 -- (result, seconds) of any call
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _mib(content: IndexContent) -> float:
    import faiss

    arrays = [content.embeddings, content.sentence_embeddings]
    arrays += [a for a in content.bm25.scores.values() if isinstance(a, np.ndarray)]
    faiss_bytes = faiss.serialize_index(content.vectors).nbytes
    return (sum(a.nbytes for a in arrays) + faiss_bytes) / 2**20


def _faiss_ms(content: IndexContent, queries: np.ndarray) -> float:
    seconds = []
    for query in queries:
        started = time.perf_counter()
        search_vectors(content.vectors, query, 10)
        seconds.append(time.perf_counter() - started)
    return median(seconds) * 1000


def _recall_at_10(exact: IndexContent, approximate: IndexContent, queries: np.ndarray) -> float:
    """Share of the approximate top 10 that belong in the exact top 10; a passage scoring
    exactly as high as the exact 10th counts too (ties are not errors)."""
    found = []
    for query in queries:
        scores, _ = search_vectors(exact.vectors, query, 10)
        _, rows = search_vectors(approximate.vectors, query, 10)
        true_scores = exact.embeddings[rows] @ query
        found.append(min(10, int((true_scores >= scores[-1] - 1e-5).sum())) / 10)
    return float(np.mean(found))


def measure_size(
    pool: SentencePool,
    size: int,
    embedder: Embedder,
    questions: list[str],
    settings: BotSettings | None = None,
) -> ScalePoint:
    corpus = synthetic_corpus(pool, size)
    embed_seconds = _embed_seconds(corpus.passages, embedder)
    title_row = {title: row for row, title in enumerate(pool.titles)}
    contexts = pool.title_vectors[[title_row[text] for text in context_texts(corpus.passages)]]
    sentence_vectors = pool.vectors[corpus.sentence_rows]
    embeddings = pooled_passage_vectors(corpus.passages, sentence_vectors, contexts)
    bm25, bm25_seconds = _timed(lambda: build_bm25(corpus.passages, GermanAnalyzer()))
    exact_settings = VectorSettings(approximate_above=size)
    exact_vectors, exact_seconds = _timed(lambda: build_vector_index(embeddings, exact_settings))
    hnsw_settings = VectorSettings(approximate_above=0)
    hnsw_vectors, hnsw_seconds = _timed(lambda: build_vector_index(embeddings, hnsw_settings))
    exact = IndexContent(
        manifest=_manifest(size, embedder, exact_settings),
        passages=corpus.passages,
        embeddings=embeddings,
        context_embeddings=contexts,
        question_embeddings=np.zeros((0, embedder.dimension), dtype=np.float32),
        sentence_embeddings=sentence_vectors,
        vectors=exact_vectors,
        bm25=bm25,
        words=pool.words,
    )
    hnsw = replace(exact, vectors=hnsw_vectors, manifest=_manifest(size, embedder, hnsw_settings))
    queries = embedder.embed(questions, Role.QUERY)
    bots = {
        name: Bot(content, embedder, settings)
        for name, content in (("exact", exact), ("hnsw", hnsw))
    }
    seconds: dict[str, list[float]] = {name: [] for name in bots}
    for question in questions[:20]:  # warm-up
        for bot in bots.values():
            bot.search(question)
    for question in questions:  # alternating, so that drift in machine speed hits both alike
        for name, bot in bots.items():
            seconds[name].append(_timed(lambda q=question, b=bot: b.search(q))[1])
    search = {name: latency(values) for name, values in seconds.items()}
    return ScalePoint(
        passages=size,
        embed_seconds=embed_seconds,
        bm25_seconds=bm25_seconds,
        exact_build_seconds=exact_seconds,
        hnsw_build_seconds=hnsw_seconds,
        exact_search=search["exact"],
        hnsw_search=search["hnsw"],
        exact_faiss_ms=_faiss_ms(exact, queries),
        hnsw_faiss_ms=_faiss_ms(hnsw, queries),
        hnsw_recall_at_10=_recall_at_10(exact, hnsw, queries),
        exact_mib=_mib(exact),
        hnsw_mib=_mib(hnsw),
    )


def scale_table(points: list[ScalePoint]) -> str:
    header = (
        f"| passages | embed (from {EMBED_SAMPLE}) | BM25 | FAISS build exact / HNSW "
        "| search() median exact / HNSW "
        "| search() p95 exact / HNSW | FAISS top-10 exact / HNSW | HNSW recall@10 "
        "| index memory exact / HNSW |"
    )
    rows = [header, "|" + "---|" * 9]
    for p in points:
        rows.append(
            f"| {p.passages:,} | {p.embed_seconds:.1f} s | {p.bm25_seconds:.1f} s "
            f"| {p.exact_build_seconds:.2f} s / {p.hnsw_build_seconds:.1f} s "
            f"| {p.exact_search.median_ms:.1f} / {p.hnsw_search.median_ms:.1f} ms "
            f"| {p.exact_search.p95_ms:.1f} / {p.hnsw_search.p95_ms:.1f} ms "
            f"| {p.exact_faiss_ms:.2f} / {p.hnsw_faiss_ms:.2f} ms "
            f"| {p.hnsw_recall_at_10:.3f} | {p.exact_mib:.0f} / {p.hnsw_mib:.0f} MiB |"
        )
    return "\n".join(rows)


def plot(points: list[ScalePoint], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [p.passages for p in points]
    figure, (build_axis, query_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    build = [p.embed_seconds + p.bm25_seconds for p in points]
    build_axis.plot(sizes, [b + p.exact_build_seconds for b, p in zip(build, points, strict=True)],
                    "o-", label="exact (flat inner product)")  # fmt: skip
    build_axis.plot(sizes, [b + p.hnsw_build_seconds for b, p in zip(build, points, strict=True)],
                    "s--", label="approximate (HNSW)")  # fmt: skip
    build_axis.set(xscale="log", yscale="log", xlabel="passages", ylabel="seconds",
                   title="Index build (embedding + BM25 + FAISS)")  # fmt: skip
    query_axis.plot(sizes, [p.exact_search.median_ms for p in points], "o-", label="exact, median")
    query_axis.plot(sizes, [p.hnsw_search.median_ms for p in points], "s--", label="HNSW, median")
    query_axis.plot(sizes, [p.exact_search.p95_ms for p in points], "o:", label="exact, p95")
    query_axis.plot(sizes, [p.hnsw_search.p95_ms for p in points], "s:", label="HNSW, p95")
    query_axis.set(xscale="log", xlabel="passages", ylabel="milliseconds",
                   title="Query latency (Bot.search, hybrid)")  # fmt: skip
    for axis in (build_axis, query_axis):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
