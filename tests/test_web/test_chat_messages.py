"""Chat rendering, the feedback log, and the rebuildable service (fake embedder)."""

import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot import Answer, AnswerKind, Hit, wording
from bot.pipeline import BotSettings
from conftest import FAKE_CALIBRATION, converse
from web.chat_messages import answer_messages, highlighted, shown
from web.feedback import FeedbackLog
from web.service import BotService
from web.sources import source_link

FAKE_SETTINGS = BotSettings(calibration=FAKE_CALIBRATION)

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    "**fett** _kursiv_ [link](javascript:alert(1)) `code` # Titel",
    "$x^2$ \\(y\\) &amp; &lt;",
]


class Markup(HTMLParser):
    """What a browser makes of an HTML fragment: its tags with their attributes, and the
    text it shows (character references resolved)."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize("text", HOSTILE)
def test_shown_text_is_no_markup_and_reads_as_typed(text):
    markup = Markup(shown(text))
    assert markup.tags == [] and markup.text == text


@pytest.mark.parametrize(
    "text",
    ["Straße, Gedankenstrich – „Zitat“ & § 5 % 3 < 4 > 2", "Grüße 3,5 % שלום 日本 e\u0301 🙂"],
)
def test_plain_text_is_shown_exactly_as_typed(text):
    assert shown(text) == text  # what is copied and read out is what is seen


def hit(text="Satz eins. Satz zwei.", quoted=((11, 21),), **changes):
    fields = {"doc_id": "d", "text": text, "title": "T", "section": "S", "source": "d.txt"}
    return Hit(**{**fields, "score": 1.0, "passage_id": "p1", "quoted": quoted, **changes})


def test_quoted_sentences_are_highlighted_in_the_passage():
    assert highlighted(hit()) == "Satz eins. <mark>Satz zwei.</mark>"


def test_answer_markers_and_sources_link_to_the_cited_passage():
    reply = Answer("Satz zwei. [1]", (hit(),), True, 0.9)
    answer, sources = answer_messages(reply)
    assert answer["role"] == sources["role"] == "assistant"
    answer_markup, sources_markup = Markup(answer["content"]), Markup(sources["content"])
    assert answer_markup.text == reply.text  # the marker is a link, the text unchanged
    (marker,) = [attrs for tag, attrs in answer_markup.tags if tag == "a"]
    (source,) = [attrs for tag, attrs in sources_markup.tags if tag == "a"]
    assert marker["href"] == source["href"] == source_link(hit())
    assert marker["title"].startswith("Quelle 1: T")  # what "[1]" is, to ear and mouse
    assert sources["metadata"] == {"title": "Quellen (1)", "status": "done"}
    assert "<mark>Satz zwei.</mark>" in sources["content"]
    assert "[1] T › S" in sources_markup.text or "[1] T" in sources_markup.text


@pytest.mark.parametrize(
    ("text", "context", "short", "span"),
    [
        ("Die NATO hat 32 Mitglieder. [1]", "", "32 Mitglieder", (13, 26)),
        ("Bezogen auf NATO: Die NATO hat <b>32</b> Mitglieder. [1]", "Bezogen auf NATO", "NATO",
         (4, 8)),
        ("Die 2024 erweiterte NATO wurde 1949 gegründet, 2024 war sie 75. [1]", "", "2024",
         (47, 51)),
    ],
)  # fmt: skip
def test_the_short_answer_is_bold_where_its_span_says(text, context, short, span):
    reply = Answer(text, (hit(),), True, 0.9, context=context, short=short, short_span=span)
    (answer, _) = answer_messages(reply)
    assert Markup(answer["content"]).text == text  # bold adds no characters
    assert answer["content"].count("<strong>") == 1
    start = len(context) + 2 if context else 0
    before = answer["content"].split("<strong>")[0]
    assert Markup(before).text == text[: start + span[0]]  # that occurrence, no other
    assert f"<strong>{short}</strong>" in answer["content"]


@pytest.mark.parametrize(("short", "span"), [("", (0, 0)), ("33", (13, 15)), ("32", (0, 2))])
def test_no_bold_without_a_short_answer_where_its_span_says(short, span):
    reply = Answer("Die NATO hat 32 Mitglieder. [1]", (hit(),), True, 0.9, short=short,
                   short_span=span)  # fmt: skip
    (answer, _) = answer_messages(reply)
    assert "<strong>" not in answer["content"]


def test_declined_answer_offers_its_questions_once_as_buttons():
    reply = Answer(
        "Nichts gefunden. Vielleicht:\n- Was ist X?\n- Was ist Y?",
        (),
        False,
        0.1,
        AnswerKind.DECLINED,
        ("Was ist X?", "Was ist Y?"),
    )
    (message,) = answer_messages(reply)
    assert message["content"] == "<p>Nichts gefunden. Vielleicht:</p>"
    assert [option["value"] for option in message["options"]] == ["Was ist X?", "Was ist Y?"]


def test_a_hand_over_and_a_notice_stand_apart_from_what_was_found():
    text = wording.declined((), notices=("Gekürzt.",), handover="Fragen Sie Team X.")
    (message,) = answer_messages(Answer(text, (), False, 0.1, AnswerKind.DECLINED))
    assert message["content"] == (
        f"<p>{wording.NOTHING_FOUND}</p><p>Fragen Sie Team X.</p>"
        '<p class="faqbot-notice">Hinweis: Gekürzt.</p>'
    )


@pytest.mark.parametrize(
    ("kind", "rated"),
    [(AnswerKind.GREETING, False), (AnswerKind.HINT, False), (AnswerKind.DECLINED, True)],
)
def test_only_answers_to_questions_can_be_voted_on(kind, rated):
    (message,) = answer_messages(Answer.saying("Hallo!", kind))
    assert ('class="faqbot-unrated"' not in message["content"]) is rated


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_document_text_is_rendered_as_text(text):
    reply = Answer(f"{text} [1]", (hit(text=text, quoted=((0, len(text)),)),), True, 0.9)
    for message in answer_messages(reply):
        markup = Markup(message["content"])
        assert {tag for tag, _ in markup.tags} <= {"a", "mark", "p", "br", "em"}
        assert all(attrs["href"].startswith("quelle/") for tag, attrs in markup.tags if tag == "a")
        assert text in markup.text


def test_feedback_lines_are_valid_json_under_concurrent_writers(tmp_path):
    log = FeedbackLog(tmp_path / "logs")
    reply = Answer("Antwort [1]", (hit(),), True, 0.8)
    declined = Answer("Nichts.", (), False, 0.1, AnswerKind.DECLINED, ("Frage?",))

    def write(n):
        for i in range(25):
            log.vote(f"s{n}", f"a{i}", f"Frage {n}-{i}", reply, "up" if i % 2 == 0 else "down")
            log.declined(f"Unbekannt {n}-{i}", declined)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    votes = [json.loads(line) for line in log.votes_path.read_text().splitlines()]
    assert len(votes) == 200
    assert set(votes[0]) >= {"time", "question", "answer", "citation_ids", "vote"}
    assert votes[0]["citation_ids"] == ["p1"] and {v["vote"] for v in votes} == {"up", "down"}
    declines = [json.loads(line) for line in log.declined_path.read_text().splitlines()]
    assert len(declines) == 200 and declines[0]["suggestions"] == ["Frage?"]


@pytest.fixture
def service(fake_service):
    return fake_service


def test_rebuild_swaps_to_the_new_index_and_new_documents_answer(service, small_corpus):
    before = service.bot
    assert service.status().manifest.documents == 3
    (small_corpus / "wale.txt").write_text(
        "Wale\n\nFAQ\n\nWie groß wird ein Blauwal?\n\nEin Blauwal wird bis zu 30 Meter lang.",
        encoding="utf-8",
    )
    manifest = service.rebuild()
    assert manifest.documents == 4 and service.bot is not before
    reply = service.answer("Wie groß wird ein Blauwal?")
    assert "30 Meter" in reply.text and reply.citations[0].doc_id == "wale.txt"


def test_answers_during_a_rebuild_come_from_the_old_bot(service, small_corpus):
    old_bot = service.bot
    started, release = threading.Event(), threading.Event()
    real_build = service.builder

    def slow_build(*args, **settings):
        started.set()
        release.wait(10)
        return real_build(*args, **settings)

    service.builder = slow_build
    worker = threading.Thread(target=service.rebuild)
    worker.start()
    started.wait(10)
    assert service.status().rebuilding
    assert service.bot is old_bot
    assert service.answer("Was ist Arctic Sentry?").answered
    release.set()
    worker.join(10)
    assert not service.status().rebuilding and service.bot is not old_bot


def test_a_broken_index_is_reported_and_a_rebuild_repairs_it(service, tmp_path, fake_embedder):
    vectors = Path(service.index_dir).resolve() / "passages.faiss"
    vectors.write_bytes(vectors.read_bytes()[:50])
    broken = BotService(
        service.index_dir,
        service.data_dir,
        embedder=fake_embedder,
        settings=FAKE_SETTINGS,
        builder=service.builder,
    )
    assert broken.bot is None and "passages.faiss" in broken.status().error
    reply = broken.answer("Was ist Arctic Sentry?")
    assert reply.kind is AnswerKind.UNAVAILABLE and not reply.answered
    assert reply.text.startswith("Ich kann gerade nicht antworten")
    broken.rebuild()
    assert broken.answer("Was ist Arctic Sentry?").answered


def test_a_torn_last_line_is_cut_before_the_next_append(tmp_path):
    log = FeedbackLog(tmp_path)
    reply = Answer("Antwort", (), True, 0.8)
    log.vote("s", "a1", "erste", reply, "up")
    with log.votes_path.open("a") as out:
        out.write('{"time": "2026-11-27", "question": "abgebroch')  # a writer killed mid-line
    log.vote("s", "a2", "zweite", reply, "down")
    lines = [json.loads(line) for line in log.votes_path.read_text().splitlines()]
    assert [line["question"] for line in lines] == ["erste", "zweite"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: (d / "passages.faiss").write_bytes(b"kaputt"), id="truncated-faiss"),
        pytest.param(lambda d: (d / "bm25" / "params.index.json").unlink(), id="deleted-bm25"),
        pytest.param(
            lambda d: (d / "manifest.json").write_text(
                (d / "manifest.json")
                .read_text()
                .replace('"format_version": 2', '"format_version": 0')
            ),
            id="other-format",
        ),
        pytest.param(
            lambda d: (d / "manifest.json").write_text(
                (d / "manifest.json").read_text().replace('"model": "fake', '"model": "andere')
            ),
            id="other-model",
        ),
        pytest.param(
            lambda d: (d / "manifest.json").write_text(
                re.sub(
                    r'"passages": (\d+)',
                    lambda m: f'"passages": {int(m[1]) + 1}',
                    (d / "manifest.json").read_text(),
                    count=1,
                )
            ),
            id="count-disagrees",
        ),
    ],
)
def test_app_shows_a_damaged_index_and_offers_the_rebuild(service, fake_embedder, damage, tmp_path):
    from web.admin_page import AdminHandlers
    from web.chat_page import ChatHandlers

    damage(Path(service.index_dir).resolve())
    broken = BotService(
        service.index_dir,
        service.data_dir,
        embedder=fake_embedder,
        settings=FAKE_SETTINGS,
        builder=service.builder,
    )
    feedback = FeedbackLog(tmp_path / "logs")
    admin = AdminHandlers(broken, feedback)
    assert "keinen nutzbaren Index" in admin.status()
    history, *_ = converse(ChatHandlers(broken, feedback), "Was ist Arctic Sentry?")
    assert "Ich kann gerade nicht antworten" in history[-1]["content"]
    *_, (_, final_status, *_) = admin.rebuild()
    assert final_status.startswith("Im Einsatz: 3 Dokumente")
    assert broken.answer("Was ist Arctic Sentry?").kind is AnswerKind.FAQ


def test_concurrent_answers_during_rebuilds_never_mix_versions(service, small_corpus):
    versions = [{p.passage_id for p in service.bot.content.passages}]
    stop, failures, replies = threading.Event(), [], []

    def ask_until_stopped():
        while not stop.is_set():
            try:
                replies.append(service.answer("Was kostet die Bahnreform?"))
            except Exception as error:  # any error fails the test below
                failures.append(error)

    askers = [threading.Thread(target=ask_until_stopped) for _ in range(4)]
    for thread in askers:
        thread.start()
    for cost in ("13", "14", "15"):
        (small_corpus / "bahn.md").write_text(
            f"# Bahnreform 2027\n\n## Kosten\n\nDie Reform kostet rund {cost} Milliarden Euro.\n"
        )
        service.rebuild()
        versions.append({p.passage_id for p in service.bot.content.passages})
    stop.set()
    for thread in askers:
        thread.join()
    assert failures == [] and len(replies) > 10
    for reply in replies:
        cited = {hit.passage_id for hit in reply.citations}
        assert any(cited <= ids for ids in versions), "an answer mixed two index versions"
    assert "15 Milliarden" in service.answer("Was kostet die Bahnreform?").text
