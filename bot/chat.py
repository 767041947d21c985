"""Answers as chat messages: every user or document text is shown as text, never as markup.

The chat renders Markdown and HTML, so text from users and documents is entity-encoded
character by character (`as_text`): a `<script>`, an `<img onerror=…>`, `**bold**` or a
`[link](…)` arrives in the browser as the characters it is made of. Only the few tags
this module writes itself (`<mark>`, `<div class>`, `<small>`) are markup.
"""

import re
from typing import Any

from bot.types import Answer, AnswerKind, Hit

_MARKUP = re.compile(r"[^\w\s]|_", re.UNICODE)
"""Every character that Markdown, HTML or LaTeX could read as syntax: all punctuation."""


def as_text(text: str) -> str:
    """`text` encoded so that any Markdown/HTML renderer shows exactly these characters."""
    return _MARKUP.sub(lambda match: f"&#{ord(match.group())};", text)


def highlighted(hit: Hit) -> str:
    """The passage text with the quoted sentences marked."""
    parts, position = [], 0
    for start, end in sorted(hit.quoted):
        parts.append(as_text(hit.text[position:start]))
        parts.append(f"<mark>{as_text(hit.text[start:end])}</mark>")
        position = end
    parts.append(as_text(hit.text[position:]))
    return "".join(parts)


def sources_html(citations: tuple[Hit, ...]) -> str:
    blocks = []
    for number, hit in enumerate(citations, start=1):
        where = " · ".join(as_text(part) for part in (hit.title, hit.section, hit.source) if part)
        question = f"<br><em>{as_text(hit.question)}</em>" if hit.question else ""
        blocks.append(
            f'<div class="faqbot-source"><strong>[{number}]</strong> <small>{where}</small>'
            f"{question}<br>{highlighted(hit)}</div>"
        )
    return "\n".join(blocks)


def answer_messages(reply: Answer) -> list[dict[str, Any]]:
    """The assistant's messages for one answer: the answer, then a collapsed "Quellen" block
    (if it cites anything). Suggested questions become clickable options."""
    text = as_text(reply.text).replace("\n", "<br>")
    css = "faqbot-declined" if reply.kind in (AnswerKind.DECLINED, AnswerKind.UNAVAILABLE) else ""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": f'<div class="faqbot-answer {css}">{text}</div>',
    }
    if reply.suggestions:
        message["options"] = [{"value": s, "label": s} for s in reply.suggestions]
    messages = [message]
    if reply.citations:
        messages.append(
            {
                "role": "assistant",
                "content": sources_html(reply.citations),
                "metadata": {"title": f"Quellen ({len(reply.citations)})", "status": "done"},
            }
        )
    return messages


def user_message(question: str) -> dict[str, Any]:
    return {"role": "user", "content": as_text(question)}
