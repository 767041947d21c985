"""The units of data that flow from files to passages.

Loaders turn files into `Document`s; each document's text is the reference that every
offset points into, so that a cited passage can always be found again in its source.
"""

import bisect
import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from index import limits


def content_hash(*parts: str) -> str:
    """A short, stable id for content: the same parts always give the same id."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8"))
    return digest.hexdigest()[:16]


def _escape(char: str) -> str:
    if char.isprintable() or unicodedata.category(char) == "Zs":
        return char
    return char.encode("unicode_escape").decode("ascii")


def escaped(text: str) -> str:
    """`text` for one line of a terminal or log: control, format and line-separating
    characters (and undecodable bytes of a file name) as Python escapes, a line break as
    the two characters backslash and n.

    A file name or id can hold a line break or a terminal escape sequence; printed as it is,
    it would forge lines of the summary or recolour the terminal. Backslashes are left as
    they are, so that escaping twice changes nothing.
    """
    return text if text.isprintable() else "".join(_escape(char) for char in text)


def shortened(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last space, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", limit // 2)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def described(error: Exception) -> str:
    """An unexpected error in a few words, for a report: its type and the start of its
    message (which may quote the hostile input that caused it)."""
    message = shortened(" ".join(str(error).split()), 200)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class ElementKind(StrEnum):
    """What a loader recognised in a file, before any interpretation of sections or FAQs."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    QUESTION = "question"
    """A question the file marks explicitly as one (CSV and JSONL FAQ rows, `<dt>`, `<summary>`)."""


@dataclass(frozen=True, slots=True)
class Element:
    """A span of a document's text with the role its file format gives it.

    `level` is the heading depth where the format states it (Markdown, HTML) and 0 where it is
    only inferred from layout (plain text), which `structure` treats as weaker evidence.
    """

    kind: ElementKind
    start: int
    end: int
    level: int = 0


class BlockKind(StrEnum):
    """The roles a piece of a document plays for retrieval and citation."""

    TEXT = "text"
    FAQ = "faq"
    SOURCES = "sources"


@dataclass(frozen=True, slots=True)
class Extracted:
    """A file's text as its format reads it, before any interpretation: what every format
    module hands to `structure`.

    `elements` locate headings, paragraphs, list items and questions in `text`.
    `page_starts` are the offsets in `text` where pages 1, 2, … begin (the first is 0;
    empty for formats without pages), so that a passage can be cited with its page.
    """

    text: str
    elements: tuple[Element, ...]
    title: str = ""
    page_starts: tuple[int, ...] = ()


class ElementText:
    """A document text built element by element, a blank line between two, each element's
    span recorded: how every format that assembles its text (HTML, Word) makes one."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.elements: list[Element] = []

    def add(self, kind: ElementKind, text: str, level: int = 0) -> None:
        """Append `text` (already cleaned) as one element; nothing if it is empty."""
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        self.elements.append(Element(kind, self.length, self.length + len(text), level))
        self.parts.append(text)
        self.length += len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class FileProblem(Exception):
    """A file (or one line of it) cannot be used; becomes a `Skipped` entry."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, a list with its lead-in, a FAQ answer, or a sources list.

    `text` is always `document.text[start:end]`: blocks quote, they never rewrite.
    """

    kind: BlockKind
    text: str
    start: int
    end: int
    section: str
    question: str = ""
    hard_breaks: bool = False
    """Line breaks separate items (lists, sources): sentence splitting must honour them."""


@dataclass(frozen=True, slots=True)
class Capped:
    """One thing a cap of `index.limits` changed: still indexed, but not as it stood."""

    what: str
    """A singular noun: "paragraph", "sentence", "title", "heading", "question"."""
    chars: int
    """Its length before the change."""
    change: str
    """What was done, with the cap: "cut into pieces of at most 2,000 at word boundaries"."""


@dataclass(frozen=True, slots=True)
class Document:
    """One document of the corpus, with its structure already recognised."""

    doc_id: str
    source: str
    title: str
    text: str
    blocks: tuple[Block, ...]
    content_hash: str
    url: str = ""
    furniture: int = 0
    """How many lines of page furniture (share rows, slugs, "Verwandt") were left out."""
    capped: tuple[Capped, ...] = ()
    """What the caps of `index.limits` changed in it (an overlong title or heading)."""
    page_starts: tuple[int, ...] = ()
    """Where pages 1, 2, … begin in `text` (PDF: the first is 0); empty without pages."""

    def page_at(self, offset: int) -> int:
        """The page (from 1) that holds `offset`; 0 if the document has no pages."""
        return bisect.bisect_right(self.page_starts, offset)


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something that was not indexed, or not as it stood, and why: every one is reported,
    none is silent.

    Besides files and lines that were left out, this reports what the caps of
    `index.limits` changed (a paragraph split into pieces) and duplicates indexed once: the
    manifest keeps these items, and a reader of the summary needs to see both.
    """

    source: str
    reason: str
    line: int | None = None

    def __post_init__(self) -> None:
        """Source and reason `escaped`: they may quote a file name, a link's target or an
        error message, and must print on one line and fit into the JSON manifest."""
        object.__setattr__(self, "source", escaped(self.source))
        object.__setattr__(self, "reason", escaped(self.reason))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


def capped_report(source: str, capped: Iterable[Capped]) -> list[Skipped]:
    """One line per kind of change in a file, however often the change was made: a file
    with 10,000 overlong sentences gets one line, not 10,000."""
    groups: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for item in capped:
        groups[item.what, item.change].append(item.chars)
    report = []
    for (what, change), sizes in groups.items():
        if len(sizes) == 1:
            report.append(Skipped(source, f"{what} of {sizes[0]:,} characters {change}"))
        else:
            many = f"{len(sizes):,} {what}s of up to {max(sizes):,} characters"
            report.append(Skipped(source, f"{many} {change}"))
    return report


def bounded(skipped: Iterable[Skipped]) -> tuple[Skipped, ...]:
    """At most `limits.MAX_REPORTED_PER_FILE` items per source, then one "… and N more".

    Items are grouped by source, in the order each source first appears.
    """
    by_source: defaultdict[str, list[Skipped]] = defaultdict(list)
    for item in skipped:
        by_source[item.source].append(item)
    kept: list[Skipped] = []
    for source, items in by_source.items():
        kept.extend(items[: limits.MAX_REPORTED_PER_FILE])
        if len(items) > limits.MAX_REPORTED_PER_FILE:
            more = len(items) - limits.MAX_REPORTED_PER_FILE
            kept.append(Skipped(source, f"… and {more:,} more problems of this file not listed"))
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class Corpus:
    """What loading a data directory produced: documents, and everything that was skipped."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
