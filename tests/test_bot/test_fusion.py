"""Fusion methods against hand-computed oracles."""

import numpy as np
import pytest

from bot.fusion import RRF_K, FusionMethod, fuse

DENSE = np.array([0.9, 0.5, 0.1])
LEXICAL = np.array([0.0, 6.0, 3.0])


def test_zscore_fusion_matches_hand_computation():
    z_dense = (DENSE - DENSE.mean()) / DENSE.std()
    z_lexical = (LEXICAL - LEXICAL.mean()) / LEXICAL.std()
    expected = 0.6 * z_dense + 0.4 * z_lexical
    np.testing.assert_allclose(fuse(FusionMethod.ZSCORE, DENSE, LEXICAL, 0.6), expected)


def test_rrf_matches_hand_computation():
    # dense ranks: 1, 2, 3; lexical ranks: 3, 1, 2
    expected = [
        0.5 / (RRF_K + 1) + 0.5 / (RRF_K + 3),
        0.5 / (RRF_K + 2) + 0.5 / (RRF_K + 1),
        0.5 / (RRF_K + 3) + 0.5 / (RRF_K + 2),
    ]
    np.testing.assert_allclose(fuse(FusionMethod.RRF, DENSE, LEXICAL, 0.5), expected)


def test_minmax_matches_hand_computation():
    expected = 0.5 * np.array([1.0, 0.5, 0.0]) + 0.5 * np.array([0.0, 1.0, 0.5])
    np.testing.assert_allclose(fuse(FusionMethod.MINMAX, DENSE, LEXICAL, 0.5), expected)


@pytest.mark.parametrize(
    ("method", "expected_order"),
    [
        (FusionMethod.DENSE, [0, 1, 2]),
        (FusionMethod.BM25, [1, 2, 0]),
        (FusionMethod.ZSCORE, [1, 0, 2]),
    ],
)
def test_single_retrievers_and_hybrid_order(method, expected_order):
    scores = fuse(method, DENSE, LEXICAL, 0.5)
    assert np.argsort(-scores).tolist() == expected_order


@pytest.mark.parametrize("method", list(FusionMethod))
def test_constant_scores_do_not_divide_by_zero(method):
    scores = fuse(method, np.ones(4), np.zeros(4), 0.5)
    assert np.isfinite(scores).all()
