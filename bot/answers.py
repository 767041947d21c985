"""What the bot hands out: hits (retrieved passages) and answers."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter, with_config

from index.sentences import Span

_ALWAYS_THERE = ConfigDict(json_schema_serialization_defaults_required=True)
"""In the API's schema every field is required: a default is the library's, the JSON has
them all."""


@with_config(_ALWAYS_THERE)
@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage: the text to quote and everything a citation needs.

    `score` is the fused retrieval score (higher is better; comparable within one query).
    In an answer's citations, `quoted` marks the sentences of `text` that the answer quotes.
    The descriptions are the REST API's documentation: this class is its schema.
    """

    doc_id: str
    text: str
    title: str
    section: str
    source: str
    score: Annotated[
        float, Field(description="Retrieval score; higher is better, within one query.")
    ]
    passage_id: str = ""
    question: Annotated[
        str, Field(description="The FAQ question, if the passage is an FAQ entry.")
    ] = ""
    url: Annotated[str, Field(description="The document's web address, if it has one.")] = ""
    start: Annotated[
        int, Field(description="Where the passage starts in its document (characters).")
    ] = 0
    end: int = 0
    quoted: Annotated[
        tuple[Span, ...],
        Field(description="In an answer's citations: the quoted sentences as spans of `text`."),
    ] = ()
    first_page: Annotated[
        int, Field(description="The first page the passage stands on (PDF), else 0.")
    ] = 0
    last_page: int = 0

    def to_json(self) -> dict[str, Any]:
        return _HIT_JSON.dump_python(self, mode="json")


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


@with_config(_ALWAYS_THERE)
@dataclass(frozen=True, slots=True)
class Answer:
    """A German answer; every quoted sentence is followed by its marker `[n]`, and
    `citations[n - 1]` is the passage it came from. The one shape of an answer: the chat's
    `/answer`, `POST /api/answer` and the OpenAPI document all use it."""

    text: Annotated[str, Field(description="The answer; each quoted sentence is followed by [n].")]
    citations: Annotated[
        tuple[Hit, ...], Field(description="citations[n - 1] is the source of [n].")
    ]
    answered: Annotated[bool, Field(description="Whether the sources answer the question.")]
    confidence: Annotated[
        float, Field(ge=0, le=1, description="How likely the sources answer the question.")
    ]
    kind: AnswerKind = AnswerKind.ANSWER
    suggestions: Annotated[
        tuple[str, ...], Field(description="Related questions, when the bot declines.")
    ] = ()
    notices: Annotated[
        tuple[str, ...], Field(description="Remarks on the input, e.g. that it was shortened.")
    ] = ()
    context: Annotated[
        str, Field(description="How a follow-up was read („Bezogen auf …“), or empty.")
    ] = ""
    """The text begins with it ("Bezogen auf Mark Rutte: …")."""
    short: Annotated[
        str,
        Field(
            description="The phrase of the first quote that answers a who/when/where/"
            "how-many/which question, verbatim; empty when there is none."
        ),
    ] = ""
    short_span: Annotated[
        Span,
        Field(description="Where `short` stands in the first quote: [start, end) in characters."),
    ] = (0, 0)
    """Offsets into the quoted text before the first marker, after the context prefix if
    there is one (`wording.quotes_start`)."""

    @classmethod
    def saying(cls, text: str, kind: AnswerKind) -> "Answer":
        """A reply in the bot's own words that quotes nothing: a greeting (which counts as
        answered) or a hint, a refusal, an apology (which do not)."""
        greeting = kind is AnswerKind.GREETING
        return cls(text, (), answered=greeting, confidence=float(greeting), kind=kind)

    def to_json(self) -> dict[str, Any]:
        return _ANSWER_JSON.dump_python(self, mode="json")


_HIT_JSON = TypeAdapter(Hit)
_ANSWER_JSON = TypeAdapter(Answer)
