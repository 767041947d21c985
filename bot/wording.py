"""The German texts of answers: quotes with markers, declines, greetings and hints.

Quoted sentences are never changed; everything the bot says in its own words is here.
"""

from collections.abc import Sequence

NOTHING_FOUND = "Dazu habe ich in meinen Quellen leider nichts gefunden."
TRY_THESE = "Vielleicht hilft Ihnen eine dieser Fragen weiter:"
EMPTY_HINT = (
    "Bitte stellen Sie eine Frage, zum Beispiel zu einem Thema der Artikel. "
    "Ich antworte mit Zitaten aus den Quellen."
)
TRUNCATED_NOTICE = "Ihre Frage war länger als {limit} Zeichen; ich habe nur den Anfang gelesen."
NOTICE_PREFIX = "Hinweis: "
"""Begins a paragraph that says something about the question, not from the sources."""
ABOUT_PREVIOUS = "Bezogen auf Ihre vorige Frage"
"""A follow-up tied to a previous question that named nothing to quote."""


def about(topic: tuple[str, ...]) -> str:
    """How a follow-up was read: "Bezogen auf Mark Rutte"."""
    return f"Bezogen auf {' und '.join(topic)}" if topic else ABOUT_PREVIOUS


def read_as(question: str) -> str:
    """How an ellipsis was read: "Verstanden als „Was forderte Boris Pistorius?“"."""
    return f"Verstanden als „{question}“"


def in_context(context: str, text: str) -> str:
    """An answer that says first how its question was read: "Bezogen auf Mark Rutte: …"."""
    return f"{context}: {text}"


def quotes_start(context: str) -> int:
    """Where the quotes begin in the text of an answer with this `context` (see `in_context`)."""
    return len(in_context(context, "")) if context else 0


UNAVAILABLE = (
    "Ich kann gerade nicht antworten: Der Suchindex ist nicht verfügbar. "
    "Bitte versuchen Sie es später noch einmal."
)
"""What a visitor reads while there is no usable index. The reason names server paths and
is for the operator: `BotService.status().error`, `/admin`, and the app's log."""


def quoted(
    sentences: Sequence[tuple[str, str]], context: str = "", notices: tuple[str, ...] = ()
) -> str:
    """Sentences each followed by the marker of its passage (`(sentence, passage id)`),
    numbered in order of first appearance: `Satz. [1] Noch ein Satz. [2]`; after how the
    question was read (`context`), before any `notices`."""
    markers: dict[str, int] = {}
    for _, passage_id in sentences:
        markers.setdefault(passage_id, len(markers) + 1)
    body = " ".join(f"{sentence} [{markers[passage_id]}]" for sentence, passage_id in sentences)
    return _framed(body, context, notices)


def declined(
    suggestions: tuple[str, ...],
    context: str = "",
    notices: tuple[str, ...] = (),
    handover: str = "",
) -> str:
    """Nothing found, the `suggestions` to ask instead, and whom to ask (`handover`, the
    operator's words), on a line of its own."""
    body = NOTHING_FOUND
    if suggestions:
        listed = "\n".join(f"- {question}" for question in suggestions)
        body = f"{NOTHING_FOUND} {TRY_THESE}\n{listed}"
    if handover:
        body = f"{body}\n\n{handover}"
    return _framed(body, context, notices)


def _framed(body: str, context: str, notices: tuple[str, ...]) -> str:
    text = in_context(context, body) if context else body
    return "\n\n".join([text, *(f"{NOTICE_PREFIX}{notice}" for notice in notices)])


def _topics(titles: list[str]) -> str:
    """What the sources are, in words that fit an article, a policy PDF or an FAQ table."""
    if len(titles) == 1:
        return f"zu „{titles[0]}“"
    named = " und ".join(f"„{title}“" for title in titles[:2])
    more = f" und {len(titles) - 2} weiteren Dokumenten" if len(titles) > 2 else ""
    return f"zu {named}{more}"


def greeting(titles: list[str], examples: tuple[str, ...], thanks: bool) -> str:
    opening = "Gern geschehen!" if thanks else "Hallo!"
    text = f"{opening} Ich beantworte Fragen {_topics(titles)} und zitiere dabei die Quellen."
    if examples:
        text += f" Fragen Sie zum Beispiel: „{examples[0]}“"
    return text
