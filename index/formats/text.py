"""Plain text: paragraphs split at blank lines; a short single line that does not end like a
sentence is a heading."""

import re
from collections.abc import Iterator

from index.documents import Element, ElementKind, Extracted, content_hash
from index.formats import Loaded, decode, document

# Plain text: a short single line that does not end like a sentence is a heading.
_MAX_HEADING_CHARS = 150
_SENTENCE_END = tuple(".:;,!")
_BULLET = re.compile(r"(?:[•·▪‣◦*+\-–—]|\d{1,3}[.)])\s+\S")
_NONBLANK_LINE = re.compile(r"^[ \t]*(\S(?:.*\S)?)[ \t\r]*$", re.MULTILINE)


def _paragraph_spans(text: str) -> Iterator[list[tuple[int, int]]]:
    """Groups of non-blank lines (as stripped spans) separated by blank lines."""
    group: list[tuple[int, int]] = []
    for match in _NONBLANK_LINE.finditer(text):
        if group and text.count("\n", group[-1][1], match.start(1)) > 1:
            yield group
            group = []
        group.append(match.span(1))
    if group:
        yield group


def plain_text_elements(text: str, infer_headings: bool = True) -> list[Element]:
    """Paragraphs, bullet items and (if asked) headings of plain text, by layout alone."""
    elements: list[Element] = []
    for lines in _paragraph_spans(text):
        bullets = [span for span in lines if _BULLET.match(text, span[0])]
        if bullets and len(bullets) == len(lines):
            elements.extend(Element(ElementKind.LIST_ITEM, *span) for span in lines)
            continue
        start, end = lines[0][0], lines[-1][1]
        line = text[start:end]
        is_heading = (
            infer_headings
            and len(lines) == 1
            and len(line) <= _MAX_HEADING_CHARS
            and not line.endswith(_SENTENCE_END)
        )
        kind = ElementKind.HEADING if is_heading else ElementKind.PARAGRAPH
        elements.append(Element(kind, start, end))
    return elements


def load_plain_text(raw: bytes, rel: str) -> Loaded:
    text = decode(raw)
    extracted = Extracted(text, tuple(plain_text_elements(text)))
    return [document(rel, extracted, content_hash(text))], []
