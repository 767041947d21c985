"""The web app's handlers and server, in-process with the fake model: bounded sessions,
votes once per answer and session, logs that fail without breaking answers, operators
only behind a password."""

import html
import threading
from types import SimpleNamespace

import gradio as gr
import pytest
from starlette.testclient import TestClient

import app as web
from bot import Answer, AnswerKind
from bot.feedback import FeedbackLog
from bot.sessions import AnswerRegistry


@pytest.fixture
def service(fake_service):
    return fake_service


@pytest.fixture
def feedback(tmp_path):
    return FeedbackLog(tmp_path / "logs")


@pytest.fixture
def chat(service, feedback):
    return web.ChatHandlers(service, feedback)


def visitor(session: str) -> SimpleNamespace:
    return SimpleNamespace(session_hash=session)


def like(index: int, liked) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "…", "liked": liked})


def test_a_session_keeps_answer_ids_and_the_server_the_bounded_question(chat):
    long = "Was kostet die Bahnreform? " + "Bahn " * 50_000
    history, cleared, _, records = chat.respond(long, [], visitor("a"))
    assert cleared == "" and set(records) == set(range(1, len(history)))  # all but the question
    (answer_id,) = set(records.values())
    given = chat.answers.given("a", answer_id)
    assert given is not None and len(given.question) <= 1000
    assert all(isinstance(value, str) and len(value) == 16 for value in records.values())


@pytest.mark.parametrize(
    ("votes", "expected", "lines"),
    [
        pytest.param([True] * 30, (1, 0), 1, id="thirty-likes-count-once"),
        pytest.param([True, False], (0, 1), 2, id="a-changed-vote-replaces"),
        pytest.param([True, ""], (0, 0), 2, id="a-retraction-removes"),
        pytest.param([False, "", True], (1, 0), 3, id="retracted-then-liked"),
        pytest.param(["Spam"], (0, 0), 0, id="unknown-feedback-ignored"),
    ],
)
def test_votes_count_once_per_answer_and_session(chat, feedback, votes, expected, lines):
    *_, records = chat.respond("Was kostet die Bahnreform?", [], visitor("a"))
    state = {}
    for liked in votes:
        state = chat.vote(records, state, visitor("a"), like(1, liked))
    counts = feedback.vote_counts()
    assert (counts.up, counts.down) == expected
    written = feedback.votes_path.read_text().splitlines() if feedback.votes_path.exists() else []
    assert len(written) == lines


@pytest.mark.parametrize(
    ("session", "index"),
    [
        pytest.param("b", 1, id="another-session"),
        pytest.param("a", 0, id="the-question-itself"),
        pytest.param("a", 99, id="no-such-message"),
    ],
)
def test_votes_on_answers_not_given_to_this_session_are_ignored(chat, feedback, session, index):
    *_, records = chat.respond("Was kostet die Bahnreform?", [], visitor("a"))
    assert chat.vote(records, {}, visitor(session), like(index, True)) == {}
    assert not feedback.votes_path.exists()


def test_the_server_forgets_the_oldest_answers_first():
    registry = AnswerRegistry(capacity=2)
    reply = Answer("Antwort", (), True, 0.9)
    first, second, third = (registry.remember("s", f"Frage {n}", reply) for n in range(3))
    assert registry.given("s", first) is None and len(registry) == 2
    assert registry.given("s", third).question == "Frage 2"
    assert registry.given("t", second) is None


def test_the_conversation_is_kept_by_the_server_as_answer_ids(chat):
    conversation = []
    for number in range(web.MAX_TURNS + 3):
        history, _, conversation, records = chat.respond(
            f"Was kostet die Bahnreform? {number}", conversation, visitor("a")
        )
    assert len(conversation) == web.MAX_TURNS  # the oldest turns dropped out
    questions = [m["content"] for m in history if m["role"] == "user"]
    assert len(questions) == web.MAX_TURNS and questions[-1].endswith(f"{web.MAX_TURNS + 2}")
    assert all(history[index]["role"] == "assistant" for index in records)
    assert set(records.values()) == set(conversation)


def test_a_vote_is_logged_at_most_a_few_times_per_answer(chat, feedback):
    *_, records = chat.respond("Was kostet die Bahnreform?", [], visitor("a"))
    state = {}
    for liked in [True, False] * 20:
        state = chat.vote(records, state, visitor("a"), like(1, liked))
    assert len(feedback.votes_path.read_text().splitlines()) == web.MAX_VOTE_CHANGES


def test_a_failing_log_never_breaks_an_answer_and_the_operator_sees_it(service, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    feedback = FeedbackLog(blocker / "logs")  # every write fails
    history, *_ = web.ChatHandlers(service, feedback).respond(
        "Wie backe ich einen Apfelkuchen?", [], visitor("a")
    )
    assert "faqbot-declined" in history[-1]["content"] and feedback.failures == 1
    status = web.AdminHandlers(service, feedback).status()
    assert "1 Einträge konnten nicht geschrieben werden" in status


@pytest.mark.parametrize("question", [None, 42, ["Frage"], {"text": "Frage"}])
def test_forged_questions_get_a_german_reply(chat, question):
    history, *_ = chat.respond(question, [], visitor("a"))
    assert web.FAILED_MESSAGE.split(",")[0] in history[-1]["content"].replace("&#44;", ",")


def test_the_rebuild_reports_progress_and_a_third_rebuild_is_refused(service, feedback):
    started, release = threading.Event(), threading.Event()
    real_build = service.builder

    def slow_build(data_dir, index_dir, model, on_progress):
        on_progress("Embedding: 50%")
        started.set()
        release.wait(20)
        return real_build(data_dir, index_dir, model, on_progress)

    service.builder = slow_build
    admin = web.AdminHandlers(service, feedback)
    first = admin.rebuild()
    next(first)
    assert started.wait(10)
    assert "Embedding: 50%" in html.unescape(next(first))
    waiting = threading.Thread(target=lambda: list(admin.rebuild()))
    waiting.start()
    while not service._waiting.locked():  # the second one has taken the waiting place
        threading.Event().wait(0.01)
    refused = list(admin.rebuild())[-1]
    assert refused.startswith("❌ Neuaufbau fehlgeschlagen") and "waiting" in refused
    release.set()
    final = list(first)[-1]
    waiting.join(20)
    assert "❌" not in final and "gebaut" in final


@pytest.mark.parametrize(
    ("password", "admin_config"),
    [(None, 404), ("ein-langes-betriebs-passwort", 401)],
)
def test_operator_pages_exist_only_with_a_password_and_only_after_login(
    service, feedback, password, admin_config
):
    with TestClient(web.make_server(service, feedback, password)) as client:
        assert client.get("/config").status_code == 200
        assert client.get("/admin/config").status_code == admin_config
        assert client.post("/gradio_api/upload", content=b"x").status_code == 403
        if password is not None:
            login = {"username": "admin", "password": password}
            assert client.post("/admin/login", data=login).status_code == 200
            assert client.get("/admin/config").status_code == 200


@pytest.mark.parametrize(
    ("value", "outcome"),
    [("", None), ("kurz", ValueError), ("x" * 16, "x" * 16)],
)
def test_the_operator_password_comes_from_the_environment_and_must_be_long(
    monkeypatch, value, outcome
):
    monkeypatch.setenv(web.ADMIN_PASSWORD_ENV, value)
    if outcome is ValueError:
        with pytest.raises(ValueError, match="at least 16 characters"):
            web.admin_password()
    else:
        assert web.admin_password() == outcome


def test_forged_answers_are_shown_as_failures_not_raised(service, feedback, monkeypatch):
    def broken(question):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(service, "answer", broken)
    reply = web.ChatHandlers(service, feedback).api_answer("Was kostet die Bahnreform?")
    assert reply["kind"] == AnswerKind.UNAVAILABLE.value and reply["text"] == web.FAILED_MESSAGE
