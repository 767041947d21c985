"""JSONL: one document, or one FAQ entry, per line."""

import json
from collections.abc import Iterator

from index import limits
from index.documents import Document, Extracted, FileProblem, Skipped, content_hash
from index.formats import Loaded, decode, document, faq_document
from index.formats.text import plain_text_elements


def _utf8(number: int, *values: str) -> None:
    """Refuse strings UTF-8 cannot hold: JSON can escape a lone surrogate ("\\ud800"), which
    would fail the build when the index is written."""
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(value[error.start])
            raise FileProblem(f"holds an unpaired surrogate (U+{code:04X})", number) from error


def _jsonl_document(rel: str, number: int, line: str, record: dict[str, object]) -> Document:
    text = str(record["text"])
    doc_id = str(record.get("id") or f"{rel}#{number}")
    if len(doc_id) > limits.MAX_HEADING_CHARS:
        raise FileProblem(
            f"id of {len(doc_id):,} characters is longer than the cap of "
            f"{limits.MAX_HEADING_CHARS:,} (index.limits.MAX_HEADING_CHARS)",
            number,
        )
    title, url = str(record.get("title") or doc_id), str(record.get("url") or "")
    _utf8(number, text, doc_id, title, url)
    extracted = Extracted(text, tuple(plain_text_elements(text, infer_headings=False)), title)
    return document(rel, extracted, content_hash(line), url, doc_id)


def _jsonl_line(rel: str, number: int, line: str) -> Document | tuple[str, str]:
    """A JSONL line as a document (`id`, `title`, `text`, `url`) or a (question, answer).

    Control characters inside strings are accepted (`strict=False`): a tab or "\\x1c" that a
    sloppy exporter left unescaped does not cost the record.
    """
    try:
        record = json.loads(line, strict=False)
    except json.JSONDecodeError as error:
        raise FileProblem(f"malformed JSON ({error.msg})", number) from error
    except RecursionError as error:
        raise FileProblem("JSON nested too deeply", number) from error
    if not isinstance(record, dict):
        raise FileProblem("a line must be a JSON object", number)
    if isinstance(record.get("text"), str) and record["text"].strip():
        return _jsonl_document(rel, number, line, record)
    question, answer = record.get("question"), record.get("answer")
    if (
        isinstance(question, str)
        and isinstance(answer, str)
        and question.strip()
        and answer.strip()
    ):
        _utf8(number, question, answer)
        return question.strip(), answer.strip()
    raise FileProblem("needs a non-empty 'text', or 'question' and 'answer'", number)


def jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """The numbered lines of JSONL text, split at "\n" only (and a "\r" before it dropped).

    JSON strings may hold U+2028, U+0085 or "\x1c" unescaped; `str.splitlines` would break
    such a record apart and misnumber every line after it.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line.removesuffix("\r")


def load_jsonl(raw: bytes, rel: str) -> Loaded:
    documents: list[Document] = []
    pairs: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    for number, line in jsonl_lines(decode(raw)):
        if not line.strip():
            continue
        try:
            loaded = _jsonl_line(rel, number, line)
        except FileProblem as problem:
            skipped.append(Skipped(rel, problem.reason, problem.line))
            continue
        if isinstance(loaded, Document):
            documents.append(loaded)
        else:
            pairs.append(loaded)
    if pairs:
        documents.append(faq_document(rel, pairs))
    return documents, skipped
