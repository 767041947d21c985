"""faqbot's web server: the public chat at `/`, the operators' page at `/admin`.

`python app.py` (or `make run`) serves http://127.0.0.1:7860; GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT change host and port. The chat's answer function is also an API
endpoint: `gradio_client.Client(url).predict("Frage", api_name="/answer")`.

The chat page has no administration at all: index status and rebuilds live on a second
Gradio app that exists only when `$FAQBOT_ADMIN_PASSWORD` is set, behind Gradio's login,
which the server checks on every one of its routes. Every request first passes the edge
(`bot.edge`): no uploads, bounded bodies, rate-limited logins.
"""

import hmac
import logging
import os
import threading
import time

from index import config

if config.model_name() in config.BUNDLED_MODELS:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a bundled model never needs the network
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a closed network

from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI

from bot.chat import answer_messages, as_text, user_message
from bot.edge import EdgeGuard
from bot.feedback import FeedbackLog
from bot.inputs import MAX_QUESTION_CHARS, clean_question
from bot.service import BotService, Status
from bot.sessions import AnswerRegistry
from bot.types import Answer, AnswerKind
from index.errors import FaqbotError

log = logging.getLogger("faqbot.app")

CHAT_CONCURRENCY = 8
"""Answers take milliseconds on the CPU; 8 at once keeps both cores busy while a slow one
(a cold cache, a long question) does not hold up the rest."""
QUEUE_SIZE = 256
"""Beyond this many waiting requests, new ones are refused at once instead of piling up."""
MAX_TURNS = 30
"""Questions and answers a conversation shows; older ones drop out of it."""
MAX_VOTE_CHANGES = 5
"""Votes and retractions a session may log per answer: a change of mind is feedback, a
hundred are an attempt to push real votes out of the rotating log."""
ADMIN_PASSWORD_ENV = "FAQBOT_ADMIN_PASSWORD"
ADMIN_USER = "admin"
MIN_ADMIN_PASSWORD_CHARS = 16
"""With 10 login attempts per minute and client, 16 characters cannot be guessed."""
STATUS_INTERVAL_SECONDS = 0.5

CSS = """
.faqbot-declined { border-left: 4px solid #d97706; padding-left: .6em; font-style: italic; }
.faqbot-source { margin: .4em 0 .8em; }
.faqbot-source mark { background: #fde68a; padding: 0 .1em; }
"""
FAILED_MESSAGE = (
    "Entschuldigung, bei dieser Frage ist ein Fehler aufgetreten. "
    "Bitte versuchen Sie es noch einmal oder formulieren Sie die Frage anders."
)

History = list[dict[str, Any]]
Conversation = list[str]
"""A session's conversation: the ids of its answers, oldest first. The server keeps it and
renders the chat from it; the browser's copy of the chat is never read back, so nothing a
visitor sends is taken for part of the conversation."""
Records = dict[int, str]
"""Which chat message shows which answer (message index → answer id)."""
Votes = dict[str, tuple[str | None, int]]
"""This session's standing vote per answer id ("up", "down" or None) and how many times it
was logged."""

VOTES = {True: "up", False: "down", "": None}
"""Gradio's like data: True for 👍, False for 👎, "" when a vote is taken back."""


def bounded(question: Any) -> Any:
    """A question cut to twice the documented length before anything else sees it: enough
    for cleaning to notice it was too long and say so in the answer, which reads, shows,
    logs and remembers at most `MAX_QUESTION_CHARS` of it."""
    return question[: 2 * MAX_QUESTION_CHARS] if isinstance(question, str) else question


def rendered(
    answers: AnswerRegistry, session: str, conversation: Conversation
) -> tuple[History, Records]:
    """The chat messages of a conversation, and which message shows which answer; answers
    the server has forgotten drop out."""
    history: History = []
    records: Records = {}
    for answer_id in conversation:
        given = answers.given(session, answer_id)
        if given is None:
            continue
        history.append(user_message(given.question))
        for message in answer_messages(given.reply):
            records[len(history)] = answer_id
            history.append(message)
    return history, records


class ChatHandlers:
    """The public chat's event handlers: each bounds its input, calls the library, presents."""

    def __init__(
        self, service: BotService, feedback: FeedbackLog, answers: AnswerRegistry | None = None
    ) -> None:
        self.service = service
        self.feedback = feedback
        self.answers = answers or AnswerRegistry()

    def _reply(self, question: Any) -> Answer:
        try:
            return self.service.answer(question)
        except Exception:  # the visitor gets a German message, the operator the traceback
            log.exception("answering failed")
            return Answer(FAILED_MESSAGE, (), False, 0.0, AnswerKind.UNAVAILABLE)

    def respond(
        self,
        question: Any,
        conversation: Conversation,
        request: gr.Request | None = None,
    ) -> tuple[History, str, Conversation, Records]:
        question = bounded(question)
        reply = self._reply(question)
        shown = clean_question(question).text if isinstance(question, str) else ""
        if reply.kind is AnswerKind.DECLINED:
            self.feedback.declined(shown, reply)
        session = _session(request)
        answer_id = self.answers.remember(session, shown, reply)
        conversation = [*(conversation or []), answer_id][-MAX_TURNS:]
        history, records = rendered(self.answers, session, conversation)
        return history, "", conversation, records

    def ask_example(
        self, conversation: Conversation, request: gr.Request, data: gr.SelectData
    ) -> tuple[History, str, Conversation, Records]:
        value = data.value.get("text") if isinstance(data.value, dict) else None
        return self.respond(value, conversation, request)

    def ask_option(
        self, conversation: Conversation, request: gr.Request, data: gr.SelectData
    ) -> tuple[History, str, Conversation, Records]:
        return self.respond(data.value, conversation, request)

    def vote(self, records: Records, votes: Votes, request: gr.Request, data: gr.LikeData) -> Votes:
        """Log a vote, a changed vote or a retraction, once per change and at most
        `MAX_VOTE_CHANGES` times per answer and session, and only on an answer this server
        gave to this session."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        answer_id = (records or {}).get(index)
        given = self.answers.given(_session(request), answer_id) if answer_id else None
        if given is None or data.liked not in VOTES:
            return votes
        vote = VOTES[data.liked]
        standing, changes = (votes or {}).get(answer_id, (None, 0))
        if vote == standing or changes >= MAX_VOTE_CHANGES:
            return votes
        if self.feedback.vote(_session(request), answer_id, given.question, given.reply, vote):
            return {**(votes or {}), answer_id: (vote, changes + 1)}
        return votes

    def api_answer(self, question: str) -> dict:
        """Answer a German (or English) question from the sources, with citations."""
        return self._reply(bounded(question)).to_json()


def _session(request: gr.Request | None) -> str:
    return (request.session_hash if request is not None else None) or "no-session"


def status_markdown(status: Status, data_dir: str) -> str:
    if status.rebuilding:
        waiting = "⏳ Der Index wird neu aufgebaut; bis dahin antworte ich aus dem bisherigen."
        return f"{waiting}  \n{as_text(status.progress)}" if status.progress else waiting
    if status.manifest is None:
        return f"⚠️ Kein Suchindex verfügbar: {as_text(status.error)}"
    m = status.manifest
    built = m.built_at.replace("T", " ").replace("+00:00", " UTC")
    return (
        f"**Korpus:** {as_text(data_dir)} · {m.documents} Dokumente · {m.passages} Passagen · "
        f"{m.faq_entries} FAQ-Einträge · {len(m.skipped)} übersprungen · gebaut "
        f"{as_text(built)} · Modell {as_text(m.model)}"
    )


class AdminHandlers:
    """The operators' page: what is served, how the logs fare, and the rebuild."""

    def __init__(self, service: BotService, feedback: FeedbackLog) -> None:
        self.service = service
        self.feedback = feedback

    def _index_status(self) -> str:
        return status_markdown(self.service.status(), str(self.service.data_dir))

    def _log_status(self) -> list[str]:
        """The votes as they stand and any failed log write: reads every vote file."""
        lines = []
        try:
            votes = self.feedback.vote_counts()
            lines.append(
                f"**Bewertungen:** {votes.up} 👍 · {votes.down} 👎 (je Sitzung und Antwort)"
            )
        except OSError as error:
            lines.append(f"⚠️ **Bewertungen** nicht lesbar: {as_text(str(error))}")
        if self.feedback.failures:
            lines.append(
                f"⚠️ **Protokoll:** {self.feedback.failures} Einträge konnten nicht geschrieben "
                f"werden, zuletzt: {as_text(self.feedback.last_error)}"
            )
        return lines

    def status(self) -> str:
        return "\n\n".join([self._index_status(), *self._log_status()])

    def rebuild(self) -> Iterator[str]:
        """Rebuild in the background and report its progress until it ends; the logs are
        read once, not at every progress report."""
        outcome: list[str] = []

        def run() -> None:
            try:
                self.service.rebuild()
            except FaqbotError as error:
                outcome.append(f"❌ Neuaufbau fehlgeschlagen: {as_text(str(error))}")
            except Exception as error:
                log.exception("rebuild failed")
                outcome.append(f"❌ Neuaufbau fehlgeschlagen: {as_text(type(error).__name__)}")

        log_status = self._log_status()
        worker = threading.Thread(target=run, name="rebuild", daemon=True)
        worker.start()
        while worker.is_alive():
            yield "\n\n".join([self._index_status(), *log_status])
            worker.join(STATUS_INTERVAL_SECONDS)
        yield "\n\n".join([*outcome, self.status()])


def chat_app(handlers: ChatHandlers, examples: tuple[str, ...]) -> gr.Blocks:
    """The public page: the chat, and the `/answer` API endpoint. Nothing else."""
    with gr.Blocks(title="faqbot") as app:
        gr.Markdown("# faqbot\nFragen zu den Artikeln – beantwortet mit Zitaten aus den Quellen.")
        chatbot = gr.Chatbot(
            label="Unterhaltung",
            elem_id="chat",
            height=560,
            placeholder="Stellen Sie eine Frage, oder wählen Sie ein Beispiel.",
            examples=[{"text": question} for question in examples],
            feedback_options=("Like", "Dislike"),
            latex_delimiters=[],
            sanitize_html=True,
            buttons=["copy", "copy_all"],
        )
        conversation, records, votes = gr.State([]), gr.State({}), gr.State({})
        with gr.Row():
            question = gr.Textbox(
                placeholder="Ihre Frage …", show_label=False, elem_id="question", scale=5,
                max_lines=4, max_length=MAX_QUESTION_CHARS,
            )  # fmt: skip
            send = gr.Button("Fragen", variant="primary", elem_id="send", scale=1)

        chat = {"concurrency_limit": CHAT_CONCURRENCY, "api_visibility": "private"}
        outputs = [chatbot, question, conversation, records]
        question.submit(handlers.respond, [question, conversation], outputs, **chat)
        send.click(handlers.respond, [question, conversation], outputs, **chat)
        chatbot.example_select(handlers.ask_example, [conversation], outputs, **chat)
        chatbot.option_select(handlers.ask_option, [conversation], outputs, **chat)
        chatbot.like(handlers.vote, [records, votes], votes, api_visibility="private")
        gr.api(handlers.api_answer, api_name="answer", concurrency_limit=CHAT_CONCURRENCY)
    return app.queue(max_size=QUEUE_SIZE, api_open=False)  # every call goes through the queue


def admin_app(handlers: AdminHandlers) -> gr.Blocks:
    """The operators' page: index status, log health, votes, and the rebuild."""
    with gr.Blocks(title="faqbot – Verwaltung") as app:
        gr.Markdown("# faqbot – Verwaltung")
        status = gr.Markdown(elem_id="status")
        with gr.Row():
            refresh = gr.Button("Aktualisieren", elem_id="refresh")
            rebuild = gr.Button("Index aus den Dokumenten neu aufbauen", elem_id="rebuild")
        app.load(handlers.status, None, status, api_visibility="private")
        refresh.click(handlers.status, None, status, api_visibility="private")
        rebuild.click(
            handlers.rebuild, None, status, concurrency_limit=2, concurrency_id="rebuild",
            api_visibility="private",
        )  # fmt: skip
    return app.queue(max_size=16, api_open=False)


def admin_password() -> str | None:
    """`$FAQBOT_ADMIN_PASSWORD`, or None: then there is no operators' page at all."""
    password = os.environ.get(ADMIN_PASSWORD_ENV) or None
    if password is not None and len(password) < MIN_ADMIN_PASSWORD_CHARS:
        raise ValueError(
            f"${ADMIN_PASSWORD_ENV} must have at least {MIN_ADMIN_PASSWORD_CHARS} characters"
        )
    return password


def operator_check(password: str) -> Callable[[str, str], bool]:
    def check(user: str, given: str) -> bool:
        same_password = hmac.compare_digest(given.encode(), password.encode())
        return hmac.compare_digest(user.encode(), ADMIN_USER.encode()) and same_password

    return check


def make_server(service: BotService, feedback: FeedbackLog, password: str | None = None) -> FastAPI:
    """One server: the edge in front, the operators' page (if a password is set), the chat."""
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    shared = {"show_error": False, "footer_links": [], "css": CSS}
    mounted = []
    if password is not None:
        admin = admin_app(AdminHandlers(service, feedback))
        gr.mount_gradio_app(
            server, admin, path="/admin", auth=operator_check(password),
            auth_message="Anmeldung für den Betrieb", **shared,
        )  # fmt: skip
        mounted.append(admin)
    examples = service.bot.example_questions(4) if service.bot else ()
    chat = chat_app(ChatHandlers(service, feedback), examples)
    gr.mount_gradio_app(server, chat, "/", **shared)
    for blocks in (*mounted, chat):
        # Gradio checks file paths in inputs only once an app counts as launched, which
        # `launch()` sets and mounting does not: without it, a forged input could name any
        # file of the server to be copied into Gradio's cache and served.
        blocks.has_launched = True
    server.add_middleware(EdgeGuard)
    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    server = make_server(BotService(), FeedbackLog(), admin_password())
    host = os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    log.info("serving http://%s:%d/", host, port)
    started = time.perf_counter()
    # No proxy headers: a client could otherwise name any address and escape the login limit.
    uvicorn.run(
        server, host=host, port=port, log_level="warning", proxy_headers=False,
        timeout_graceful_shutdown=5,  # open event streams must not keep a stopping app alive
    )  # fmt: skip
    log.info("stopped after %.0f s", time.perf_counter() - started)


if __name__ == "__main__":
    main()
