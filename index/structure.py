"""From a format's elements to a document's blocks: sections, lists, FAQ entries, sources.

Every format (plain text, Markdown, HTML, JSONL, CSV) goes through this one function, so
that an FAQ section or a sources list is recognised the same way wherever it comes from.
"""

import re
from dataclasses import dataclass
from enum import Enum, auto

from index import limits
from index.documents import Block, BlockKind, Capped, Element, ElementKind

FAQ_HEADING = re.compile(
    r"\bFAQs?\b|häufig(?:e|\s+gestellte)\s+fragen|fragen\s+und\s+antworten|\bQ\s*&\s*A\b",
    re.IGNORECASE,
)
SOURCES_HEADING = re.compile(
    r"(?:quellen(?:angaben|verzeichnis)?|einzelnachweise|literatur|belege|sources)\s*:?",
    re.IGNORECASE,
)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}")
_SHARE_WORDS = frozenset(
    {
        "facebook", "x", "twitter", "linkedin", "bluesky", "whatsapp", "xing", "threads",
        "mastodon", "telegram", "reddit", "pinterest", "e-mail", "email", "mail", "teilen",
        "drucken", "link", "kopieren",
    }
)  # fmt: skip
_FURNITURE_LINES = frozenset(
    {
        "verwandt",
        "verwandte artikel",
        "mehr zum thema",
        "weitere artikel",
        "lesen sie auch",
        "das könnte sie auch interessieren",
        "anzeige",
        "werbung",
        "teilen",
        "artikel teilen",
        "zum seitenanfang",
        "nach oben",
    }
)


def is_furniture(line: str, title: str) -> bool:
    """Page furniture: share-button rows, URL slugs, "Verwandt" and the repeated title."""
    text = line.strip()
    words = text.lower().split()
    return (
        text == title
        or _SLUG.fullmatch(text) is not None
        or text.lower().rstrip(":") in _FURNITURE_LINES
        or (len(words) >= 2 and all(word in _SHARE_WORDS for word in words))
    )


class _Mode(Enum):
    TEXT = auto()
    FAQ = auto()
    SOURCES = auto()


@dataclass(frozen=True, slots=True)
class Structure:
    """A document's recognised title and blocks, how much furniture was left out, and the
    headings and questions too long to be used as such."""

    title: str
    blocks: tuple[Block, ...]
    furniture: int
    capped: tuple[Capped, ...] = ()


@dataclass(slots=True)
class _OpenBlock:
    kind: BlockKind
    start: int
    end: int
    question: str = ""
    hard_breaks: bool = False
    lead_in: bool = False
    """A paragraph that ends with a colon: a list that follows belongs to it."""


class _Structurer:
    """A single pass over the elements; each element kind has one small handler."""

    def __init__(self, text: str, title: str) -> None:
        self.text = text
        self.title = title
        self.section = title
        self.mode = _Mode.TEXT
        self.pending: tuple[str, Element] | None = None
        """A question waiting for its answer: its text and where it stands."""
        self.open: _OpenBlock | None = None
        self.blocks: list[Block] = []
        self.furniture = 0
        self.capped: list[Capped] = []

    def feed(self, element: Element) -> None:
        content = self.text[element.start : element.end].strip()
        if not content:
            return
        lines = content.splitlines()
        if self.title and all(is_furniture(line, self.title) for line in lines if line.strip()):
            self.furniture += len(lines)
        elif self._too_long(element, content):
            self._as_text(element, content)
        elif element.kind is ElementKind.HEADING:
            self._heading(element, content)
        elif element.kind is ElementKind.QUESTION:
            self._question(element, content)
        else:
            self._body(element)

    def finish(self) -> Structure:
        self._close_pending()
        return Structure(self.title, tuple(self.blocks), self.furniture, tuple(self.capped))

    @staticmethod
    def _too_long(element: Element, content: str) -> bool:
        is_heading = element.kind in (ElementKind.HEADING, ElementKind.QUESTION)
        return is_heading and len(content) > limits.MAX_HEADING_CHARS

    def _as_text(self, element: Element, content: str) -> None:
        """A heading or question longer than `limits.MAX_HEADING_CHARS` is indexed as text:
        as a title, section or question it would be embedded and shown with every passage."""
        change = f"longer than the cap of {limits.MAX_HEADING_CHARS:,}, indexed as text"
        self.capped.append(Capped(element.kind.value, len(content), change))
        self._body(element)

    def _heading(self, element: Element, content: str) -> None:
        if not self.title:
            self.title = self.section = content
        elif self.mode is _Mode.FAQ and content.endswith("?"):
            self._question(element, content)
        elif self.mode is _Mode.SOURCES and element.level == 0:
            self._body(element)
        else:
            self._close_pending()
            self.section = content
            self.mode = (
                _Mode.FAQ
                if FAQ_HEADING.search(content)
                else _Mode.SOURCES
                if SOURCES_HEADING.fullmatch(content)
                else _Mode.TEXT
            )

    def _question(self, element: Element, content: str) -> None:
        self._close_pending()
        self.pending = (content, element)

    def _close_pending(self) -> None:
        """Close the open block, and keep an unanswered question as text."""
        self._flush()
        if self.pending is not None:
            _, element = self.pending
            self._emit(_OpenBlock(BlockKind.TEXT, element.start, element.end))
            self.pending = None

    def _body(self, element: Element) -> None:
        is_item = element.kind is ElementKind.LIST_ITEM or self.mode is _Mode.SOURCES
        current = self.open
        if self.pending is not None:
            question, _ = self.pending
            self._flush()
            self.open = _OpenBlock(BlockKind.FAQ, element.start, element.end, question)
            self.pending = None
        elif current is not None and self._continues(current, is_item):
            current.end = element.end
            current.hard_breaks = current.hard_breaks or is_item
        else:
            self._flush()
            kind = BlockKind.SOURCES if self.mode is _Mode.SOURCES else BlockKind.TEXT
            content = self.text[element.start : element.end].rstrip()
            self.open = _OpenBlock(
                kind, element.start, element.end, hard_breaks=is_item, lead_in=content.endswith(":")
            )

    @staticmethod
    def _continues(current: _OpenBlock, is_item: bool) -> bool:
        """An FAQ answer and a sources list take everything up to the next heading or
        question; a list joins the list or lead-in paragraph right before it."""
        if current.kind in (BlockKind.FAQ, BlockKind.SOURCES):
            return True
        return is_item and (current.hard_breaks or current.lead_in)

    def _flush(self) -> None:
        if self.open is not None:
            self._emit(self.open)
            self.open = None

    def _emit(self, block: _OpenBlock) -> None:
        self.blocks.append(
            Block(
                kind=block.kind,
                text=self.text[block.start : block.end],
                start=block.start,
                end=block.end,
                section=self.section,
                question=block.question,
                hard_breaks=block.hard_breaks,
            )
        )


def structure(text: str, elements: list[Element], title: str = "") -> Structure:
    """Recognise sections, lists, FAQ entries and sources in a document's elements.

    Without a `title`, the first heading becomes the title. Within a section whose heading
    names an FAQ, each question heading and the paragraphs after it form one FAQ entry.
    """
    structurer = _Structurer(text, title)
    for element in elements:
        structurer.feed(element)
    return structurer.finish()
