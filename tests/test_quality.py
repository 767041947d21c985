"""Answer quality with the real bundled model: the seed-article test set, cross-lingual
retrieval, and (when ../shared/bench is there) the XQuAD-de targets."""

import json
import os
import subprocess
import sys

import pytest

from bot import AnswerKind, Bot
from conftest import REPO, XQUAD

SEED_QUESTIONS = json.loads((REPO / "tests" / "data" / "seed_questions.json").read_text())

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def seed_bot(seed_index, real_embedder):
    return Bot.load(seed_index, embedder=real_embedder)


def test_seed_set_is_large_enough():
    assert len(SEED_QUESTIONS["in_scope"]) >= 30
    assert len(SEED_QUESTIONS["out_of_scope"]) >= 10


def test_seed_in_scope_answers_contain_the_expected_fact(seed_bot):
    misses = []
    for item in SEED_QUESTIONS["in_scope"]:
        reply = seed_bot.answer(item["question"])
        if not any(fact in reply.text for fact in item["expected"]):
            misses.append((item["question"], reply.text[:120]))
    assert len(misses) <= 0.1 * len(SEED_QUESTIONS["in_scope"]), misses


def test_seed_out_of_scope_questions_are_declined(seed_bot):
    answered = [q for q in SEED_QUESTIONS["out_of_scope"] if seed_bot.answer(q).answered]
    assert len(answered) <= 0.1 * len(SEED_QUESTIONS["out_of_scope"]), answered


@pytest.mark.parametrize(
    ("paraphrase", "faq_question"),
    [
        ("Was bedeutet NATO 3.0?", "Was ist NATO 3.0?"),
        ("Was genau ist Arctic Sentry?", "Was ist Arctic Sentry?"),
    ],
)
def test_paraphrase_of_an_faq_question_gets_that_faq_answer(seed_bot, paraphrase, faq_question):
    reply = seed_bot.answer(paraphrase)
    assert reply.kind is AnswerKind.FAQ
    assert reply.citations[0].question == faq_question


def test_english_question_finds_the_german_passages(seed_bot):
    hits = seed_bot.search("What is Arctic Sentry?", k=3)
    assert all("Arctic Sentry" in hit.text for hit in hits)


def test_confidence_ranks_in_scope_above_out_of_scope(seed_bot):
    from sklearn.metrics import roc_auc_score

    inside = [seed_bot.answer(i["question"]).confidence for i in SEED_QUESTIONS["in_scope"]]
    outside = [seed_bot.answer(q).confidence for q in SEED_QUESTIONS["out_of_scope"]]
    labels = [True] * len(inside) + [False] * len(outside)
    assert roc_auc_score(labels, inside + outside) >= 0.95


def test_cli_builds_the_default_index_on_first_use_and_prints_json(tmp_path):
    env = {
        **os.environ,
        "FAQBOT_INDEX_DIR": str(tmp_path / "index"),
        "FAQBOT_DATA_DIR": str(REPO / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "Was ist Arctic Sentry?", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["answered"] and reply["kind"] == "faq"
    assert reply["citations"][0]["doc_id"] == "nato-krise-2026.txt"
    assert (tmp_path / "index" / "manifest.json").is_file()


@pytest.mark.xquad
@pytest.mark.skipif(not XQUAD.is_file(), reason=f"XQuAD-de not found at {XQUAD}")
def test_xquad_targets(tmp_path, real_embedder):
    embedder = real_embedder
    from bench.metrics import abstention_scores, contains_answer, document_rank, retrieval_scores
    from bench.runs import build_xquad_index, xquad_bot
    from bench.xquad import load_xquad

    xquad = load_xquad(XQUAD)
    full = xquad_bot(build_xquad_index(xquad, tmp_path, embedder), embedder)
    ranks = [
        document_rank([h.doc_id for h in full.search(q.text, k=30)], q.doc_id)
        for q in xquad.questions
    ]
    scores = retrieval_scores(ranks)
    assert scores.mrr_at_10 >= 0.95 and scores.recall_at_1 >= 0.92, scores
    contained = [contains_answer(full.answer(q.text).text, q.answers) for q in xquad.questions]
    assert sum(contained) / len(contained) >= 0.85

    half = range(0, xquad.articles // 2)
    first_half = xquad_bot(build_xquad_index(xquad, tmp_path, embedder, half), embedder)
    answers = [first_half.answer(q.text) for q in xquad.questions]
    abstention = abstention_scores(
        [a.confidence for a in answers],
        [q.article in half for q in xquad.questions],
        [a.answered for a in answers],
    )
    assert abstention.auroc >= 0.97, abstention
    assert abstention.answered_when_answerable >= 0.9, abstention
    assert abstention.declined_when_unanswerable >= 0.9, abstention
