"""The answer pipeline's mechanics, on a small corpus with the fake embedder.

Thresholds are pinned per test (always answer / always decline), because the confidence
model is calibrated for the real embedder; its quality is tested in test_quality.py.
"""

import re
from dataclasses import FrozenInstanceError

import pytest

from bot import Answer, AnswerKind, Bot, BotSettings, Hit, wording
from conftest import FAKE_CALIBRATION
from index import IndexMismatchError, build


@pytest.fixture
def index_dir(small_corpus, tmp_path, fake_embedder):
    out = tmp_path / "index"
    build(small_corpus, out, embedder=fake_embedder)
    return out


def make_bot(index_dir, embedder, threshold):
    return Bot.load(
        index_dir,
        embedder=embedder,
        settings=BotSettings(answer_threshold=threshold, calibration=FAKE_CALIBRATION),
    )


@pytest.fixture
def answering(index_dir, fake_embedder):
    return make_bot(index_dir, fake_embedder, threshold=0.0)


@pytest.fixture
def declining(index_dir, fake_embedder):
    return make_bot(index_dir, fake_embedder, threshold=1.01)


def test_hits_and_answers_are_frozen():
    hit = Hit("d", "t", "T", "S", "s.txt", 1.0)
    with pytest.raises(FrozenInstanceError):
        hit.score = 2.0
    with pytest.raises(FrozenInstanceError):
        Answer("x", (), True, 1.0).text = "y"


def test_search_returns_k_hits_best_first_with_citation_fields(answering):
    hits = answering.search("Wie viel kostet die Bahnreform?", k=4)
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    top = hits[0]
    assert (top.doc_id, top.source, top.section) == ("bahn.md", "bahn.md", "Kosten")
    assert top.text == "Die Reform kostet rund 12 Milliarden Euro bis 2030."


def test_faq_question_lands_on_its_answer(answering):
    reply = answering.answer("Was ist Arctic Sentry?")
    assert reply.kind is AnswerKind.FAQ and reply.answered
    (citation,) = reply.citations
    assert citation.question == "Was ist Arctic Sentry?"
    assert reply.text == f"{citation.text} [1]"
    assert citation.quoted == ((0, len(citation.text)),)


def test_answers_quote_verbatim_with_markers_in_citation_order(answering):
    reply = answering.answer("Welche Maßnahmen zeigen die Europäisierung der Verteidigung?")
    assert reply.kind is AnswerKind.ANSWER and reply.citations
    parts = [(text, int(n)) for text, n in re.findall(r"(.+?) \[(\d+)\](?: |$)", reply.text)]
    assert 1 <= len(parts) <= 3
    markers = [n for _, n in parts]
    assert sorted(set(markers)) == list(range(1, len(reply.citations) + 1))
    assert markers[0] == 1
    for sentence, marker in parts:
        citation = reply.citations[marker - 1]
        assert sentence in citation.text
        assert any(citation.text[s:e] == sentence for s, e in citation.quoted)


def test_decline_is_german_and_offers_corpus_questions(declining):
    reply = declining.answer("Wie backe ich einen Apfelkuchen?")
    assert reply.kind is AnswerKind.DECLINED and not reply.answered
    assert reply.citations == ()
    assert reply.text.startswith("Dazu habe ich in meinen Quellen leider nichts gefunden.")
    assert 1 <= len(reply.suggestions) <= 3
    faq_questions = {p.question for p in declining.content.passages if p.question}
    assert set(reply.suggestions) <= faq_questions
    assert all(f"- {s}" in reply.text for s in reply.suggestions)


@pytest.mark.parametrize(
    ("titles", "named"),
    [
        (["Dienstreiserichtlinie 2026"], "zu „Dienstreiserichtlinie 2026“"),
        (["A", "B"], "zu „A“ und „B“"),
        (["A", "B", "C", "D"], "zu „A“ und „B“ und 2 weiteren Dokumenten"),
    ],
)
def test_the_greeting_names_the_sources_without_calling_them_articles(titles, named):
    text = wording.greeting(titles, ("Wer darf reisen?",), thanks=False)
    assert f"Ich beantworte Fragen {named} und zitiere dabei die Quellen." in text
    assert "Artikel" not in text


HANDOVER = "Weiter hilft Ihnen das Servicebüro: service@example.org, Tel. 0711 123-456."


def test_the_operators_handover_line_follows_every_decline_and_nothing_else(
    index_dir, fake_embedder
):
    settings = {"calibration": FAKE_CALIBRATION, "handover": HANDOVER}
    declines = Bot.load(
        index_dir, embedder=fake_embedder,
        settings=BotSettings(answer_threshold=1.01, **settings),
    )  # fmt: skip
    reply = declines.answer("Wie backe ich einen Apfelkuchen?")
    assert reply.kind is AnswerKind.DECLINED
    assert reply.text.endswith(f"\n\n{HANDOVER}")  # after the suggestions, on its own line
    answers = Bot.load(
        index_dir, embedder=fake_embedder, settings=BotSettings(answer_threshold=0.0, **settings)
    )
    assert HANDOVER not in answers.answer("Was ist Arctic Sentry?").text
    assert HANDOVER not in answers.answer("Hallo").text


def test_without_faq_headings_are_suggested(tmp_path, fake_embedder):
    data = tmp_path / "ohne-faq"
    data.mkdir()
    (data / "bahn.md").write_text(
        "# Bahn\n\n## Strecken\n\nNeue Strecken kommen.\n\n## Kosten\n\nEs wird teuer.\n"
    )
    build(data, tmp_path / "i", embedder=fake_embedder)
    bot = make_bot(tmp_path / "i", fake_embedder, threshold=1.01)
    assert set(bot.answer("Apfelkuchen?").suggestions) == {"Strecken", "Kosten"}
    assert set(bot.example_questions()) == {"Strecken", "Kosten"}


HOW_MANY = "Wie viele Schiffe hat die Mission Nordwache?"
NORDWACHE = (
    "Die Mission Nordwache überwacht die Arktis mit {ships}Schiffen und Flugzeugen. Sie "
    "schützt Kabel am Meeresgrund vor Sabotage. Geführt wird sie vom Kommando in Norfolk."
)


@pytest.mark.parametrize(
    ("ships", "question", "answered"),
    [
        ("", HOW_MANY, False),
        ("zwölf ", HOW_MANY, True),
        ("", "Was überwacht die Mission Nordwache?", True),
        ("", "Wie viel kostet die Mission Nordwache?", True),  # "kostenlos" would answer it
        ("", "Wann überwacht die Mission Nordwache die Arktis?", True),  # "werktags" would
    ],
)
def test_how_many_is_declined_where_no_sentence_holds_a_number(
    tmp_path, fake_embedder, ships, question, answered
):
    """Sources on the topic that give no number cannot say how many: the evidence of topic
    alone made "Wie viele Soldaten nehmen an Arctic Sentry teil?" sure at 0.96. Other
    questions are not refused for the want of a pattern."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "nordwache.txt").write_text(NORDWACHE.format(ships=ships))
    build(data, tmp_path / "i", embedder=fake_embedder)
    reply = make_bot(tmp_path / "i", fake_embedder, threshold=0.01).answer(question)
    assert reply.answered is answered
    assert (reply.confidence == 0.0) is not answered


@pytest.mark.parametrize("message", ["Hallo", "Danke!", "Guten Abend", "vielen dank"])
def test_greetings_get_a_friendly_reply_not_a_decline_or_a_passage(declining, message):
    reply = declining.answer(message)
    assert reply.kind is AnswerKind.GREETING and reply.answered
    assert reply.citations == ()
    assert "NATO-Krise 2026" in reply.text  # says what the bot can answer
    assert "Was ist" in reply.text or "Warum" in reply.text  # with an example question


@pytest.mark.parametrize("message", ["", "   ", "\n\t", "\x00\x07"])
def test_empty_input_gets_a_hint_and_no_search(answering, fake_embedder, message):
    fake_embedder.embedded.clear()
    reply = answering.answer(message)
    assert reply.kind is AnswerKind.HINT and not reply.answered
    assert reply.text.startswith("Bitte stellen Sie eine Frage")
    assert fake_embedder.embedded == []
    assert answering.search(message) == []


def test_long_input_is_truncated_with_a_note(answering, fake_embedder):
    fake_embedder.embedded.clear()
    reply = answering.answer("Was ist Arctic Sentry? " + "bitte " * 400)
    assert reply.notices and "1000 Zeichen" in reply.notices[0]
    assert reply.text.endswith("Hinweis: " + reply.notices[0])
    assert max(len(text) for text in fake_embedder.embedded) <= 1000


def test_control_characters_do_not_change_the_answer(answering):
    clean = answering.answer("Was ist Arctic Sentry?")
    assert answering.answer("Was ist\x00 Arctic\x07 Sentry?\x1b") == clean


HOSTILE_OR_ODD = [
    "🙂🙂🙂",
    "مرحبا ما هو الناتو؟",
    "e\u0301\u0301\u0301",
    "?!?!...",
    "<script>alert(1)</script>",
    "'; DROP TABLE passages; --",
    "**fett** _kursiv_ [link](http://x)",
    "\ud800\udfff",
    "日本語の質問",
]


@pytest.mark.parametrize("message", HOSTILE_OR_ODD)
def test_any_unicode_gets_an_answer_and_never_raises(answering, declining, message):
    for bot in (answering, declining):
        reply = bot.answer(message)
        assert isinstance(reply.text, str) and reply.text
        assert 0.0 <= reply.confidence <= 1.0


@pytest.mark.parametrize("question", [None, 3, b"Frage", ["Frage"]])
def test_non_string_raises_type_error(answering, question):
    with pytest.raises(TypeError):
        answering.answer(question)


def test_module_level_answer_rejects_non_strings_before_loading_anything():
    from bot import answer

    with pytest.raises(TypeError):
        answer(123)


def test_an_index_of_another_model_is_refused(index_dir):
    class OtherModel:
        name = "another-model"
        dimension = 64

    with pytest.raises(IndexMismatchError, match="--model another-model"):
        Bot.load(index_dir, embedder=OtherModel())


def test_answer_serializes_to_json(answering):
    data = answering.answer("Was ist Arctic Sentry?").to_json()
    assert set(data) >= {"text", "answered", "confidence", "citations"}
    assert set(data["citations"][0]) >= {"doc_id", "text", "title", "section", "source", "score"}


@pytest.mark.parametrize(
    ("short", "first_line"), [("32", "Kurz: 32"), ("", "Die NATO hat 32. [1]")]
)
def test_the_command_line_shows_the_short_answer_first(short, first_line):
    from bot.__main__ import render

    reply = Answer("Die NATO hat 32. [1]", (), True, 0.9, short=short)
    assert render(reply).splitlines()[0] == first_line
