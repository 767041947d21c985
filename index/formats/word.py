"""Word (.docx) documents: the body's paragraphs and tables, with the roles their styles give.

Headings are recognised by style ("Heading 1" … "Heading 9"; Word stores the English names
of its built-in styles whatever the language of its interface, so a German "Überschrift 1"
is read as "Heading 1") or by an outline level set on the paragraph or its style. The first
"Title" paragraph is the document's title. Lists are paragraphs with numbering or in a list
style; every item begins with "• ", also in a numbered list, as its number depends on
numbering definitions, restarts and overrides that Word computes at display time.

Only the body is read: headers and footers are page furniture (a running title, a page
number), and footnotes, comments and text boxes stand outside the text's reading order.
"""

import bisect
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import docx
from docx.document import Document as WordDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.styles import CT_Style
from docx.styles import BabelFish
from docx.table import Table, _Cell, _Row
from docx.text.font import Font
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from index import limits
from index.documents import (
    ElementKind,
    ElementText,
    Extracted,
    FileProblem,
    content_hash,
    shortened,
)
from index.formats import Loaded, document

MAX_STYLE_CHAIN = 20
"""A style inherits from at most 20 base styles; a longer (or circular) chain is cut there.

Word's own chains are two or three deep ("Heading 1" is based on "Normal"); a hostile file
can make a style its own base, which would otherwise be followed forever."""

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"Heading ([1-9])")
_LIST_STYLE = re.compile(r"List (?:Bullet|Number|Paragraph)(?: [2-9])?")
_FILE_NAME_TITLE = re.compile(
    r"^Microsoft Word - |\.(?:docx?|dotx?|docm|rtf|odt|pdf|txt|html?)$", re.IGNORECASE
)
_BULLET = "• "
_PACKAGE_REPR = re.compile(r"^file '<[^']*>' (?:is )?")
"""python-docx names the file it was given in its message: here an in-memory stream."""
_TEXT_PROBLEMS = (
    PackageNotFoundError,
    KeyError,
    ValueError,
    zipfile.BadZipFile,
    etree.XMLSyntaxError,
    EOFError,
)
"""What python-docx raises on a damaged package: a missing part (KeyError), a part of the
wrong content type (ValueError), a corrupt member (BadZipFile), malformed XML."""


# ---------------------------------------------------------------- opening the file


def _ole_problem(raw: bytes) -> FileProblem:
    """An OLE compound file is a Word 97–2003 .doc or a password-protected .docx (Office
    encrypts into an OLE container); their stream names, stored in UTF-16, tell which."""
    if "EncryptedPackage".encode("utf-16-le") in raw:
        return FileProblem("an encrypted (password-protected) Word file; save it without password")
    if "WordDocument".encode("utf-16-le") in raw:
        return FileProblem("a Word 97–2003 .doc file; save it as .docx")
    return FileProblem("an encrypted Word file or an old Office format, not a .docx")


def _check_unpacked_size(raw: bytes) -> None:
    """Refuse a zip bomb: see `limits.MAX_DOCX_UNPACKED_BYTES`."""
    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise FileProblem(
            f"could not be read as a Word document: not a zip archive ({error})"
        ) from error
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.MAX_DOCX_UNPACKED_BYTES:
        raise FileProblem(
            f"unpacks to {unpacked / 1e6:,.0f} MB, more than the cap of "
            f"{limits.MAX_DOCX_UNPACKED_BYTES / 1e6:,.0f} MB "
            "(index.limits.MAX_DOCX_UNPACKED_BYTES); not read"
        )


def _opened(raw: bytes) -> WordDocument:
    if raw.startswith(_OLE_MAGIC):
        raise _ole_problem(raw)
    _check_unpacked_size(raw)
    try:
        return docx.Document(io.BytesIO(raw))
    except _TEXT_PROBLEMS as error:
        message = _PACKAGE_REPR.sub("", " ".join(str(error).split()))
        reason = shortened(message, 200) or type(error).__name__
        raise FileProblem(f"could not be read as a Word document: {reason}") from error


# ---------------------------------------------------------------- styles and roles


@dataclass(frozen=True, slots=True)
class _StyleFacts:
    """What the reading needs of a paragraph or character style, its base styles included."""

    named_level: int
    """1 to 9 for a style named "Heading 1" … "Heading 9", 0 otherwise."""
    outline_level: int
    """1 to 9 for a style (or base style) with an outline level of a heading, 0 otherwise."""
    numbering: str | None
    """The numbering id the style gives its paragraphs ("0" switches numbering off)."""
    is_list: bool
    """A list style by name ("List Bullet", "List Number 2", "List Paragraph" …)."""
    is_title: bool
    bold: bool | None


_NO_STYLE = _StyleFacts(0, 0, None, False, False, None)


def _outline_heading_level(values: list[str]) -> int:
    """Outline levels 0 to 8 are heading levels 1 to 9; 9 means body text."""
    value = values[0] if values else ""
    return int(value) + 1 if value.isdigit() and int(value) < 9 else 0


class _Styles:
    """The document's styles by id, what each means for the reading computed once.

    python-docx finds a paragraph's style by a linear search of all styles on every access
    (1 ms per paragraph with Word's default template, 80 s for 20,000 paragraphs, and
    quadratic in a file with thousands of styles).
    """

    def __init__(self, document: WordDocument) -> None:
        root = document.styles.element
        self._by_id: dict[str, CT_Style] = {}
        for style in root.style_lst:
            self._by_id.setdefault(str(style.styleId), style)
        defaults = root.xpath(
            "./w:style[@w:type='paragraph' and (@w:default='1' or @w:default='true')]/@w:styleId"
        )
        self._default_paragraph = str(defaults[0]) if defaults else None
        self._facts: dict[str | None, _StyleFacts] = {}

    def _chain(self, style_id: str | None) -> list[CT_Style]:
        """The style and the styles it is based on, nearest first (see `MAX_STYLE_CHAIN`)."""
        chain: list[CT_Style] = []
        style = self._by_id.get(style_id) if style_id is not None else None
        while style is not None and len(chain) < MAX_STYLE_CHAIN and style not in chain:
            chain.append(style)
            base = style.basedOn_val
            style = self._by_id.get(base) if base is not None else None
        return chain

    def facts(self, style_id: str | None) -> _StyleFacts:
        if style_id not in self._facts:
            self._facts[style_id] = self._computed(style_id)
        return self._facts[style_id]

    def paragraph_facts(self, paragraph: Paragraph) -> _StyleFacts:
        """A paragraph without a style, or with one the file does not define, has the
        default paragraph style, as in Word."""
        style_id = paragraph._p.style
        return self.facts(style_id if style_id in self._by_id else self._default_paragraph)

    def _computed(self, style_id: str | None) -> _StyleFacts:
        chain = self._chain(style_id)
        if not chain:
            return _NO_STYLE
        names = [BabelFish.internal2ui(style.name_val or "") for style in chain]
        by_name = _HEADING_STYLE.fullmatch(names[0])
        outlines = [v for style in chain for v in style.xpath("./w:pPr/w:outlineLvl/@w:val")]
        numbering = [v for style in chain for v in style.xpath("./w:pPr/w:numPr/w:numId/@w:val")]
        bold = [Font(style).bold for style in chain]
        return _StyleFacts(
            named_level=int(by_name.group(1)) if by_name else 0,
            outline_level=_outline_heading_level(outlines),
            numbering=str(numbering[0]) if numbering else None,
            is_list=any(_LIST_STYLE.fullmatch(name) for name in names),
            is_title=names[0] == "Title",
            bold=next((value for value in bold if value is not None), None),
        )


def heading_level(paragraph: Paragraph, facts: _StyleFacts) -> int:
    """The level of a heading style by name, else of the outline level set on the paragraph
    (9, body text, unmakes a heading) or its style; 0 for a paragraph that is no heading."""
    own = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    return facts.named_level or (_outline_heading_level(own) if own else facts.outline_level)


def is_list_item(paragraph: Paragraph, facts: _StyleFacts) -> bool:
    """Numbered or bulleted by numbering (a numbering id of 0 switches it off), or in a
    list style even without numbering."""
    own = paragraph._p.xpath("./w:pPr/w:numPr/w:numId/@w:val")
    numbering = str(own[0]) if own else facts.numbering
    return numbering != "0" if numbering is not None else facts.is_list


def _runs(paragraph: Paragraph) -> Iterator[Run]:
    for item in paragraph.iter_inner_content():
        if isinstance(item, Hyperlink):
            yield from item.runs
        else:
            yield item


def is_all_bold(paragraph: Paragraph, styles: _Styles) -> bool:
    """Every run with visible text is bold (and there is one): bold set on the run, else by
    its character style, else by the paragraph's style."""
    paragraph_bold = styles.paragraph_facts(paragraph).bold
    runs = [run for run in _runs(paragraph) if run.text.strip()]
    return bool(runs) and all(
        next(
            (
                bold
                for bold in (run.bold, styles.facts(run._r.style).bold, paragraph_bold)
                if bold is not None
            ),
            False,
        )
        for run in runs
    )


def clean(text: str) -> str:
    """Soft hyphens removed, whitespace (tabs, line breaks) collapsed to single spaces."""
    return " ".join(text.replace("\u00ad", "").split())


# ---------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _TableCell:
    text: str
    column: int
    """The first grid column the cell covers."""
    span: int


def _row_cells(row: _Row) -> tuple[list[_TableCell], list[Table]]:
    """The row's cells, each once however many columns it spans, and the tables nested in
    them; the continuation of a vertically merged cell is empty, its text stands in the
    merge's first row."""
    cells: list[_TableCell] = []
    nested: list[Table] = []
    column = row.grid_cols_before
    for tc in row._tr.tc_lst:
        span = tc.grid_span
        if tc.vMerge != "continue":
            parts: list[str] = []
            for item in _Cell(tc, row.table).iter_inner_content():
                if isinstance(item, Table):
                    nested.append(item)
                else:
                    parts.append(item.text)
            cells.append(_TableCell(clean(" ".join(parts)), column, span))
        column += span
    return cells, nested


def _is_header(row: _Row, styles: _Styles) -> bool:
    """Marked as the header repeated on every page, or every filled cell entirely bold; a
    row that holds a table is none."""
    if row._tr.xpath("./w:tc//w:tbl"):
        return False
    if row._tr.xpath("./w:trPr/w:tblHeader[not(@w:val='0' or @w:val='false')]"):
        return True
    paragraphs = [
        paragraph
        for tc in row._tr.tc_lst
        for paragraph in _Cell(tc, row.table).paragraphs
        if paragraph.text.strip()
    ]
    return bool(paragraphs) and all(is_all_bold(paragraph, styles) for paragraph in paragraphs)


@dataclass(frozen=True, slots=True)
class _TableReading:
    """A table being read: its rows still to come, its header cells, its shape."""

    rows: Iterator[_Row]
    headers: list[_TableCell]
    """The header row's cells, in grid order ([] without a header row)."""
    header_columns: list[int]
    """The first grid column of each header cell, to find a cell's header by bisection (a
    hostile row can have thousands of cells)."""
    two_columns: bool

    def header_of(self, cell: _TableCell) -> str:
        """The text of the header cell above `cell`, "" if there is none."""
        at = bisect.bisect_right(self.header_columns, cell.column) - 1
        if at < 0 or cell.column >= self.headers[at].column + self.headers[at].span:
            return ""
        return self.headers[at].text


def _reading(table: Table, styles: _Styles) -> _TableReading:
    rows = list(table.rows)
    headers: list[_TableCell] = []
    if len(rows) > 1 and _is_header(rows[0], styles):
        headers = _row_cells(rows[0])[0]
        rows = rows[1:]
    columns = [header.column for header in headers]
    two_columns = len(table._tbl.tblGrid.gridCol_lst) == 2
    return _TableReading(iter(rows), headers, columns, two_columns)


# ---------------------------------------------------------------- the document text


class _WordText(ElementText):
    """Collects the elements into one document text with offsets."""

    def __init__(self, styles: _Styles) -> None:
        super().__init__()
        self.styles = styles
        self.title = ""

    def add(self, kind: ElementKind, text: str, level: int = 0) -> None:
        """Append one element; refuse a file of more than `limits.MAX_FILE_PARTS` of them,
        which counts the lines of a text file and the tags of an HTML file."""
        if text and len(self.elements) >= limits.MAX_FILE_PARTS:
            raise FileProblem(
                f"has more than {limits.MAX_FILE_PARTS:,} paragraphs and table rows, the cap "
                "(index.limits.MAX_FILE_PARTS); split the file"
            )
        super().add(kind, text, level)

    def paragraph(self, paragraph: Paragraph) -> None:
        """The first "Title" paragraph is the title, later ones are paragraphs, like a
        "Subtitle"; a bold paragraph ending with "?" is a question."""
        text = clean(paragraph.text)
        if not text:
            return
        facts = self.styles.paragraph_facts(paragraph)
        level = heading_level(paragraph, facts)
        if facts.is_title:
            if not self.title:
                self.title = text
            else:
                self.add(ElementKind.PARAGRAPH, text)
        elif level:
            self.add(ElementKind.HEADING, text, level)
        elif is_list_item(paragraph, facts):
            self.add(ElementKind.LIST_ITEM, _BULLET + text)
        elif text.endswith("?") and is_all_bold(paragraph, self.styles):
            self.add(ElementKind.QUESTION, text)
        else:
            self.add(ElementKind.PARAGRAPH, text)

    def table(self, table: Table) -> None:
        """Each row one paragraph, a nested table's rows after the row that holds it.

        Iterative, with an explicit stack, like the HTML walk: tables nested in tables
        cannot exhaust Python's recursion limit."""
        stack = [_reading(table, self.styles)]
        while stack:
            reading = stack[-1]
            row = next(reading.rows, None)
            if row is None:
                stack.pop()
                continue
            cells, nested = _row_cells(row)
            self._row(reading, [cell for cell in cells if cell.text])
            stack.extend(_reading(inner, self.styles) for inner in reversed(nested))

    def _row(self, reading: _TableReading, cells: list[_TableCell]) -> None:
        """A question and its answer in a two-column table; otherwise "Header: cell; …"
        with a header row, cells joined by " | " without one."""
        if reading.two_columns and len(cells) == 2 and cells[0].text.endswith("?"):
            self.add(ElementKind.QUESTION, cells[0].text)
            self.add(ElementKind.PARAGRAPH, cells[1].text)
        elif reading.headers:
            labelled = [(reading.header_of(cell), cell.text) for cell in cells]
            text = "; ".join(f"{header}: {cell}" if header else cell for header, cell in labelled)
            self.add(ElementKind.PARAGRAPH, text)
        else:
            self.add(ElementKind.PARAGRAPH, " | ".join(cell.text for cell in cells))


def _core_title(document: WordDocument) -> str:
    """The title of the document's properties, unless it is a file name that a converter
    or an old Word put there ("Microsoft Word - bericht.doc")."""
    title = clean(document.core_properties.title or "")
    return "" if _FILE_NAME_TITLE.search(title) else title


def docx_text(raw: bytes) -> Extracted:
    """The text of a Word document's body, its headings, list items, questions and table
    rows as elements, and its title ("Title" paragraph, else the document's properties).

    A two-column table whose first cell ends with "?" gives a question and its answer per
    row, and so does a paragraph that ends with "?" and is entirely bold (the way editors
    write an FAQ in Word): the structure pass makes FAQ entries of them, also outside an
    FAQ section.
    """
    document = _opened(raw)
    collected = _WordText(_Styles(document))
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            collected.paragraph(item)
        else:
            collected.table(item)
    title = collected.title or _core_title(document)
    return Extracted(collected.text, tuple(collected.elements), title)


def load_docx(raw: bytes, rel: str) -> Loaded:
    extracted = docx_text(raw)
    return [document(rel, extracted, content_hash(extracted.text))], []
