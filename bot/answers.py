"""What the bot hands out: hits (retrieved passages) and answers."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage: the text to quote and everything a citation needs.

    `score` is the fused retrieval score (higher is better; comparable within one query).
    In an answer's citations, `quoted` marks the sentences of `text` that the answer quotes.
    """

    doc_id: str
    text: str
    title: str
    section: str
    source: str
    score: float
    passage_id: str = ""
    question: str = ""
    url: str = ""
    start: int = 0
    end: int = 0
    quoted: tuple[Span, ...] = ()
    first_page: int = 0
    """The pages the passage stands on (PDF), for the citation; 0 without pages."""
    last_page: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class AnswerKind(StrEnum):
    """Why an answer looks the way it does; the UI styles each kind differently."""

    ANSWER = "answer"
    """Sentences quoted from the passages that answer the question."""
    FAQ = "faq"
    """The answer of an FAQ entry whose question matches."""
    DECLINED = "declined"
    """The sources say nothing on this; related questions are offered."""
    GREETING = "greeting"
    """A greeting or thanks, answered with what the bot can do."""
    HINT = "hint"
    """Nothing to search for (empty input)."""
    UNAVAILABLE = "unavailable"
    """The index cannot be used (missing, damaged, built with another model)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A German answer; every quoted sentence is followed by its marker `[n]`, and
    `citations[n - 1]` is the passage it came from."""

    text: str
    citations: tuple[Hit, ...]
    answered: bool
    confidence: float
    """0–1: how likely it is that the sources answer the question."""
    kind: AnswerKind = AnswerKind.ANSWER
    suggestions: tuple[str, ...] = ()
    """Related questions from the corpus, offered when the bot declines."""
    notices: tuple[str, ...] = field(default=())
    """Remarks on the input, such as that it was shortened."""
    context: str = ""
    """How a follow-up was read in its conversation, in German ("Bezogen auf Mark Rutte");
    the text begins with it. Empty when the question was answered as typed."""
    short: str = ""
    """The phrase of the first quote that answers a who/when/where/how-many/which question
    ("12. Februar 2026"), verbatim; empty when there is none the bot is sure of."""
    short_span: Span = (0, 0)
    """Where `short` stands in the first quote: the quoted text before the first marker,
    after the context prefix if there is one (`wording.quotes_start`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answered": self.answered,
            "confidence": self.confidence,
            "kind": self.kind.value,
            "citations": [hit.to_json() for hit in self.citations],
            "suggestions": list(self.suggestions),
            "notices": list(self.notices),
            "context": self.context,
            "short": self.short,
            "short_span": list(self.short_span),
        }
