"""The faqbot chat UI (Gradio): ask, read the answer and its sources, vote, rebuild.

`python app.py` (or `make run`) serves http://127.0.0.1:7860; Gradio's own
GRADIO_SERVER_NAME and GRADIO_SERVER_PORT change host and port. The answer function is
also an API endpoint: `gradio_client.Client(url).predict("Frage", api_name="/answer")`.
"""

import os

from index import config

if config.model_name() in config.BUNDLED_MODELS:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a bundled model never needs the network
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a closed network

from collections.abc import Iterator
from typing import Any

import gradio as gr

from bot.chat import answer_messages, as_text, user_message
from bot.feedback import FeedbackLog
from bot.service import BotService, Status
from bot.types import AnswerKind
from index.errors import FaqbotError

CHAT_CONCURRENCY = 8
"""Answers take milliseconds on the CPU; 8 at once keeps both cores busy while a slow one
(a cold cache, a long question) does not hold up the rest."""
QUEUE_SIZE = 256
"""Beyond this many waiting requests, new ones are refused at once instead of piling up."""

CSS = """
.faqbot-declined { border-left: 4px solid #d97706; padding-left: .6em; font-style: italic; }
.faqbot-source { margin: .4em 0 .8em; }
.faqbot-source mark { background: #fde68a; padding: 0 .1em; }
"""

History = list[dict[str, Any]]
Records = dict[int, dict[str, Any]]


def status_markdown(status: Status, data_dir: str) -> str:
    if status.rebuilding:
        return "⏳ Der Index wird neu aufgebaut; bis dahin antworte ich aus dem bisherigen."
    if status.manifest is None:
        return f"⚠️ Kein Suchindex verfügbar: {as_text(status.error)}"
    m = status.manifest
    built = m.built_at.replace("T", " ").replace("+00:00", " UTC")
    return (
        f"**Korpus:** {as_text(data_dir)} · {m.documents} Dokumente · {m.passages} Passagen · "
        f"{m.faq_entries} FAQ-Einträge · gebaut {as_text(built)} · Modell {as_text(m.model)}"
    )


class Handlers:
    """The UI's event handlers: each parses, calls the library, and presents."""

    def __init__(self, service: BotService, feedback: FeedbackLog) -> None:
        self.service = service
        self.feedback = feedback

    def status(self) -> str:
        return status_markdown(self.service.status(), str(self.service.data_dir))

    def respond(self, question: str, history: History, records: Records) -> tuple:
        reply = self.service.answer(question or "")
        if reply.kind is AnswerKind.DECLINED:
            self.feedback.declined(question, reply)
        history = [*history, user_message(question or "")]
        record = {"question": question, "reply": reply}
        for message in answer_messages(reply):
            records = {**records, len(history): record}
            history.append(message)
        return history, "", records

    def ask_example(self, history: History, records: Records, data: gr.SelectData) -> tuple:
        return self.respond(data.value["text"], history, records)

    def ask_option(self, history: History, records: Records, data: gr.SelectData) -> tuple:
        return self.respond(data.value, history, records)

    def vote(self, records: Records, data: gr.LikeData) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        record = records.get(index)
        if record is not None and data.liked in (True, False):
            self.feedback.vote(record["question"], record["reply"], bool(data.liked))

    def rebuild(self) -> Iterator[str]:
        yield status_markdown(Status(None, rebuilding=True), str(self.service.data_dir))
        try:
            self.service.rebuild()
        except FaqbotError as error:
            gr.Warning(f"Neuaufbau fehlgeschlagen: {error}")
        yield self.status()

    def api_answer(self, question: str) -> dict:
        """Answer a German (or English) question from the sources, with citations."""
        return self.service.answer(question).to_json()


def make_app(service: BotService, feedback: FeedbackLog) -> gr.Blocks:
    """The chat, the operator's panel, and the `/answer` API endpoint over `service`."""
    handlers = Handlers(service, feedback)
    examples = service.bot.example_questions(4) if service.bot else ()
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
        records = gr.State({})
        with gr.Row():
            question = gr.Textbox(
                placeholder="Ihre Frage …", show_label=False, elem_id="question", scale=5,
                max_lines=4,
            )  # fmt: skip
            send = gr.Button("Fragen", variant="primary", elem_id="send", scale=1)
        with gr.Accordion("Verwaltung", open=False):
            status = gr.Markdown(handlers.status(), elem_id="status")
            rebuild = gr.Button("Index aus den Dokumenten neu aufbauen", elem_id="rebuild")

        chat = {"concurrency_limit": CHAT_CONCURRENCY, "api_visibility": "private"}
        outputs = [chatbot, question, records]
        question.submit(handlers.respond, [question, chatbot, records], outputs, **chat)
        send.click(handlers.respond, [question, chatbot, records], outputs, **chat)
        chatbot.example_select(handlers.ask_example, [chatbot, records], outputs, **chat)
        chatbot.option_select(handlers.ask_option, [chatbot, records], outputs, **chat)
        chatbot.like(handlers.vote, [records], None, api_visibility="private")
        rebuild.click(
            handlers.rebuild, None, status, concurrency_limit=1, concurrency_id="rebuild",
            api_visibility="private",
        )  # fmt: skip
        gr.api(handlers.api_answer, api_name="answer", concurrency_limit=CHAT_CONCURRENCY)
    return app.queue(max_size=QUEUE_SIZE)


def main() -> None:
    app = make_app(BotService(), FeedbackLog())
    # No footer: its links are English, and the API is documented in the README.
    app.launch(css=CSS, show_error=True, footer_links=[])


if __name__ == "__main__":
    main()
