"""The units of data that flow from files to passages.

Loaders turn files into `Document`s; each document's text is the reference that every
offset points into, so that a cited passage can always be found again in its source.
"""

import hashlib
from dataclasses import dataclass
from enum import StrEnum


def content_hash(*parts: str) -> str:
    """A short, stable id for content: the same parts always give the same id."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8"))
    return digest.hexdigest()[:16]


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


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something that was not indexed, and why: every one is reported, none is silent."""

    source: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Corpus:
    """What loading a data directory produced: documents, and everything that was skipped."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
