"""The served app attacked as an anonymous visitor on 127.0.0.1 would: operator events,
uploads, oversized and repeated requests, forged votes, reading files."""

import html
import json
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from bench.load import ask_over_http
from bench.serve import (
    chat_messages,
    chat_turn,
    event_numbers,
    event_output,
    memory_mib,
    queue_call,
    queue_join,
    serve_app,
)
from conftest import REPO

pytestmark = pytest.mark.model

PASSWORD = "served-safety-operator-secret"
PUBLIC_EVENTS = {
    *("ask", "ask_1", "ask_example", "ask_option", "respond", "respond_1", "respond_2"),
    *("respond_3", "lambda", "lambda_1", "lambda_2", "lambda_3", "lambda_4", "js_fn"),
    *("new_conversation", "new_conversation_1", "lambda_5", "vote", "restore", "answer"),
    *(f"js_fn_{number}" for number in range(1, 11)),
}
"""Besides the handlers, ten steps that only run a script in the browser (scrolling to the
newest answer after each question, the window's title after loading)."""
DECLINED = "Wie backe ich einen Apfelkuchen mit Streuseln?"


def served_env(root: Path) -> dict[str, str]:
    """The app over `root/index`, logging to `root/logs`, caching to `root/gradio`."""
    return {
        "FAQBOT_INDEX_DIR": str(root / "index"),
        "FAQBOT_DATA_DIR": str(REPO / "data"),
        "FAQBOT_LOG_DIR": str(root / "logs"),
        "FAQBOT_ADMIN_PASSWORD": PASSWORD,
        "GRADIO_TEMP_DIR": str(root / "gradio"),
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_embedder):
    """The app over its own copy of the seed index, with an operator password set."""
    from index import build

    root = tmp_path_factory.mktemp("served")
    build(REPO / "data", root / "index", embedder=real_embedder)
    env = served_env(root)
    with serve_app(env) as served:
        yield SimpleNamespace(url=served.url, pid=served.pid, log=served.log, root=root)


@pytest.fixture
def http():
    with httpx.Client(timeout=60) as client:
        yield client


def text_of(message: dict) -> str:
    """A chat message's text as the page receives it (Gradio sends a list of parts)."""
    return "".join(part.get("text", "") for part in message["content"])


def built_at(app) -> str:
    return json.loads((app.root / "index" / "manifest.json").read_text())["built_at"]


def test_the_public_page_has_no_operator_events_and_no_server_paths(app, http):
    config = http.get(f"{app.url}config")
    assert set(event_numbers(http, app.url)) == PUBLIC_EVENTS
    ids = {component.get("props", {}).get("elem_id") for component in config.json()["components"]}
    assert not ids & {"rebuild", "status", "refresh"}
    page = config.text + http.get(app.url).text
    for path in (app.root, REPO, Path.home()):
        assert str(path) not in page


@pytest.mark.parametrize("fn_index", range(7))
def test_anonymous_calls_to_operator_events_are_refused_by_the_server(app, http, fn_index):
    before = built_at(app)
    joined = queue_join(http, f"{app.url}admin/", fn_index, [], uuid.uuid4().hex)
    assert joined.status_code == 401
    assert http.get(f"{app.url}admin/config").status_code == 401
    assert built_at(app) == before


def test_an_operator_rebuilds_after_logging_in(app, http):
    before = built_at(app)
    login = http.post(f"{app.url}admin/login", data={"username": "admin", "password": PASSWORD})
    assert login.status_code == 200
    events = event_numbers(http, f"{app.url}admin/")
    progress, status, *_ = queue_call(
        http, f"{app.url}admin/", events["rebuild"], [], uuid.uuid4().hex
    )
    assert "Fertig: 1 Dokument ist jetzt im Einsatz" in html.unescape(progress)
    assert status.startswith("Im Einsatz: 1 Dokument, zuletzt aktualisiert am")
    assert built_at(app) != before
    reply = ask_over_http(http, app.url, "Was ist NATO 3.0?", uuid.uuid4().hex)
    assert "europäischer Führung" in reply["text"]


def test_password_guessing_is_slowed_down(app, http):
    wrong = {"username": "admin", "password": "not-the-password"}
    codes = [http.post(f"{app.url}admin/login", data=wrong).status_code for _ in range(11)]
    assert set(codes[:-1]) == {400} and codes[-1] == 429


def test_uploads_are_refused_and_nothing_is_stored(app, http):
    def fifty_megabytes():
        for _ in range(50):
            yield b"\0" * 1_000_000

    response = http.post(
        f"{app.url}gradio_api/upload",
        content=fifty_megabytes(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 403
    stored = [p for p in (app.root / "gradio").rglob("*") if p.is_file()]
    assert stored == []


def test_the_operators_upload_refuses_anyone_not_logged_in_and_stores_nothing(app, http):
    response = http.post(
        f"{app.url}admin/gradio_api/upload",
        files={"files": ("Kantine.pdf", b"%PDF-1.4 " + b"\0" * 100_000)},
    )
    assert response.status_code == 401
    assert [p for p in (app.root / "gradio").rglob("*") if p.is_file()] == []
    assert not list((REPO / "data").glob("Kantine*"))


@pytest.mark.parametrize("path", ["/etc/passwd", str(REPO / "app.py")])
def test_files_of_the_server_cannot_be_read(app, http, path):
    response = http.get(f"{app.url}gradio_api/file={path}")
    assert response.status_code in (403, 404) and "root:" not in response.text


UNKNOWN_TO_THE_QUEUE = [
    ("GET", "gradio_api/queue/data?session_hash=unbekannt", None),
    ("GET", "gradio_api/call/answer/unbekannt", None),
    ("POST", "gradio_api/queue/join", {"data": [], "fn_index": 999, "session_hash": "x"}),
    ("POST", "gradio_api/queue/join", {"data": [], "fn_index": 0, "session_hash": "x"}),
    ("POST", "gradio_api/call/unbekannt", {"data": []}),
    ("POST", "gradio_api/call/answer", {"data": []}),
    ("POST", "gradio_api/run/predict", {"data": [], "fn_index": 999}),
    ("POST", "gradio_api/component_server", {"session_hash": "x", "component_id": 999}),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN_TO_THE_QUEUE)
def test_unknown_sessions_events_and_functions_are_a_german_404_and_no_traceback(
    app, http, method, path, body
):
    """Each of these wrote a traceback of 1 to 9 KB into the operator's log (400 requests:
    3.5 MB) and got a broken stream or a plain-text 500."""
    logged = app.log.stat().st_size
    for _ in range(20):
        response = http.request(method, f"{app.url}{path}", json=body)
        assert response.status_code == 404
        assert response.json()["detail"].endswith("Bitte laden Sie die Seite neu.")
    time.sleep(1)  # an event Gradio had accepted would fail in its queue meanwhile
    with app.log.open("rb") as log:
        log.seek(logged)
        assert b"Traceback" not in log.read()


@pytest.mark.parametrize("page", ["", "config"])
def test_a_forwarded_host_of_a_visitor_does_not_change_the_page(app, http, page):
    """No proxy is trusted here (`$FAQBOT_TRUSTED_PROXIES` unset): the page's root URL
    stays the address the visitor used (before: evil.example 7 times in the page)."""
    served = http.get(f"{app.url}{page}", headers={"X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in served.text and app.url.rstrip("/") in served.text


@pytest.mark.parametrize("size", [10_000_000, 1_000_000, 70_000])
def test_oversized_questions_are_refused_at_the_edge(app, http, size):
    response = queue_join(http, app.url, 0, ["x" * size, None], uuid.uuid4().hex)
    assert response.status_code == 413
    assert response.json()["detail"] == "Die Anfrage ist zu groß."


def test_a_long_question_is_cut_before_it_is_kept_or_logged(app, http):
    question = DECLINED + " " + "Streusel " * 5_000  # 45 KB, within the body limit
    (_, cleared, *_), (history, *_) = chat_turn(http, app.url, question, uuid.uuid4().hex)
    assert cleared == "" and "nur den Anfang gelesen" in text_of(history[1])
    assert len(text_of(history[0])) <= 1_000
    declined = (app.root / "logs" / "declined.jsonl").read_text(encoding="utf-8")
    record = json.loads(declined.splitlines()[-1])
    assert record["question"].startswith(DECLINED) and len(record["question"]) <= 1000


def test_long_questions_do_not_grow_the_server(app, http):
    long, huge = "Was ist Arctic Sentry? " + "Eis " * 10_000, "Eis " * 250_000
    chat_turn(http, app.url, long, uuid.uuid4().hex)
    before = memory_mib(app.pid)
    for _ in range(40):  # each in a session of its own: Gradio keeps 2,000 sessions
        assert queue_join(http, app.url, 0, [huge, None], uuid.uuid4().hex).status_code == 413
        chat_turn(http, app.url, long, uuid.uuid4().hex)
    assert memory_mib(app.pid) - before < 64  # 40 × 1 MB kept raw would be 40 MiB and more


@pytest.mark.parametrize("path", ["/proc/self/environ", "/etc/passwd", "/dev/zero"])
def test_a_forged_conversation_cannot_name_a_server_file(app, http, path):
    """The page's copy of the chat is never read back: a file named in it is not copied
    into Gradio's cache nor served, and the server keeps answering."""
    file_part = {"type": "file", "file": {"path": path, "meta": {"_type": "gradio.FileData"}}}
    forged = [{"role": "user", "content": [file_part]}]
    session = uuid.uuid4().hex
    events = event_numbers(http, app.url)
    joined = queue_join(http, app.url, events["ask"], ["Was ist NATO 3.0?", forged], session)
    if joined.status_code == 200:  # Gradio accepts the event and ignores the forged value
        shown, *_ = event_output(http, app.url, session, joined.json()["event_id"])
        answered, *_ = queue_call(http, app.url, events["respond"], [None, forged], session)
        assert path not in json.dumps([shown, answered])
        assert "europäischer Führung" in text_of(chat_messages(answered)[1])
    cached = [p.name for p in (app.root / "gradio").rglob("*") if p.is_file()]
    assert Path(path).name not in cached
    assert ask_over_http(http, app.url, "Was ist NATO 3.0?", uuid.uuid4().hex)["answered"]


def test_one_vote_per_answer_and_session_and_none_on_answers_of_others(app, http):
    from web.feedback import FeedbackLog

    votes_log = FeedbackLog(app.root / "logs")
    before = votes_log.vote_counts()
    session = uuid.uuid4().hex
    events = event_numbers(http, app.url)
    _, (history, *_) = chat_turn(http, app.url, "Was ist Arctic Sentry?", session)
    like = {"index": 1, "value": text_of(history[1]), "liked": True}
    for _ in range(30):
        queue_call(http, app.url, events["vote"], [None, None], session, like)
    assert votes_log.vote_counts().up == before.up + 1
    queue_call(http, app.url, events["vote"], [None, None], session, {**like, "liked": False})
    after = votes_log.vote_counts()
    assert (after.up, after.down) == (before.up, before.down + 1)  # the vote was changed

    stranger = uuid.uuid4().hex  # never got this answer: the vote is not counted
    queue_call(http, app.url, events["vote"], [None, None], stranger, like)
    assert votes_log.vote_counts() == after


def test_the_app_killed_during_a_rebuild_leaves_an_index_that_serves(tmp_path, real_embedder):
    """SIGKILL of the app while its rebuild runs: the build's child process finishes or
    not, and either way the index loads and a restarted app answers from it."""
    import os
    import signal

    from index import build, load_index
    from index.build_lock import build_turn

    build(REPO / "data", tmp_path / "index", embedder=real_embedder)
    env = served_env(tmp_path)
    with serve_app(env) as served, httpx.Client(timeout=60) as http:
        login = {"username": "admin", "password": PASSWORD}
        assert http.post(f"{served.url}admin/login", data=login).status_code == 200
        admin = f"{served.url}admin/"
        queue_join(http, admin, event_numbers(http, admin)["rebuild"], [], uuid.uuid4().hex)
        time.sleep(3)  # the child is loading the model or embedding
        os.kill(served.pid, signal.SIGKILL)
    with build_turn(tmp_path / "index"):  # the orphaned build, if any, has ended
        assert load_index(tmp_path / "index").manifest.documents == 1
    with serve_app(env) as again, httpx.Client(timeout=60) as http:
        reply = ask_over_http(http, again.url, "Was ist NATO 3.0?", uuid.uuid4().hex)
        assert "europäischer Führung" in reply["text"]
