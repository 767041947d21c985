"""How sure the bot is that the sources answer: a logistic model over retrieval evidence.

The features do not depend on corpus size: cosine similarities, and the share of the
question's IDF mass that the best passage contains. (Measured and left out: the share of
unknown words, the fused score and its margin over the second candidate; they added
nothing on XQuAD-de and hurt on the small seed corpus, whose score scales differ.)

The weights are fitted by `python -m bench.calibrate` on XQuAD-de
with half of the articles left out of the index (their questions have no answer there);
that script prints the lines below.
"""

import math
from dataclasses import astuple, dataclass

from bot.retrieval import Query, Ranked, Retriever


@dataclass(frozen=True, slots=True)
class Evidence:
    """What retrieval found for the best candidate, as the features of the model."""

    dense: float
    """Dense score of the best passage (an FAQ entry's question counts)."""
    sentence: float
    """Similarity of its best sentence."""
    coverage: float
    """Share of the question's IDF mass that the passage contains."""


@dataclass(frozen=True, slots=True)
class Calibration:
    weights: tuple[float, float, float]
    bias: float

    def confidence(self, evidence: Evidence) -> float:
        logit = self.bias + sum(w * x for w, x in zip(self.weights, astuple(evidence), strict=True))
        return 1.0 / (1.0 + math.exp(-logit))


# Fitted by `python -m bench.calibrate` (XQuAD-de, last 24 articles indexed, all questions).
CALIBRATION = Calibration(weights=(7.884, 6.036, 11.378), bias=-8.538)


def gather_evidence(query: Query, ranked: Ranked, retriever: Retriever) -> Evidence:
    if not len(ranked):
        return Evidence(0.0, 0.0, 0.0)
    best = retriever.content.passages[int(ranked.rows[0])]
    passage_terms = set(retriever.analyzer(best.search_text))
    return Evidence(
        dense=float(ranked.dense[0]),
        sentence=float(ranked.sentence_similarity[0]),
        coverage=retriever.lexicon.coverage(query.terms, passage_terms),
    )
