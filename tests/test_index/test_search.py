"""The search side of an index (`index.search.SearchIndex`) and what retrieval builds on it:
oracles against bm25s and numpy, spelling repair, adaptive fusion, FAQ kinds."""

import numpy as np
import pytest

from bot import AnswerKind, Bot, BotSettings
from bot.retrieval import RetrievalSettings
from conftest import FAKE_CALIBRATION
from index import build, load_index
from index.embedding import Role
from index.search import SearchIndex


@pytest.fixture
def loaded(small_corpus, tmp_path, fake_embedder):
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    return load_index(tmp_path / "index")


@pytest.fixture
def search_index(loaded):
    return SearchIndex(loaded)


def bot_over(loaded, embedder, **retrieval):
    settings = BotSettings(
        answer_threshold=0.0,
        calibration=FAKE_CALIBRATION,
        retrieval=RetrievalSettings(**retrieval),
    )
    return Bot(loaded, embedder, settings)


def test_lexical_scores_are_bm25s_scores(search_index, loaded):
    terms = tuple(dict.fromkeys(search_index.analyzer("Arctic Sentry Mission im Hohen Norden")))
    np.testing.assert_allclose(
        search_index.lexical_scores(terms), loaded.bm25.get_scores(list(terms))
    )
    assert not search_index.lexical_scores(()).any()


def test_rare_terms_weigh_more_and_unknown_terms_most(search_index):
    common, rare = search_index.idf("nato"), search_index.idf("sentry")
    assert common < rare < search_index.idf("quastenflosser")
    assert search_index.knows("sentry") and not search_index.knows("quastenflosser")


def test_sentence_similarities_follow_the_sentence_layout(search_index, loaded, fake_embedder):
    query = fake_embedder.embed(["Wann fiel Schnee in München?"], Role.QUERY)[0]
    for row, passage in enumerate(loaded.passages):
        sentences = [passage.text[s:e] for s, e in passage.sentences]
        expected = fake_embedder.embed(sentences, Role.DOCUMENT) @ query
        np.testing.assert_allclose(
            search_index.sentence_similarities(row, query), expected, atol=1e-5
        )


def test_faq_rows_and_positions_agree(search_index, loaded):
    rows = search_index.faq_rows
    questions = [loaded.passages[row].question for row in rows]
    assert len(questions) == 5 and all(q.endswith("?") for q in questions)
    positions = search_index.faq_position(np.arange(len(loaded.passages)))
    assert positions[rows].tolist() == list(range(len(rows)))
    assert (np.delete(positions, rows) == -1).all()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("sentri", "sentry"),
        ("generalsekräter", "generalsekretär"),
        ("arktisregoin", "arktisregion"),
    ],
)
def test_misspelt_words_are_repaired_to_corpus_words(search_index, typed, meant):
    assert search_index.correct([typed]) == {typed: meant}


@pytest.mark.parametrize(
    "word",
    ["sentry", "nato", "köln", "quastenflosser", "1949", "mitgliedsländer"],
)
def test_known_short_numeric_and_far_words_are_kept(search_index, word):
    assert search_index.correct([word]) == {}


def test_a_typo_finds_what_the_correct_spelling_finds(loaded, fake_embedder):
    bot = bot_over(loaded, fake_embedder)
    typed = bot.retriever.query("arctic sentri", np.zeros(fake_embedder.dimension))
    assert typed.corrections == (("sentri", "sentry"),)
    assert typed.terms == bot.retriever.query("arctic sentry", typed.vector).terms
    unrepaired = bot_over(loaded, fake_embedder, spelling=False)
    assert unrepaired.retriever.query("arctic sentri", typed.vector).corrections == ()


@pytest.mark.parametrize(
    ("question", "embedded"),
    [
        # One edit from a corpus word: embedded as the corpus spells it, capitals kept.
        ("Wer leitet Arctic Sentri?", "Wer leitet Arctic Sentry?"),
        ("Was tut der NATO-Generalsekretr?", "Was tut der NATO-Generalsekretär?"),
        # Two edits: BM25's terms are repaired, but the embedding keeps what was typed.
        ("Was sagte der Generalsekräter?", "Was sagte der Generalsekräter?"),
        # Not German: a word the corpus lacks is no typo.
        ("Who leads the Arctic Sentri mission?", "Who leads the Arctic Sentri mission?"),
        ("Was ist Arctic Sentry?", "Was ist Arctic Sentry?"),
    ],
)
def test_a_german_question_is_embedded_with_its_typos_repaired(
    loaded, fake_embedder, question, embedded
):
    bot = bot_over(loaded, fake_embedder)
    bot.search(question)
    assert fake_embedder.embedded[-1] == embedded


@pytest.mark.parametrize("question_word", ["Worum", "Worin", "Wobei", "Inwiefern"])
def test_question_words_are_no_terms_and_never_read_as_corpus_words(
    tmp_path, fake_embedder, question_word
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "forum.txt").write_text(
        "Das Forum tagte in Brüssel. Worüber das Forum sprach, blieb offen.", encoding="utf-8"
    )
    build(data, tmp_path / "index", embedder=fake_embedder)
    bot = bot_over(load_index(tmp_path / "index"), fake_embedder)
    assert bot.index.correct(["forun"]) == {"forun": "forum"}  # one edit, as "worum" is
    question = f"{question_word} tagte das Forum in Brüssel?"
    found = bot.retriever.retrieve(question)
    assert found.query.terms == ("tagt", "forum", "brussel")
    assert found.query.recognised == pytest.approx(1.0)  # the question word counts for nothing
    assert fake_embedder.embedded[-1] == question


def test_bm25_counts_less_the_less_of_the_question_it_recognises(loaded, fake_embedder):
    bot = bot_over(loaded, fake_embedder, dense_weight=0.6)
    vector = np.zeros(fake_embedder.dimension)
    german = bot.retriever.query("Was ist Arctic Sentry?", vector)
    english = bot.retriever.query("Which headquarters were handed over?", vector)
    assert german.recognised == pytest.approx(1.0)
    assert english.recognised < 0.5
    assert bot.retriever.dense_weight(german) == pytest.approx(0.6)
    assert 0.6 < bot.retriever.dense_weight(english) <= 1.0
    fixed = bot_over(loaded, fake_embedder, dense_weight=0.6, adaptive=False)
    assert fixed.retriever.dense_weight(english) == pytest.approx(0.6)


def test_an_faq_entry_does_not_answer_a_question_of_another_kind(loaded, fake_embedder):
    bot = bot_over(loaded, fake_embedder)
    faq = "Warum versäumen die USA NATO-Treffen?"
    assert bot.answer(faq).kind is AnswerKind.FAQ
    other_kind = "Wann versäumen die USA NATO-Treffen?"  # same words but one: a time, not a reason
    first, second = fake_embedder.embed([faq, other_kind], Role.QUERY)
    assert first @ second >= FAKE_CALIBRATION.faq_match  # similar enough to match, but for kind
    assert bot.answer(other_kind).kind is not AnswerKind.FAQ
    ranked = bot.retriever.rank(bot.retriever.query(other_kind, second))
    (row,) = [r for r in bot.index.faq_rows if loaded.passages[r].question == faq]
    assert ranked.question_similarity[ranked.rows.tolist().index(row)] == -1.0


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("How many former US ambassadors signed the joint statement?", "ehemalige US-Botschafter"),
        ("Which exercises does the Arctic mission combine?", "Cold Response"),
        ("Wer nahm statt des Ministers teil?", "an Hegseths Stelle teilnahm"),
    ],
)
def test_the_sentence_that_says_the_question_in_other_words_covers_it_most(
    search_index, loaded, question, said
):
    words = search_index.question_words(search_index.analyzer.words(question))
    covered = {
        (row, number): soft
        for row in range(len(loaded.passages))
        for number, soft in enumerate(search_index.soft_coverage(row, words))
    }
    row, number = max(covered, key=covered.__getitem__)
    start, end = loaded.passages[row].sentences[number]
    assert said in loaded.passages[row].text[start:end]


def test_a_word_held_in_another_form_counts_fully(search_index, loaded):
    """ "geführt" holds "führt" (as `coverage` finds it), however far apart their vectors."""
    words = search_index.question_words(["führt", "mission"])
    row, number = next(
        (row, number)
        for row, passage in enumerate(loaded.passages)
        for number, (start, end) in enumerate(passage.sentences)
        if "Die Mission, geführt vom" in passage.text[start:end]
    )
    assert search_index.soft_coverage(row, words)[number] == pytest.approx(1.0)


def test_a_question_without_words_covers_nothing(search_index):
    words = search_index.question_words(search_index.analyzer.words("Wer? 2026!"))
    assert words.vectors.shape[0] == 0 and not search_index.soft_coverage(0, words).any()
