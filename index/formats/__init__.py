"""One module per document format, each turning a file's bytes into documents and the
items it skipped (`Loaded`); what they share is here. `index.corpus` walks the data
directory and hands each file to the module of its format."""

from pathlib import Path

from index import limits
from index.documents import (
    Capped,
    Document,
    Element,
    ElementKind,
    Extracted,
    FileProblem,
    Skipped,
    content_hash,
    shortened,
)
from index.structure import structure

Loaded = tuple[list[Document], list[Skipped]]


def decode(raw: bytes) -> str:
    """The file as UTF-8 text (a BOM is allowed); other encodings are refused with the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x}); save the file as UTF-8", line
        ) from error


def document(
    rel: str, extracted: Extracted, digest: str, url: str = "", doc_id: str = ""
) -> Document:
    """A document of file `rel`; its id is the file's path unless the file names one.

    A title longer than `limits.MAX_HEADING_CHARS` is shortened, as it is embedded and
    shown with every passage.
    """
    found = structure(extracted.text, list(extracted.elements), extracted.title)
    full_title = found.title or doc_id or rel
    capped = list(found.capped)
    if len(full_title) > limits.MAX_HEADING_CHARS:
        change = f"shortened to {limits.MAX_HEADING_CHARS:,} at a word boundary"
        capped.append(Capped("title", len(full_title), change))
    return Document(
        doc_id=doc_id or rel,
        source=rel,
        title=shortened(full_title, limits.MAX_HEADING_CHARS),
        text=extracted.text,
        blocks=found.blocks,
        content_hash=digest,
        url=url,
        furniture=found.furniture,
        capped=tuple(capped),
        page_starts=extracted.page_starts,
    )


def faq_document(rel: str, pairs: list[tuple[str, str]]) -> Document:
    """One document for a file of question/answer rows, its text the rows one after another."""
    parts: list[str] = []
    elements: list[Element] = []
    offset = 0
    for question, answer in pairs:
        for kind, value in ((ElementKind.QUESTION, question), (ElementKind.PARAGRAPH, answer)):
            elements.append(Element(kind, offset, offset + len(value)))
            parts.append(value + "\n\n")
            offset += len(value) + 2
    text = "".join(parts)
    return document(rel, Extracted(text, tuple(elements), Path(rel).stem), content_hash(text))


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def corpus_full(what: str) -> str:
    return (
        f"{what} would take the corpus beyond the cap of "
        f"{megabytes(limits.MAX_CORPUS_BYTES)} (index.limits.MAX_CORPUS_BYTES); not read"
    )
