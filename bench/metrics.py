"""Quality measures: ranks of the gold document, answer containment, abstention."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np
from sklearn.metrics import roc_auc_score


@dataclass(frozen=True, slots=True)
class RetrievalScores:
    mrr_at_10: float
    recall_at_1: float
    recall_at_5: float


def document_rank(ranked_doc_ids: Sequence[str], gold: str) -> int | None:
    """1-based rank of `gold` among the distinct documents of a passage ranking."""
    distinct = list(dict.fromkeys(ranked_doc_ids))
    return distinct.index(gold) + 1 if gold in distinct else None


def retrieval_scores(ranks: Sequence[int | None]) -> RetrievalScores:
    n = len(ranks)
    return RetrievalScores(
        mrr_at_10=sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        recall_at_1=sum(r == 1 for r in ranks) / n,
        recall_at_5=sum(r is not None and r <= 5 for r in ranks) / n,
    )


_MARKER = re.compile(r" ?\[\d+\]")


def first_quote(text: str) -> str:
    """The text before an answer's first citation marker: its first quote."""
    return _MARKER.split(text, maxsplit=1)[0]


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    return any(answer in text for answer in answers)


@dataclass(frozen=True, slots=True)
class AbstentionScores:
    auroc: float
    answered_when_answerable: float
    declined_when_unanswerable: float


def abstention_scores(
    confidences: Sequence[float], answerable: Sequence[bool], answered: Sequence[bool]
) -> AbstentionScores:
    labels = np.asarray(answerable, dtype=bool)
    given = np.asarray(answered, dtype=bool)
    return AbstentionScores(
        auroc=float(roc_auc_score(labels, np.asarray(confidences))),
        answered_when_answerable=float(given[labels].mean()),
        declined_when_unanswerable=float((~given[~labels]).mean()),
    )


@dataclass(frozen=True, slots=True)
class Latency:
    median_ms: float
    p95_ms: float


def latency(seconds: Sequence[float]) -> Latency:
    ms = sorted(s * 1000 for s in seconds)
    return Latency(median_ms=median(ms), p95_ms=ms[min(len(ms) - 1, int(0.95 * len(ms)))])
