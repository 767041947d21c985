"""Answers as chat messages: the text exactly as typed or quoted, and safe in a browser.

The chat shows each message as sanitized HTML without Markdown (`render_markdown=False`).
So user and document text needs escaping only where HTML would read it as markup: a `<`
that opens a tag and a `&` that opens a character reference (`shown`). `<script>` or
`<img onerror=…>` arrive as the characters they are made of, while German text with its
commas, dashes, quotes, `&`, `§` and `%` stays as typed, for the eye, the copy button and
the screen reader alike. Only the few tags this module writes itself (`<a>` to the source
pages and to a source's web page, `<mark>`, `<p>`, `<br>`, `<em>`, `<strong>` for the
short answer) are markup.
"""

import re
from html import escape
from typing import Any

from bot.answers import Answer, AnswerKind, Hit
from bot.wording import NOTICE_PREFIX, quotes_start
from web.sources import source_label, source_link, web_url

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_REFERENCE = re.compile(r"&(?=[A-Za-z#])")
_MARKER = re.compile(r"\[(\d{1,3})\]")

THINKING_MESSAGE: dict[str, Any] = {
    "role": "assistant",
    "content": "",
    "metadata": {"title": "Ich suche in den Quellen …", "status": "pending"},
}
"""Shown under the question until its answer replaces it."""


def shown(text: str) -> str:
    """`text` as HTML that displays exactly these characters."""
    return _TAG_OPEN.sub("&lt;", _REFERENCE.sub("&amp;", text))


def highlighted(hit: Hit) -> str:
    """The passage text with the quoted sentences marked."""
    parts, position = [], 0
    for start, end in sorted(hit.quoted):
        parts.append(shown(hit.text[position:start]))
        parts.append(f"<mark>{shown(hit.text[start:end])}</mark>")
        position = end
    parts.append(shown(hit.text[position:]))
    return "".join(parts)


UNVOTABLE = frozenset({AnswerKind.GREETING, AnswerKind.HINT, AnswerKind.UNAVAILABLE})
"""Replies that answer nothing from the sources: there is nothing to judge, so the page
shows no 👍/👎 under them (`faqbot-unrated`)."""


def _link(hit: Hit, text: str, name: str = "") -> str:
    """A link to the passage in its document; `name`, if given, is its title, which the
    page also makes its accessible name (a bare "[1]" says nothing; the chat's sanitizer
    keeps `title` and drops `aria-label`)."""
    title = f' title="{escape(name)}"' if name else ""
    return f'<a href="{source_link(hit)}" target="_blank" rel="noopener"{title}>{text}</a>'


def _original_link(hit: Hit) -> str:
    """A link to the web page a passage was read from, if any (the label names its host)."""
    url = web_url(hit.url)
    if url is None:
        return ""
    return (
        f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">'
        "Originalseite ↗</a>"
    )


def sources_html(citations: tuple[Hit, ...]) -> str:
    """Each cited passage: a link to it in its document, labelled by number and source (and a
    link to the web page it comes from), then the passage with the quoted sentences marked."""
    blocks = []
    for number, hit in enumerate(citations, start=1):
        question = f"<br><em>{shown(hit.question)}</em>" if hit.question else ""
        label = _link(hit, f"[{number}] {shown(source_label(hit))}") + _original_link(hit)
        blocks.append(f'<p class="faqbot-source">{label}{question}<br>{highlighted(hit)}</p>')
    return "".join(blocks)


def _answer_html(reply: Answer) -> str:
    """The answer's text in paragraphs, a notice ("Hinweis: …") set apart, its [n] markers
    linked to their sources; a decline's suggested questions are left to the buttons under
    it, so they are not listed twice."""
    text = reply.text
    if reply.suggestions:
        offered = {f"- {question}" for question in reply.suggestions}
        text = "\n".join(line for line in text.split("\n") if line not in offered)
    html = _paragraphs(_short_in_bold(text.strip(), reply))
    if reply.kind in UNVOTABLE:
        html = f'<div class="faqbot-unrated">{html}</div>'
    if not reply.citations:
        return html

    def linked(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if 1 <= number <= len(reply.citations):
            hit = reply.citations[number - 1]
            return _link(hit, match.group(), f"Quelle {number}: {source_label(hit)}")
        return match.group()

    return _MARKER.sub(linked, html)


def _paragraphs(html: str) -> str:
    """Blank lines as paragraphs, a notice as a paragraph of its own kind, other line
    breaks kept."""
    blocks = []
    for block in html.split("\n\n"):
        kind = ' class="faqbot-notice"' if block.startswith(NOTICE_PREFIX) else ""
        blocks.append(f"<p{kind}>{block.replace(chr(10), '<br>')}</p>")
    return "".join(blocks)


def _short_in_bold(text: str, reply: Answer) -> str:
    """`text` as HTML, the short answer in the first quote in bold."""
    offset = quotes_start(reply.context)
    start, end = (offset + position for position in reply.short_span)
    if not reply.short or text[start:end] != reply.short:
        return shown(text)
    return f"{shown(text[:start])}<strong>{shown(text[start:end])}</strong>{shown(text[end:])}"


def answer_messages(reply: Answer) -> list[dict[str, Any]]:
    """The assistant's messages for one answer: the answer, then a collapsed "Quellen" block
    (if it cites anything). Suggested questions become buttons."""
    message: dict[str, Any] = {"role": "assistant", "content": _answer_html(reply)}
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
    return {"role": "user", "content": shown(question)}
