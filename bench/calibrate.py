"""Fit the confidence model: `python -m bench.calibrate`.

Indexes the last 24 XQuAD-de articles, asks all 1,190 questions (those of the first 24
articles have no answer there), and fits a logistic regression from the retrieval
evidence to "answerable". The benchmark then evaluates it on the other split (first 24
articles indexed), which the fit never saw as such.
"""

import argparse
import tempfile
from dataclasses import astuple
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from bench.runs import build_xquad_index, observe, xquad_bot
from bench.xquad import load_xquad
from index.config import DEFAULT_MODEL
from index.embedding import load_embedder


def main() -> None:
    argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__).parse_args()
    xquad = load_xquad()
    half = xquad.articles // 2
    fit_split = range(half, xquad.articles)
    embedder = load_embedder(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory() as workdir:
        index_dir = build_xquad_index(xquad, Path(workdir), embedder, fit_split)
        observations = observe(xquad_bot(index_dir, embedder), xquad.questions, fit_split)
    features = np.array([astuple(o.evidence) for o in observations])
    labels = np.array([o.answerable for o in observations])
    model = LogisticRegression(C=10.0, max_iter=1000).fit(features, labels)
    weights = tuple(round(float(w), 3) for w in model.coef_[0])
    bias = round(float(model.intercept_[0]), 3)
    auroc = roc_auc_score(labels, model.predict_proba(features)[:, 1])
    print(f"fitted on {len(labels)} questions ({labels.sum()} answerable), AUROC {auroc:.4f}")
    print(f"CALIBRATION = Calibration(weights={weights}, bias={bias})")


if __name__ == "__main__":
    main()
