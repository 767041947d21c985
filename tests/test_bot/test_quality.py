"""Answer quality with the real bundled model: the seed-article test set, cross-lingual
retrieval, and (when ../shared/bench is there) the XQuAD-de targets."""

import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from bot import AnswerKind, Bot
from bot.wording import quotes_start
from conftest import REPO, XQUAD

SEED_QUESTIONS = json.loads((REPO / "tests" / "data" / "seed_questions.json").read_text())

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def seed_bot(seed_index, real_embedder):
    return Bot.load(seed_index, embedder=real_embedder)


def test_seed_set_covers_every_form_of_question():
    forms = Counter(item["form"] for item in SEED_QUESTIONS["in_scope"])
    assert forms["question"] >= 30 and forms["paraphrase"] >= 10, forms
    assert min(forms["keywords"], forms["typo"], forms["english"]) >= 10, forms
    assert len(SEED_QUESTIONS["out_of_scope"]) >= 30


SEED_IN_SCOPE_GUARD = 0.75
"""Issue 18's target is 0.92; the default model reaches 0.823 (79/96, docs/benchmarks.md):
paraphrases that share few words with the text, and English questions, are still declined.
This guards the measured level against regressions; it is not the target."""
SEED_OUT_OF_SCOPE_GUARD = 0.75
"""Issue 18's target is 34/37; 29/37 are declined (docs/benchmarks.md): the eight answered
ask for a detail next to one the article gives ("Wer war der erste NATO-Generalsekretär?").
It was 29/37 until the confidence model was also fitted on one-article indexes
(`bench.calibrate`), which took the in-scope questions answered with their fact from 74 to
78 of 96: one more near-topic question answered for four more answered right; 28/37 until
the sentence model was fitted listwise (`bench.sentence_fit`)."""


def test_seed_in_scope_answers_contain_the_expected_fact(seed_bot):
    misses = []
    for item in SEED_QUESTIONS["in_scope"]:
        reply = seed_bot.answer(item["question"])
        if not any(fact in reply.text for fact in item["expected"]):
            misses.append((item["form"], item["question"], reply.text[:120]))
    assert len(misses) <= (1 - SEED_IN_SCOPE_GUARD) * len(SEED_QUESTIONS["in_scope"]), misses


def test_seed_out_of_scope_questions_are_declined(seed_bot):
    answered = [q for q in SEED_QUESTIONS["out_of_scope"] if seed_bot.answer(q).answered]
    assert len(answered) <= (1 - SEED_OUT_OF_SCOPE_GUARD) * len(SEED_QUESTIONS["out_of_scope"])


@pytest.mark.parametrize(
    ("paraphrase", "faq_question"),
    [
        ("Was bedeutet NATO 3.0?", "Was ist NATO 3.0?"),
        ("Was genau ist Arctic Sentry?", "Was ist Arctic Sentry?"),
        (
            "Wie reagieren die europäischen Staaten auf den Rückzug der USA?",
            "Wie reagieren europäische Länder?",
        ),
        ("What is Arctic Sentry?", "Was ist Arctic Sentry?"),
    ],
)
def test_paraphrase_of_an_faq_question_gets_that_faq_answer(seed_bot, paraphrase, faq_question):
    reply = seed_bot.answer(paraphrase)
    assert reply.kind is AnswerKind.FAQ
    assert reply.citations[0].question == faq_question


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("Wann fand das Treffen der NATO-Verteidigungsminister in Brüssel statt?",
         "12. Februar 2026"),
        ("Wie viele Mitgliedsländer hat die NATO?", "32"),
        ("Wie viel Geld sagt Großbritannien für die Luftverteidigung zu?", "500 Millionen Pfund"),
    ],
)  # fmt: skip
def test_the_short_answer_is_marked_verbatim_in_the_first_quote(seed_bot, question, short):
    reply = seed_bot.answer(question)
    first = reply.text.split(" [1]", 1)[0]
    assert short in reply.short
    assert first[reply.short_span[0] : reply.short_span[1]] == reply.short
    assert reply.to_json()["short"] == reply.short


def test_a_follow_up_s_short_answer_stands_where_its_span_says(seed_bot):
    reply = seed_bot.answer("Wann fand es statt?", ["Welches Treffen hat Pete Hegseth verpasst?"])
    assert reply.context and "2026" in reply.short
    start = quotes_start(reply.context)
    assert reply.text[start + reply.short_span[0] : start + reply.short_span[1]] == reply.short


@pytest.mark.parametrize(
    "question", ["Was ist NATO 3.0?", "Warum ist die Arktis wichtig?", "Was sagte Mark Rutte?"]
)
def test_no_short_answer_where_the_question_asks_for_none(seed_bot, question):
    reply = seed_bot.answer(question)
    assert reply.short == "" and reply.short_span == (0, 0)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Wie viele Mitglieder hat die NATO?", "32 Mitgliedsländer"),
        ("Was hat Großbritannien für die Ukraine zugesagt?", "500 Millionen Pfund"),
        ("wie viel prozent bip verteidigung", "3,5 %"),
        ("Wer leitet die Mission Arctic Sentry?", "Joint Force Command Norfolk"),
    ],
)
def test_the_answering_sentence_comes_first(seed_bot, question, fact):
    reply = seed_bot.answer(question)
    assert fact in re.split(r" ?\[\d+\]", reply.text, maxsplit=1)[0], reply.text


def test_english_question_finds_the_german_passages(seed_bot):
    hits = seed_bot.search("What is Arctic Sentry?", k=3)
    assert all("Arctic Sentry" in hit.text for hit in hits)


def test_a_question_of_another_kind_does_not_get_the_faq_answer(seed_bot):
    reply = seed_bot.answer("Wer hat das NATO-Treffen verpasst?")
    assert reply.answered and reply.kind is AnswerKind.ANSWER
    assert "Pete Hegseth" in reply.text


def test_confidence_ranks_in_scope_above_out_of_scope(seed_bot):
    from sklearn.metrics import roc_auc_score

    inside = [seed_bot.answer(i["question"]).confidence for i in SEED_QUESTIONS["in_scope"]]
    outside = [seed_bot.answer(q).confidence for q in SEED_QUESTIONS["out_of_scope"]]
    labels = [True] * len(inside) + [False] * len(outside)
    assert roc_auc_score(labels, inside + outside) >= 0.88  # measured 0.90 (near-topic set)


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


XQUAD_TARGETS = {
    # form: (MRR@10, R@1, answered on the full index, gold span in the answer, in its first quote)
    "German": (0.975, 0.955, 0.95, 0.85, 0.82),
    "English": (0.91, 0.0, 0.84, 0.70, 0.65),
    "typos": (0.95, 0.0, 0.85, 0.0, 0.0),
    "keywords": (0.96, 0.0, 0.90, 0.0, 0.0),
}
"""Guards a little under the measured levels, per form of question (0.0: no guard). Since
answers quote the best sentence first and a further one only when it is likely to add the
answer (issue 18), the gold span is in the first quote for 0.40 → about 0.84 of German
questions, and anywhere in the answer a little less often than when three sentences were
quoted in source order (0.896 → about 0.86; answers 558 → about 290 characters). The
quoting models are fitted on XQuAD itself, so these are not the held-out figures: those
are in `make bench` (answers fitted without the question's article) and the README."""


@pytest.mark.xquad
@pytest.mark.skipif(not XQUAD.is_file(), reason=f"XQuAD-de not found at {XQUAD}")
def test_xquad_targets(tmp_path, real_embedder):
    from bench.metrics import (
        abstention_scores,
        contains_answer,
        document_rank,
        first_quote,
        retrieval_scores,
    )
    from bench.runs import RememberingEmbedder, build_xquad_index, question_forms, xquad_bot
    from bench.xquad import load_xquad, xquad_en_path

    embedder = RememberingEmbedder(real_embedder)
    xquad = load_xquad(XQUAD)
    english = load_xquad(XQUAD, xquad_en_path()).questions if xquad_en_path().is_file() else ()
    forms = question_forms(xquad, english)
    full = xquad_bot(build_xquad_index(xquad, tmp_path, embedder), embedder)
    measured, missed = {}, []
    for form, questions in forms.items():
        ranks = [
            document_rank([h.doc_id for h in full.search(q.text, k=30)], q.doc_id)
            for q in questions
        ]
        scores = retrieval_scores(ranks)
        answers = [full.answer(q.text) for q in questions]
        answered = sum(a.answered for a in answers) / len(answers)
        contained = sum(
            contains_answer(a.text, q.answers) for a, q in zip(answers, questions, strict=True)
        ) / len(questions)
        first = sum(
            contains_answer(first_quote(a.text), q.answers)
            for a, q in zip(answers, questions, strict=True)
        ) / len(questions)
        measured[form] = (scores.mrr_at_10, scores.recall_at_1, answered, contained, first)
        if any(m < t for m, t in zip(measured[form], XQUAD_TARGETS[form], strict=True)):
            missed.append(form)
    assert not missed, measured

    half = range(0, xquad.articles // 2)
    first_half = xquad_bot(build_xquad_index(xquad, tmp_path, embedder, half), embedder)
    answers = [first_half.answer(q.text) for q in xquad.questions]
    abstention = abstention_scores(
        [a.confidence for a in answers],
        [q.article in half for q in xquad.questions],
        [a.answered for a in answers],
    )
    assert abstention.auroc >= 0.985, abstention
    assert abstention.answered_when_answerable >= 0.95, abstention
    assert abstention.declined_when_unanswerable >= 0.95, abstention
