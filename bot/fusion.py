"""Fusing dense and BM25 scores: each method a small pure function over candidate scores.

Measured on XQuAD-de (see README, `make bench`): z-score fusion beats reciprocal rank
fusion clearly (MRR@10 0.96 vs 0.93), because it keeps how far ahead the best candidate
is, which ranks throw away.
"""

from collections.abc import Callable
from enum import StrEnum

import numpy as np

RRF_K = 60
"""The constant of Cormack et al. (2009): damps the head so that one retriever's first
place cannot outvote the other's whole list; 60 is their recommended value."""


class FusionMethod(StrEnum):
    ZSCORE = "zscore"
    RRF = "rrf"
    MINMAX = "minmax"
    DENSE = "dense"
    BM25 = "bm25"


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def _minmax(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def _ranks(values: np.ndarray) -> np.ndarray:
    """1 for the best value, 2 for the next, ..."""
    return np.argsort(np.argsort(-values, kind="stable"), kind="stable") + 1


def zscore_fusion(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    return dense_weight * _zscore(dense) + (1 - dense_weight) * _zscore(lexical)


def minmax_fusion(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    return dense_weight * _minmax(dense) + (1 - dense_weight) * _minmax(lexical)


def rrf_fusion(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    return dense_weight / (RRF_K + _ranks(dense)) + (1 - dense_weight) / (RRF_K + _ranks(lexical))


def dense_only(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    return dense.astype(np.float64)


def bm25_only(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    return lexical.astype(np.float64)


FUSIONS: dict[FusionMethod, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    FusionMethod.ZSCORE: zscore_fusion,
    FusionMethod.RRF: rrf_fusion,
    FusionMethod.MINMAX: minmax_fusion,
    FusionMethod.DENSE: dense_only,
    FusionMethod.BM25: bm25_only,
}


def fuse(
    method: FusionMethod, dense: np.ndarray, lexical: np.ndarray, dense_weight: float
) -> np.ndarray:
    """One fused score per candidate; both inputs are scores of the same candidates."""
    return FUSIONS[method](
        np.asarray(dense, dtype=np.float64), np.asarray(lexical, dtype=np.float64), dense_weight
    )
