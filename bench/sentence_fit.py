"""Fit the two models that choose what an answer quotes (see `bot.extraction`), and say by
article-wise cross-validation how well they do on articles they were not fitted on.

1. The sentence model, "does this sentence answer this question?": a linear score over
   `SentenceEvidence`, fitted listwise (`fit_sentence_model`) on the candidate sentences of
   each question's top passages, labelled by whether the sentence holds a gold answer of
   XQuAD-de (German and English questions), and turned into a probability by a logistic
   regression on that score.
2. The follow model, "does this further sentence add the answer the first one misses?":
   a logistic regression over `FollowEvidence` for the next candidates after the first.
   Its threshold is the lowest probability from which the answers it makes stay within
   `LENGTH_BUDGET` characters at the median on the fitting questions: the reader's time
   is the price of every further sentence, and the budget says how much of it an answer
   may take.
"""

from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from statistics import median

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from bench.runs import with_calibration
from bench.xquad import XQuestion
from bot import Bot
from bot.extraction import (
    FOLLOW_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    ExtractionSettings,
    follow_evidence,
    judge,
    quotes,
    select,
)
from bot.short_answer import ShortAnswerExample, fit_short_answer
from index.calibration import Logistic
from index.search import SearchIndex

SHORT_PRECISION = 0.72
"""Mean token F1 the offered short answers must keep on the fitting questions (the bar a
reader's trust needs is 0.70; a little above, since new questions fare a little worse)."""
LENGTH_BUDGET = 290
"""Median characters of the quotes (markers not counted) in answers to German questions:
about a sentence and a half of XQuAD-de, whose median sentence has 190 characters. (Answers
to questions in other languages run longer: the sentence model is less sure of them.)"""
FOLDS = 4


@dataclass(frozen=True, slots=True)
class Asked:
    """One question asked of an index: its candidate sentences, and which hold its answer."""

    question: XQuestion
    candidates: tuple[Candidate, ...]
    holds: tuple[bool, ...]
    german: bool = True
    """Asked in the corpus's language (the length budget is kept on these)."""


def ask(bot: Bot, questions: Sequence[XQuestion], german: bool = True) -> list[Asked]:
    index = bot.index
    asked = []
    for question in questions:
        found = tuple(bot.sentence_candidates(question.text))
        holds = tuple(
            c.doc_id == question.doc_id and _holds(_text(index, c.row, c.span), question)
            for c in found
        )
        asked.append(Asked(question, found, holds, german))
    return asked


def _text(index: SearchIndex, row: int, span: tuple[int, int]) -> str:
    return index.passages[row].text[span[0] : span[1]]


def _holds(text: str, question: XQuestion) -> bool:
    return any(answer in text for answer in question.answers)


def _fit(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...]) -> Logistic:
    from sklearn.linear_model import LogisticRegression  # a dev dependency, like the fit

    model = LogisticRegression(max_iter=5000).fit(rows, labels)
    return Logistic(
        features, tuple(round(float(w), 4) for w in model.coef_[0]),
        round(float(model.intercept_[0]), 4),
    )  # fmt: skip


def fit_sentence_model(asked: Sequence[Asked]) -> Logistic:
    """The weights under which each question's answering sentences are the likeliest of its
    own candidates (a conditional logit: a softmax over one question's candidates), scaled
    by a logistic regression of "holds the answer" on the score, which gives the bias.

    Fitted listwise because what matters is which of a question's sentences comes first:
    a logistic regression over all candidates at once spends its fit on telling the easy
    negatives (sentences of passages off the topic) from the rest. But that regression
    knows how far a lower passage's sentences are to be trusted, which one question's
    candidates teach little of, so the listwise weights are drawn toward it
    (`LISTWISE_L2`). XQuAD-de, 4 folds of articles, gold in the first quote / anywhere:
    German 0.861 / 0.900 (the regression alone) → 0.882 / 0.913, English 0.812 / 0.880 →
    0.824 / 0.884, English answers shorter (median 399 → 347 characters); listwise drawn
    toward zero instead: German 0.875 / 0.907, English 0.832 / 0.892, with the seed
    article's "Wer leitet die Mission Arctic Sentry?" led by a sentence of a lower
    passage."""
    groups = [
        (np.array([astuple(c.evidence) for c in a.candidates]), np.array(a.holds))
        for a in asked
        if any(a.holds) and not all(a.holds)
    ]
    rows = np.array([astuple(c.evidence) for a in asked for c in a.candidates])
    labels = np.array([h for a in asked for h in a.holds])
    weights = _listwise_weights(groups, rows, labels)
    scale = _fit((rows @ weights)[:, None], labels, ("score",))
    return Logistic(
        SENTENCE_FEATURES, tuple(round(float(w * scale.weights[0]), 4) for w in weights),
        scale.bias,
    )  # fmt: skip


LISTWISE_L2 = 3e-2
"""Ridge penalty on the standardised weights' distance from the pooled regression's (1e-2
and 3e-2 rank alike on XQuAD-de; 1e-1 gives back half the gain in English)."""
MATCHING = (
    "similarity", "similarity_gap", "coverage", "coverage_gap", "soft_coverage",
    "soft_coverage_gap",
)  # fmt: skip
"""How much of the question a sentence matches: never weighed against it. SQuAD's writers,
whose questions XQuAD translates, were asked not to copy the paragraph's words, so over
them the words alone, beside the meaning, count a little against a sentence (weight -0.09
of a standard deviation); a colleague's question, which copies them, would pay for that.
(Cross-validated as in `fit_sentence_model`, the bound gives German 0.873 → 0.876.)"""


def _listwise_weights(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], rows: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Weights maximising, over `groups` (one question's candidate rows and which hold the
    answer), the softmax probability of the rows that hold it, less `LISTWISE_L2` times
    their squared distance from a logistic regression's over all `rows` and `labels`."""
    if not groups:  # no question's sentences differ in answering it: nothing to rank by
        return np.zeros(len(SENTENCE_FEATURES))
    from sklearn.linear_model import LogisticRegression  # a dev dependency, like the fit

    stacked = np.concatenate([rows for rows, _ in groups])
    mean, spread = stacked.mean(axis=0), stacked.std(axis=0)
    spread[spread == 0] = 1.0
    standard = [((rows - mean) / spread, holds) for rows, holds in groups]
    pooled = LogisticRegression(max_iter=5000).fit((rows - mean) / spread, labels).coef_[0]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = 0.0, np.zeros_like(weights)
        for rows, holds in standard:
            scores = rows @ weights
            everyone, answering = logsumexp(scores), logsumexp(scores[holds])
            total += everyone - answering
            share = np.exp(scores - everyone) - np.where(holds, np.exp(scores - answering), 0.0)
            gradient += rows.T @ share
        n, away = len(standard), weights - pooled
        return total / n + LISTWISE_L2 * away @ away, gradient / n + 2 * LISTWISE_L2 * away

    bounds = [(0.0, None) if name in MATCHING else (None, None) for name in SENTENCE_FEATURES]
    fitted = minimize(loss, np.zeros(len(bounds)), jac=True, method="L-BFGS-B", bounds=bounds)
    return fitted.x / spread


def _holds_of(asked: Asked) -> dict[tuple[int, int], bool]:
    return {(c.row, c.sentence): h for c, h in zip(asked.candidates, asked.holds, strict=True)}


def fit_follow_model(asked: Sequence[Asked], sentence: Logistic, max_sentences: int) -> Logistic:
    """The follow model on the candidates after the first, labelled "holds the answer the
    first misses"; its threshold not yet chosen (see `choose_threshold`)."""
    rows, labels = [], []
    for item in asked:
        judged = judge(item.candidates, sentence)
        if not judged:
            continue
        holds = _holds_of(item)
        lead = judged[0]
        lead_holds = holds[(lead.candidate.row, lead.candidate.sentence)]
        for further in judged[1:max_sentences]:
            rows.append(astuple(follow_evidence(further, lead)))
            labels.append(
                holds[(further.candidate.row, further.candidate.sentence)] and not lead_holds
            )
    if not any(labels):  # no further sentence ever held what the first missed: add none
        return Logistic(FOLLOW_FEATURES, (0.0,) * len(FOLLOW_FEATURES), -50.0)
    return _fit(np.array(rows), np.array(labels), FOLLOW_FEATURES)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the chosen quotes do for one question."""

    first: bool
    """The first quote holds a gold answer."""
    anywhere: bool
    length: int


def outcome(
    item: Asked, index: SearchIndex, sentence: Logistic, follow: Logistic, max_sentences: int
) -> Outcome:
    settings = ExtractionSettings(max_sentences=max_sentences)
    chosen = quotes(select(judge(item.candidates, sentence), follow, settings), index.passages)
    texts = [_text(index, q.row, q.span) for q in chosen]
    holds = [_holds(t, item.question) and index.passages[q.row].doc_id == item.question.doc_id
             for t, q in zip(texts, chosen, strict=True)]  # fmt: skip
    return Outcome(bool(holds) and holds[0], any(holds), sum(len(t) for t in texts))


def choose_threshold(
    asked: Sequence[Asked], index: SearchIndex, sentence: Logistic, follow: Logistic,
    max_sentences: int,
) -> Logistic:  # fmt: skip
    """`follow` with the lowest threshold whose answers to German questions keep to
    `LENGTH_BUDGET`."""
    german = [a for a in asked if a.german] or list(asked)
    for threshold in np.arange(0.01, 0.51, 0.01):
        candidate = replace(follow, threshold=round(float(threshold), 2))
        lengths = [outcome(a, index, sentence, candidate, max_sentences).length for a in german]
        if median(lengths) <= LENGTH_BUDGET:
            return candidate
    return replace(follow, threshold=1.0)


def fit_quoting(
    asked: Sequence[Asked], index: SearchIndex, max_sentences: int
) -> tuple[Logistic, Logistic]:
    sentence = fit_sentence_model(asked)
    follow = fit_follow_model(asked, sentence, max_sentences)
    return sentence, choose_threshold(asked, index, sentence, follow, max_sentences)


def cross_validated(
    forms: dict[str, Sequence[Asked]], index: SearchIndex, max_sentences: int
) -> dict[str, tuple[float, float, float]]:
    """Per question form: (gold in the first quote, gold anywhere, median length), each
    question answered by models fitted on the other folds' articles (all forms)."""
    results: dict[str, list[Outcome]] = {form: [] for form in forms}
    for fold in range(FOLDS):
        fitting = [
            a for asked in forms.values() for a in asked if a.question.article % FOLDS != fold
        ]
        sentence, follow = fit_quoting(fitting, index, max_sentences)
        for form, asked in forms.items():
            results[form] += [
                outcome(a, index, sentence, follow, max_sentences)
                for a in asked
                if a.question.article % FOLDS == fold
            ]
    return {
        form: (
            float(np.mean([o.first for o in found])),
            float(np.mean([o.anywhere for o in found])),
            float(median(o.length for o in found)),
        )
        for form, found in results.items()
    }


def short_examples(asked: Sequence[Asked], index: SearchIndex) -> list[ShortAnswerExample]:
    """Each question with the first of its candidate sentences that holds its answer."""
    return [
        ShortAnswerExample(
            item.question.text, _text(index, candidate.row, candidate.span), item.question.answers
        )
        for item in asked
        for candidate, holds in [next(
            ((c, h) for c, h in zip(item.candidates, item.holds, strict=True) if h), (None, False)
        )]
        if holds
    ]  # fmt: skip


def fit_short(asked: Sequence[Asked], index: SearchIndex) -> Logistic:
    model = fit_short_answer(short_examples(asked, index), min_precision_f1=SHORT_PRECISION)
    return replace(
        model, weights=tuple(round(w, 4) for w in model.weights), bias=round(model.bias, 4),
        threshold=round(model.threshold, 4),
    )  # fmt: skip


def fold_bots(bot: Bot, forms: dict[str, Sequence[XQuestion]]) -> dict[int, Bot]:
    """For each fold of articles, `bot` with its quoting and short-answer models fitted on
    the other folds' articles only: its answers to a question of that fold are what a
    question on an unseen article gets."""
    max_sentences = bot.settings.extraction.max_sentences
    asked = {form: ask(bot, qs, form != "English") for form, qs in forms.items()}
    bots = {}
    for fold in range(FOLDS):
        fitting = [
            a for found in asked.values() for a in found if a.question.article % FOLDS != fold
        ]
        sentence, follow = fit_quoting(fitting, bot.index, max_sentences)
        short = fit_short(fitting, bot.index)
        bots[fold] = with_calibration(bot, sentence=sentence, follow=follow, short=short)
    return bots
