"""Fit what belongs to an embedding model: `python -m bench.calibrate [--model NAME]`.

Two things are fitted on XQuAD-de and written to `index/calibrations.json` (nothing to
paste by hand; rebuild an index to record the new entry in its manifest):

1. The FAQ-match threshold: the similarity from which an FAQ question counts as the
   user's question. XQuAD has no FAQ, but it has what the threshold must separate: the
   same question asked another way (its English version, its keyword form, a typo) should
   match; a different question about the same paragraph, which shares most of its words
   and its topic, should not. A logistic regression of "the same question" on the
   similarity (both kinds weighted alike) gives the threshold, where the two are equally
   likely, and the slope, with which the bot turns an FAQ match into confidence. (A
   stricter threshold would shut out most English restatements: some questions on one
   paragraph restate each other.) Before the similarity, the bot refuses an FAQ question
   that asks for another kind of answer ("Wer leitet X?" against "Was ist X?",
   `bot.questions`).
2. The models that choose what an answer quotes and mark its short answer
   (`bench.sentence_fit`): on the whole of XQuAD-de indexed, German and English
   questions; the note says how they did by article-wise cross-validation.
3. The confidence model: every other paragraph of the last 24 articles is indexed and
   all questions are asked, as written, in keyword form, with typos and in English. The
   questions of the first 24 articles have no answer there and are off the topic; those
   of the left-out paragraphs have none either but are near it (their article is there),
   like a colleague's question on a detail the article does not give. Then each of those
   24 articles is indexed alone (the same paragraphs), as an editor's one-article corpus
   is, and asked its own questions and as many of the other fitted articles'. A logistic
   regression maps the retrieval evidence of both to "answerable", both classes weighted
   alike. The benchmark evaluates it on another index (the first 24 articles, whole).

   Why the one-article indexes: how much of a question's vocabulary an index knows
   depends on its size. In 24 articles most ordinary words occur, so a word the index
   does not know marks a question off the topic; in one article many ordinary words are
   missing ("Staaten", "gehören"), and a model fitted on the large index alone declined
   paraphrases there. Measured with e5 (`make bench`, 2026-12-07, against the model
   fitted on the large index alone): on the first 24 articles, English questions answered
   0.853 → 0.897 (AUROC 0.978 → 0.980), German 0.960 → 0.972 (AUROC 0.993 both),
   unanswerable German questions declined 0.970 → 0.959; the seed article's own question
   set (never fitted on) answered with its fact 74 → 78 of 96, out of scope declined 29 →
   28 of 37; its dialogues 33 → 34 of 40 follow-ups. By 4 folds of the one-article indexes
   (fitted without the article): German answered 0.869 → 0.918, English 0.758 → 0.857.
   Fitting on the one-article indexes alone answered more there but declined only 54 % of
   the unanswerable questions on the large index.
"""

import argparse
import itertools
import random
import tempfile
from collections.abc import Sequence
from dataclasses import astuple, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from bench.runs import (
    Observation,
    RememberingEmbedder,
    build_xquad_index,
    observe,
    question_forms,
    xquad_bot,
)
from bench.sentence_fit import FOLDS, ask, cross_validated, fit_quoting, fit_short
from bench.xquad import XQuad, XQuestion, load_xquad, xquad_en_path, xquad_path
from bot import BotSettings
from bot.confidence import FEATURES
from bot.extraction import FOLLOW_FEATURES, SENTENCE_FEATURES, ExtractionSettings
from index.build import ROLES
from index.calibration import CALIBRATIONS, Calibration, Logistic, save_calibration
from index.embedding import Embedder, Role, load_embedder
from index.settings import DEFAULT_MODEL


def fit_faq_match(
    embedder: Embedder, forms: dict[str, Sequence[XQuestion]]
) -> tuple[float, float, str]:
    """The threshold, the slope, and a line on how they separate. Each German question stands for an
    FAQ question in the index (embedded in its role there); the users' questions, its
    restatements and the other questions on its paragraph, are embedded as queries."""
    german = forms["German"]
    in_index = embedder.embed([q.text for q in german], ROLES["questions"])
    asked = {
        name: embedder.embed([q.text for q in questions], Role.QUERY)
        for name, questions in forms.items()
    }
    same = {
        name: np.einsum("ij,ij->i", in_index, asked[name]) for name in forms if name != "German"
    }
    by_paragraph: dict[str, list[int]] = {}
    for row, question in enumerate(german):
        by_paragraph.setdefault(question.doc_id, []).append(row)
    different = np.array(
        [
            float(in_index[a] @ asked["German"][b])
            for rows in by_paragraph.values()
            for a, b in itertools.permutations(rows, 2)
        ]
    )
    restated = np.concatenate(list(same.values()))
    similarities = np.concatenate([restated, different]).reshape(-1, 1)
    labels = np.r_[np.ones(len(restated)), np.zeros(len(different))]
    model = LogisticRegression(class_weight="balanced").fit(similarities, labels)
    slope = round(float(model.coef_[0][0]), 2)
    threshold = round(float(-model.intercept_[0] / model.coef_[0][0]), 3)
    matched = ", ".join(f"{name} {np.mean(s >= threshold):.2f}" for name, s in same.items())
    return (
        threshold,
        slope,
        (
            f"FAQ match at {threshold} (slope {slope}): {np.mean(different >= threshold):.2f} of "
            f"{len(different)} different questions on the same XQuAD-de paragraph pass; the same "
            f"question, restated, matches as {matched}"
        ),
    )


def _unfitted(features: tuple[str, ...]) -> Logistic:
    return Logistic(features, (0.0,) * len(features), 0.0)


def fit_answering(
    xquad: XQuad, english: Sequence[XQuestion], embedder: Embedder, provisional: Calibration
) -> tuple[Calibration, str]:
    """`provisional` with the sentence, follow and short-answer models, and a line on how
    they did on articles they were not fitted on."""
    max_sentences = ExtractionSettings().max_sentences
    with tempfile.TemporaryDirectory() as workdir:
        bot = xquad_bot(build_xquad_index(xquad, Path(workdir), embedder), embedder,
                        BotSettings(calibration=provisional))  # fmt: skip
        forms = {"German": ask(bot, xquad.questions), "English": ask(bot, english, german=False)}
        checked = cross_validated(forms, bot.index, max_sentences)
        everything = [a for asked in forms.values() for a in asked]
        sentence, follow = fit_quoting(everything, bot.index, max_sentences)
        short = fit_short(everything, bot.index)
    scores = "; ".join(
        f"{form} gold in the first quote {first:.3f}, anywhere {anywhere:.3f}, median "
        f"{length:.0f} characters"
        for form, (first, anywhere, length) in checked.items()
    )
    note = (
        f"Quoting fitted on all {xquad.articles} articles, German and English questions; by "
        f"{FOLDS}-fold article-wise cross-validation: {scores}. Further sentences "
        f"from probability {follow.threshold}."
    )
    fitted = replace(provisional, sentence=sentence, follow=follow, short=short)
    return fitted, note


def fit_corpus(xquad: XQuad) -> XQuad:
    """Every other paragraph (by number) of the second half of the articles."""
    half = xquad.articles // 2
    kept = tuple(
        p
        for p in xquad.paragraphs
        if p.article >= half and int(p.doc_id.rsplit("#", 1)[1]) % 2 == 0
    )
    return XQuad(kept, xquad.questions)


def one_article_observations(
    indexed: XQuad,
    forms: dict[str, Sequence[XQuestion]],
    embedder: Embedder,
    calibration: Calibration,
) -> list[Observation]:
    """Each article of `indexed` indexed alone, asked its own questions (answerable where
    their paragraph is indexed, else a detail near the topic) and as many questions of
    the other articles of `indexed`, drawn at random with a fixed seed (off the topic)."""
    articles = sorted({p.article for p in indexed.paragraphs})
    draw = random.Random(0)
    found: list[Observation] = []
    with tempfile.TemporaryDirectory() as workdir:
        for article in articles:
            index_dir = build_xquad_index(
                indexed, Path(workdir), embedder, range(article, article + 1)
            )
            bot = xquad_bot(index_dir, embedder, BotSettings(calibration=calibration))
            doc_ids = {p.doc_id for p in indexed.paragraphs if p.article == article}
            for questions in forms.values():
                own = [q for q in questions if q.article == article]
                others = [q for q in questions if q.article != article and q.article in articles]
                asked = own + draw.sample(others, min(len(own), len(others)))
                found.extend(observe(bot, asked, doc_ids))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedding model to fit for")
    parser.add_argument("--out", type=Path, default=CALIBRATIONS, help="calibrations file")
    args = parser.parse_args()
    xquad = load_xquad(xquad_path())
    forms = question_forms(xquad, load_xquad(xquad_path(), xquad_en_path()).questions)
    embedder = RememberingEmbedder(load_embedder(args.model))
    faq_match, faq_slope, faq_note = fit_faq_match(embedder, forms)
    print(faq_note)
    indexed = fit_corpus(xquad)
    provisional = Calibration(
        FEATURES, (0.0,) * len(FEATURES), 0.0, faq_match, faq_slope, "provisional",
        sentence=_unfitted(SENTENCE_FEATURES), follow=_unfitted(FOLLOW_FEATURES),
    )  # fmt: skip
    english = load_xquad(xquad_path(), xquad_en_path()).questions
    answering, answering_note = fit_answering(xquad, english, embedder, provisional)
    print(answering_note)
    with tempfile.TemporaryDirectory() as workdir:
        index_dir = build_xquad_index(indexed, Path(workdir), embedder)
        bot = xquad_bot(index_dir, embedder, BotSettings(calibration=answering))
        doc_ids = {p.doc_id for p in indexed.paragraphs}
        observations = [o for qs in forms.values() for o in observe(bot, qs, doc_ids)]
    observations += one_article_observations(indexed, forms, embedder, answering)
    features = np.array([astuple(o.evidence) for o in observations])
    labels = np.array([o.answerable for o in observations])
    model = LogisticRegression(C=10.0, max_iter=5000, class_weight="balanced")
    model.fit(features, labels)
    auroc = roc_auc_score(labels, model.predict_proba(features)[:, 1])
    fitted = (
        f"XQuAD-de, every other paragraph of the last {xquad.articles // 2} of "
        f"{xquad.articles} articles indexed, together and each article alone, "
        f"{len(labels)} questions ({', '.join(forms)}), {labels.sum()} answerable: AUROC "
        f"{auroc:.4f}. {faq_note}. {answering_note}"
    )
    calibration = replace(
        answering,
        weights=tuple(round(float(w), 4) for w in model.coef_[0]),
        bias=round(float(model.intercept_[0]), 4),
        fitted_on=fitted,
    )
    save_calibration(embedder.name, calibration, args.out)
    print(f"{embedder.name}: {calibration}\nwritten to {args.out}; rebuild indexes to use it")


if __name__ == "__main__":
    main()
