"""Fit what belongs to an embedding model: `python -m bench.calibrate [--model NAME]`.

Two things are fitted on XQuAD-de and written to `index/calibrations.json` (nothing to
paste by hand; rebuild an index to record the new entry in its manifest):

1. The FAQ-match threshold: the similarity from which an FAQ question counts as the
   user's question. XQuAD has no FAQ, but it has what the threshold must separate: the
   same question asked another way (its English version, its keyword form, a typo) should
   match; a different question about the same paragraph, which shares most of its words
   and its topic, should not. The threshold is their equal-error point: as many of those
   different questions pass as restatements fail. Most of the different questions that
   pass ask for another kind of answer ("Wer leitet X?" against "Was ist X?"), and the bot
   refuses those by their question words before it looks at the similarity
   (`bot.questions`). (Letting only 1% of them pass would need 0.978 under e5, which no
   English restatement reaches: some questions on one paragraph restate each other.)
2. The confidence model: every other paragraph of the last 24 articles is indexed and
   all questions are asked, as written, in keyword form, with typos and in English. The
   questions of the first 24 articles have no answer there and are off the topic; those
   of the left-out paragraphs have none either but are near it (their article is there),
   like a colleague's question on a detail the article does not give. A logistic
   regression maps the retrieval evidence to "answerable", both classes weighted alike.
   The benchmark evaluates it on another index (the first 24 articles, whole).
"""

import argparse
import itertools
import tempfile
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from bench.runs import build_xquad_index, observe, question_forms, xquad_bot
from bench.xquad import XQuad, XQuestion, load_xquad, xquad_en_path, xquad_path
from bot import BotSettings
from bot.confidence import FEATURES
from index.calibration import CALIBRATIONS, Calibration, save_calibration
from index.config import DEFAULT_MODEL
from index.embedding import Embedder, Role, load_embedder


def fit_faq_match(embedder: Embedder, forms: dict[str, Sequence[XQuestion]]) -> tuple[float, str]:
    """The threshold, and a line on how it separates."""
    german = forms["German"]
    vectors = {
        name: embedder.embed([q.text for q in questions], Role.QUERY)
        for name, questions in forms.items()
    }
    same = {
        name: np.einsum("ij,ij->i", vectors["German"], vectors[name])
        for name in forms
        if name != "German"
    }
    by_paragraph: dict[str, list[int]] = {}
    for row, question in enumerate(german):
        by_paragraph.setdefault(question.doc_id, []).append(row)
    different = np.array(
        [
            float(vectors["German"][a] @ vectors["German"][b])
            for rows in by_paragraph.values()
            for a, b in itertools.combinations(rows, 2)
        ]
    )
    threshold = round(equal_error_threshold(np.concatenate(list(same.values())), different), 3)
    matched = ", ".join(f"{name} {np.mean(s >= threshold):.2f}" for name, s in same.items())
    return threshold, (
        f"FAQ match at {threshold}: {np.mean(different >= threshold):.2f} of {len(different)} "
        f"different questions on the same XQuAD-de paragraph pass; the same question, "
        f"restated, matches as {matched}"
    )


def equal_error_threshold(same: np.ndarray, different: np.ndarray) -> float:
    """The similarity at which the share of `same` below it equals the share of `different`
    at or above it."""
    candidates = np.unique(np.concatenate([same, different]))
    missed = np.searchsorted(np.sort(same), candidates, side="left") / len(same)
    passed = 1 - np.searchsorted(np.sort(different), candidates, side="left") / len(different)
    return float(candidates[np.argmin(np.abs(missed - passed))])


def fit_corpus(xquad: XQuad) -> XQuad:
    """Every other paragraph (by number) of the second half of the articles."""
    half = xquad.articles // 2
    kept = tuple(
        p
        for p in xquad.paragraphs
        if p.article >= half and int(p.doc_id.rsplit("#", 1)[1]) % 2 == 0
    )
    return XQuad(kept, xquad.questions)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedding model to fit for")
    parser.add_argument("--out", type=Path, default=CALIBRATIONS, help="calibrations file")
    args = parser.parse_args()
    xquad = load_xquad(xquad_path())
    forms = question_forms(xquad, load_xquad(xquad_path(), xquad_en_path()).questions)
    embedder = load_embedder(args.model)
    faq_match, faq_note = fit_faq_match(embedder, forms)
    print(faq_note)
    indexed = fit_corpus(xquad)
    provisional = Calibration(FEATURES, (0.0,) * len(FEATURES), 0.0, faq_match, "provisional")
    with tempfile.TemporaryDirectory() as workdir:
        index_dir = build_xquad_index(indexed, Path(workdir), embedder)
        bot = xquad_bot(index_dir, embedder, BotSettings(calibration=provisional))
        doc_ids = {p.doc_id for p in indexed.paragraphs}
        observations = [o for qs in forms.values() for o in observe(bot, qs, doc_ids)]
    features = np.array([astuple(o.evidence) for o in observations])
    labels = np.array([o.answerable for o in observations])
    model = LogisticRegression(C=10.0, max_iter=5000, class_weight="balanced")
    model.fit(features, labels)
    auroc = roc_auc_score(labels, model.predict_proba(features)[:, 1])
    fitted = (
        f"XQuAD-de, every other paragraph of the last {xquad.articles // 2} of "
        f"{xquad.articles} articles indexed, {len(labels)} questions ({', '.join(forms)}), "
        f"{labels.sum()} answerable: AUROC {auroc:.4f}. {faq_note}"
    )
    calibration = Calibration(
        features=FEATURES,
        weights=tuple(round(float(w), 4) for w in model.coef_[0]),
        bias=round(float(model.intercept_[0]), 4),
        faq_match=faq_match,
        fitted_on=fitted,
    )
    save_calibration(embedder.name, calibration, args.out)
    print(f"{embedder.name}: {calibration}\nwritten to {args.out}; rebuild indexes to use it")


if __name__ == "__main__":
    main()
