"""The FAISS vector index: exact inner product for small corpora, HNSW above a size.

Vectors are normalized, so inner product is cosine similarity. Exact search is both faster
and perfect below some tens of thousands of passages; past that, HNSW keeps queries fast.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


@dataclass(frozen=True, slots=True)
class VectorSettings:
    """When to switch to the approximate index, and how to build and search it."""

    approximate_above: int = 20_000
    hnsw_neighbors: int = 48
    """Graph degree M. Measured on 100k synthetic XQuAD-de passages (`make bench`): recall@10
    against exact search at efSearch 512 is 0.987 with M=32 and 0.991 with M=48, for 5 s
    more build time (13 s vs 18 s) and 13 MiB more memory."""
    hnsw_ef_construction: int = 300
    hnsw_ef_search: int = 512
    """Candidates examined per query. At 100k passages (M=48): efSearch 128 gives recall@10
    0.964, 256 gives 0.986, 512 gives 0.991 at 0.5 ms per query; the hybrid search around it
    takes about 4 ms, so the extra recall costs little."""

    def kind(self, count: int) -> str:
        return "hnsw" if count > self.approximate_above else "exact"


@contextmanager
def _faiss_threads(count: int) -> Iterator[None]:
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def one_thread_per_query() -> None:
    """Search each query on one thread. A single query gains nothing from FAISS's OpenMP
    threads, which then fight numpy's BLAS threads: measured at 10k passages, the hybrid
    search took 8.0 ms median and 24 ms p95 with them, 4.1 ms and 4.6 ms without."""
    faiss.omp_set_num_threads(1)


def build_vector_index(vectors: np.ndarray, settings: VectorSettings) -> faiss.Index:
    """Built on all cores (HNSW construction parallelizes well)."""
    with _faiss_threads(os.cpu_count() or 1):
        return _build(vectors, settings)


def _build(vectors: np.ndarray, settings: VectorSettings) -> faiss.Index:
    dimension = vectors.shape[1]
    if settings.kind(len(vectors)) == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, settings.hnsw_neighbors, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dimension)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_vector_index(path: Path, settings: VectorSettings) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = settings.hnsw_ef_search
    return index


def search_vectors(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best `k` rows for one normalized query vector: (scores, row ids), best first."""
    k = min(k, index.ntotal)
    scores, rows = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = rows[0] >= 0
    return scores[0][keep], rows[0][keep]
