"""Follow-up questions: the pure reading of a question in its conversation (`bot.followup`),
the bot and service answering with a history, and the dialogue set on the seed article."""

import json
from dataclasses import replace

import pytest

import bot as bot_package
from bench.dialogues import load_dialogues, score_dialogues
from bot import Bot, BotSettings
from bot.answers import AnswerKind
from bot.followup import Dependence, dependence, resolve, topic_phrases, with_topic
from bot.inputs import clean_history
from bot.wording import ABOUT_PREVIOUS
from conftest import FAKE_CALIBRATION, SEED, write_file
from index import build
from web.service import BotService

# ------------------------------------------------------------------ the pure reading


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Was hat er gesagt?", Dependence.STRONG),
        ("Wann fand es statt?", Dependence.STRONG),
        ("Und warum?", Dependence.STRONG),
        ("Wofür?", Dependence.STRONG),
        ("Welche Rolle spielt dabei die Ukraine-Hilfe?", Dependence.STRONG),
        ("Was geschah damals dort?", Dependence.STRONG),
        ("Was bedeutet das?", Dependence.STRONG),
        ("Seit wann gibt es die?", Dependence.STRONG),
        ("Wer leitet den?", Dependence.STRONG),
        ("What did he say?", Dependence.STRONG),
        ("And why?", Dependence.STRONG),
        ("Und Boris Pistorius?", Dependence.ELLIPSIS),
        ("Was ist mit Frankreich?", Dependence.ELLIPSIS),
        ("And Mark Rutte?", Dependence.ELLIPSIS),
        ("Und was ist Arctic Sentry?", Dependence.UNSURE),
        ("Wie viele Soldaten?", Dependence.UNSURE),
        ("NATO 3.0?", Dependence.UNSURE),
        ("Was ist Arctic Sentry?", Dependence.NONE),
        ("Was ist Arctic Sentry und wer führt sie?", Dependence.NONE),
        ("Gibt es eine Mission in der Arktis?", Dependence.NONE),
        ("Können Sie mir sagen, wer Mark Rutte ist?", Dependence.NONE),
        ("Was ist das Ziel für Verteidigungsausgaben?", Dependence.NONE),
        ("Wer leitet die Mission in der Arktis?", Dependence.NONE),
        ("Who leads Arctic Sentry?", Dependence.NONE),
    ],
)
def test_dependence_on_the_previous_turn(question, expected):
    assert dependence(question) is expected


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Wer ist Mark Rutte?", ("Mark Rutte",)),
        ("Was ist NATO 3.0?", ("NATO 3.0",)),
        ("Könnten die USA die NATO verlassen?", ("USA", "NATO")),
        ("Was sagten die ehemaligen US-Botschafter?", ("US-Botschafter",)),
        ("Wie viel Geld sagt Großbritannien zu?", ("Geld", "Großbritannien")),
        ("What is Arctic Sentry?", ("Arctic Sentry",)),
        ("Mark Rutte?", ("Mark Rutte",)),
        ("wie alt ist er?", ()),
    ],
)
def test_topic_phrases_are_names_first(question, topic):
    assert topic_phrases(question) == topic


@pytest.mark.parametrize(
    ("frame", "fragment", "expected"),
    [
        ("Was forderte Elbridge Colby?", "Und Boris Pistorius?", "Was forderte Boris Pistorius?"),
        ("Was sagte die isländische Außenministerin?", "And Mark Rutte?", "Was sagte Mark Rutte?"),
        ("Wer fehlte beim vorherigen Außenministertreffen?", "Und beim Gipfel?",
         "Wer fehlte beim Gipfel?"),
        ("Was hat er gesagt?", "Und Boris Pistorius?", "Was hat Boris Pistorius gesagt?"),
        ("was kostet das?", "Und NATO 3.0?", "was kostet NATO 3.0?"),
        ("wie teuer ist es genau", "Und Berlin?", "wie teuer ist Berlin genau"),
        ("wie teuer genau", "Und Berlin?", "wie teuer genau Berlin?"),
        ("Und warum?", "Und Boris Pistorius?", "Warum Boris Pistorius?"),
        ("aber was kostet das?", "Und NATO 3.0?", "Was kostet NATO 3.0?"),
    ],
)  # fmt: skip
def test_an_ellipsis_takes_the_previous_question_with_its_own_topic(frame, fragment, expected):
    assert with_topic(frame, fragment) == expected


def test_a_question_without_history_is_read_as_typed():
    resolution = resolve("Was hat er gesagt?", [])
    assert resolution.standalone and resolution.readings[0].context == ""


def test_a_pronoun_is_read_with_the_previous_topic():
    resolution = resolve("Was hat er gesagt?", ["Wer ist Mark Rutte?"])
    (reading,) = resolution.readings
    assert reading.context == "Bezogen auf Mark Rutte"
    assert "Mark Rutte" in reading.query and reading.query.startswith("Was hat er gesagt?")


def test_the_chain_is_read_turn_by_turn():
    history = ["Welches Treffen hat Pete Hegseth verpasst?", "Wann fand es statt?"]
    (reading,) = resolve("Wer nahm an seiner Stelle teil?", history).readings
    assert reading.context == "Bezogen auf Pete Hegseth" and "Hegseth" in reading.query


def test_a_new_topic_replaces_the_old_one():
    history = ["Wer ist Mark Rutte?", "Was ist Arctic Sentry?"]
    (reading,) = resolve("Wer führt sie?", history).readings
    assert reading.context == "Bezogen auf Arctic Sentry" and "Rutte" not in reading.query


def test_a_question_that_names_no_name_keeps_the_conversation_topic():
    history = ["Was ist Arctic Sentry?", "Wer führt die Mission?"]
    assert resolve("Wer führt die Mission?", history[:1]).standalone
    (reading,) = resolve("Welche Übungen integriert sie?", history).readings
    assert reading.context == "Bezogen auf Arctic Sentry"


def test_an_unsure_question_is_asked_as_typed_first():
    resolution = resolve("Und was ist Arctic Sentry?", ["Was ist NATO 3.0?"])
    typed, contextual = resolution.readings
    assert typed.query == "Und was ist Arctic Sentry?" and typed.context == ""
    assert contextual.context == "Bezogen auf NATO 3.0"


def test_an_ellipsis_says_how_it_was_read():
    first, typed = resolve("Und Boris Pistorius?", ["Was forderte Elbridge Colby?"]).readings
    assert first.query == "Was forderte Boris Pistorius?"
    assert first.context == "Verstanden als „Was forderte Boris Pistorius?“"
    assert typed.query == "Und Boris Pistorius?"


def test_only_the_last_turns_count():
    history = ["Wer ist Mark Rutte?", "Und warum?", "Und wann?", "Wofür?"]
    (reading,) = resolve("Was geschah dabei?", history).readings
    assert "Rutte" not in reading.query and reading.context == ABOUT_PREVIOUS


def test_an_independent_question_after_a_topic_is_untouched():
    assert resolve("Was ist Arctic Sentry?", ["Wer ist Mark Rutte?"]).standalone


# ------------------------------------------------------------------ inputs


@pytest.mark.parametrize("history", ["Wer ist Mark Rutte?", b"Frage", 42, None, {"a": 1}])
def test_history_must_be_a_sequence_of_strings(history):
    with pytest.raises(TypeError, match="history must be a sequence of str"):
        clean_history(history)


@pytest.mark.parametrize("history", [[1], ["Frage", None], ("Frage", b"Frage")])
def test_history_items_must_be_strings(history):
    with pytest.raises(TypeError, match="history must hold str"):
        clean_history(history)


def test_history_is_cut_to_its_last_turns_and_cleaned():
    history = [1, "eins", "zwei\x00", "drei\n" + "x" * 2000]  # only the last three are read
    kept = clean_history(history, max_chars=100)
    assert [q.text for q in kept[:2]] == ["eins", "zwei"]
    assert len(kept) == 3 and kept[2].truncated and len(kept[2].text) <= 100


# ------------------------------------------------------------------ the bot, fake model

KIELER = "# Kieler Woche\n\nDie Kieler Woche findet jedes Jahr im Juni in Kiel statt.\n\n" \
    "Zur Kieler Woche kommen rund drei Millionen Besucher.\n"  # fmt: skip
ZUGSPITZE = "# Zugspitzbahn\n\nDie Zugspitzbahn fährt seit 1930 auf die Zugspitze.\n\n" \
    "Zur Zugspitzbahn kommen jährlich rund 500.000 Besucher.\n"  # fmt: skip


@pytest.fixture
def two_topics(tmp_path, fake_embedder):
    """A synthetic corpus where only the conversation tells which topic a question means."""
    write_file(tmp_path / "data" / "kiel.md", KIELER)
    write_file(tmp_path / "data" / "zugspitze.md", ZUGSPITZE)
    build(tmp_path / "data", tmp_path / "index", embedder=fake_embedder)
    settings = BotSettings(calibration=FAKE_CALIBRATION, answer_threshold=0.0)
    return Bot.load(tmp_path / "index", embedder=fake_embedder, settings=settings)


@pytest.mark.parametrize(
    ("earlier", "fact", "topic"),
    [
        ("Wann findet die Kieler Woche statt?", "drei Millionen", "Kieler Woche"),
        ("Seit wann fährt die Zugspitzbahn?", "500.000", "Zugspitzbahn"),
    ],
)
def test_the_previous_turn_decides_what_a_pronoun_means(two_topics, earlier, fact, topic):
    reply = two_topics.answer("Wie viele Besucher kommen dorthin?", [earlier])
    assert reply.context == f"Bezogen auf {topic}"
    assert reply.text.startswith(f"Bezogen auf {topic}: ") and fact in reply.text
    assert reply.to_json()["context"] == reply.context


@pytest.mark.parametrize(
    ("history", "question", "context"),
    [
        (["Wer ist Mark Rutte?", "Und warum?", "Und wann?", "Wofür?"], "Was geschah dabei?", ""),
        (["Seit wann fährt die Zugspitzbahn?"], "Wie viele Gäste kommen dorthin?",
         "Bezogen auf Zugspitzbahn"),
    ],
)  # fmt: skip
def test_a_decline_names_the_topic_it_was_read_with_never_the_bare_previous_question(
    two_topics, history, question, context
):
    declining = Bot(two_topics.content, two_topics.embedder, BotSettings(
        calibration=FAKE_CALIBRATION, answer_threshold=1.01
    ))  # fmt: skip
    reply = declining.answer(question, history)
    assert reply.kind.value == "declined" and reply.context == context
    assert not reply.text.startswith(ABOUT_PREVIOUS)
    assert reply.text.startswith(f"{context}: " if context else "Dazu habe ich")


def test_no_history_answers_as_before(two_topics):
    for question in ("Wann findet die Kieler Woche statt?", "Wie viele Besucher kommen?"):
        reply = two_topics.answer(question)
        assert reply == two_topics.answer(question, ()) and reply.context == ""


def test_greetings_and_empty_input_ignore_history(two_topics):
    history = ["Wann findet die Kieler Woche statt?"]
    assert two_topics.answer("Danke!", history) == two_topics.answer("Danke!")
    assert two_topics.answer("  ", history) == two_topics.answer("")


def test_a_greeting_between_questions_sets_no_topic(two_topics):
    history = ["Seit wann fährt die Zugspitzbahn?", "Danke!", ""]
    reply = two_topics.answer("Wie viele Besucher kommen dorthin?", history)
    assert reply.context == "Bezogen auf Zugspitzbahn" and "500.000" in reply.text


def test_an_independent_question_is_answered_as_without_history(two_topics):
    question = "Seit wann fährt die Zugspitzbahn?"
    history = ["Wann findet die Kieler Woche statt?"]
    assert two_topics.answer(question, history) == two_topics.answer(question)


def test_a_follow_up_embeds_its_reading_and_the_question_it_quotes_for(two_topics, fake_embedder):
    """Two embeddings, not one per earlier turn: the reading finds the passages, the
    question as typed chooses the sentences to quote."""
    question = "Wie viele Besucher kommen dorthin?"
    before = len(fake_embedder.embedded)
    reply = two_topics.answer(question, ["Wann findet die Kieler Woche statt?"])
    assert reply.context and reply.citations
    embedded = fake_embedder.embedded[before:]
    assert len(embedded) == 2 and embedded[-1] == question and "Kieler Woche" in embedded[0]


def test_a_follow_up_that_asks_something_else_is_not_given_the_faq_answer(tmp_path, fake_embedder):
    """The earlier topic in the reading makes "Und was fordert Huber dabei?" look like the
    FAQ question "Was ist Bergwacht 2.0?"; the question as typed asks something else, so
    the sentences that answer it are quoted instead of that FAQ entry's answer."""
    faq = {
        "question": "Was ist Bergwacht 2.0?",
        "answer": "Bergwacht 2.0 ist die neue Ordnung der Rettung im Gebirge.",
    }
    write_file(tmp_path / "data" / "faq.jsonl", json.dumps(faq, ensure_ascii=False) + "\n")
    write_file(
        tmp_path / "data" / "bergwacht.md",
        "# Bergwacht\n\nDie Bergwacht 2.0 ordnet "
        "die Rettung neu. Ministerin Huber forderte diesen Umbau ausdrücklich.\n",
    )
    build(tmp_path / "data", tmp_path / "index", embedder=fake_embedder)
    calibration = replace(FAKE_CALIBRATION, faq_match=0.5)
    bot = Bot.load(
        tmp_path / "index",
        embedder=fake_embedder,
        settings=BotSettings(calibration=calibration, answer_threshold=0.0),
    )
    assert bot.answer("Was ist Bergwacht 2.0?").kind is AnswerKind.FAQ
    reply = bot.answer("Und was fordert Huber dabei?", ["Was ist Bergwacht 2.0?"])
    assert reply.kind is AnswerKind.ANSWER and reply.context == "Bezogen auf Bergwacht 2.0"
    assert "Huber forderte diesen Umbau" in reply.text


@pytest.mark.parametrize("history", ["Frage", [None]])
def test_bad_history_is_a_type_error(two_topics, history):
    with pytest.raises(TypeError):
        two_topics.answer("Wer?", history)


def test_top_level_answer_checks_history_before_loading():
    with pytest.raises(TypeError, match="history"):
        bot_package.answer("Was hat er gesagt?", "Wer ist Mark Rutte?")


def test_service_passes_history_through(fake_service):
    reply = fake_service.answer("Was hat er gesagt?", ["Wer ist Mark Rutte?"])
    assert reply.context == "Bezogen auf Mark Rutte"


def test_unavailable_service_still_checks_history(tmp_path, fake_embedder, fake_settings):
    service = BotService(
        tmp_path / "none", tmp_path, embedder=fake_embedder, settings=fake_settings
    )
    assert service.bot is None
    assert not service.answer("Frage", ["früher"]).answered
    with pytest.raises(TypeError):
        service.answer("Frage", "früher")


# ------------------------------------------------------------------ the seed article, real model

DIALOGUES = load_dialogues()

FOLLOWUP_TARGET = 0.80
"""Follow-ups answered with an expected fact; measured 0.850 (34/40; 17/40 without
history). It was 0.875 while answers quoted three sentences in source order; quoting the
best sentence first and a second only when it likely adds the answer (issue 18) cost two
follow-ups whose fact stood in the second or third sentence ("Was sagten sie über die
Kosten?"); fitting the confidence model on one-article indexes too won "Und wann?" back.
Resolution ties 39 of the 40 to the earlier turns; the other misses: near-topic details
the article does not give ("Wie alt ist er?") are answered, as their standalone forms
are (the confidence model)."""
TIED_TARGET = 0.85
"""Follow-ups read with the earlier turns at all: what the resolution itself decides."""
UNCHANGED_TARGET = 0.90


def test_dialogue_set_is_written_from_the_article():
    article = SEED.read_text(encoding="utf-8")
    assert len(DIALOGUES) >= 30 and all(2 <= len(turns) <= 3 for turns in DIALOGUES)
    turns = [turn for dialogue in DIALOGUES for turn in dialogue]
    assert not any(dialogue[0]["followup"] for dialogue in DIALOGUES)
    for turn in turns:
        if isinstance(turn["expected"], list):
            assert all(fact in article for fact in turn["expected"]), turn
        else:
            assert turn["expected"] in ("declined", "greeting"), turn
    later = [turn for dialogue in DIALOGUES for turn in dialogue[1:]]
    assert sum(t["followup"] for t in later) >= 30 and sum(not t["followup"] for t in later) >= 15
    forms = {t.get("form") for t in later if t["followup"]}
    assert {"pronoun", "why", "ellipsis", "english"} <= forms


@pytest.fixture(scope="module")
def seed_bot(seed_index, real_embedder):
    return Bot.load(seed_index, embedder=real_embedder)


@pytest.fixture(scope="module")
def dialogue_scores(seed_bot):
    return score_dialogues(seed_bot, DIALOGUES)


@pytest.mark.model
def test_follow_ups_are_answered_with_an_expected_fact(dialogue_scores):
    scores = dialogue_scores
    assert scores.followups_expected >= FOLLOWUP_TARGET * scores.followups, scores.misses
    assert scores.followups_tied >= TIED_TARGET * scores.followups, scores.misses


@pytest.mark.model
def test_independent_turns_are_answered_as_without_history(dialogue_scores):
    scores = dialogue_scores
    assert scores.independent_unchanged >= UNCHANGED_TARGET * scores.independent, scores.misses


@pytest.mark.model
def test_seed_questions_without_history_answer_as_before(seed_bot):
    data = json.loads((SEED.parents[1] / "tests" / "data" / "seed_questions.json").read_text())
    for question in [item["question"] for item in data["in_scope"]] + data["out_of_scope"]:
        reply = seed_bot.answer(question)
        assert reply.context == "" and not reply.text.startswith(("Bezogen", "Verstanden"))
        assert seed_bot.answer(question, ()) == reply
        assert seed_bot.answer(question, ["Danke!", ""]) == reply
