"""Read the data directory: one loader per file type, each returning documents and skips.

A bad file or line never stops a build: it becomes a `Skipped` with the file, the line and
the reason, and everything else is still indexed. The directory may hold hostile files
(links to secrets, FIFOs, huge or deeply nested files): only regular files inside it are
read, within the caps of `index.limits`, and an error in one file skips only that file.
"""

import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from markdown_it import MarkdownIt
from tqdm import tqdm

from index import limits
from index.documents import (
    Capped,
    Corpus,
    Document,
    Element,
    ElementKind,
    ElementText,
    Extracted,
    FileProblem,
    Skipped,
    bounded,
    capped_report,
    content_hash,
    described,
    escaped,
    shortened,
)
from index.errors import FaqbotError
from index.pdf import pdf_text
from index.structure import structure
from index.web_pages import FetchedPage, WebFetcher, main_content, url_list
from index.word import docx_text


class DataDirError(FaqbotError):
    """The data directory does not exist or is not a directory."""


Loaded = tuple[list[Document], list[Skipped]]

# Plain text: a short single line that does not end like a sentence is a heading.
_MAX_HEADING_CHARS = 150
_SENTENCE_END = tuple(".:;,!")
_BULLET = re.compile(r"(?:[•·▪‣◦*+\-–—]|\d{1,3}[.)])\s+\S")
_NONBLANK_LINE = re.compile(r"^[ \t]*(\S(?:.*\S)?)[ \t\r]*$", re.MULTILINE)


def decode(raw: bytes) -> str:
    """The file as UTF-8 text (a BOM is allowed); other encodings are refused with the line."""
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


def load_plain_text(raw: bytes, rel: str) -> Loaded:
    text = decode(raw)
    extracted = Extracted(text, tuple(plain_text_elements(text)))
    return [_document(rel, extracted, content_hash(text))], []


# ---------------------------------------------------------------- Markdown

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
    return [_document(rel, extracted, content_hash(text))], []


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


def _holding_elements(root: Tag) -> set[int]:
    """The ids of the tags below `root` (and of `root`) that contain an element tag.

    One pass up from every element tag, stopping where an earlier pass went on: linear,
    where asking `find` of every tag takes quadratic time on deeply nested markup.
    """
    holding: set[int] = set()
    for tag in root.find_all(_ELEMENT_TAGS.keys()):
        parent = tag.parent
        while parent is not None and id(parent) not in holding:
            holding.add(id(parent))
            parent = None if parent is root else parent.parent
    return holding


class _HtmlText(ElementText):
    """Collects the visible text of HTML elements into one document text with offsets."""

    def add(self, kind: ElementKind, text: str, level: int = 0) -> None:
        super().add(kind, " ".join(text.split()), level)

    def walk(self, root: Tag) -> None:
        """Element tags as elements; text standing directly in a container, outside any
        element tag, as paragraphs between them.

        Iterative, with an explicit stack: a page of 10,000 nested `<div>`s is indexed
        like any other, where recursion would end in `RecursionError`.
        """
        holding = _holding_elements(root)
        stack: list[tuple[Iterator[object], list[str]]] = [(iter(root.children), [])]
        while stack:
            children, loose = stack[-1]
            child = next(children, None)
            if child is None:
                self.add(ElementKind.PARAGRAPH, "".join(loose))
                stack.pop()
            elif isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments are not shown
                    loose.append(str(child))
            elif isinstance(child, Tag):
                inner = self._tag(child, loose, id(child) in holding)
                if inner is not None:
                    stack.append((iter(inner.children), []))

    def _tag(self, tag: Tag, loose: list[str], holding: bool) -> Tag | None:
        """Take in one tag of a container; return it if its children are to be walked."""
        name = tag.name
        if name not in _ELEMENT_TAGS and name not in _CONTAINER_TAGS:
            loose.append(tag.get_text())
            return None
        self.add(ElementKind.PARAGRAPH, "".join(loose))
        loose.clear()
        if name in _ELEMENT_TAGS and not holding:
            kind = _ELEMENT_TAGS[name]
            self.add(kind, tag.get_text(), int(name[1]) if kind is ElementKind.HEADING else 0)
            return None
        return tag


def _is_furniture_tag(tag: Tag) -> bool:
    """Scripts, navigation, forms, and any tag whose class or id names page furniture."""
    if tag.name in _DROPPED_TAGS or tag.get("role") == "navigation":
        return True
    names = " ".join([*tag.get("class", []), tag.get("id", "")])
    return bool(names) and _FURNITURE_CLASS.search(names) is not None


def _strip_furniture(soup: BeautifulSoup) -> None:
    """Line breaks as newlines; furniture tags dropped with everything inside them.

    A tag inside one already dropped is recognised by its id: bs4's `decomposed` reads an
    attribute a live tag does not have, which bs4 answers with a search of the whole subtree
    (`tag.x` is `tag.find("x")`), and took minutes for 10,000 nested `<div>`s.
    """
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    dropped: set[int] = set()
    for tag in [tag for tag in soup.find_all(True) if _is_furniture_tag(tag)]:
        if id(tag) not in dropped:
            dropped.update(id(inner) for inner in tag.descendants)
            tag.decompose()


def html_text(markup: str) -> tuple[str, str, list[Element]]:
    """The article's title, visible text and elements; scripts, styles and navigation dropped."""
    soup = BeautifulSoup(markup, "lxml")
    title = " ".join(soup.title.get_text().split()) if soup.title else ""
    _strip_furniture(soup)
    root = soup.find("article") or soup.find("main") or soup.body or soup
    collected = _HtmlText()
    collected.walk(root)
    return title, collected.text, collected.elements


def load_html(raw: bytes, rel: str) -> Loaded:
    markup = decode(raw)
    title, text, elements = html_text(markup)
    return [_document(rel, Extracted(text, tuple(elements), title), content_hash(markup))], []


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
    return _document(rel, Extracted(text, tuple(elements), Path(rel).stem), content_hash(text))


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
    return _document(rel, extracted, content_hash(line), url, doc_id)


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


_QUESTION_COLUMNS = ("question", "frage")
_ANSWER_COLUMNS = ("answer", "antwort")


def _column(header: list[str], names: tuple[str, ...]) -> int:
    lowered = [name.strip().lower() for name in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    found = shortened(str(header), limits.MAX_HEADING_CHARS)
    raise FileProblem(f"header needs a column {' or '.join(names)}; found {found}", 1)


def load_csv(raw: bytes, rel: str) -> Loaded:
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
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


# ---------------------------------------------------------------- PDF and Word


def load_pdf(raw: bytes, rel: str) -> Loaded:
    extracted = pdf_text(raw)
    return [_document(rel, extracted, content_hash(extracted.text))], []


def load_docx(raw: bytes, rel: str) -> Loaded:
    extracted = docx_text(raw)
    return [_document(rel, extracted, content_hash(extracted.text))], []


# ---------------------------------------------------------------- web pages

URL_LIST = "urls.txt"
"""The name of the file (in any directory of the corpus) that lists web pages to index."""


def _web_document(page: FetchedPage) -> Document:
    """A fetched page as a document: its main text, cited with its address and linked to
    the address it was finally served from. Its hash is that of the text, so a page whose
    ads or timestamps changed keeps its vectors."""
    content = main_content(page)
    title, text, elements = html_text(content.html)
    extracted = Extracted(text, tuple(elements), content.title or title)
    return _document(page.url, extracted, content_hash(text), page.final_url, page.url)


def load_url_list(raw: bytes, rel: str, room: int) -> Loaded:
    """The web pages listed in `rel`, fetched now, at most `room` bytes in all; a page that
    cannot be fetched or read is skipped with its line and the reason."""
    entries, problems = url_list(decode(raw))
    skipped = [Skipped(rel, problem.reason, problem.line) for problem in problems]
    documents: list[Document] = []
    fetched = 0
    with WebFetcher() as fetcher:
        for entry in entries:
            left = min(limits.MAX_FILE_BYTES, room - fetched)
            try:
                if left <= 0:
                    raise FileProblem(_corpus_full(entry.url))
                page = fetcher.fetch(entry.url, max_bytes=left)
                fetched += len(page.body)
                documents.append(_web_document(page))
            except FileProblem as problem:
                skipped.append(Skipped(rel, f"{entry.url}: {problem.reason}", entry.line))
    return documents, skipped


# ---------------------------------------------------------------- one file

LOADERS: dict[str, Callable[[bytes, str], Loaded]] = {
    ".txt": load_plain_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
_MARKUP = {".html", ".htm"}
_BINARY = {".pdf", ".docx"}
"""Formats whose parts are not lines: their own caps bound them (`index.pdf`, `index.word`)."""


@dataclass(frozen=True, slots=True)
class DataFile:
    """A regular file inside the data directory, as `walk` found it."""

    path: Path
    """Its real path: no symbolic link in it, inside the data directory."""
    source: str
    """Its path relative to the data directory, as cited, control characters escaped."""
    size: int

    @property
    def suffix(self) -> str:
        return Path(self.source).suffix.lower()

    @property
    def is_url_list(self) -> bool:
        return Path(self.source).name.lower() == URL_LIST


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _corpus_full(what: str) -> str:
    return (
        f"{what} would take the corpus beyond the cap of "
        f"{_megabytes(limits.MAX_CORPUS_BYTES)} (index.limits.MAX_CORPUS_BYTES); not read"
    )


def _refusal(file: DataFile) -> Skipped | None:
    """Why `file` is not read at all: its type or its size."""
    if file.suffix not in LOADERS:
        return Skipped(file.source, f"unsupported file type; use one of {', '.join(LOADERS)}")
    if file.size > limits.MAX_FILE_BYTES:
        return Skipped(
            file.source,
            f"file of {_megabytes(file.size)} is larger than the cap of "
            f"{_megabytes(limits.MAX_FILE_BYTES)} (index.limits.MAX_FILE_BYTES); not read",
        )
    return None


def _read(file: DataFile) -> bytes:
    """The file's bytes, opened without following a link and without blocking, and refused
    if it has become something else than a regular file, or grown, since it was found."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    with os.fdopen(os.open(file.path, flags), "rb") as opened:
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            raise FileProblem("no longer a regular file; not read")
        raw = opened.read(limits.MAX_FILE_BYTES + 1)
    if len(raw) > limits.MAX_FILE_BYTES:
        raise FileProblem(f"grew beyond the cap of {_megabytes(limits.MAX_FILE_BYTES)}; not read")
    return raw


def _check_parts(raw: bytes, suffix: str) -> None:
    """Refuse a file with more lines (or HTML tags) than `limits.MAX_FILE_PARTS`."""
    if suffix in _BINARY:
        return
    parts, what = (raw.count(b"<"), "tags") if suffix in _MARKUP else (raw.count(b"\n"), "lines")
    if parts > limits.MAX_FILE_PARTS:
        raise FileProblem(
            f"has {parts:,} {what}, more than the cap of {limits.MAX_FILE_PARTS:,} "
            "(index.limits.MAX_FILE_PARTS); split the file"
        )


def _no_text(document: Document) -> str:
    named = document.doc_id != document.source
    return "no text to index" + (f" in document {document.doc_id!r}" if named else "")


def load_file(file: DataFile, room: int = limits.MAX_CORPUS_BYTES) -> Loaded:
    """Documents from one file, or the reason it yields none. Any error in reading or
    parsing the file skips the file, never the build; only `MemoryError` stops it, as the
    caps of `index.limits` leave it to a build whose memory was set too low (or is spent),
    and skipping the file would index a corpus with holes.

    A list of web pages (`URL_LIST`) fetches at most `room` bytes: what is left of the
    corpus cap."""
    refusal = _refusal(file)
    if refusal is not None:
        return [], [refusal]
    try:
        raw = _read(file)
        if not raw.strip():
            return [], [Skipped(file.source, "empty file")]
        _check_parts(raw, file.suffix)
        if file.is_url_list:
            documents, skipped = load_url_list(raw, file.source, room)
        else:
            documents, skipped = LOADERS[file.suffix](raw, file.source)
    except FileProblem as problem:
        return [], [Skipped(file.source, problem.reason, problem.line)]
    except OSError as error:
        return [], [Skipped(file.source, f"unreadable ({error.strerror or error})")]
    except MemoryError:  # the build's memory is spent, not this file's: the build must stop
        raise
    except Exception as error:  # a parser's bug or limit on hostile input: skip this file only
        return [], [Skipped(file.source, f"could not be read ({described(error)})")]
    capped = capped_report(file.source, [item for d in documents for item in d.capped])
    empty = [Skipped(file.source, _no_text(d)) for d in documents if not d.blocks]
    return [d for d in documents if d.blocks], skipped + capped + empty


# ---------------------------------------------------------------- the directory

_FILE_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
_ESCAPED_NAME = (
    "file name holds control or invisible characters; indexed and cited with them escaped "
    "(rename the file)"
)


def _listing(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _regular(path: Path, source: str, status: os.stat_result) -> DataFile | Skipped:
    if not stat.S_ISREG(status.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
        return Skipped(source, f"{kind}, not a regular file; not read")
    return DataFile(path, source, status.st_size)


def _link(path: Path, source: str, root: Path) -> DataFile | Skipped:
    """A symbolic link is read only if it names a regular file inside the data directory."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as error:  # a loop: RuntimeError before Python 3.13
        return Skipped(source, f"symbolic link that cannot be resolved ({error}); not read")
    if not real.is_relative_to(root):
        return Skipped(source, f"symbolic link to {real}, outside the data directory; not read")
    try:
        status = real.stat()
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    if stat.S_ISDIR(status.st_mode):
        return Skipped(source, "symbolic link to a directory; not followed")
    return _regular(real, source, status)


def _entry(entry: os.DirEntry[str], source: str, root: Path) -> Path | DataFile | Skipped:
    """A directory to walk into, a file to read, or why the entry is not read."""
    path = Path(entry.path)
    if entry.name.startswith("."):
        hidden_directory = entry.is_dir(follow_symlinks=False)
        return Skipped(source, "hidden directory; not read" if hidden_directory else "hidden file")
    if entry.is_symlink():
        return _link(path, source, root)
    try:
        status = entry.stat(follow_symlinks=False)
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    return path if stat.S_ISDIR(status.st_mode) else _regular(path, source, status)


def walk(root: Path) -> Iterator[DataFile | Skipped]:
    """The regular files below `root` (a resolved path) in sorted order, and every entry
    that is not read, with the reason.

    Iterative, and no symbolic link is followed while walking: a link to a directory is
    reported, not followed (no loop, no way out); a link to a file is read only if its real
    path lies inside `root`, so that a link to `/proc/self/environ` cannot put secrets into
    answers. Hidden entries are reported, a hidden directory once.

    A file whose name holds control characters (a line break, an escape) is indexed under
    its name with those characters escaped, and reported: its text is as good as any other,
    and the escaped name is safe in every summary, log and answer that cites it, where the
    raw name could forge lines or recolour a terminal; renaming the file is left to its
    editor, whom the report tells.
    """
    stack = [iter(_listing(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        name = Path(entry.path).relative_to(root).as_posix()
        found = _entry(entry, escaped(name), root)
        if isinstance(found, Path):
            try:
                stack.append(iter(_listing(found)))
            except OSError as error:
                reason = f"unreadable directory ({error.strerror or error}); not read"
                yield Skipped(escaped(name) + "/", reason)
            continue
        if isinstance(found, DataFile) and found.source != name:
            yield Skipped(found.source, _ESCAPED_NAME)
        yield found


class _CorpusReader:
    """The documents read so far, the items skipped, the first file of each document id,
    and the bytes read, which `limits.MAX_CORPUS_BYTES` caps."""

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.skipped: list[Skipped] = []
        self.first_of_id: dict[str, str] = {}
        self.bytes_read = 0

    def read(self, file: DataFile) -> None:
        if _refusal(file) is None:
            if self.bytes_read + file.size > limits.MAX_CORPUS_BYTES:
                reason = _corpus_full(f"file of {_megabytes(file.size)}")
                self.skipped.append(Skipped(file.source, reason))
                return
            self.bytes_read += file.size
        loaded, problems = load_file(file, limits.MAX_CORPUS_BYTES - self.bytes_read)
        if file.is_url_list:  # the pages' text is what the build holds
            self.bytes_read += sum(len(d.text.encode("utf-8")) for d in loaded)
        self.skipped.extend(problems)
        for document in loaded:
            first = self.first_of_id.get(document.doc_id)
            if first is not None:
                reason = f"duplicate document id {document.doc_id!r} ({first})"
                self.skipped.append(Skipped(file.source, reason))
                continue
            self.first_of_id[document.doc_id] = file.source
            self.documents.append(document)


def progress_bar(progress: bool, total: int, unit: str, desc: str) -> tqdm:
    """A progress bar on stderr, shown if `progress` and stderr is a terminal: in a log a bar
    is noise, and the error of a failed build stays one line."""
    return tqdm(
        total=total, unit=unit, unit_scale=True, desc=desc, disable=None if progress else True
    )


def _root(data_dir: Path) -> Path:
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist or is not a directory")
    return data_dir.resolve()


def load_corpus(data_dir: Path, progress: bool = False) -> Corpus:
    """Every supported file below `data_dir`, in a stable order (see `walk`), and every
    item not indexed, at most `limits.MAX_REPORTED_PER_FILE` per file.

    With `progress`, a bar on stderr counts the bytes read.
    """
    root = _root(data_dir)
    try:
        found = list(walk(root))
    except OSError as error:
        raise DataDirError(
            f"data directory {data_dir} cannot be read ({error.strerror or error})"
        ) from error
    files = [item for item in found if isinstance(item, DataFile)]
    reader = _CorpusReader()
    total = sum(file.size for file in files)
    with progress_bar(progress, total, "B", "Reading files") as bar:
        for item in found:
            if isinstance(item, Skipped):
                reader.skipped.append(item)
                continue
            reader.read(item)
            bar.update(item.size)
    return Corpus(tuple(reader.documents), bounded(reader.skipped))
