"""German sentence boundaries, as character spans, so that sentences can be quoted verbatim.

SoMaJo is a tokenizer built for German: it knows abbreviations ("z. B.", "Nr.", "Dr."),
dates ("12. Februar 2026"), ordinals and numbers ("3,5 %", "100-200 Milliarden"), which a
split on full stops gets wrong.
"""

import re
from functools import cache

from somajo import SoMaJo

Span = tuple[int, int]

_LINE = re.compile(r"[^\n]*\S[^\n]*")
_CLOSING_QUOTE = re.compile(r"(['\"“”»«‘’]+)(?:\s+|$)")


@cache
def _tokenizer() -> SoMaJo:
    return SoMaJo("de_CMC", split_camel_case=False, split_sentences=True, character_offsets=True)


def _sentences_of_line(text: str, offset: int) -> list[Span]:
    spans: list[Span] = []
    for sentence in _tokenizer().tokenize_text([text]):
        start, end = sentence[0].character_offset[0], sentence[-1].character_offset[1]
        closing = _CLOSING_QUOTE.match(text, start)
        if spans and closing:  # a quote that closes the previous sentence belongs to it
            spans[-1] = (spans[-1][0], offset + closing.end(1))
            start = closing.end()
        if start < end:
            spans.append((offset + start, offset + end))
    return spans


def split_sentences(text: str, hard_breaks: bool = False) -> tuple[Span, ...]:
    """The sentences of `text` as (start, end) spans; with `hard_breaks`, a line break always
    ends a sentence (list items and source lists have no full stops to go by)."""
    if not hard_breaks:
        return tuple(_sentences_of_line(text, 0))
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        spans.extend(_sentences_of_line(line.group(), line.start()))
    return tuple(spans)
