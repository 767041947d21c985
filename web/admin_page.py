"""The operators' page at `/admin`: for editors who keep the documents the bot answers from.

They add documents (`web.uploads`), remove them, see every document of the folder with its
state (`web.document_list`), follow a rebuild stage by stage, and see the questions the bot
could not answer well, grouped (`web.question_groups`). Everything is in plain German
(`web.admin_wording`, `web.skip_reasons`); server paths, the model and build figures are
only in the collapsed "Technische Angaben".

It exists only when an admin password is set (`$FAQBOT_ADMIN_PASSWORD`, `index.settings`),
behind Gradio's login (`web.server`).
"""

import hmac
import html
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import gradio as gr
import numpy as np

from index.embedding import Role
from web import admin_wording as wording
from web.document_list import (
    DocumentRow,
    DocumentState,
    document_rows,
    folder_files,
    indexed_documents,
)
from web.feedback import FeedbackLog
from web.question_groups import QuestionGroup, group_questions
from web.service import BotService
from web.skip_reasons import READABLE_FORMATS
from web.uploads import OfferedFile, UploadLimits, check_uploads, remove, save, top_level_names

log = logging.getLogger("faqbot.app")

ADMIN_USER = "admin"
ADMIN_TITLE = "faqbot – Verwaltung"
STATUS_INTERVAL_SECONDS = 0.3
REVIEW_DAYS = 14
"""Questions of the last two weeks: what editors look at between their rounds."""
REVIEW_LIMIT = 300
"""At most this many recent questions are grouped: embedding them takes a few seconds with
the default model, once (vectors are kept for the next refresh)."""
KEPT_VECTORS = 5_000

_PRIMARY = """--button-primary-background-fill: #9a3412;
  --button-primary-background-fill-hover: #7c2d12; --button-primary-text-color: #ffffff;
  --button-primary-text-color-hover: #ffffff;"""
ADMIN_CSS = f"""
.gradio-container {{ {_PRIMARY} }}
#documents table, #questions table {{ width: 100%; border-collapse: collapse; }}
#documents th, #documents td, #questions td {{ text-align: left; vertical-align: top;
  padding: .35em .5em; border-bottom: 1px solid var(--border-color-primary); }}
.state-in-service {{ color: #166534; }} .state-skipped {{ color: #9a3412; }}
.dark .state-in-service {{ color: #86efac; }} .dark .state-skipped {{ color: #fdba74; }}
#progress ol {{ list-style: none; padding-left: 0; display: flex; flex-wrap: wrap;
  gap: .2em 1.5em; }}
#upload .or {{ color: var(--body-text-color); }}
"""
"""Primary buttons in a dark orange with white text (contrast 7.0:1; Gradio's orange has
2.8:1), the upload field's "- oder -" as dark as the text around it, and readable tables
of documents and questions."""
ADMIN_HEAD = (
    f"<title>{ADMIN_TITLE}</title><style>:root:root, :root:root .dark {{ {_PRIMARY} }}</style>"
)
"""For the login page, which Gradio serves without the app's title and style: its title,
and its button in the same dark orange (Gradio's theme sets the colours on `:root` and
`.dark`, which this outranks)."""

_MARKUP = re.compile(r"[^\w\s]|_", re.UNICODE)
_STEP_MARK = {"fertig": "✓", "läuft": "▶", "offen": "○"}


def as_text(text: str) -> str:
    """`text` for the operators' Markdown: every character Markdown or HTML could read
    as syntax (all punctuation) entity-encoded."""
    return _MARKUP.sub(lambda match: f"&#{ord(match.group())};", text)


@dataclass(frozen=True, slots=True)
class PageView:
    """Everything the page shows besides a rebuild's progress."""

    status: str
    documents: str
    removable: tuple[str, ...]
    questions: str
    technical: str


def documents_html(rows: Sequence[DocumentRow]) -> str:
    if not rows:
        return "<p>Im Ordner liegt noch kein Dokument.</p>"
    lines = ["<table><thead><tr><th>Datei</th><th>Zustand</th><th>Angaben</th></tr></thead><tbody>"]
    for row in rows:
        css = "state-in-service" if row.state is DocumentState.IN_SERVICE else (
            "state-skipped" if row.state is DocumentState.SKIPPED else "")  # fmt: skip
        notes = "".join(f"<br>{html.escape(note)}" for note in row.notes)
        lines.append(
            f"<tr><td>{html.escape(row.source)}</td>"
            f'<td class="{css}">{html.escape(row.state.value)}</td>'
            f"<td>{html.escape(row.summary)}{notes}</td></tr>"
        )
    return "".join([*lines, "</tbody></table>"])


def questions_html(groups: Sequence[QuestionGroup]) -> str:
    if not groups:
        return f"<p>In den letzten {REVIEW_DAYS} Tagen blieb keine Frage offen.</p>"
    lines = ["<table><tbody>"]
    for group in groups:
        why = []
        if group.declined:
            why.append(f"{group.declined} ohne Antwort")
        if group.down_voted:
            why.append(f"{group.down_voted} als nicht hilfreich bewertet")
        others = [text for text in group.questions if text != group.typical]
        variants = (
            "<details><summary>Andere Formulierungen</summary><ul>"
            + "".join(f"<li>{html.escape(text)}</li>" for text in others)
            + "</ul></details>"
            if others
            else ""
        )
        lines.append(
            f"<tr><td><strong>{html.escape(group.typical)}</strong>{variants}</td>"
            f"<td>{wording.number(group.count)}-mal gefragt ({', '.join(why)})</td>"
            f"<td>zuletzt {wording.german_date(group.last_asked)}</td></tr>"
        )
    return "".join([*lines, "</tbody></table>"])


def progress_html(steps: list[tuple[str, str]], message: str = "") -> str:
    items = "".join(
        f'<li data-state="{state}">{_STEP_MARK[state]} {html.escape(text)}</li>'
        for text, state in steps
    )
    said = f"<p>{html.escape(message)}</p>" if message else ""
    return f'{said}<ol aria-label="Schritte des Neuaufbaus">{items}</ol>'


class AdminHandlers:
    """The operators' page: documents in and out, their state, rebuilds, open questions."""

    def __init__(
        self, service: BotService, feedback: FeedbackLog, limits: UploadLimits | None = None
    ) -> None:
        self.service = service
        self.feedback = feedback
        self.limits = limits or UploadLimits()
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    @property
    def data_dir(self) -> Path:
        return self.service.data_dir

    # ------------------------------------------------------------ what the page shows

    def status(self) -> str:
        """The status in plain words: documents in service since when, the votes, a
        failing log."""
        status = self.service.status()
        if status.manifest is None:
            return (
                "⚠️ Der Chat kann zurzeit keine Fragen beantworten: es gibt keinen nutzbaren "
                "Index. Bitte „Index neu aufbauen“ wählen."
            )
        lines = [wording.in_service(status.manifest.documents, status.manifest.built_at)]
        if status.rebuilding:
            lines.append(
                "⏳ Der Index wird gerade neu aufgebaut; bis dahin gilt der bisherige Stand."
            )
        try:
            votes = self.feedback.vote_counts()
            said = f"{votes.up} 👍 hilfreich · {votes.down} 👎 nicht hilfreich"
            lines.append(f"Bewertungen der Antworten: {said}")
        except OSError:
            log.exception("votes not readable")
            lines.append("⚠️ Die Bewertungen können gerade nicht gelesen werden.")
        if self.feedback.failures:
            lines.append(
                f"⚠️ {wording.counted(self.feedback.failures, 'Eintrag', 'Einträge')} ins "
                "Protokoll (Bewertungen, offene Fragen) konnte nicht geschrieben werden – "
                "bitte dem Betrieb melden."
            )
        return "\n\n".join(lines)

    def _rows(self) -> list[DocumentRow]:
        serving = self.service.serving
        try:
            files = folder_files(self.data_dir)
        except OSError:
            log.exception("data directory not readable")
            files = []
        if serving is None:
            return document_rows(files, [], [], None)
        content = serving.bot.content
        built = datetime.fromisoformat(content.manifest.built_at)
        return document_rows(
            files, indexed_documents(content.passages), content.manifest.skipped, built
        )

    def _embedded(self, texts: Sequence[str]) -> np.ndarray | None:
        """The bot's own vectors for `texts` (as questions), kept for the next refresh."""
        bot = self.service.bot
        if bot is None:
            return None
        model = bot.embedder.name
        missing = list(dict.fromkeys(t for t in texts if (model, t) not in self._vectors))
        if missing:
            if len(self._vectors) + len(missing) > KEPT_VECTORS:
                self._vectors.clear()
            fresh = bot.embedder.embed(missing, Role.QUERY)
            self._vectors.update(zip(((model, t) for t in missing), fresh, strict=True))
        return np.stack([self._vectors[model, t] for t in texts])

    def _questions(self) -> str:
        try:
            asked = self.feedback.questions_to_review(REVIEW_DAYS, REVIEW_LIMIT)
        except OSError:
            log.exception("logs not readable")
            return "<p>⚠️ Die offenen Fragen können gerade nicht gelesen werden.</p>"
        vectors = self._embedded([item.text for item in asked]) if asked else None
        if asked and vectors is None:
            return "<p>Die offenen Fragen werden gruppiert, sobald ein Index im Einsatz ist.</p>"
        return questions_html(group_questions(asked, vectors) if asked else [])

    def _technical(self) -> str:
        status = self.service.status()
        lines = [f"Dokumentenordner: {as_text(str(self.data_dir))}"]
        if status.manifest is not None:
            m = status.manifest
            lines += [
                f"Index-Version: {as_text(status.version or '–')}, gebaut {as_text(m.built_at)}",
                f"Modell: {as_text(m.model)} · {m.passages} Passagen · {m.faq_entries} "
                f"FAQ-Einträge · {len(m.skipped)} Meldungen · Vektorindex "
                f"{as_text(m.vector_index)}",
            ]
        if self.feedback.last_error:
            lines.append(f"Letzter Protokollfehler: {as_text(self.feedback.last_error)}")
        return "  \n".join(lines)

    def view(self) -> PageView:
        rows = self._rows()
        removable = tuple(row.source for row in rows if row.removable)
        return PageView(
            self.status(), documents_html(rows), removable, self._questions(), self._technical()
        )

    # ------------------------------------------------------------ what the editor does

    def _rebuilding(self) -> Iterator[str]:
        """Rebuild in the background, yielding the progress as HTML until it ends, then the
        German summary or why it failed."""
        outcome: list[str] = []

        def run() -> None:
            try:
                manifest = self.service.rebuild()
            except Exception as error:
                log.exception("rebuild failed")
                outcome.append("✗ " + wording.failure(error))
                return
            outcome.append("✓ " + wording.rebuilt(manifest))

        worker = threading.Thread(target=run, name="rebuild", daemon=True)
        worker.start()
        while worker.is_alive():
            steps = wording.progress_steps(self.service.status().progress)
            yield progress_html(steps, "Der Index wird neu aufgebaut …")
            worker.join(STATUS_INTERVAL_SECONDS)
        finished = outcome[0] if outcome else ""
        steps = [(wording.STAGE_NAMES[stage], "fertig") for stage in wording.STAGE_NAMES]
        yield progress_html(steps if finished.startswith("✓") else [], finished)

    def upload(self, paths: Sequence[str] | None) -> tuple[str, list[str]]:
        """Check and save the files the editor chose: a German line per file, and whether
        anything was saved (then a rebuild follows)."""
        offered = [OfferedFile(Path(p).name, Path(p), Path(p).stat().st_size) for p in paths or []]
        if not offered:
            return "Bitte zuerst Dateien auswählen.", []
        plan = check_uploads(offered, self.limits, top_level_names(self.data_dir))
        lines, saved = [], []
        for file in plan.accepted:
            try:
                save(file, self.data_dir, self.limits.max_bytes)
            except (OSError, ValueError):
                log.exception("upload of %r not saved", file.name)
                lines.append(f"✗ {as_text(file.name)}: konnte nicht gespeichert werden.")
                continue
            saved.append(file.name)
            verb = "ersetzt die bisherige Fassung" if file.replaces else "hinzugefügt"
            lines.append(f"✓ {as_text(file.name)}: {verb}.")
        lines += [f"✗ {as_text(item.name)}: {as_text(item.reason)}" for item in plan.refused]
        return "  \n".join(lines), saved

    def refresh(self) -> tuple:
        """The page's views: status, documents, the choice of documents to remove, the
        open questions, the technical details."""
        view = self.view()
        choice = gr.update(choices=list(view.removable), value=None)
        return view.status, view.documents, choice, view.questions, view.technical

    def rebuild(self) -> Iterator[tuple]:
        """Progress, then progress and the refreshed views."""
        progress = ""
        for progress in self._rebuilding():
            yield progress, *_UNCHANGED
        yield progress, *self.refresh()

    def upload_and_rebuild(self, paths: Sequence[str] | None) -> Iterator[tuple]:
        """Report, the file field emptied, progress, views: the files saved, then a
        rebuild if any was."""
        report, saved = self.upload(paths)
        yield report, None, gr.skip(), *self.refresh()
        if saved:
            for progress in self._rebuilding():
                yield gr.skip(), gr.skip(), progress, *_UNCHANGED
            yield gr.skip(), gr.skip(), gr.skip(), *self.refresh()

    def ask_removal(self, source: str | None) -> tuple:
        """The confirmation, shown for the document chosen."""
        if not source:
            return gr.update(visible=False), "Bitte zuerst ein Dokument auswählen."
        question = (
            f"„{as_text(source)}“ wirklich entfernen? Die Datei wird aus dem Ordner "
            "gelöscht, und der Index wird ohne sie neu aufgebaut."
        )
        return gr.update(visible=True), question

    def remove_and_rebuild(self, source: str | None) -> Iterator[tuple]:
        """Report, confirmation hidden, progress, views."""
        hidden = gr.update(visible=False)
        listed = [row.source for row in self._rows() if row.removable]
        try:
            remove(self.data_dir, source or "", listed)
        except (OSError, ValueError):
            log.exception("removing %r failed", source)
            yield (
                "✗ Das Dokument konnte nicht entfernt werden.",
                hidden,
                gr.skip(),
                *self.refresh(),
            )
            return
        report = f"✓ {as_text(source or '')}: entfernt."
        yield report, hidden, gr.skip(), *self.refresh()
        for progress in self._rebuilding():
            yield gr.skip(), gr.skip(), progress, *_UNCHANGED
        yield gr.skip(), gr.skip(), gr.skip(), *self.refresh()


_UNCHANGED = tuple(gr.skip() for _ in range(5))


def admin_app(handlers: AdminHandlers) -> gr.Blocks:
    """The operators' page: status, documents in and out, rebuild, open questions."""
    limits = handlers.limits
    events = {"api_visibility": "private"}
    rebuilds = {"concurrency_limit": 2, "concurrency_id": "rebuild", **events}
    with gr.Blocks(title=ADMIN_TITLE) as app:
        gr.Markdown(f"# {ADMIN_TITLE}")
        status = gr.Markdown(elem_id="status")
        gr.Markdown("## Dokumente hinzufügen")
        gr.Markdown(
            f"Lesbar sind {READABLE_FORMATS}. Höchstens {limits.max_files} Dateien auf "
            f"einmal, je höchstens {limits.max_bytes // 10**6} MB. Eine Datei mit demselben "
            "Namen wie ein vorhandenes Dokument **ersetzt** dieses. Nach dem Hochladen wird "
            "der Index neu aufgebaut; danach beantwortet der Chat Fragen auch aus den neuen "
            "Dokumenten."
        )
        # Any type may be chosen: a file the index cannot read is refused with the reason
        # in German (`web.uploads`), where Gradio's own type filter says only "Fehler".
        files = gr.File(
            label="Dokumente auswählen", file_count="multiple", type="filepath", elem_id="upload"
        )
        upload = gr.Button("Hochladen und übernehmen", variant="primary", elem_id="upload-button")
        report = gr.Markdown(elem_id="report")
        progress = gr.HTML(elem_id="progress")
        gr.Markdown("## Dokumente im Ordner")
        documents = gr.HTML(elem_id="documents")
        with gr.Row():
            choice = gr.Dropdown(label="Dokument entfernen", choices=[], elem_id="remove-choice")
            ask = gr.Button("Entfernen …", elem_id="remove")
        with gr.Column(visible=False, elem_id="remove-confirmation") as confirmation:
            confirm_text = gr.Markdown()
            with gr.Row():
                confirm = gr.Button("Ja, entfernen", variant="stop", elem_id="remove-confirm")
                cancel = gr.Button("Abbrechen", elem_id="remove-cancel")
        with gr.Row():
            rebuild = gr.Button("Index neu aufbauen", elem_id="rebuild")
            refresh = gr.Button("Aktualisieren", elem_id="refresh")
        gr.Markdown(f"## Offene Fragen der letzten {REVIEW_DAYS} Tage")
        gr.Markdown(
            "Fragen, auf die der Chat keine Antwort fand oder deren Antwort als nicht "
            "hilfreich bewertet wurde; ähnliche Formulierungen sind zusammengefasst. Sie "
            "zeigen, welche Dokumente noch fehlen."
        )
        questions = gr.HTML(elem_id="questions")
        with gr.Accordion("Technische Angaben", open=False):
            technical = gr.Markdown(elem_id="technical")
        views = [status, documents, choice, questions, technical]
        app.load(handlers.refresh, None, views, **events)
        refresh.click(handlers.refresh, None, views, **events)
        rebuild.click(handlers.rebuild, None, [progress, *views], **rebuilds)
        upload.click(
            handlers.upload_and_rebuild, files, [report, files, progress, *views], **rebuilds
        )
        ask.click(handlers.ask_removal, choice, [confirmation, confirm_text], **events)
        cancel.click(lambda: gr.update(visible=False), None, confirmation, **events)
        confirm.click(
            handlers.remove_and_rebuild, choice, [report, confirmation, progress, *views],
            **rebuilds,
        )  # fmt: skip
    return app.queue(max_size=16, api_open=False)


def operator_check(password: str) -> Callable[[str, str], bool]:
    def check(user: str, given: str) -> bool:
        same_password = hmac.compare_digest(given.encode(), password.encode())
        return hmac.compare_digest(user.encode(), ADMIN_USER.encode()) and same_password

    return check
