"""The FAISS vector index: exact inner product for small corpora, HNSW above a size.

Vectors are normalized, so inner product is cosine similarity. Exact search is both faster
and perfect below some tens of thousands of passages; past that, HNSW keeps queries fast.
"""

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


@dataclass(frozen=True, slots=True)
class VectorSettings:
    """When to switch to the approximate index, and how to build and search it."""

    approximate_above: int = 20_000
    hnsw_neighbors: int = 32
    """Graph degree M: 32 is FAISS's recommended middle between memory and recall."""
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    """Candidates examined per query; raise for recall, lower for speed."""

    def kind(self, count: int) -> str:
        return "hnsw" if count > self.approximate_above else "exact"


def build_vector_index(vectors: np.ndarray, settings: VectorSettings) -> faiss.Index:
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
