"""Read the data directory: one loader per file type, each returning documents and skips.

A bad file or line never stops a build: it becomes a `Skipped` with the file, the line and
the reason, and everything else is still indexed.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from markdown_it import MarkdownIt

from index.documents import Corpus, Document, Element, ElementKind, Skipped, content_hash
from index.errors import FaqbotError
from index.structure import structure


class DataDirError(FaqbotError):
    """The data directory does not exist or is not a directory."""


class FileProblem(Exception):
    """A file (or one line of it) cannot be used; becomes a `Skipped` entry."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


Loaded = tuple[list[Document], list[Skipped]]

# Plain text: a short single line that does not end like a sentence is a heading.
_MAX_HEADING_CHARS = 150
_SENTENCE_END = tuple(".:;,!")
_BULLET = re.compile(r"(?:[•·▪‣◦*+\-–—]|\d{1,3}[.)])\s+\S")
_NONBLANK_LINE = re.compile(r"^[ \t]*(\S(?:.*\S)?)[ \t\r]*$", re.MULTILINE)


def read_text(path: Path) -> str:
    """The file as UTF-8 text (a BOM is allowed); other encodings are refused with the line."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x}); save the file as UTF-8", line
        ) from error


# ---------------------------------------------------------------- plain text


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


def _document(
    rel: str,
    text: str,
    elements: list[Element],
    digest: str,
    title: str = "",
    url: str = "",
    doc_id: str = "",
) -> Document:
    """A document of file `rel`; its id is the file's path unless the file names one."""
    found = structure(text, elements, title)
    return Document(
        doc_id=doc_id or rel,
        source=rel,
        title=found.title or doc_id or rel,
        text=text,
        blocks=found.blocks,
        content_hash=digest,
        url=url,
        furniture=found.furniture,
    )


def load_plain_text(path: Path, rel: str) -> Loaded:
    text = read_text(path)
    return [_document(rel, text, plain_text_elements(text), content_hash(text))], []


# ---------------------------------------------------------------- Markdown

_BLOCK_TOKENS = {"paragraph_open", "heading_open", "fence", "code_block", "table_open"}


def markdown_elements(text: str) -> list[Element]:
    """Headings (with their level), paragraphs and list items, located in the source."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_starts.append(len(text))
    elements: list[Element] = []
    in_list_item = 0
    for token in MarkdownIt("commonmark").enable("table").parse(text):
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


def load_markdown(path: Path, rel: str) -> Loaded:
    text = read_text(path)
    return [_document(rel, text, markdown_elements(text), content_hash(text))], []


# ---------------------------------------------------------------- HTML

_DROPPED_TAGS = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside",
    "form", "iframe", "svg", "button", "select", "input",
]  # fmt: skip
_FURNITURE_CLASS = re.compile(r"share|social|breadcrumb|cookie|newsletter|related|comment", re.I)
_ELEMENT_TAGS = {
    **{f"h{n}": ElementKind.HEADING for n in range(1, 7)},
    "p": ElementKind.PARAGRAPH,
    "li": ElementKind.LIST_ITEM,
    "dt": ElementKind.QUESTION,
    "summary": ElementKind.QUESTION,
    "dd": ElementKind.PARAGRAPH,
    "pre": ElementKind.PARAGRAPH,
    "blockquote": ElementKind.PARAGRAPH,
    "figcaption": ElementKind.PARAGRAPH,
    "tr": ElementKind.PARAGRAPH,
}
_CONTAINER_TAGS = {
    "html", "body", "main", "article", "section", "div", "ul", "ol", "dl", "details",
    "table", "thead", "tbody", "tfoot", "figure", "center",
}  # fmt: skip


class _HtmlText:
    """Collects the visible text of HTML elements into one document text with offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.elements: list[Element] = []

    def add(self, kind: ElementKind, raw: str, level: int = 0) -> None:
        text = " ".join(raw.split())
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        self.elements.append(Element(kind, self.length, self.length + len(text), level))
        self.parts.append(text)
        self.length += len(text)

    def walk(self, node: Tag) -> None:
        loose: list[str] = []  # text standing directly in a container, outside any <p>
        for child in node.children:
            if isinstance(child, NavigableString):
                loose.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _ELEMENT_TAGS and not child.find(_ELEMENT_TAGS.keys()):
                self.add(ElementKind.PARAGRAPH, "".join(loose))
                loose = []
                level = int(name[1]) if _ELEMENT_TAGS[name] is ElementKind.HEADING else 0
                self.add(_ELEMENT_TAGS[name], child.get_text(), level)
            elif name in _CONTAINER_TAGS or name in _ELEMENT_TAGS:
                self.add(ElementKind.PARAGRAPH, "".join(loose))
                loose = []
                self.walk(child)
            else:
                loose.append(child.get_text())
        self.add(ElementKind.PARAGRAPH, "".join(loose))


def _strip_furniture(soup: BeautifulSoup) -> None:
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": "navigation"}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        names = " ".join([*tag.get("class", []), tag.get("id", "")])
        if names and _FURNITURE_CLASS.search(names):
            tag.decompose()


def html_text(markup: str) -> tuple[str, str, list[Element]]:
    """The article's title, visible text and elements; scripts, styles and navigation dropped."""
    soup = BeautifulSoup(markup, "lxml")
    title = " ".join(soup.title.get_text().split()) if soup.title else ""
    _strip_furniture(soup)
    root = soup.find("article") or soup.find("main") or soup.body or soup
    collected = _HtmlText()
    collected.walk(root)
    return title, "".join(collected.parts), collected.elements


def load_html(path: Path, rel: str) -> Loaded:
    markup = read_text(path)
    title, text, elements = html_text(markup)
    return [_document(rel, text, elements, content_hash(markup), title)], []


# ---------------------------------------------------------------- FAQ tables (JSONL, CSV)


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
    return _document(rel, text, elements, content_hash(text), title=Path(rel).stem)


def _jsonl_line(rel: str, number: int, line: str) -> Document | tuple[str, str]:
    """A JSONL line as a document (`id`, `title`, `text`, `url`) or a (question, answer)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise FileProblem(f"malformed JSON ({error.msg})", number) from error
    if not isinstance(record, dict):
        raise FileProblem("a line must be a JSON object", number)
    if isinstance(record.get("text"), str) and record["text"].strip():
        text = record["text"]
        doc_id = str(record.get("id") or f"{rel}#{number}")
        return _document(
            rel,
            text,
            plain_text_elements(text, infer_headings=False),
            content_hash(line),
            title=str(record.get("title") or doc_id),
            url=str(record.get("url") or ""),
            doc_id=doc_id,
        )
    question, answer = record.get("question"), record.get("answer")
    if (
        isinstance(question, str)
        and isinstance(answer, str)
        and question.strip()
        and answer.strip()
    ):
        return question.strip(), answer.strip()
    raise FileProblem("needs a non-empty 'text', or 'question' and 'answer'", number)


def load_jsonl(path: Path, rel: str) -> Loaded:
    documents: list[Document] = []
    pairs: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
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


_QUESTION_COLUMNS = ("question", "frage")
_ANSWER_COLUMNS = ("answer", "antwort")


def _column(header: list[str], names: tuple[str, ...]) -> int:
    lowered = [name.strip().lower() for name in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise FileProblem(f"header needs a column {' or '.join(names)}; found {header}", 1)


def load_csv(path: Path, rel: str) -> Loaded:
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = next(reader, None)
    if not header:
        raise FileProblem("empty file")
    question_at, answer_at = _column(header, _QUESTION_COLUMNS), _column(header, _ANSWER_COLUMNS)
    pairs: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                reason = f"row has {len(row)} fields, the header {len(header)}"
                skipped.append(Skipped(rel, reason, reader.line_num))
            elif not (row[question_at].strip() and row[answer_at].strip()):
                skipped.append(Skipped(rel, "empty question or answer", reader.line_num))
            else:
                pairs.append((row[question_at].strip(), row[answer_at].strip()))
    except csv.Error as error:
        skipped.append(Skipped(rel, f"malformed CSV ({error}); rest of file", reader.line_num))
    return ([faq_document(rel, pairs)] if pairs else []), skipped


# ---------------------------------------------------------------- the directory

LOADERS: dict[str, Callable[[Path, str], Loaded]] = {
    ".txt": load_plain_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
}


def load_file(path: Path, rel: str) -> Loaded:
    """Documents from one file, or the reason it yields none."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        return [], [Skipped(rel, f"unsupported file type; use one of {', '.join(LOADERS)}")]
    try:
        if not path.read_bytes().strip():
            return [], [Skipped(rel, "empty file")]
        documents, skipped = loader(path, rel)
    except FileProblem as problem:
        return [], [Skipped(rel, problem.reason, problem.line)]
    except OSError as error:
        return [], [Skipped(rel, f"unreadable ({error.strerror or error})")]
    empty = [Skipped(d.doc_id, "no text to index") for d in documents if not d.blocks]
    return [d for d in documents if d.blocks], skipped + empty


def load_corpus(data_dir: Path) -> Corpus:
    """Every supported file below `data_dir`, in a stable order; hidden files are reported."""
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist or is not a directory")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if path.is_dir():
            continue
        if any(part.startswith(".") for part in Path(rel).parts):
            skipped.append(Skipped(rel, "hidden file"))
            continue
        loaded, problems = load_file(path, rel)
        skipped.extend(problems)
        for document in loaded:
            if document.doc_id in seen:
                first = seen[document.doc_id]
                skipped.append(Skipped(rel, f"duplicate document id {document.doc_id!r} ({first})"))
                continue
            seen[document.doc_id] = rel
            documents.append(document)
    return Corpus(tuple(documents), tuple(skipped))
