"""PDF text: the lines of a PDF's text layer put back into paragraphs, headings and lists.

A PDF stores glyphs at positions, not paragraphs: reading order, paragraph ends, headings,
list items and hyphenated words have to be recovered from the layout. pdfplumber gives the
characters with their position, size and font; the rest is done here in two halves:

- reading the pages (`pdf_text`): words and lines per page, running headers, footers and
  page numbers dropped, two columns read one after the other, bullets drawn as graphics;
- pure functions on `Line`s and strings (`furniture_rows`, `column_gutter`, `join_lines`,
  `build_text`), which decide paragraphs, headings and lists and are tested without PDFs.
"""

import io
import itertools
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

import pdfplumber
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.layout import LTPage
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import (
    LITERALS_ASCII85_DECODE,
    LITERALS_ASCIIHEX_DECODE,
    LITERALS_DCT_DECODE,
    LITERALS_FLATE_DECODE,
    LITERALS_JBIG2_DECODE,
    LITERALS_JPX_DECODE,
    LITERALS_LZW_DECODE,
    PDFStream,
    stream_value,
)
from pdfminer.psparser import PSLiteral, literal_name
from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent
from pdfplumber.utils import extract_words
from pdfplumber.utils.exceptions import PdfminerException

from index import limits
from index.documents import Element, ElementKind, Extracted, FileProblem, content_hash
from index.formats import Loaded, document

_NO_TEXT = "no text layer (a scanned PDF?); run OCR first, e.g. with ocrmypdf"
_EDGE_ROWS = 2
"""Running headers and footers are looked for in the first and last two rows of a page."""
_EDGE_BAND = 0.15
"""… and only within the top and bottom 15 % of the page's height."""
_REPEATED_ON = 0.5
_REPEATED_ENOUGH = 3
"""A top or bottom row that (digits aside) stands on half of the pages, or on three pages
of a longer document, is furniture: a book's running head names its chapter."""
_WORD_GAP = 0.2
"""A gap wider than 0.2 of the font size between two glyphs separates words, for producers
that write no space characters (LaTeX's word space is a third of the size)."""
_MAX_BOLD_HEADING_CHARS = 150
_SENTENCE_END = re.compile(r"[.!?:;…][\"'»«“”‘’)\]]*$")
_PAGE_NUMBER = re.compile(
    r"[-–—\s]*(?:(?:seite|page|s\.|p\.)\s*)?\d{1,5}(?:\s*(?:/|von|of|aus)\s*\d{1,5})?[-–—\s]*",
    re.IGNORECASE,
)
_BULLET_GLYPH = re.compile(r"[•◦▪▫‣∙·●○■□*+–—-]\s+(?=\S)")
_NUMBERING = re.compile(r"(?:\d{1,3}[.)]|[a-zA-Z][)])\s+(?=\S)")
_DASHES = "–—-"
_HYPHENS = "\u2010\u00ad"
"""U+2010 (what Chromium prints for a soft hyphen it breaks at) and U+00AD (the soft hyphen
itself, which some producers keep): both only ever mark a break inside a word."""
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
"""pdfminer's stand-in for a glyph without a Unicode mapping: noise in a quote."""
_MAX_BULLET_SIZE = 8
"""A filled shape smaller than 8 pt each way may be a bullet (Chromium's disc: 3.75 pt)."""
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|-bd\b|\bbd\b", re.IGNORECASE)
_FILE_NAME_TITLE = re.compile(
    r"\S+\.(?:html?|pdf|docx?|odt|rtf|txt|md|indd|pptx?|xlsx?)|microsoft\s+\w+\s+-\s.*"
    r"|untitled|unbenannt|ohne\s+titel|dokument\d*|document\d*",
    re.IGNORECASE,
)

# ---------------------------------------------------------------- lines and their roles

Style = tuple[float, bool]
"""A font as the layout shows it: size (to half points) and bold."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text of a page, in reading order, with what its layout says.

    `flow` numbers the columns (or full-width bands) of the document in reading order: two
    consecutive lines with different flows are separated by a page or column break, where
    vertical gaps say nothing.
    """

    text: str
    x0: float
    top: float
    bottom: float
    size: float
    bold: bool
    page: int
    flow: int
    marker: bool = False
    """A bullet drawn as a graphic (not as text) stands left of the line."""

    @property
    def style(self) -> Style:
        return self.size, self.bold


def join_lines(lines: Sequence[str]) -> str:
    """The lines of one paragraph as one string, words hyphenated at a line end joined.

    A soft hyphen (U+2010, U+00AD) is dropped before a lower-case continuation
    ("Verteidi‐" + "gung"); "-" too, if a lower-case letter precedes it (a producer that
    prints its hyphenation as "-"). Otherwise a hyphen attached to its word is kept and the
    lines join without a space ("NATO-" + "Treffen", "US-" + "amerikanisch", "'3.0'-" + "Ziel").
    Whitespace is collapsed to single spaces.
    """
    return _joined(lines)[0]


def _joined(lines: Sequence[str]) -> tuple[str, list[int]]:
    """`join_lines`'s text, and the offset in it where each line's text begins: a page can
    break between two lines of a paragraph, and each part is cited with its own page.

    Each line is made plain (`_plain_hyphens`, whitespace collapsed) on its own, so that the
    offsets are counted as the text grows; only the join looks at a line's end as printed.
    The pieces are joined once at the end: a paragraph of thousands of lines costs no more
    than its length.
    """
    pieces: list[str] = []
    starts: list[int] = []
    length = 0
    tail = ""  # the last two characters as printed: the join looks at the hyphen there
    for line in lines:
        printed = line.strip()
        plain = " ".join(_plain_hyphens(printed).split())
        if not plain:
            starts.append(length)
            continue
        separator = " " if pieces else ""
        if len(tail) > 1 and tail[-1] in _HYPHENS + "-" and not tail[-2].isspace():
            if tail[-1] != "\u00ad":  # plain as "-" at the end of the piece before
                pieces[-1] = pieces[-1][:-1]
                length -= 1
            separator = _hyphen_kept(tail, printed[0])
            tail = tail[-2]
        starts.append(length + len(separator))
        pieces.append(separator + plain)
        length += len(separator) + len(plain)
        tail = (tail + separator + printed)[-2:]
    return "".join(pieces), starts


def _hyphen_kept(tail: str, after: str) -> str:
    """What stands between two lines whose first ends with a hyphen (`tail[-1]`): nothing
    where it hyphenated a word, else "-" (a soft hyphen before a capital: nothing)."""
    hyphen, before = tail[-1], tail[-2]
    if after.islower() and (hyphen in _HYPHENS or before.islower()):
        return ""
    return "" if hyphen == "\u00ad" else "-"


def _plain_hyphens(text: str) -> str:
    """Soft hyphens inside a line are invisible and U+2010/U+2011 are hyphens: the text says
    "-", as the same words typed would, so that search finds them."""
    return text.replace("\u00ad", "").replace("\u2010", "-").replace("\u2011", "-")


def furniture_rows(edges: Sequence[Sequence[str]]) -> list[set[int]]:
    """For each page, which of its edge rows (the texts of its top and bottom rows) are
    running headers, footers or page numbers.

    A row is furniture if it is a page number alone ("3", "- 3 -", "Seite 3 von 10", "3/4")
    or if it stands, with its digits replaced, on at least half of the pages (two at least)
    or on three: running titles carry dates and page numbers, which change from page to page,
    and a book's name the chapter.
    """
    keys = [[_digits_blanked(row) for row in rows] for rows in edges]
    pages_with = Counter(key for rows in keys for key in set(rows))
    needed = max(2, min(_REPEATED_ENOUGH, math.ceil(_REPEATED_ON * len(edges))))
    return [
        {
            index
            for index, (row, key) in enumerate(zip(rows, page_keys, strict=True))
            if _PAGE_NUMBER.fullmatch(row) or pages_with[key] >= needed
        }
        for rows, page_keys in zip(edges, keys, strict=True)
    ]


def _digits_blanked(row: str) -> str:
    return " ".join(re.sub(r"\d+", "#", row).lower().split())


def column_gutter(rows: Sequence[Sequence[tuple[float, float]]], min_width: float) -> float | None:
    """The x-position of the gap between two columns, or None for a one-column page.

    `rows` are the horizontal extents of the words of each row of the page. A gutter is a
    vertical strip of at least `min_width` in the middle of the text that (almost) no row
    crosses, with text on both sides in many rows: word gaps are narrow and move from line
    to line, a gutter stays. Rows that do cross it (a full-width title) are allowed, up to a
    fifth of the rows.
    """
    spans = [span for row in rows for span in row]
    if len(rows) < 6 or not spans:
        return None
    left = min(x0 for x0, _ in spans)
    right = max(x1 for _, x1 in spans)
    width = int(right - left) + 1
    crossing = [0] * width
    for row in rows:
        covered = {x for x0, x1 in row for x in range(int(x0 - left), int(x1 - left) + 1)}
        for x in covered:
            crossing[min(x, width - 1)] += 1
    quiet = [count <= len(rows) / 5 for count in crossing]
    best = _longest_run(quiet, int(width * 0.2), int(width * 0.8))
    if best is None or best[1] - best[0] < min_width:
        return None
    gutter = left + (best[0] + best[1]) / 2
    left_rows = sum(any(x1 < gutter for _, x1 in row) for row in rows)
    right_rows = sum(any(x0 > gutter for x0, _ in row) for row in rows)
    return gutter if min(left_rows, right_rows) >= len(rows) / 3 else None


def _longest_run(flags: list[bool], start: int, stop: int) -> tuple[int, int] | None:
    """The longest run of True in `flags[start:stop]`, as (first, end) indexes."""
    best: tuple[int, int] | None = None
    run_start: int | None = None
    for index in range(start, stop + 1):
        inside = index < stop and flags[index]
        if inside and run_start is None:
            run_start = index
        elif not inside and run_start is not None:
            if best is None or index - run_start > best[1] - best[0]:
                best = (run_start, index)
            run_start = None
    return best


# ---------------------------------------------------------------- from lines to elements


def _body_style(lines: Sequence[Line]) -> Style:
    """The most common (size, bold) by characters: the running text's font."""
    weight: Counter[Style] = Counter()
    for line in lines:
        weight[line.style] += len(line.text)
    return weight.most_common(1)[0][0]


@dataclass(slots=True)
class _Group:
    lines: list[Line]
    item: bool

    @property
    def first(self) -> Line:
        return self.lines[0]


def _line_gaps(lines: Sequence[Line], body: Style) -> dict[Style, float]:
    """The usual gap between two lines of one paragraph, per style.

    For the body, the most common gap between its consecutive lines in one column: most
    body paragraphs have several lines. A heading style has few lines, and most of its
    gaps are between headings (a sources list set as headings), so its usual gap is the
    smallest one seen, or the body's spacing scaled to its size if that is smaller.
    """
    gaps: dict[Style, list[float]] = {}
    for before, line in itertools.pairwise(lines):
        if before.flow == line.flow and before.style == line.style:
            gaps.setdefault(line.style, []).append(line.top - before.bottom)
    body_gaps = Counter(round(gap) for gap in gaps.get(body, []))
    ratio = body_gaps.most_common(1)[0][0] / body[0] if body_gaps else 0.5
    usual = {style: max(0.0, min(ratio * style[0], *found)) for style, found in gaps.items()}
    return usual | {body: ratio * body[0]}


class _Bullet(Enum):
    NONE = auto()
    WEAK = auto()
    """A dash or a number: also the first word of a wrapped line ("– sie", "12. Februar")."""
    STRONG = auto()
    """A bullet glyph, written or drawn."""


def _bullet(line: Line, body: Style) -> _Bullet:
    """How surely the line starts a list item; never in a heading font, where
    "1. Einleitung" is a numbered heading."""
    if line.size > body[0]:
        return _Bullet.NONE
    glyph = _BULLET_GLYPH.match(line.text)
    if line.marker or (glyph is not None and line.text[0] not in _DASHES):
        return _Bullet.STRONG
    numbered = _NUMBERING.match(line.text) is not None
    return _Bullet.WEAK if glyph is not None or numbered else _Bullet.NONE


def _ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text) is not None


def _opens_item(group: _Group, line: Line, bullet: _Bullet) -> bool:
    """A dash or number opens an item after a sentence's end or a colon, or in line with
    the item before; elsewhere it continues a wrapped sentence."""
    if bullet is not _Bullet.WEAK:
        return bullet is _Bullet.STRONG
    aligned = group.item and abs(line.x0 - group.first.x0) <= 1
    return aligned or _ends_sentence(group.lines[-1].text)


class _Grouper:
    """Lines into paragraphs, headings and list items: a new group starts at a bullet, at a
    change of font, at a gap clearly wider than the style's line spacing, and at a page or
    column break unless the paragraph evidently runs on."""

    def __init__(self, lines: Sequence[Line], body: Style) -> None:
        self.body = body
        self.gaps = _line_gaps(lines, body)
        self.groups: list[_Group] = []

    def add(self, line: Line) -> None:
        bullet = _bullet(line, self.body)
        group = self.groups[-1] if self.groups else None
        if (
            group is not None
            and not _opens_item(group, line, bullet)
            and self._continues(group, line)
        ):
            group.lines.append(line)
        else:
            self.groups.append(_Group([line], bullet is not _Bullet.NONE))

    def _continues(self, group: _Group, line: Line) -> bool:
        last = group.lines[-1]
        if line.style != last.style or (group.item and line.x0 < group.first.x0 - 1):
            return False
        if line.flow != last.flow:
            return self._runs_on(group, line)
        usual = self.gaps.get(line.style, line.size / 2)
        return line.top - last.bottom <= usual + line.size / 4

    def _runs_on(self, group: _Group, line: Line) -> bool:
        """Across a page or column break, a body paragraph goes on if its last line did not
        end a sentence or the next line starts in lower case."""
        if group.first.style != self.body:
            return False
        return not _ends_sentence(group.lines[-1].text) or line.text[:1].islower()


def _kind(group: _Group, following: _Group | None, body: Style) -> ElementKind:
    """A list item by its bullet; a heading by a size larger than the body's, or by bold
    body-size text short enough for a title and followed by body text."""
    first = group.first
    if group.item:
        return ElementKind.LIST_ITEM
    text = " ".join(line.text for line in group.lines)
    bold_heading = (
        first.bold
        and first.style != body
        and len(text) <= _MAX_BOLD_HEADING_CHARS
        and following is not None
        and following.first.style == body
    )
    return ElementKind.HEADING if first.size > body[0] or bold_heading else ElementKind.PARAGRAPH


def _content(group: _Group, kind: ElementKind) -> tuple[str, list[int]]:
    """The group's text, and where each of its lines begins in it; a list item's bullet
    glyph or dash replaced by "• ", its number kept as it stands."""
    text, starts = _joined([line.text for line in group.lines])
    if kind is not ElementKind.LIST_ITEM or _NUMBERING.match(text):
        return text, starts
    glyph = _BULLET_GLYPH.match(text)
    cut = glyph.end() if glyph else 0
    return "• " + text[cut:], [0, *(start - cut + 2 for start in starts[1:])]


def build_text(lines: Sequence[Line], title: str = "") -> Extracted:
    """The document text, its elements and page starts from lines in reading order.

    Elements are separated by a blank line. Headings get level 0, as `Element` asks of
    headings that are only inferred from layout: an untagged PDF does not state them, and a
    larger font is weaker evidence (a sources list set in a heading font stays a sources
    list). `page_starts` has one offset for each page, 0 for the first: where the text of
    the page's first line begins, within a paragraph that runs on from the page before if
    need be, so that `Document.page_at` of any offset is the page its character was printed
    on; a page without text gets the offset of the next one.
    """
    if not lines:
        return Extracted("", (), title)
    body = _body_style(lines)
    grouper = _Grouper(lines, body)
    for line in lines:
        grouper.add(line)
    groups = grouper.groups
    parts: list[str] = []
    elements: list[Element] = []
    firsts: list[tuple[int, int]] = []  # (page, offset) of each page's first line
    offset = 0
    for index, group in enumerate(groups):
        following = groups[index + 1] if index + 1 < len(groups) else None
        kind = _kind(group, following, body)
        content, starts = _content(group, kind)
        if parts:
            parts.append("\n\n")
            offset += 2
        elements.append(Element(kind, offset, offset + len(content)))
        for line, start in zip(group.lines, starts, strict=True):
            if not firsts or line.page != firsts[-1][0]:
                firsts.append((line.page, offset + start))
        parts.append(content)
        offset += len(content)
    pages = max(line.page for line in lines) + 1
    return Extracted("".join(parts), tuple(elements), title, _page_starts(firsts, pages, offset))


def _page_starts(firsts: list[tuple[int, int]], pages: int, end: int) -> tuple[int, ...]:
    found = [0]
    for page in range(1, pages):
        found.append(next((offset for number, offset in firsts if number >= page), end))
    return tuple(found)


# ---------------------------------------------------------------- reading the PDF


def real_title(metadata_title: object) -> str:
    """The metadata title if it names the document, not the file it was made from
    ("seed.html", "Microsoft Word - Bericht.docx") or a placeholder ("Untitled")."""
    if not isinstance(metadata_title, str):
        return ""
    title = " ".join(metadata_title.split())
    return "" if not title or _FILE_NAME_TITLE.fullmatch(title) else title


def _chars(page: Page) -> list[dict]:
    """The page's upright glyphs, without duplicates and without the spaces that do not
    advance.

    A glyph printed twice at one place (fake bold) would double its letters. Chromium
    writes a soft-hyphen opportunity as a space placed under the next glyph, which would
    split "Vertei digung"; a real space advances. (pdfplumber's `dedupe_chars` takes 0.2 s
    a page; the same glyph at the same rounded position is found in linear time.)
    """
    seen: set[tuple[str, int, int]] = set()
    chars = []
    for char in page.chars:
        place = (char["text"], round(char["x0"]), round(char["top"]))
        if char["upright"] and place not in seen:
            seen.add(place)
            chars.append(char)
    kept = []
    for char, following in itertools.zip_longest(chars, chars[1:]):
        overlapped = (
            following is not None
            and abs(following["top"] - char["top"]) < 1
            and following["x0"] < (char["x0"] + char["x1"]) / 2
        )
        if not (char["text"].isspace() and overlapped):
            kept.append(char)
    return kept


@dataclass(frozen=True, slots=True)
class _Word:
    """A word of a page with its box and its style (size to half points, as producers write
    one font as 10.99 and 11.0; bold from the font's name)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool

    @classmethod
    def of(cls, word: dict) -> "_Word":
        styles = Counter(
            (round(char["size"] * 2) / 2, _BOLD_FONT.search(char["fontname"]) is not None)
            for char in word["chars"]
        )
        (size, bold), _ = styles.most_common(1)[0]
        text = unicodedata.normalize("NFC", _UNMAPPED_GLYPH.sub("", word["text"]))
        return cls(text, word["x0"], word["x1"], word["top"], word["bottom"], size, bold)


@dataclass(frozen=True, slots=True)
class _Mark:
    """A small filled shape: perhaps a bullet drawn as a graphic."""

    x1: float
    middle: float


Row = list[_Word]


def _rows(words: list[_Word]) -> list[Row]:
    """Words grouped into rows: a word joins the row whose vertical extent holds its middle."""
    rows: list[Row] = []
    for word in sorted(words, key=lambda w: w.top + w.bottom):
        middle = (word.top + word.bottom) / 2
        if rows and middle <= max(w.bottom for w in rows[-1]):
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _row_text(row: Row) -> str:
    return " ".join(word.text for word in row)


@dataclass(frozen=True, slots=True)
class _PageWords:
    """One page's words in rows (top to bottom), and the small filled shapes on it: all
    that is kept of a page, so that a long PDF does not hold every glyph's record."""

    number: int
    height: float
    rows: list[Row]
    marks: list[_Mark]

    def edges(self) -> list[int]:
        """The indexes of the rows where a running header or footer may stand."""
        count = len(self.rows)
        candidates = {*range(min(_EDGE_ROWS, count)), *range(max(count - _EDGE_ROWS, 0), count)}
        band = self.height * _EDGE_BAND
        return sorted(
            index
            for index in candidates
            if self.rows[index][0].top < band
            or max(w.bottom for w in self.rows[index]) > self.height - band
        )


def _page_words(page: Page) -> _PageWords:
    found = extract_words(_chars(page), return_chars=True, x_tolerance_ratio=_WORD_GAP)
    words = [word for word in map(_Word.of, found) if word.text.strip()]
    marks = [
        _Mark(shape["x1"], (shape["top"] + shape["bottom"]) / 2)
        for shape in [*page.curves, *page.rects]
        if shape.get("fill") and max(shape["width"], shape["height"]) < _MAX_BULLET_SIZE
    ]
    return _PageWords(page.page_number - 1, float(page.height), _rows(words), marks)


def _marked(row: Row, marks: list[_Mark]) -> bool:
    """A small filled shape just left of the row's first word, at its height: a bullet
    drawn as a graphic, as Chromium draws the discs of a `<ul>`."""
    first = row[0]
    size = first.bottom - first.top
    return any(
        0 <= first.x0 - mark.x1 <= 2.5 * size and first.top <= mark.middle <= first.bottom
        for mark in marks
    )


def _line(row: Row, page: _PageWords, flow: int) -> Line:
    styles: Counter[Style] = Counter()
    for word in row:
        styles[word.size, word.bold] += len(word.text)
    (size, bold), _ = styles.most_common(1)[0]
    return Line(
        text=_row_text(row),
        x0=row[0].x0,
        top=min(w.top for w in row),
        bottom=max(w.bottom for w in row),
        size=size,
        bold=bold,
        page=page.number,
        flow=flow,
        marker=_marked(row, page.marks),
    )


def _flows(rows: list[Row]) -> Iterator[list[Row]]:
    """The page's rows as columns in reading order: with a gutter, the rows between two
    full-width rows are split at it, the left column read before the right one. The rows of
    each column are found again in its own words, as lines of two columns need not align."""
    heights = sorted(word.bottom - word.top for row in rows for word in row)
    min_width = max(8.0, 0.8 * heights[len(heights) // 2]) if heights else 8.0
    gutter = column_gutter([[(w.x0, w.x1) for w in row] for row in rows], min_width)
    if gutter is None:
        yield rows
        return
    left: list[_Word] = []
    right: list[_Word] = []
    full: list[Row] = []
    for row in rows:
        if any(w.x0 < gutter < w.x1 for w in row):
            yield from (_rows(words) for words in (left, right) if words)
            left, right = [], []
            full.append(row)
            continue
        if full:
            yield full
            full = []
        left.extend(w for w in row if w.x1 <= gutter)
        right.extend(w for w in row if w.x0 >= gutter)
    yield from (_rows(words) for words in (left, right) if words)
    if full:
        yield full


def _lines(pages: list[_PageWords]) -> list[Line]:
    """Every page's lines in reading order, running headers, footers and page numbers out."""
    edges = [page.edges() for page in pages]
    dropped = furniture_rows(
        [
            [_row_text(page.rows[index]) for index in indexes]
            for page, indexes in zip(pages, edges, strict=True)
        ]
    )
    lines: list[Line] = []
    flow = 0
    for page, indexes, furniture in zip(pages, edges, dropped, strict=True):
        skip = {indexes[position] for position in furniture}
        body = [row for index, row in enumerate(page.rows) if index not in skip]
        for column in _flows(body):
            lines.extend(_line(row, page, flow) for row in column)
            flow += 1
    return lines


def _open(raw: bytes) -> pdfplumber.PDF:
    if b"%PDF-" not in raw[:1024]:
        raise FileProblem("could not be read as PDF: no PDF header (%PDF-) at its start")
    try:
        return pdfplumber.open(io.BytesIO(raw))
    except PdfminerException as error:
        raise _problem(error) from error


def _problem(error: PdfminerException) -> FileProblem:
    """What pdfplumber's wrapper of an error stands for: a cap's own reason as it is (a
    stream beyond `limits.MAX_PDF_STREAM_BYTES` is refused deep inside pdfminer), else the
    file is damaged or encrypted."""
    cause = error.args[0] if error.args else error
    if isinstance(cause, FileProblem):
        return cause
    if isinstance(cause, PDFEncryptionError):
        return FileProblem("encrypted PDF (password-protected); save a copy without password")
    return FileProblem(f"could not be read as PDF: {_reason(cause)}")


def _reason(error: object) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


_SHRINKING_FILTERS = {
    **dict.fromkeys(LITERALS_ASCII85_DECODE, ascii85decode),
    **dict.fromkeys(LITERALS_ASCIIHEX_DECODE, asciihexdecode),
}
"""Filters whose output is shorter than their input: pdfminer's own decoders are safe."""
_INFLATE_CHUNK = 65_536


def _inflated(data: bytes, limit: int) -> bytes:
    """Flate-decoded `data`, cut after `limit` bytes: a bomb (1,000 times its size) is never
    inflated beyond the cap. Damaged data gives what comes before the damage, which is the
    most pdfminer makes of it too (it decodes past a bad checksum, not past bad data)."""
    inflater = zlib.decompressobj()
    out = bytearray()
    for start in range(0, len(data), _INFLATE_CHUNK):
        try:
            out += inflater.decompress(data[start : start + _INFLATE_CHUNK], limit - len(out))
        except zlib.error:
            break
        if len(out) >= limit or inflater.eof:
            break
    return bytes(out)


def _lzw_decoded(data: bytes, limit: int) -> bytes:
    """LZW-decoded `data`, cut after some `limit` bytes: LZW also multiplies its input."""
    out = bytearray()
    for piece in LZWDecoder(io.BytesIO(data)).run():
        out += piece
        if len(out) >= limit:
            break
    return bytes(out)


_PASSED_ON_FILTERS = {*LITERALS_DCT_DECODE, *LITERALS_JBIG2_DECODE, *LITERALS_JPX_DECODE}
"""Image filters pdfminer hands on undecoded: their data does not grow."""


def _bounded_data(stream: PDFStream, limit: int, what: str) -> bytes:
    """`stream`'s data decoded with bounded decoders, cut once it reaches `limit` bytes:
    a bomb is never inflated beyond `limit`. Predictors only shorten data and are left out,
    so the length is that of the data pdfminer decodes, or more. A stream pdfminer decoded
    already (a form drawn before) is returned as it is.

    A filter that cannot be decoded within a limit (RunLength, CCITTFax, anything unknown)
    refuses the file, naming the stream as `what`: pdfminer would decode it whole."""
    raw = stream.get_rawdata()
    if raw is None:
        return stream.get_data()
    data = (
        stream.decipher(stream.objid, stream.genno, raw, stream.attrs) if stream.decipher else raw
    )
    for name, _ in stream.get_filters():
        if name in LITERALS_FLATE_DECODE:
            data = _inflated(data, limit)
        elif name in LITERALS_LZW_DECODE:
            data = _lzw_decoded(data, limit)
        elif name in _SHRINKING_FILTERS:
            data = _SHRINKING_FILTERS[name](data)
        elif name not in _PASSED_ON_FILTERS:
            raise FileProblem(
                f"{what} is encoded with /{literal_name(name)}, which is not read "
                "(only Flate, LZW, ASCII85 and ASCIIHex can be decoded within the caps)"
            )
        if len(data) >= limit:
            break
    return data


_PDFMINER_DECODE = PDFStream.decode


def _stream_name(stream: PDFStream) -> str:
    """How a refusal names a stream: "a PDF stream (object 6)", with its /Type where it
    states one ("a PDF stream (/ObjStm)")."""
    kind = stream.get("Type")
    parts = [f"object {stream.objid}" if stream.objid is not None else "", _literal(kind)]
    named = ", ".join(part for part in parts if part)
    return f"a PDF stream ({named})" if named else "a PDF stream"


def _literal(value: object) -> str:
    return f"/{literal_name(value)}" if isinstance(value, PSLiteral) else ""


def _decode_within_cap(stream: PDFStream) -> None:
    """`PDFStream.decode`, replaced by this for every stream pdfminer decodes: pdfminer
    inflates a stream whole wherever it needs one (a font's character map or program, an
    object stream, a page's content), so the stream is measured with bounded decoders first
    and refused beyond `limits.MAX_PDF_STREAM_BYTES`, then decoded by pdfminer."""
    cap = limits.MAX_PDF_STREAM_BYTES
    name = _stream_name(stream)
    if len(_bounded_data(stream, cap + 1, name)) > cap:
        raise FileProblem(
            f"{name} decodes to more than {cap:,} bytes (index.limits.MAX_PDF_STREAM_BYTES): "
            "a decompression bomb, or a whole font embedded; export the PDF again"
        )
    _PDFMINER_DECODE(stream)


PDFStream.decode = _decode_within_cap  # type: ignore[method-assign]


def _decoded_size(stream: PDFStream, limit: int) -> int:
    """The length of a page's content stream once decoded, found without holding more than
    `limit` bytes of it; `limit` or more means: over the cap."""
    return min(limit, len(_bounded_data(stream, limit, "a page's content")))


@dataclass(slots=True)
class _Budget:
    """What a PDF's pages have cost so far, counted while pdfminer reads them, so that a
    hostile page is stopped before its cost is spent: a 28 KB file can hold a million glyphs
    (2 GB in pdfplumber), a 10 KB stream inflate to 10 MB of operators."""

    page: int = 0
    content: int = 0
    page_content: int = 0
    glyphs: int = 0
    graphics: int = 0
    text: int = 0

    def start(self, page: int) -> None:
        self.page, self.page_content, self.glyphs, self.graphics = page, 0, 0, 0

    def read(self, stream: PDFStream) -> None:
        """Counts a content stream that is about to be parsed, refusing the file beyond the
        caps (page content first: a bomb is reported as the page that holds it)."""
        if stream.objid is None:  # pdfminer does not run a stream without an id
            return
        room = limits.MAX_PDF_PAGE_CONTENT_BYTES - self.page_content
        size = _decoded_size(stream, room + 1)
        self.page_content += size
        self.content += size
        if size > room:
            raise FileProblem(
                f"page {self.page}'s content decodes to more than "
                f"{limits.MAX_PDF_PAGE_CONTENT_BYTES:,} bytes "
                "(index.limits.MAX_PDF_PAGE_CONTENT_BYTES): a decompression bomb or a huge drawing"
            )
        if self.content > limits.MAX_PDF_CONTENT_BYTES:
            raise FileProblem(
                f"its pages' content decodes to more than {limits.MAX_PDF_CONTENT_BYTES:,} bytes "
                f"by page {self.page} (index.limits.MAX_PDF_CONTENT_BYTES); split the PDF"
            )

    def glyph(self) -> None:
        self.glyphs += 1
        if self.glyphs > limits.MAX_PDF_PAGE_CHARS:
            raise FileProblem(
                f"page {self.page} draws more than {limits.MAX_PDF_PAGE_CHARS:,} characters "
                "(index.limits.MAX_PDF_PAGE_CHARS); a dense page of text has some 5,000"
            )

    def graphic(self) -> None:
        self.graphics += 1
        if self.graphics > limits.MAX_PDF_PAGE_GRAPHICS:
            raise FileProblem(
                f"page {self.page} paints more than {limits.MAX_PDF_PAGE_GRAPHICS:,} paths, "
                "images or forms (index.limits.MAX_PDF_PAGE_GRAPHICS)"
            )

    def add_text(self, chars: int) -> None:
        """Counts a page's text: it can be 30 times the file's size (a page's content
        stream shared by thousands of pages), and the corpus caps count the file."""
        self.text += chars
        if self.text > limits.MAX_FILE_BYTES:
            raise FileProblem(
                f"its text is longer than {limits.MAX_FILE_BYTES:,} characters by page "
                f"{self.page}, the cap of a file (index.limits.MAX_FILE_BYTES); split the PDF"
            )


class _CappedDevice(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, counting each glyph and graphic as pdfminer makes it."""

    def __init__(self, budget: _Budget, page: Page) -> None:
        super().__init__(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
        self.budget = budget

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self.budget.glyph()
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self.budget.graphic()
        super().paint_path(*args, **kwargs)

    def begin_figure(self, *args: Any, **kwargs: Any) -> None:
        """An image or a form drawn: a figure in the layout."""
        self.budget.graphic()
        super().begin_figure(*args, **kwargs)


class _CappedInterpreter(PDFPageInterpreter):
    """pdfminer's interpreter, measuring every content stream (the page's, and a form's each
    time it is drawn) before it is decoded and parsed."""

    device: _CappedDevice

    def execute(self, streams: Sequence[object]) -> None:
        for stream in streams:
            self.device.budget.read(stream_value(stream))
        super().execute(streams)


class _CappedPage(Page):
    """A pdfplumber page whose layout is made under the document's `_Budget`."""

    def __init__(self, pdf: pdfplumber.PDF, found: PDFPage, number: int, budget: _Budget) -> None:
        super().__init__(pdf, found, page_number=number)
        self.budget = budget

    @property
    def layout(self) -> LTPage:
        """pdfplumber's `Page.layout`, with the counting device and interpreter."""
        if hasattr(self, "_layout"):
            return self._layout
        device = _CappedDevice(self.budget, self)
        try:
            _CappedInterpreter(self.pdf.rsrcmgr, device).process_page(self.page_obj)
        except FileProblem:
            raise
        except Exception as error:  # pdfminer's many errors, caught as pdfplumber does
            raise PdfminerException(error) from error
        self._layout = device.get_result()
        return self._layout


def _page_objects(pdf: pdfplumber.PDF) -> list[PDFPage]:
    """The document's pages, counted as the page tree is walked, up to the cap: the /Count a
    file states may lie (a 235 KB file stating one page had 1,500), and `pdf.pages` walks
    the whole tree before a page is read."""
    try:
        found = list(itertools.islice(PDFPage.create_pages(pdf.doc), limits.MAX_PDF_PAGES + 1))
    except Exception as error:  # pdfminer's many errors, caught as pdfplumber does
        raise PdfminerException(error) from error
    if len(found) > limits.MAX_PDF_PAGES:
        raise FileProblem(
            f"has more than {limits.MAX_PDF_PAGES:,} pages, the cap "
            "(index.limits.MAX_PDF_PAGES); split the PDF"
        )
    return found


def _read_pages(pdf: pdfplumber.PDF) -> list[_PageWords]:
    budget = _Budget()
    pages = []
    for number, found in enumerate(_page_objects(pdf), 1):
        budget.start(number)
        page = _CappedPage(pdf, found, number, budget)
        words = _page_words(page)
        budget.add_text(sum(len(word.text) for row in words.rows for word in row))
        pages.append(words)
        page.close()
    return pages


def pdf_text(raw: bytes) -> Extracted:
    """A PDF's text with headings, paragraphs and list items, and where each page starts.

    Refused with `FileProblem`: not a PDF or damaged, encrypted, more than `limits.MAX_PDF_PAGES`
    pages, a page beyond `limits.MAX_PDF_PAGE_CONTENT_BYTES`, `limits.MAX_PDF_PAGE_CHARS` or
    `limits.MAX_PDF_PAGE_GRAPHICS`, more content than `limits.MAX_PDF_CONTENT_BYTES` or more
    text than `limits.MAX_FILE_BYTES`, a stream beyond `limits.MAX_PDF_STREAM_BYTES`, or no
    text layer at all (a scan). The PDF is not
    closed: `PDF.close` walks every page of the page tree, however many it has, and there is
    nothing else to release (the file is in memory).
    """
    pdf = _open(raw)
    try:
        pages = _read_pages(pdf)
        title = real_title(pdf.metadata.get("Title"))
    except PdfminerException as error:
        raise _problem(error) from error
    if not any(page.rows for page in pages):
        raise FileProblem(_NO_TEXT)
    return build_text(_lines(pages), title)


def load_pdf(raw: bytes, rel: str) -> Loaded:
    extracted = pdf_text(raw)
    return [document(rel, extracted, content_hash(extracted.text))], []
