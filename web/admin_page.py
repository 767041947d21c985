"""The operators' page at `/admin`: what is served, how the logs fare, and the rebuild.

It exists only when an admin password is set (`$FAQBOT_ADMIN_PASSWORD`, `index.settings`),
behind Gradio's login (`web.server`).
"""

import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterator

import gradio as gr

from index.errors import FaqbotError
from web.feedback import FeedbackLog
from web.service import BotService, Status

log = logging.getLogger("faqbot.app")

ADMIN_USER = "admin"
STATUS_INTERVAL_SECONDS = 0.5

_MARKUP = re.compile(r"[^\w\s]|_", re.UNICODE)


def as_text(text: str) -> str:
    """`text` for the operators' Markdown: every character Markdown or HTML could read
    as syntax (all punctuation) entity-encoded."""
    return _MARKUP.sub(lambda match: f"&#{ord(match.group())};", text)


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


def operator_check(password: str) -> Callable[[str, str], bool]:
    def check(user: str, given: str) -> bool:
        same_password = hmac.compare_digest(given.encode(), password.encode())
        return hmac.compare_digest(user.encode(), ADMIN_USER.encode()) and same_password

    return check
