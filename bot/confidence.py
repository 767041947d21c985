"""How sure the bot is that the sources answer: a logistic model over retrieval evidence.

The features do not depend on corpus size: cosine similarities, the share of the
question's IDF mass that the best passage contains, the share the index knows at all, and
whether the question is German (similarities across languages run lower for the same
evidence). Measured on XQuAD-de (first 24 articles indexed, the fit as in
`bench.calibrate`): the language feature and weighting both classes alike in the fit took
the English questions with an answer from 34% answered to 85%, and German questions from
AUROC 0.988 to 0.993 (the two changes measured together, not apart). (Also measured and
left out: how far the best candidate stands above the mean of the candidates — it helped
on XQuAD's 24 topics but a one-article corpus has no off-topic candidates, and the seed
article's paraphrases were then declined; the margin over the second candidate, and
interactions with the language, which added nothing.)

The weights belong to the embedding model: `python -m bench.calibrate --model NAME` fits
them on XQuAD-de with half of the articles left out of the index (their questions have no
answer there), and on each of the other half's articles indexed alone, and writes them to
`index/calibrations.json`; see `index.calibration`. The one-article indexes are there
because `coverage` and `recognised` depend on how much vocabulary an index has: in one
article many ordinary words are missing, and a model fitted on 24 articles alone declined
paraphrases there (measured in `bench.calibrate`: e5, the seed article's in-scope questions
answered with their fact 74 → 78 of 96, out-of-scope declined 29 → 28 of 37; English
questions answered on the first 24 articles 0.853 → 0.897).
"""

import math
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

from bot.extraction import Judged
from bot.questions import QuestionKind
from bot.retrieval import Query, Ranked
from index.calibration import Calibration
from index.search import SearchIndex


@dataclass(frozen=True, slots=True)
class Evidence:
    """What retrieval found for the best candidate, as the features of the model."""

    dense: float
    """Dense score of the best passage (an FAQ entry's question counts)."""
    sentence: float
    """Similarity of its best sentence."""
    coverage: float
    """Share of the question's IDF mass that the passage contains."""
    recognised: float
    """Share of the question's IDF mass that the index knows at all."""
    foreign: float
    """Probability that the question is not German."""
    answering: float
    """The sentence model's probability that the best candidate sentence answers the
    question (`bot.extraction`): a passage on the topic that lacks the asked detail (a
    number for "wie viele", a name for "wer") has none that does."""


FEATURES = tuple(field.name for field in fields(Evidence))


def confidence(calibration: Calibration, evidence: Evidence) -> float:
    logit = calibration.bias + sum(
        w * x for w, x in zip(calibration.weights, astuple(evidence), strict=True)
    )
    return 1.0 / (1.0 + math.exp(-logit))


def gather_evidence(
    query: Query, ranked: Ranked, index: SearchIndex, judged: Sequence[Judged]
) -> Evidence:
    """The evidence for `query`, whose candidate sentences `judged` are best first."""
    answering = judged[0].probability if judged else 0.0
    if not ranked.rows.size:
        return Evidence(0.0, 0.0, 0.0, query.recognised, query.foreign, answering)
    return Evidence(
        dense=float(ranked.dense[0]),
        sentence=float(ranked.sentence_similarity[0]),
        coverage=index.coverage(query.terms, index.passage_terms(int(ranked.rows[0]))),
        recognised=query.recognised,
        foreign=query.foreign,
        answering=answering,
    )


_COUNT = re.compile(
    r"\b(?:wie\s*viele|how\s+many|welche[rsnm]?\s+anzahl|what\s+number)\b", re.IGNORECASE
)
"""A question for a count, which an answer gives as a number ("16", "zwei", "Dutzende").
Not "wie viel" ("Wie viel kostet das Essen?" — "Es ist kostenlos.") nor "wann", whose
answers take too many forms for a pattern to vouch that a sentence gives none ("um 7 Uhr",
"werktags", "nach der Wahl")."""


def lacks_the_count(query: Query, judged: Sequence[Judged]) -> bool:
    """Whether the question asks how many and none of its candidate sentences holds a
    number: the sources are on its topic ("Wie viele Soldaten nehmen an Arctic Sentry
    teil?" over an article that says what Arctic Sentry is), so the evidence of topic is
    high, but they cannot say how many. On XQuAD-de the candidates of every answerable
    question for a quantity hold a number (105 German, 104 English)."""
    return (
        query.kind is QuestionKind.QUANTITY
        and _COUNT.search(query.text) is not None
        and bool(judged)
        and not any(j.candidate.evidence.typed for j in judged)
    )


def how_sure(
    calibration: Calibration,
    query: Query,
    ranked: Ranked,
    index: SearchIndex,
    judged: Sequence[Judged],
    faq_match: float,
) -> float:
    """The confidence that the sources answer `query`: none when it asks how many and no
    candidate sentence holds a number (`lacks_the_count`); a question that matches an FAQ
    question (similarity from `faq_match` up) is as sure as that match says, at least."""
    if lacks_the_count(query, judged):
        sure = 0.0
    else:
        sure = confidence(calibration, gather_evidence(query, ranked, index, judged))
    if ranked.rows.size and ranked.question_similarity[0] >= faq_match:
        sure = max(sure, calibration.faq_same(float(ranked.question_similarity[0])))
    return round(sure, 4)
