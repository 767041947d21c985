"""Sources one click away: a page per cited document, the citation marked and quoted.

Every citation links to `quelle/<key>?passage=<passage id>&zitat=<start>-<end>,…#passage-<id>`:

- `<key>` is the document id as unpadded base64url of its UTF-8 bytes (`document_key`).
  Document ids are JSONL ids or file paths and may hold anything: "/", "..", "?", "#",
  "%", line breaks. Percent-encoding would not do: servers decode "%2F" before routing, a
  proxy may too, and a browser resolves an id ".." as the parent directory. Base64url has
  none of these characters, so every id makes one path segment and comes back unchanged.
- `passage` names the cited passage, `zitat` the quoted sentences as character spans of the
  passage's text (what `Hit.quoted` holds). The server checks both: digits only, each span
  within the passage, at most `MAX_SPANS`; a page only marks, so nothing else can be asked.
- The fragment scrolls the browser to the cited passage (and `:target` outlines it): no
  script needed, and the page allows none.

The link is relative, without a leading slash: the chat page at `/` resolves it to
`/quelle/…`, and a chat mounted under a prefix (`/faq/`) to `/faq/quelle/…`, as long as
the router is included at the same prefix as the chat. The page links back to the chat
with `../` for the same reason.

The page shows the document as the index holds it (its passages in order: page furniture
and duplicate blocks are not in the index, so not on the page): the cited passage and its
neighbours, at most `MAX_PAGE_CHARS` of text, with links to the passages before and after
(`?ab=<position>`, the link's `passage` and `zitat` kept). Every text from a document
is escaped, and the page is served with a Content-Security-Policy that allows no scripts,
no images and no other resources: documents are untrusted input.
"""

import base64
import binascii
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.answers import Hit, Span
from index.documents import BlockKind
from index.passages import Passage
from index.store import IndexContent

log = logging.getLogger("faqbot.sources")

ROUTE = "quelle"
"""The path segment of source pages, below wherever the chat is served."""
ANCHOR = "passage-"
"""Prefix of the cited passage's element id, and so of the link's fragment."""
MAX_SPANS = 16
"""Quoted spans a link may carry. An answer quotes at most 3 sentences; a bound keeps a
forged link from making the server mark thousands of pieces."""

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""Sent with every page, errors included: should escaping ever fail, the browser still runs
no script, loads nothing, and tells the original site nothing of the bot; and it asks
again each time, so a page never outlives a rebuild of the index."""

NEIGHBOURS = 4
"""Passages shown on each side of the cited one: its section and the ones around it, not
the whole document (a page of a 1.1 MB document was 1.14 MB, and eight clients asking for
it slowed every answer fivefold)."""
MAX_PAGE_CHARS = 12_000
"""Characters of document text on one page at most (the cited passage is always shown):
a few screens, however long the passages."""

_KEY = re.compile(r"[A-Za-z0-9_-]+")
_POSITION = re.compile(r"[0-9]{1,9}")
_SPAN = re.compile(r"([0-9]{1,9})-([0-9]{1,9})")
"""ASCII digits only (`\\d` and `int` also take "٣"), few enough to stay a small int."""


# ---------------------------------------------------------------- links and labels


def document_key(doc_id: str) -> str:
    """The path segment that stands for `doc_id`: unpadded base64url (see the module)."""
    raw = doc_id.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def document_id(key: str) -> str | None:
    """The document id `key` stands for, or None if no `document_key` gives `key`.

    Only the canonical key is accepted, so each document has exactly one address.
    """
    if not _KEY.fullmatch(key):
        return None
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        doc_id = raw.decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return doc_id if document_key(doc_id) == key else None


def _merged(spans: Sequence[Span]) -> tuple[Span, ...]:
    """Non-empty spans sorted, overlapping ones joined: each character is marked once."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[0] < span[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def source_link(hit: Hit) -> str:
    """The relative URL of the page showing `hit` in its document (see the module for the
    scheme); the document alone if the hit names no passage."""
    link = f"{ROUTE}/{document_key(hit.doc_id)}"
    if not hit.passage_id:
        return link
    query = {"passage": hit.passage_id}
    spans = _merged(hit.quoted)[:MAX_SPANS]
    if spans:
        query["zitat"] = ",".join(f"{start}-{end}" for start, end in spans)
    return f"{link}?{urlencode(query, safe=',')}#{ANCHOR}{quote(hit.passage_id, safe='')}"


def _words(name: str) -> str:
    """`name` compared as words: "Kantine_FAQ" and "kantine-faq" are the same name."""
    return " ".join(re.sub(r"[\W_]+", " ", name.casefold()).split())


def source_label(hit: Hit) -> str:
    """Title, section and file name of a citation, each only if it says something new.

    A CSV FAQ's title and section are its file name, so the plain list would read
    "kantine-faq · kantine-faq · kantine-faq.csv". The section is shown if it is not the
    title; the file name (a web page's host) if neither names it (a title "NATO-Krise 2026:
    …" names "nato-krise-2026.txt"); the page of a PDF. Plain text: the caller escapes it.
    """
    parts: list[str] = []
    for part in (hit.title, hit.section):
        if part and _words(part) not in map(_words, parts):
            parts.append(part)
    file_name = origin_name(hit.source)
    stem = _words(PurePosixPath(file_name).stem)
    if file_name and not any(f" {stem} " in f" {_words(part)} " for part in parts):
        parts.append(file_name)
    return " · ".join([*parts, page_label(hit)] if hit.first_page else parts)


def origin_name(source: str) -> str:
    """A source's file name, or a web page's host: the address's last segment ("faq?id=3")
    says nothing, the site does."""
    url = web_url(source)
    return (urlsplit(url).hostname or url) if url else PurePosixPath(source).name


def page_label(hit: Hit) -> str:
    """ "S. 4", or "S. 4–5" for a passage that runs onto the next page."""
    if hit.last_page > hit.first_page:
        return f"S. {hit.first_page}–{hit.last_page}"
    return f"S. {hit.first_page}"


# ---------------------------------------------------------------- the page


class SourceError(Exception):
    """Why a source page cannot be shown: the HTTP status, and a German sentence for the
    visitor (never a path or a traceback). `link`, if set, is a relative link to what can
    be shown instead (the document, when only the passage is gone)."""

    def __init__(self, status: int, message: str, link: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.link = link


def parse_spans(text: str) -> tuple[Span, ...]:
    """The spans of a link's `zitat` ("12-80,95-140"); `SourceError` 400 if malformed.

    Only the form is checked here; whether they lie within the passage, `source_page` checks.
    """
    if not text:
        return ()
    items = text.split(",", MAX_SPANS)
    if len(items) > MAX_SPANS:
        raise SourceError(400, f"Ein Link darf höchstens {MAX_SPANS} Stellen markieren.")
    spans = []
    for item in items:
        match = _SPAN.fullmatch(item)
        if match is None:
            raise SourceError(400, "Die markierten Stellen in diesem Link sind ungültig.")
        spans.append((int(match[1]), int(match[2])))
    return tuple(spans)


@dataclass(frozen=True, slots=True)
class _Segment:
    """A stretch of the document shown as one block: one passage, or the overlapping
    windows a long paragraph was split into (shown once, not window by window)."""

    start: int
    end: int
    text: str
    section: str
    kind: BlockKind
    question: str
    passage_ids: tuple[str, ...]
    page: int
    """The page it begins on (PDF); 0 without pages."""


def _segments(passages: Sequence[Passage]) -> list[_Segment]:
    """The document's passages in text order, overlapping windows of a block joined.

    A passage's text is `document.text[start:end]`, so a window that overlaps the one
    before continues it at `end` of that one.
    """
    segments: list[_Segment] = []
    for p in sorted(passages, key=lambda passage: passage.start):
        last = segments[-1] if segments else None
        if (
            last is not None
            and p.start < last.end
            and (p.section, p.kind, p.question) == (last.section, last.kind, last.question)
        ):
            segments[-1] = _Segment(
                last.start,
                max(last.end, p.end),
                last.text + p.text[last.end - p.start :],
                last.section,
                last.kind,
                last.question,
                (*last.passage_ids, p.passage_id),
                last.page,
            )
        else:
            segments.append(
                _Segment(
                    p.start,
                    p.end,
                    p.text,
                    p.section,
                    p.kind,
                    p.question,
                    (p.passage_id,),
                    p.first_page,
                )
            )
    return segments


@dataclass(frozen=True, slots=True)
class Window:
    """The passages one page shows: positions `start` to `end` (exclusive) of the
    document's passages in text order."""

    start: int
    end: int


def window(lengths: Sequence[int], anchor: int, before: int, after: int) -> Window:
    """Passage `anchor` and up to `before` passages before it and `after` after it, taken
    alternately (the next one first) while the page stays within `MAX_PAGE_CHARS`; a side
    ends at the document's edge or at the first passage that would not fit."""
    start, end, used = anchor, anchor + 1, lengths[anchor]
    while before or after:
        if after:
            fits = end < len(lengths) and used + lengths[end] <= MAX_PAGE_CHARS
            used, end, after = (used + lengths[end], end + 1, after - 1) if fits else (used, end, 0)
        if before:
            fits = start > 0 and used + lengths[start - 1] <= MAX_PAGE_CHARS
            used, start, before = (
                (used + lengths[start - 1], start - 1, before - 1) if fits else (used, start, 0)
            )
    return Window(start, end)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _with_marks(text: str, marks: tuple[Span, ...]) -> str:
    parts, position = [], 0
    for start, end in marks:
        parts.append(_escape(text[position:start]))
        parts.append(f"<mark>{_escape(text[start:end])}</mark>")
        position = end
    parts.append(_escape(text[position:]))
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Citation:
    """The cited passage and its quoted spans, both already checked."""

    passage: Passage
    marks: tuple[Span, ...]


def _segment_html(segment: _Segment, citation: _Citation | None, question_level: int) -> str:
    """One block; if it holds the cited passage, with the fragment's id, the passage's
    stretch set off and the quoted sentences marked."""
    cited = citation if citation and citation.passage.passage_id in segment.passage_ids else None
    if cited is not None:
        begin = cited.passage.start - segment.start
        finish = begin + len(cited.passage.text)
        body = (
            f'{_escape(segment.text[:begin])}<span class="zitiert">'
            f"{_with_marks(segment.text[begin:finish], cited.marks)}</span>"
            f"{_escape(segment.text[finish:])}"
        )
        target = f' id="{_escape(ANCHOR + cited.passage.passage_id)}" aria-current="location"'
    else:
        body, target = _escape(segment.text), ""
    css = "stelle ziel" if cited is not None else "stelle"
    if segment.kind is BlockKind.FAQ:
        heading = f"<h{question_level}>{_escape(segment.question)}</h{question_level}>"
        return f'<section class="{css} faq"{target}>{heading}<p>{body}</p></section>'
    return f'<p class="{css} {segment.kind.value}"{target}>{body}</p>'


def _body_html(title: str, segments: list[_Segment], citation: _Citation | None) -> str:
    """The document's blocks, a heading wherever the section changes (the part before the
    first heading has the title as its section, and the title is already the page's h1),
    and a page mark where a PDF's next page begins, so that "S. 4" of a citation is found."""
    parts, section, headed, page = [], title, False, 0
    for segment in segments:
        if segment.page > page:
            page = segment.page
            parts.append(f'<p class="seite">S. {page}</p>')
        if segment.section != section:
            section = segment.section
            headed = bool(section) and section != title
            if headed:
                parts.append(f"<h2>{_escape(section)}</h2>")
        parts.append(_segment_html(segment, citation, 3 if headed else 2))
    return "\n".join(parts)


def web_url(url: str) -> str | None:
    """`url` if it is a plain http(s) address, to be linked; None for anything else
    ("javascript:", "data:", white space or control characters anywhere)."""
    if not url or any(char.isspace() or not char.isprintable() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed host ("http://[::1")
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _origin_html(first: Passage) -> str:
    """Where the document comes from: its file, or the web page it was read from (linked)."""
    url = web_url(first.url)
    origin = "Webseite" if web_url(first.source) else "Datei"
    named = f"{origin}: {_escape(origin_name(first.source))}"
    if url is None:
        return f'<p class="herkunft">{named}</p>'
    host = _escape(urlsplit(url).hostname or "")
    link = (
        f'<a href="{_escape(url)}" rel="noopener noreferrer nofollow">'
        f"Originalquelle öffnen ({host})</a>"
    )
    return f'<p class="herkunft">{named} · {link}</p>'


def _citation(passages: Sequence[Passage], passage_id: str, spans: Sequence[Span]) -> _Citation:
    """The cited passage of the document and its checked spans; `SourceError` if the passage
    is not in the document (404) or a span does not fit it (400)."""
    passage = next((p for p in passages if p.passage_id == passage_id), None)
    if passage is None:
        raise SourceError(
            404,
            "Die zitierte Stelle gibt es im aktuellen Index nicht mehr. Das Dokument ist noch da.",
            link=document_key(passages[0].doc_id),
        )
    if len(spans) > MAX_SPANS:
        raise SourceError(400, f"Ein Link darf höchstens {MAX_SPANS} Stellen markieren.")
    if any(not 0 <= start < end <= len(passage.text) for start, end in spans):
        raise SourceError(400, "Die markierten Stellen liegen nicht in der zitierten Passage.")
    return _Citation(passage, _merged(spans))


def parse_position(text: str) -> int | None:
    """The passage position a page link's `ab` names; None without one, `SourceError` 400
    if it is no plain number."""
    if not text:
        return None
    if not _POSITION.fullmatch(text):
        raise SourceError(400, "Die Angabe des Abschnitts in diesem Link ist ungültig.")
    return int(text)


def _nav_html(shown: Window, lengths: Sequence[int], query: dict[str, str]) -> str:
    """Links to the passages before and after the window, if the document goes on; the
    page before ends where this one begins."""
    total = len(lengths)
    if shown.end - shown.start == total:
        return ""
    parts = []
    if shown.start > 0:
        earlier = window(lengths, shown.start - 1, 2 * NEIGHBOURS, 0).start
        link = _escape("?" + urlencode({**query, "ab": earlier}, safe=","))
        parts.append(f'<a href="{link}" rel="prev">← Vorheriger Abschnitt</a>')
    parts.append(f"Abschnitte {shown.start + 1}–{shown.end} von {total}")
    if shown.end < total:
        link = _escape("?" + urlencode({**query, "ab": shown.end}, safe=","))
        parts.append(f'<a href="{link}" rel="next">Nächster Abschnitt →</a>')
    return f'<nav class="abschnitte" aria-label="Abschnitte">{" · ".join(parts)}</nav>'


def source_page(
    content: IndexContent,
    doc_id: str,
    passage_id: str = "",
    spans: Sequence[Span] = (),
    start: int | None = None,
) -> str:
    """The page of document `doc_id` as the index holds it: passage `passage_id` marked
    (none if empty) with `spans` of its text highlighted, shown with its neighbours
    (`NEIGHBOURS`, `MAX_PAGE_CHARS`); from passage position `start` on instead if given,
    with links to the passages before and after.

    Pure: reads only `content`. Raises `SourceError`: 404 for an unknown document, passage
    or position, 400 for spans without a passage or outside it.
    """
    passages = sorted((p for p in content.passages if p.doc_id == doc_id), key=lambda p: p.start)
    if not passages:
        raise SourceError(404, "Dieses Dokument gibt es im aktuellen Index nicht.")
    if spans and not passage_id:
        raise SourceError(400, "Markierte Stellen brauchen die Angabe der Passage.")
    if start is not None and start >= len(passages):
        raise SourceError(404, "Diesen Abschnitt gibt es in diesem Dokument nicht.")
    citation = _citation(passages, passage_id, spans) if passage_id else None
    lengths = [len(p.text) for p in passages]
    if start is not None:
        shown = window(lengths, start, 0, 2 * NEIGHBOURS)
    elif citation is not None:
        shown = window(lengths, passages.index(citation.passage), NEIGHBOURS, NEIGHBOURS)
    else:
        shown = window(lengths, 0, 0, 2 * NEIGHBOURS)
    query = {"passage": passage_id} if passage_id else {}
    if citation is not None and citation.marks:
        query["zitat"] = ",".join(f"{begin}-{end}" for begin, end in citation.marks)
    title = passages[0].title
    jump = ""
    if citation is not None:
        fragment = quote(ANCHOR + citation.passage.passage_id, safe="")
        away = not shown.start <= passages.index(citation.passage) < shown.end
        page = "?" + urlencode(query, safe=",") if away else ""
        target = _escape(f"{page}#{fragment}")
        jump = f'<p><a href="{target}">Zur zitierten Stelle springen</a></p>'
    nav = _nav_html(shown, lengths, query)
    main = (
        f"<h1>{_escape(title)}</h1>\n{_origin_html(passages[0])}\n{jump}\n{nav}\n"
        f"{_body_html(title, _segments(passages[shown.start : shown.end]), citation)}\n{nav}"
    )
    note = (
        "Gezeigt wird der Text, wie ihn der Suchindex von faqbot enthält: ohne "
        "Seitenelemente wie Teilen-Leisten, und ein mehrfach vorkommender Absatz nur an "
        "seiner ersten Stelle im Korpus."
    )
    return _page(f"{title} – Quelle", main, note)


def error_page(error: SourceError) -> str:
    """A German page for `error`: what went wrong, and where to go instead."""
    titles = {400: "Ungültiger Link", 404: "Nicht gefunden", 503: "Gerade nicht verfügbar"}
    title = titles.get(error.status, "Fehler")
    instead = (
        f'<p><a href="{_escape(error.link)}">Das ganze Dokument ansehen</a></p>'
        if error.link
        else ""
    )
    main = f"<h1>{title}</h1>\n<p>{_escape(error.message)}</p>\n{instead}"
    return _page(title, main, "")


_CSS = """
:root { color-scheme: light dark; --akzent: #1d4ed8; --flaeche: #eff6ff; --leise: #555; }
@media (prefers-color-scheme: dark) {
  :root { --akzent: #93c5fd; --flaeche: #1e293b; --leise: #aaa; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 42rem; padding: 1rem; font: 1.0625rem/1.6 system-ui,
  -apple-system, "Segoe UI", Roboto, sans-serif; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; line-height: 1.3; margin: .5rem 0; }
h2 { font-size: 1.25rem; line-height: 1.3; margin: 2rem 0 .5rem; }
h3 { font-size: 1.0625rem; margin: 0 0 .25rem; }
a { color: var(--akzent); }
nav, .herkunft, footer { color: var(--leise); font-size: .9375rem; }
footer { margin-top: 3rem; border-top: 1px solid currentColor; padding-top: .5rem; }
.stelle { white-space: pre-line; margin: 0 0 1rem; }
.seite { color: #555; font-size: 0.85rem; border-top: 1px solid #ccc; margin: 1.5rem 0 0.5rem; }
.stelle p { margin: 0; }
.faq { margin-bottom: 1.25rem; }
.ziel { border-left: 4px solid var(--akzent); padding-left: .75rem; scroll-margin-top: 1rem; }
:target { outline: 2px solid var(--akzent); outline-offset: .25rem; }
.zitiert { background: var(--flaeche); }
mark { background: #fde68a; color: #111; padding: 0 .1em; }
"""


def _page(title: str, main: str, note: str) -> str:
    footer = f"<footer><p>{_escape(note)}</p></footer>\n" if note else ""
    return (
        '<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_escape(title)} – faqbot</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<header><nav aria-label="Navigation"><a href="../">← Zurück zum Chat</a></nav>'
        f"</header>\n<main>\n{main}\n</main>\n{footer}</body>\n</html>\n"
    )


# ---------------------------------------------------------------- the route


def _html(status: int, page: str) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=HEADERS)


def _respond(
    get_content: Callable[[], IndexContent | None], key: str, passage: str, zitat: str, ab: str
) -> HTMLResponse:
    try:
        content = get_content()
        if content is None:
            raise SourceError(
                503, "Der Suchindex ist gerade nicht verfügbar. Bitte versuchen Sie es später."
            )
        spans, start = parse_spans(zitat), parse_position(ab)
        doc_id = document_id(key)
        if doc_id is None:
            raise SourceError(404, "Dieses Dokument gibt es im aktuellen Index nicht.")
        return _html(200, source_page(content, doc_id, passage, spans, start))
    except SourceError as error:
        return _html(error.status, error_page(error))
    except Exception:  # the visitor gets a German page, the operator the traceback
        log.exception("source page failed")
        failed = SourceError(500, "Diese Seite konnte nicht erstellt werden.")
        return _html(500, error_page(failed))


def source_routes(get_content: Callable[[], IndexContent | None]) -> APIRouter:
    """The source pages, at `quelle/<key>` below the router's prefix.

    `get_content` returns the index to show, or None while there is none (a German 503
    page). With a `BotService`: `lambda: (bot := service.bot) and bot.content` reads the
    current bot once, so a page never mixes two indexes during a rebuild. Include the
    router before mounting the chat at the same prefix (a mount at "/" takes every path).
    """
    router = APIRouter()

    @router.get(f"/{ROUTE}/{{key}}", include_in_schema=False)
    def source(key: str, passage: str = "", zitat: str = "", ab: str = "") -> HTMLResponse:
        return _respond(get_content, key, passage, zitat, ab)

    return router
