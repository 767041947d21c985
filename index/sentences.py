"""German sentence boundaries, as character spans, so that sentences can be quoted verbatim.

SoMaJo is a tokenizer built for German: it knows abbreviations ("z. B.", "Nr.", "Dr."),
dates ("12. Februar 2026"), ordinals and numbers ("3,5 %", "100-200 Milliarden"), which a
split on full stops gets wrong.

SoMaJo reads a paragraph as a whole, with memory in proportion to its length, and a text
without full stops is one "sentence" however long: so a paragraph longer than
`limits.MAX_BLOCK_CHARS` is handed over in pieces, and a sentence longer than
`limits.MAX_SENTENCE_CHARS` is cut at word boundaries.
"""

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from somajo import SoMaJo

from index import limits
from index.documents import Capped

Span = tuple[int, int]
"""[start, end) in characters: of a sentence in its text, a quote in its passage, a word in
a question; the one name for such offsets everywhere."""

_LINE = re.compile(r"[^\n]*\S[^\n]*")
_CLOSING_QUOTE = re.compile(r"(['\"“”»«‘’]+)(?:\s+|$)")
_PIECE_BREAKS = (
    re.compile(r"\n\s*"),
    re.compile(r"(?<=[^\W\d_]{2})[.!?…]['\"“”»«‘’)\]]*\s+(?=[\"„“«»‚'(]?[A-ZÄÖÜ])"),
    re.compile(r"\s+"),
)
"""Where a long paragraph is best cut, best first: a line break; a sentence end (after a
word of two letters or more, before a capital, so not in "z. B." or "am 12. Mai"); any
space. A piece ends where a match ends."""
_WORD_BREAK = (re.compile(r"\s+"),)


@dataclass(frozen=True, slots=True)
class Sentences:
    """A text's sentence spans, and what the caps changed to find them."""

    spans: tuple[Span, ...]
    capped: tuple[Capped, ...] = ()


@cache
def _tokenizer() -> SoMaJo:
    return SoMaJo("de_CMC", split_camel_case=False, split_sentences=True, character_offsets=True)


def _cut(text: str, start: int, limit: int, breaks: tuple[re.Pattern[str], ...]) -> int:
    """Where to end a piece that starts at `start`: at the last of the best `breaks` in the
    second half of its room, or at `start + limit` if there is none."""
    for pattern in breaks:  # a break may end just after the room: its white space is dropped
        last = deque(pattern.finditer(text, start + max(1, limit // 2), start + limit + 1), 1)
        if last:
            return last[0].end()
    return start + limit


def pieces(
    text: str, span: Span, limit: int, breaks: tuple[re.Pattern[str], ...] = _PIECE_BREAKS
) -> Iterator[Span]:
    """`span` of `text` in consecutive pieces of at most `limit` characters, cut at the best
    of `breaks`, each without the white space around it."""
    start, end = span
    while start < end:
        stop = end if end - start <= limit else _cut(text, start, limit, breaks)
        piece = text[start:stop]
        first, last = start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())
        if first < last:
            yield first, last
        start = stop


def _sentences_of_piece(text: str, span: Span) -> list[Span]:
    """The sentences of `text[span]`; all of it as one sentence if SoMaJo finds none."""
    offset = span[0]
    piece = text[span[0] : span[1]]
    spans: list[Span] = []
    for sentence in _tokenizer().tokenize_text([piece]):
        start, end = sentence[0].character_offset[0], sentence[-1].character_offset[1]
        closing = _CLOSING_QUOTE.match(piece, start)
        if spans and closing:  # a quote that closes the previous sentence belongs to it
            spans[-1] = (spans[-1][0], offset + closing.end(1))
            start = closing.end()
        if start < end:
            spans.append((offset + start, offset + end))
    if not spans and piece.strip():
        start = len(piece) - len(piece.lstrip())
        spans.append((offset + start, offset + len(piece.rstrip())))
    return spans


def _cut_sentences(text: str, spans: list[Span]) -> tuple[list[Span], list[Capped]]:
    """Every span longer than `limits.MAX_SENTENCE_CHARS` cut into pieces at word
    boundaries (or, in one unbroken word, at the cap)."""
    cut: list[Span] = []
    capped: list[Capped] = []
    limit = limits.MAX_SENTENCE_CHARS
    for span in spans:
        if span[1] - span[0] > limit:
            change = f"cut into pieces of at most {limit:,} at word boundaries"
            capped.append(Capped("sentence", span[1] - span[0], change))
        cut.extend(pieces(text, span, limit, _WORD_BREAK))
    return cut, capped


def _parts(text: str, hard_breaks: bool) -> Iterator[Span]:
    if not hard_breaks:
        yield 0, len(text)
        return
    for line in _LINE.finditer(text):
        yield line.span()


def sentences(text: str, hard_breaks: bool = False) -> Sentences:
    """The sentences of `text` as (start, end) spans; with `hard_breaks`, a line break always
    ends a sentence (list items and source lists have no full stops to go by).

    A paragraph (or line) longer than `limits.MAX_BLOCK_CHARS` goes to SoMaJo in pieces cut
    at a line break, else after a sentence end, else at a space; `capped` says so.
    """
    spans: list[Span] = []
    capped: list[Capped] = []
    limit = limits.MAX_BLOCK_CHARS
    what = "line" if hard_breaks else "paragraph"
    for part in _parts(text, hard_breaks):
        if part[1] - part[0] > limit:
            change = f"split into pieces of at most {limit:,} before sentence splitting"
            capped.append(Capped(what, part[1] - part[0], change))
        for piece in pieces(text, part, limit):
            spans.extend(_sentences_of_piece(text, piece))
    cut, cut_capped = _cut_sentences(text, spans)
    return Sentences(tuple(cut), tuple(capped + cut_capped))


def split_sentences(text: str, hard_breaks: bool = False) -> tuple[Span, ...]:
    """The spans of `sentences(text, hard_breaks)`, for callers that need no report."""
    return sentences(text, hard_breaks).spans
