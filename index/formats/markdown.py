"""Markdown: blocks from markdown-it's tokens."""

import re

from markdown_it import MarkdownIt

from index.documents import Element, ElementKind, Extracted, content_hash
from index.formats import Loaded, decode, document

_BLOCK_TOKENS = {"paragraph_open", "heading_open", "fence", "code_block", "table_open"}


def markdown_elements(text: str) -> list[Element]:
    """Headings (with their level), paragraphs and list items, located in the source.

    Only the block structure is parsed: inline markup is kept as it stands in the source,
    and markdown-it's inline parser needs minutes for some 100 KB of brackets or asterisks.
    """
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_starts.append(len(text))
    elements: list[Element] = []
    in_list_item = 0
    for token in MarkdownIt("commonmark").enable("table").disable("inline").parse(text):
        if token.type == "list_item_open":
            in_list_item += 1
        elif token.type == "list_item_close":
            in_list_item -= 1
        elif token.type in _BLOCK_TOKENS and token.map and token.level <= 2 * in_list_item + 1:
            first, last = token.map
            span = text[line_starts[first] : line_starts[last]]
            start = line_starts[first] + len(span) - len(span.lstrip())
            end = line_starts[first] + len(span.rstrip())
            if token.type == "heading_open":
                start += len(span.lstrip()) - len(span.lstrip().lstrip("#").lstrip())
                level = int(token.tag[1])
                elements.append(Element(ElementKind.HEADING, start, end, level))
            else:
                kind = ElementKind.LIST_ITEM if in_list_item else ElementKind.PARAGRAPH
                elements.append(Element(kind, start, end))
    return elements


def load_markdown(raw: bytes, rel: str) -> Loaded:
    text = decode(raw)
    extracted = Extracted(text, tuple(markdown_elements(text)))
    return [document(rel, extracted, content_hash(text))], []
