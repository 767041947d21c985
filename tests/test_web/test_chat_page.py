"""The web app's handlers and server, in-process with the fake model: bounded sessions,
votes once per answer and session, logs that fail without breaking answers, operators
only behind a password."""

import html
import json
import threading

import gradio as gr
import pytest
from starlette.testclient import TestClient

from bot import Answer, AnswerKind
from bot.inputs import MAX_INPUT_CHARS, MAX_QUESTION_CHARS
from conftest import converse
from index import build_lock
from index.progress import BuildProgress, Stage
from index.settings import ServerSettings
from web import admin_page, chat_page, server
from web.feedback import FeedbackLog
from web.sessions import AnswerRegistry, Conversations


@pytest.fixture
def service(fake_service):
    return fake_service


@pytest.fixture
def feedback(tmp_path):
    return FeedbackLog(tmp_path / "logs")


@pytest.fixture
def chat(service, feedback):
    return chat_page.ChatHandlers(service, feedback)


def like(index: int, liked) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "…", "liked": liked})


def test_a_conversation_keeps_a_token_and_the_server_the_bounded_question(chat):
    long = "Was kostet die Bahnreform? " + "Bahn " * 50_000
    history, token, records = converse(chat, long)
    assert set(records) == set(range(1, len(history)))  # every message but the question
    (answer_id,) = set(records.values())
    assert len(chat.answers.given(token, answer_id).question) <= 1000
    assert isinstance(token, str) and len(token) == 22


def test_the_question_shows_at_once_with_the_answer_pending(chat):
    shown, _, token, pending = chat.ask("  Was kostet die Bahnreform?  ", None)
    history = shown["value"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == "Was kostet die Bahnreform?"
    assert history[1]["metadata"]["status"] == "pending"
    assert token is None and len(chat.conversations) == 0  # an answer starts a conversation
    answered, _, token, _ = chat.respond(pending, token)
    assert answered["value"][0] == history[0] and len(chat.conversations.answer_ids(token)) == 1


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_input_adds_nothing(chat, empty):
    before, token, _ = converse(chat, "Was kostet die Bahnreform?")
    shown, _, same, pending = chat.ask(empty, token)
    assert shown["value"] == before and same == token and pending is None
    assert chat.respond(pending, token)[0]["value"] == before


@pytest.mark.parametrize(
    ("votes", "expected", "lines"),
    [
        pytest.param([True] * 30, (1, 0), 1, id="thirty-likes-count-once"),
        pytest.param([True, False], (0, 1), 2, id="a-changed-vote-replaces"),
        pytest.param([True, ""], (0, 0), 2, id="a-retraction-removes"),
        pytest.param([False, "", True], (1, 0), 3, id="retracted-then-liked"),
        pytest.param([False, "Unvollständig"], (0, 1), 2, id="what-was-missing"),
        pytest.param(["Spam"], (0, 0), 0, id="unknown-feedback-ignored"),
        pytest.param(["Unvollständig"] * 2, (0, 1), 1, id="a-reason-sent-twice-counts-once"),
    ],
)
def test_votes_count_once_per_answer_and_conversation(chat, feedback, votes, expected, lines):
    _, token, records = converse(chat, "Was kostet die Bahnreform?")
    for liked in votes:
        chat.vote(records, token, like(1, liked))
    counts = feedback.vote_counts()
    assert (counts.up, counts.down) == expected
    written = feedback.votes_path.read_text().splitlines() if feedback.votes_path.exists() else []
    assert len(written) == lines
    assert all(json.loads(line)["session"] == token for line in written)


def test_a_reason_is_logged_with_the_vote(chat, feedback):
    _, token, records = converse(chat, "Was kostet die Bahnreform?")
    chat.vote(records, token, like(1, "Quelle passt nicht"))
    (line,) = feedback.votes_path.read_text().splitlines()
    assert json.loads(line) | {"vote": "down", "reason": "Quelle passt nicht"} == json.loads(line)


@pytest.mark.parametrize(
    ("other", "index"),
    [
        pytest.param(True, 1, id="another-conversation"),
        pytest.param(False, 0, id="the-question-itself"),
        pytest.param(False, 99, id="no-such-message"),
    ],
)
def test_votes_on_answers_not_given_to_this_conversation_are_ignored(chat, feedback, other, index):
    _, token, records = converse(chat, "Was kostet die Bahnreform?")
    if other:
        _, token, _ = converse(chat, "Was kostet die Bahnreform?")
    chat.vote(records, token, like(index, True))
    assert not feedback.votes_path.exists()


@pytest.mark.parametrize("greeting", ["Hallo!", "Danke!"])
def test_greetings_cannot_be_voted_on(chat, feedback, greeting):
    _, token, records = converse(chat, greeting)
    chat.vote(records, token, like(1, True))
    assert records and not feedback.votes_path.exists()


def test_the_server_forgets_the_oldest_answers_first():
    registry = AnswerRegistry(capacity=2)
    reply = Answer("Antwort", (), True, 0.9)
    first, second, third = (registry.remember("s", f"Frage {n}", reply) for n in range(3))
    assert registry.given("s", first) is None and len(registry) == 2
    assert registry.given("s", third).question == "Frage 2"
    assert registry.given("t", second) is None


def test_the_server_forgets_the_oldest_conversations_and_turns_first():
    conversations = Conversations(capacity=2, turns=3)
    first, second = conversations.start(), conversations.start()
    for number in range(5):
        conversations.add(first, f"a{number}")  # the first becomes the newest
    third = conversations.start()
    assert conversations.answer_ids(first) == ("a2", "a3", "a4")
    assert not conversations.known(second) and conversations.known(third)


@pytest.mark.parametrize(
    "stored", [None, "", 42, ["x"], "../../etc/passwd", "a" * 22, "<script>x</script>" * 2]
)
def test_a_reload_restores_only_a_conversation_the_server_knows(chat, stored):
    shown, token, records, _ = chat.restore(stored)
    assert (shown["value"], token, records) == ([], None, {})


def test_a_reload_restores_the_conversation_and_its_votes(chat):
    before, token, records = converse(chat, "Was kostet die Bahnreform?")
    converse(chat, "Hallo!", token)
    after, token, records = converse(chat, "Was kostet die Bahnreform?", token)
    chat.vote(records, token, like(max(records), True))
    chat.vote(records, token, like(min(records), "Unvollständig"))
    shown, same, restored, _ = chat.restore(token)
    assert (shown["value"], same, restored) == (after, token, records)
    assert shown["feedback_value"] == ["Unvollständig", None, "Like"]  # one per answer
    assert before == after[: len(before)]


def test_a_new_conversation_forgets_the_old_one(chat):
    _, token, _ = converse(chat, "Was kostet die Bahnreform?")
    shown, token_after, records = chat.new_conversation(token)
    assert (shown["value"], shown["feedback_value"], token_after, records) == ([], [], None, {})
    assert chat.restore(token)[0]["value"] == []


class StubBot:
    def __init__(self, titles: list[str], examples: tuple[str, ...]) -> None:
        self._titles, self._examples = titles, examples

    def titles(self) -> list[str]:
        return self._titles

    def example_questions(self, n: int) -> tuple[str, ...]:
        return self._examples[:n]


class StubService:
    bot: StubBot | None = None


def test_the_start_page_follows_the_index_in_use(feedback):
    service = StubService()
    chat = chat_page.ChatHandlers(service, feedback)
    assert "den Dokumenten" in chat.restore(None)[3]
    service.bot = StubBot(["NATO-Krise 2026: Die Allianz ohne die USA"], ("Was ist NATO 3.0?",))
    shown, _, _, header = chat.restore(None)
    assert "<h1>Fragen zu NATO-Krise 2026</h1>" in header
    assert shown["examples"] == [{"text": "Was ist NATO 3.0?"}]
    service.bot = StubBot(["NATO-Krise 2026: Die Allianz", "Reiserichtlinie"], ("Wer zahlt?",))
    shown, _, _, header = chat.restore(None)
    assert "<h1>Fragen zu NATO-Krise 2026 und 1 weiteren Dokument</h1>" in header
    assert "„Reiserichtlinie“" in header and shown["examples"] == [{"text": "Wer zahlt?"}]
    titled = chat_page.ChatHandlers(service, feedback, display_title="<b>Reisen</b> & NATO")
    assert "<h1>Fragen zu &lt;b>Reisen&lt;/b> & NATO</h1>" in titled.restore(None)[3]


@pytest.mark.parametrize(
    ("titles", "heading"),
    [
        ([], "den Dokumenten"),
        (["Reiserichtlinie 2026"], "Reiserichtlinie 2026"),
        (["NATO-Krise 2026: US-Abwesenheit löst Allianzsorgen aus"], "NATO-Krise 2026"),
        (["Ein Titel ohne Doppelpunkt, der viel zu lang für eine Überschrift auf dem Telefon ist"],
         "Ein Titel ohne Doppelpunkt, der viel zu lang für eine …"),
        (["A", "B", "C"], "A und 2 weiteren Dokumenten"),
    ],
)  # fmt: skip
def test_a_short_heading_is_made_from_the_titles(titles, heading):
    assert chat_page.short_title(titles) == heading
    assert len(heading) <= chat_page.SHORT_TITLE_CHARS + 2


def test_the_conversation_is_kept_by_the_server_as_answer_ids(chat):
    token = None
    for number in range(chat_page.MAX_TURNS + 3):
        history, token, records = converse(chat, f"Was kostet die Bahnreform? {number}", token)
    conversation = chat.conversations.answer_ids(token)
    assert len(conversation) == chat_page.MAX_TURNS  # the oldest turns dropped out
    questions = [m["content"] for m in history if m["role"] == "user"]
    assert len(questions) == chat_page.MAX_TURNS and questions[-1].endswith(
        f"{chat_page.MAX_TURNS + 2}"
    )
    assert all(history[index]["role"] == "assistant" for index in records)
    assert set(records.values()) == set(conversation)


def test_follow_ups_are_read_against_the_earlier_questions(chat, monkeypatch):
    asked = []
    real = chat.service.answer
    monkeypatch.setattr(
        chat.service, "answer", lambda q, history=(): asked.append(list(history)) or real(q)
    )
    token = None
    for question in ["Erste?", "Zweite?", "Dritte?", "Vierte?", "Fünfte?"]:
        _, token, _ = converse(chat, question, token)
    assert asked[0] == [] and asked[1] == ["Erste?"]
    assert asked[-1] == ["Zweite?", "Dritte?", "Vierte?"]  # the last few only


@pytest.mark.parametrize("history", ["Erste?", [1, 2], [None], {"q": "Erste?"}])
def test_the_api_refuses_a_history_that_is_no_list_of_questions(chat, history):
    reply = chat.api_answer("Was kostet die Bahnreform?", history)
    assert reply["text"] == chat_page.HISTORY_REFUSED and not reply["answered"]


def test_a_vote_is_logged_at_most_a_few_times_per_answer(chat, feedback):
    _, token, records = converse(chat, "Was kostet die Bahnreform?")
    for liked in [True, False] * 20:
        chat.vote(records, token, like(1, liked))
    assert len(feedback.votes_path.read_text().splitlines()) == chat_page.MAX_VOTE_CHANGES


def test_a_failing_log_never_breaks_an_answer_and_the_operator_sees_it(service, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    feedback = FeedbackLog(blocker / "logs")  # every write fails
    history, *_ = converse(
        chat_page.ChatHandlers(service, feedback), "Wie backe ich einen Apfelkuchen?"
    )
    assert history[-1]["content"].startswith("<p>Dazu habe ich") and feedback.failures == 1
    status = admin_page.AdminHandlers(service, feedback).status()
    assert "1 Eintrag ins Protokoll" in status and "konnte nicht geschrieben werden" in status


@pytest.mark.parametrize("question", [None, 42, ["Frage"], {"text": "Frage"}])
def test_forged_questions_add_nothing_to_the_chat(chat, question):
    before, token, _ = converse(chat, "Was kostet die Bahnreform?")
    assert converse(chat, question, token)[0] == before
    assert chat.api_answer(question)["text"] == chat_page.QUESTION_REFUSED


def test_the_rebuild_reports_progress_and_a_third_rebuild_is_refused(
    service, feedback, monkeypatch
):
    started, release = threading.Event(), threading.Event()
    places_taken = []  # the waiting place of the build lock, each time it is taken

    class WatchedLock(build_lock.FileLock):
        def acquire(self, *args, **kwargs):
            held = super().acquire(*args, **kwargs)
            if self.lock_file.endswith(".waiting.lock"):
                places_taken.append(threading.current_thread().name)
            return held

    monkeypatch.setattr(build_lock, "FileLock", WatchedLock)
    real_build = service.builder

    def slow_build(data_dir, index_dir, model, on_progress, **settings):
        on_progress(BuildProgress(Stage.EMBED, 1, 2))
        started.set()
        release.wait(20)
        return real_build(data_dir, index_dir, model, on_progress, **settings)

    service.builder = slow_build
    admin = admin_page.AdminHandlers(service, feedback)
    first = admin.rebuild()
    next(first)
    assert started.wait(10)
    assert "Abschnitte einbetten 50\u00a0%" in html.unescape(next(first)[0])
    waiting = threading.Thread(target=lambda: list(admin.rebuild()))
    waiting.start()
    while len(places_taken) < 2:  # the second one has taken the waiting place
        threading.Event().wait(0.01)
    refused = list(admin.rebuild())[-1][0]
    assert "✗ Es läuft schon ein Neuaufbau und ein weiterer wartet" in html.unescape(refused)
    release.set()
    final = html.unescape(list(first)[-1][0])
    waiting.join(20)
    assert "✗" not in final and "Fertig: 3 Dokumente sind jetzt im Einsatz" in final


@pytest.mark.parametrize(
    ("password", "admin_config"),
    [(None, 404), ("ein-langes-betriebs-passwort", 401)],
)
def test_operator_pages_exist_only_with_a_password_and_only_after_login(
    service, feedback, password, admin_config
):
    with TestClient(server.make_server(service, feedback, password)) as client:
        assert client.get("/config").status_code == 200
        assert client.get("/admin/config").status_code == admin_config
        assert client.post("/gradio_api/upload", content=b"x").status_code == 403
        typed = client.get("/admin", follow_redirects=False)  # as people type it
        if password is None:
            assert typed.status_code == 404
        else:
            assert (typed.status_code, typed.headers["location"]) == (308, "/admin/")
            assert client.get("/admin").status_code == 200  # the login page
        if password is not None:
            login = {"username": "admin", "password": password}
            assert client.post("/admin/login", data=login).status_code == 200
            assert client.get("/admin/config").status_code == 200
            admin_page = client.get("/admin/").headers
            assert admin_page["content-security-policy"] == "frame-ancestors 'none'"
            assert admin_page["x-frame-options"] == "DENY"
        chat_page_headers = client.get("/").headers  # the chat may be embedded (?embed=1)
        assert "x-frame-options" not in chat_page_headers
        assert "frame-ancestors" not in chat_page_headers.get("content-security-policy", "")


@pytest.mark.parametrize(
    ("value", "outcome"),
    [("", None), ("kurz", ValueError), ("x" * 16, "x" * 16)],
)
def test_the_operator_password_comes_from_the_environment_and_must_be_long(
    monkeypatch, value, outcome
):
    monkeypatch.setenv("FAQBOT_ADMIN_PASSWORD", value)
    if outcome is ValueError:
        with pytest.raises(ValueError, match="at least 16 characters"):
            ServerSettings()
    else:
        assert ServerSettings().admin_password == outcome


def test_forged_answers_are_shown_as_failures_not_raised(service, feedback, monkeypatch):
    def broken(question, history=()):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(service, "answer", broken)
    reply = chat_page.ChatHandlers(service, feedback).api_answer("Was kostet die Bahnreform?")
    assert (
        reply["kind"] == AnswerKind.UNAVAILABLE.value and reply["text"] == chat_page.FAILED_MESSAGE
    )


def test_a_long_paste_reaches_the_server_which_says_it_read_only_the_start(service, feedback):
    """The input takes twice what is read, so that a paste cut by the browser does not
    vanish without a word: the answer's notice says what was read."""
    with TestClient(server.make_server(service, feedback)) as client:
        components = client.get("/config").json()["components"]
    (box,) = [c for c in components if c.get("props", {}).get("elem_id") == "question"]
    assert box["props"]["max_length"] == MAX_INPUT_CHARS
    reply = service.answer("Was ist Arctic Sentry? " + "bitte " * (MAX_INPUT_CHARS // 6))
    assert reply.notices and f"{MAX_QUESTION_CHARS} Zeichen" in reply.notices[0]
