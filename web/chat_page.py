"""The public chat page: its Gradio layout and the handlers of its events.

Each handler bounds its input, calls the library through `BotService`, and presents the
answer with `web.chat_messages`; the conversation lives on the server (`web.sessions`).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from bot.answers import Answer, AnswerKind
from bot.inputs import MAX_HISTORY_TURNS, MAX_INPUT_CHARS, MAX_QUESTION_CHARS, clean_question
from web.chat_messages import (
    THINKING_MESSAGE,
    UNVOTABLE,
    answer_messages,
    shown,
    user_message,
)
from web.chat_script import SHOW_NEWEST
from web.feedback import FeedbackLog
from web.german_locale import DISLIKE
from web.service import BotService
from web.sessions import AnswerRegistry, Conversations

log = logging.getLogger("faqbot.app")

CHAT_CONCURRENCY = 8
"""Answers take milliseconds on the CPU; 8 at once keeps both cores busy while a slow one
(a cold cache, a long question) does not hold up the rest."""
QUEUE_SIZE = 256
"""Beyond this many waiting requests, new ones are refused at once instead of piling up."""
SESSIONS = 2000
"""Page sessions whose state Gradio keeps (its default: 10,000). A session holds the
chat as last shown, up to ~300 KB for a long conversation; a page whose session was
dropped finds its conversation again on reload (the browser keeps its token)."""
MAX_TURNS = 30
"""Questions and answers a conversation shows; older ones drop out of it."""
MAX_VOTE_CHANGES = 5
"""Votes and retractions a session may log per answer: a change of mind is feedback, a
hundred are an attempt to push real votes out of the rotating log."""
CSS = """
.faqbot-source { margin: .4em 0 .8em; font-size: var(--text-lg); }
.faqbot-source mark { background: #fde68a; color: #1c1917; padding: 0 .1em; }
.faqbot-notice { margin-top: .6em; font-size: var(--text-sm); }
#chat button.icon-button { min-width: 24px; min-height: 24px; }
#chat .thought-group .title { min-height: 24px; }
#chat .thought-group .title .arrow { display: none; }
#chat .thought-group .title::before { content: "▸" / ""; margin-right: .4em; }
#chat .thought-group .title.expanded::before { content: "▾" / ""; }
#chat .message-buttons-right, #chat .message-buttons-left { gap: 4px; }
#chat .extra-feedback.faqbot-open .extra-feedback-options { display: flex; z-index: 30; }
@media (hover: none) {
  #chat .extra-feedback:not(.faqbot-open) .extra-feedback-options { display: none; } }
#chat .extra-feedback-options { padding: var(--spacing-sm); border-radius: var(--radius-md);
  background: var(--background-fill-primary); box-shadow: var(--shadow-drop-lg); }
#chat .extra-feedback-option { min-height: 24px; font-size: var(--text-sm); }
#chat .message-buttons:has(.extra-feedback > button[style*="--color-accent"])
  button[aria-label="$DISLIKE"] { color: var(--color-accent) !important; }
#chat .bot-row:has(.faqbot-unrated) + .message-buttons
  :is(button[aria-label*="hilfreich" i], .extra-feedback) { display: none; }
#chat .user-row { scroll-margin-top: var(--spacing-lg); }
#send { --button-primary-background-fill: #9a3412;
        --button-primary-background-fill-hover: #7c2d12; }
#chat .message a { display: inline-block; min-width: 24px; min-height: 24px; }
.gradio-container { overflow: clip !important; }
#composer { position: sticky; bottom: 0; z-index: 20; padding: var(--spacing-md) 0;
            background: var(--body-background-fill); }
#counter { text-align: right; font-size: .85em; margin-top: -.4em; }
#header h1 { margin-bottom: .2em; }
.faqbot-embed #header { display: none; }
.faqbot-embed .gradio-container { padding: 0 var(--spacing-sm) !important; }
.faqbot-embed main { padding: 0 !important; }
""".replace("$DISLIKE", DISLIKE)
"""Tap targets of at least 24 px, the "Quellen" toggle without Gradio's unnamed nested
arrow button, colours with enough contrast (the marked quote keeps dark text on its
yellow in dark mode too: the page's light text on it had a contrast of 1.12), sources
as large as the answer, the 👎 reasons on a panel that a tap closes again (a touch
screen keeps Gradio's hover), 👎 marked while a reason for it is chosen, no 👍/👎
under greetings and hints, the input always at the bottom of the window (Gradio's
container clips instead of hiding its overflow, which made it the sticky input's scroll
box), and the compact
page for a frame (`?embed=1`)."""
FAILED_MESSAGE = (
    "Entschuldigung, bei dieser Frage ist ein Fehler aufgetreten. "
    "Bitte versuchen Sie es noch einmal oder formulieren Sie die Frage anders."
)

History = list[dict[str, Any]]
Records = dict[int, str]
"""Which chat message shows which answer (message index → answer id)."""
ChatUpdate = dict[str, Any]
"""The chat's messages (`value`) and the vote shown under each answer (`feedback_value`),
as Gradio takes an update of the Chatbot."""


def chat_update(
    history: History, feedback: list[str | None], examples: Sequence[str] | None = None
) -> ChatUpdate:
    """The chat shown anew: its messages, their votes, and (if given) its example questions."""
    if examples is None:
        return gr.update(value=history, feedback_value=feedback)
    shown = [{"text": question} for question in examples]
    return gr.update(value=history, feedback_value=feedback, examples=shown)


def vote_of(feedback: str | None) -> tuple[str | None, str | None]:
    """The vote ("up", "down" or None) and the reason a feedback value gives."""
    if feedback in (None, "Like", "Dislike"):
        return {None: None, "Like": "up", "Dislike": "down"}[feedback], None
    return "down", feedback


FEEDBACK_OF_LIKE = {True: "Like", False: "Dislike", "": None}
"""Gradio's like data: True for 👍, False for 👎, "" when a vote is taken back; one of
`MISSING` when the 👎 menu's reason is chosen. Kept as the Chatbot's feedback values
("Like", "Dislike", a reason), which the page shows again after a reload."""
MISSING = ("Falsche Antwort", "Unvollständig", "Quelle passt nicht", "Unverständlich")
"""What a 👎 may say was missing: the chat's feedback menu offers them after 👍 and 👎."""
THANKS = "Danke für Ihre Rückmeldung!"
QUESTION_REFUSED = "Die Frage muss ein Text sein."
HISTORY_REFUSED = "Der Verlauf (history) muss eine Liste der früheren Fragen sein."


def cut_early(question: Any) -> Any:
    """A question cut to twice the documented length before anything else sees it: enough
    for cleaning to notice it was too long and say so in the answer, which reads, shows,
    logs and remembers at most `MAX_QUESTION_CHARS` of it."""
    return question[:MAX_INPUT_CHARS] if isinstance(question, str) else question


EXAMPLES = 4
SHORT_TITLE_CHARS = 60
"""A heading longer than this wraps to several lines on a phone."""


@dataclass(frozen=True, slots=True)
class StartPage:
    """What a new visitor sees of the index in use: the page's title, its heading and
    introduction, and the example questions."""

    title: str
    header_html: str
    examples: tuple[str, ...]


def short_title(titles: list[str]) -> str:
    """A heading's name for the corpus: a title's lead before its colon ("NATO-Krise
    2026: US-Abwesenheit …" → "NATO-Krise 2026") or its first words, and how many more."""
    if not titles:
        return "den Dokumenten"
    lead = titles[0].split(": ", 1)[0]
    if len(lead) > SHORT_TITLE_CHARS:
        lead = lead[: lead.rfind(" ", 0, SHORT_TITLE_CHARS)].rstrip(" ,;:–-") + " …"
    more = len(titles) - 1
    return lead + (f" und {more} weiteren Dokument{'en' if more > 1 else ''}" if more else "")


def corpus_name(titles: list[str]) -> str:
    """What the page says it quotes from: the corpus's titles, the first two named."""
    if not titles:
        return "den Dokumenten"
    named = " und ".join(f"„{title}“" for title in titles[:2])
    return named + (f" und {len(titles) - 2} weiteren" if len(titles) > 2 else "")


def start_page(titles: list[str], examples: tuple[str, ...], display_title: str = "") -> StartPage:
    """The start page for an index with these titles; `display_title`, the operator's
    short name for the corpus (`$FAQBOT_TITLE`), replaces the one made from the titles."""
    heading = f"Fragen zu {display_title or short_title(titles)}"
    introduction = (
        f"Ich antworte mit Zitaten aus {corpus_name(titles)} und verlinke jede Stelle, "
        "die ich zitiere."
    )
    header = f"<h1>{shown(heading)}</h1><p>{shown(introduction)}</p>"
    return StartPage(heading, header, examples)


class ChatHandlers:
    """The public chat's event handlers: each bounds its input, calls the library, presents.

    A conversation lives on the server (`Conversations`: its answer ids; `AnswerRegistry`:
    the answers) under an unguessable token, which is all the page keeps, in the browser's
    storage, so that a reload finds it again. The page's copy of the chat is never read
    back: nothing a visitor sends is taken for part of the conversation.
    """

    def __init__(
        self,
        service: BotService,
        feedback: FeedbackLog,
        answers: AnswerRegistry | None = None,
        conversations: Conversations | None = None,
        display_title: str = "",
    ) -> None:
        self.service = service
        self.feedback = feedback
        self.display_title = display_title
        self.answers = answers or AnswerRegistry(max_vote_changes=MAX_VOTE_CHANGES)
        self.conversations = conversations or Conversations(turns=MAX_TURNS)

    def _conversation(self, token: str | None) -> tuple[History, Records, list[str | None]]:
        """The chat messages of a conversation, which message shows which answer, and the
        standing vote on each answer; answers the server has forgotten drop out."""
        history: History = []
        records: Records = {}
        feedback: list[str | None] = []
        for answer_id in self.conversations.answer_ids(token):
            given = self.answers.given(token or "", answer_id)
            if given is None:
                continue
            history.append(user_message(given.question))
            for message in answer_messages(given.reply):
                records[len(history)] = answer_id
                history.append(message)
            feedback.append(self.answers.feedback(token or "", answer_id))
        return history, records, feedback

    def rendered(self, token: str | None) -> tuple[ChatUpdate, Records]:
        """The chat as the page shows it, and which message shows which answer."""
        history, records, feedback = self._conversation(token)
        return chat_update(history, feedback), records

    def _questions(self, token: str | None) -> list[str]:
        """The conversation's earlier questions, oldest first, for reading a follow-up."""
        given = (self.answers.given(token or "", a) for a in self.conversations.answer_ids(token))
        return [g.question for g in given if g is not None][-MAX_HISTORY_TURNS:]

    def _reply(self, question: Any, history: list[str]) -> Answer:
        try:
            return self.service.answer(question, history=history)
        except Exception:  # the visitor gets a German message, the operator the traceback
            log.exception("answering failed")
            return Answer.saying(FAILED_MESSAGE, AnswerKind.UNAVAILABLE)

    def start_page(self) -> StartPage:
        """The start page of the index in use (it changes with a rebuild, here or on
        another replica, without a restart)."""
        bot = self.service.bot
        titles, examples = (bot.titles(), bot.example_questions(EXAMPLES)) if bot else ([], ())
        return start_page(titles, examples, self.display_title)

    def restore(self, stored: Any) -> tuple[ChatUpdate, str | None, Records, str]:
        """On page load: the conversation the browser's stored token names, if the server
        still has it (any other stored value is no conversation), and the start page of
        the index in use. Returns (chat, token, records, header)."""
        token = stored if self.conversations.known(stored) else None
        history, records, feedback = self._conversation(token)
        page = self.start_page()
        return chat_update(history, feedback, page.examples), token, records, page.header_html

    def ask(self, question: Any, token: str | None) -> tuple[ChatUpdate, str, str | None, Any]:
        """The question shown at once, with the answer pending; empty input adds nothing.
        Returns (chat, cleared input, token, the question to answer or None)."""
        history, _, feedback = self._conversation(token)
        question = cut_early(question)
        cleaned = clean_question(question) if isinstance(question, str) else None
        if cleaned is None or cleaned.is_empty:
            return chat_update(history, feedback), "", token, None
        pending = [user_message(cleaned.text), THINKING_MESSAGE]
        return chat_update([*history, *pending], feedback), "", token, question

    def respond(
        self, pending: Any, token: str | None
    ) -> tuple[ChatUpdate, Records, str | None, None]:
        """Answer the pending question in its conversation (follow-ups read against the
        earlier questions) and show the conversation with it. A conversation starts with
        its first answer, so questions that are never answered create none; a question is
        answered once (the pending one is cleared). Returns (chat, records, token, None)."""
        if not isinstance(pending, str):
            return (*self.rendered(token), token, None)
        if not self.conversations.known(token):
            token = self.conversations.start()
        reply = self._reply(pending, self._questions(token))
        shown = clean_question(pending).text
        if reply.kind is AnswerKind.DECLINED:
            self.feedback.declined(shown, reply)
        self.conversations.add(token, self.answers.remember(token, shown, reply))
        return (*self.rendered(token), token, None)

    def ask_example(
        self, token: str | None, data: gr.SelectData
    ) -> tuple[ChatUpdate, str, str | None, Any]:
        value = data.value.get("text") if isinstance(data.value, dict) else None
        return self.ask(value, token)

    def ask_option(
        self, token: str | None, data: gr.SelectData
    ) -> tuple[ChatUpdate, str, str | None, Any]:
        return self.ask(data.value, token)

    def new_conversation(self, token: str | None) -> tuple[ChatUpdate, None, Records]:
        """The "Neues Gespräch" button: the server forgets the conversation, the page
        starts empty."""
        self.conversations.end(token)
        return chat_update([], []), None, {}

    def vote(self, records: Records, token: str | None, data: gr.LikeData) -> None:
        """Log a vote (with what was missing, if given), a changed vote or a retraction,
        once per change (Gradio sends a chosen reason twice) and at most
        `MAX_VOTE_CHANGES` times per answer, only on an answer this server gave to this
        conversation, and never on greetings and hints."""
        index = data.index if isinstance(data.index, int) else None
        if isinstance(data.index, list | tuple) and data.index:
            index = data.index[0]
        answer_id = (records or {}).get(index) if isinstance(index, int) else None
        given = self.answers.given(token or "", answer_id) if answer_id else None
        liked = data.liked if isinstance(data.liked, bool | str) else None
        known = (*FEEDBACK_OF_LIKE, *MISSING)
        if given is None or given.reply.kind in UNVOTABLE or liked not in known:
            return
        feedback = FEEDBACK_OF_LIKE.get(liked, liked)
        if not self.answers.take_vote(token or "", answer_id, feedback):
            return
        vote, reason = vote_of(feedback)
        logged = self.feedback.vote(
            token or "", answer_id, given.question, given.reply, vote, reason
        )
        if logged and vote is not None:
            gr.Info(THANKS)

    def api_answer(self, question: str, history: list[str] | None = None) -> dict:
        """Answer a German (or English) question from the sources, with citations;
        `history`: the conversation's earlier questions, oldest first, for follow-ups."""
        earlier = [] if history is None else history
        if not isinstance(question, str):
            return Answer.saying(QUESTION_REFUSED, AnswerKind.HINT).to_json()
        if not isinstance(earlier, list) or not all(isinstance(q, str) for q in earlier):
            return Answer.saying(HISTORY_REFUSED, AnswerKind.HINT).to_json()
        kept = [cut_early(q) for q in earlier[-MAX_HISTORY_TURNS:]]
        return self._reply(cut_early(question), kept).to_json()


SHOW_TITLE = "() => { document.title = document.querySelector('#header h1')?.textContent; }"
"""The window's title follows the heading, which follows the index in use."""
COUNTER_JS = f"(text) => `${{[...(text || '')].length}} / {MAX_QUESTION_CHARS} Zeichen`"
"""The input's counter, updated in the browser as the visitor types and when it is cleared."""


def chat_app(handlers: ChatHandlers) -> gr.Blocks:
    """The public page: the chat, and the `/answer` API endpoint. Nothing else. Its title,
    heading and examples are those of the index in use when the page loads."""
    page = handlers.start_page()
    with gr.Blocks(title=page.title) as app:
        header = gr.HTML(page.header_html, elem_id="header")
        chatbot = gr.Chatbot(
            label="Unterhaltung",
            show_label=False,
            elem_id="chat",
            height=None,
            autoscroll=False,  # the page scrolls, not the chat (`SHOW_NEWEST`)
            placeholder="Stellen Sie eine Frage, oder wählen Sie ein Beispiel.",
            examples=[{"text": question} for question in page.examples],
            feedback_options=("Like", "Dislike", *MISSING),
            render_markdown=False,
            sanitize_html=True,
            latex_delimiters=[],
            buttons=["copy"],
        )
        token, records, pending = gr.State(None), gr.State({}), gr.State()
        stored = gr.BrowserState(None, storage_key="faqbot-conversation")
        with gr.Column(elem_id="composer"):
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    label="Ihre Frage", show_label=False, placeholder="Ihre Frage …",
                    elem_id="question", scale=5, max_lines=4, max_length=MAX_INPUT_CHARS,
                )  # fmt: skip
                send = gr.Button("Fragen", variant="primary", elem_id="send", scale=1, min_width=90)
            with gr.Row():
                new = gr.Button("Neues Gespräch", elem_id="new", size="sm", scale=0, min_width=150)
                counter = gr.HTML(f"0 / {MAX_QUESTION_CHARS} Zeichen", elem_id="counter")

        # Every event goes through the queue (bounded in size); the quick ones, which only
        # show what the server has, by their own 8 at a time, so answers never wait on them.
        quick = {
            "api_visibility": "private", "show_progress": "hidden",
            "concurrency_limit": CHAT_CONCURRENCY, "concurrency_id": "quick",
        }  # fmt: skip
        chat = {**quick, "concurrency_id": "answer"}
        for trigger, handler, inputs in (
            (question.submit, handlers.ask, [question, token]),
            (send.click, handlers.ask, [question, token]),
            (chatbot.example_select, handlers.ask_example, [token]),
            (chatbot.option_select, handlers.ask_option, [token]),
        ):
            trigger(handler, inputs, [chatbot, question, token, pending], **quick).then(
                None, js=SHOW_NEWEST, **quick
            ).then(
                handlers.respond, [pending, token], [chatbot, records, token, pending], **chat
            ).then(None, js=SHOW_NEWEST, **quick).then(lambda kept: kept, token, stored, **quick)
        question.change(None, question, counter, js=COUNTER_JS, queue=False, **quick)
        for trigger in (new.click, chatbot.clear):  # Gradio's own 🗑 does the same
            trigger(handlers.new_conversation, token, [chatbot, token, records], **quick).then(
                lambda: None, None, stored, **quick
            )
        chatbot.like(handlers.vote, [records, token], None, **quick)
        app.load(handlers.restore, stored, [chatbot, token, records, header], **quick).then(
            None, js=SHOW_TITLE, **quick
        ).then(None, js=SHOW_NEWEST, **quick)
        gr.api(
            handlers.api_answer, api_name="answer", concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="answer",
        )  # fmt: skip
    app.state_session_capacity = SESSIONS
    return app.queue(max_size=QUEUE_SIZE, api_open=False)  # every call goes through the queue
