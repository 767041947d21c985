"""PDF text: the committed PDFs of real producers against the seed's plain text, refusals,
and the pure helpers (hyphen joining, furniture, columns, paragraphs) on synthetic lines."""

import hashlib
import io
import re
import struct
import tracemalloc
import zlib

import pdfplumber
import pypdfium2 as pdfium
import pytest

from conftest import REPO
from index import limits
from index.documents import Document, ElementKind, FileProblem
from index.formats.pdf import (
    Line,
    build_text,
    column_gutter,
    furniture_rows,
    join_lines,
    pdf_text,
    real_title,
)
from index.formats.text import plain_text_elements
from index.structure import structure

ROOT = REPO
DOCUMENTS = ROOT / "tests" / "documents"
SEED_TEXT = ROOT / "data" / "nato-krise-2026.txt"
PDFS = ["seed.pdf", "two-columns.pdf", "running-header.pdf"]


def normalised(text: str) -> str:
    return " ".join(text.split())


def block_keys(found):
    return [(b.kind, b.section, b.question, normalised(b.text)) for b in found.blocks]


@pytest.fixture(scope="module")
def extracted():
    return {name: pdf_text((DOCUMENTS / name).read_bytes()) for name in PDFS}


# ---------------------------------------------------------------- the committed PDFs


@pytest.mark.parametrize("name", PDFS)
def test_blocks_sections_and_faq_equal_the_plain_text(extracted, name):
    text = SEED_TEXT.read_text(encoding="utf-8")
    want = structure(text, plain_text_elements(text))
    got_x = extracted[name]
    got = structure(got_x.text, list(got_x.elements), got_x.title)
    assert block_keys(got) == block_keys(want)
    assert got.title == want.title
    assert sum(1 for b in got.blocks if b.question) == 5


@pytest.mark.parametrize("name", PDFS)
def test_elements_are_collapsed_spans_separated_by_blank_lines(extracted, name):
    found = extracted[name]
    for element, following in zip(found.elements, found.elements[1:], strict=False):
        assert found.text[element.end : following.start] == "\n\n"
    for element in found.elements:
        content = found.text[element.start : element.end]
        assert content == normalised(content) and content
        assert element.level == 0  # inferred from layout, as `Element` asks
    items = [found.text[e.start : e.end] for e in found.elements if e.kind is ElementKind.LIST_ITEM]
    assert len(items) == 4 and all(item.startswith("• ") for item in items)
    assert items[0].startswith("• Kommandotransfers: Die USA haben das Kommando")


@pytest.mark.parametrize("name", PDFS)
def test_hyphenated_words_are_joined_and_hyphens_kept(extracted, name):
    text = extracted[name].text
    for word in ("Verteidigungsministertreffen", "Verteidigungswende", "NATO-Treffen"):
        assert word in text
    assert "Vertei digung" not in text and "\u2010" not in text and "\u00ad" not in text
    assert "'NATO 3.0'-Transformation" in text


@pytest.mark.parametrize(
    ("name", "furniture"),
    [
        ("seed.pdf", ["11/28/26", "12:55 AM", "file://", "seed.html"]),
        ("two-columns.pdf", ["11/28/26", "file://", "two-columns.html"]),
        ("running-header.pdf", ["Bundesamt", "Jahresbericht", "Stand:", "Seite"]),
    ],
)
def test_running_headers_footers_and_page_numbers_are_dropped(extracted, name, furniture):
    text = extracted[name].text
    for piece in furniture:
        assert piece not in text
    assert re.search(r"\b\d/\d\b", text) is None


@pytest.mark.parametrize(
    ("name", "page_two"),
    [("seed.pdf", "zweite aufeinanderfolgende"), ("running-header.pdf", "kümmern müssen, nicht")],
)
def test_page_starts_locate_the_pages(extracted, name, page_two):
    found = extracted[name]
    assert len(found.page_starts) == 4 and found.page_starts[0] == 0
    assert list(found.page_starts) == sorted(set(found.page_starts))
    faq = found.text.index("Was ist Arctic Sentry?")
    assert faq >= found.page_starts[-1]
    # page 2 begins within the paragraph that runs on from page 1, at its first line's text
    assert found.text[found.page_starts[1] :].startswith(page_two)
    assert not any(e.start == found.page_starts[1] for e in found.elements)


def _letters(text: str) -> str:
    """Only letters and digits: Chromium's soft-hyphen spaces split pdfplumber's words
    ("aufein anderf olgende"), and hyphenation differs from the joined text."""
    return re.sub(r"\W|_", "", text)


@pytest.mark.parametrize("name", ["seed.pdf", "running-header.pdf"])
def test_every_sentence_is_cited_with_the_page_it_is_printed_on(extracted, name):
    """The first and last words of each sentence, looked up in pdfplumber's own text of each
    page: `page_at` of the sentence's start and end must name those pages. (pdfplumber's
    text of a two-column page runs across the columns, so one-column PDFs only.)"""
    found = extracted[name]
    document = Document("d", name, "", found.text, (), "", page_starts=found.page_starts)
    with pdfplumber.open(DOCUMENTS / name) as pdf:
        pages = [_letters(page.extract_text()) for page in pdf.pages]

    def printed_on(words: list[str]) -> int | None:
        on = [number for number, text in enumerate(pages, 1) if _letters("".join(words)) in text]
        return on[0] if len(on) == 1 else None

    checked, spanning = 0, 0
    for sentence in re.finditer(r"\S.*?(?:[.!?:](?=\s)|$)", found.text, re.MULTILINE):
        words = sentence.group().split()
        first, last = printed_on(words[:4]), printed_on(words[-4:])
        if len(words) < 8 or first is None or last is None:
            continue  # a phrase that stands on several pages
        assert (document.page_at(sentence.start()), document.page_at(sentence.end() - 1)) == (
            first,
            last,
        ), sentence.group()
        checked += 1
        spanning += first != last
    assert checked >= 30 and spanning >= 1


def test_two_columns_are_read_left_then_right(extracted):
    text = extracted["two-columns.pdf"].text
    assert "von jahrzehntelanger amerikanischer Führung innerhalb der Allianz dar" in text
    assert len(extracted["two-columns.pdf"].page_starts) == 3


def test_the_metadata_title_is_used(extracted):
    assert extracted["seed.pdf"].title.startswith("NATO-Krise 2026: US-Abwesenheit")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Jahresbericht 2026", "Jahresbericht 2026"),
        ("  Zwei   Wörter ", "Zwei Wörter"),
        ("seed.html", ""),
        ("Microsoft Word - Bericht.docx", ""),
        ("Untitled", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_real_title(title, expected):
    assert real_title(title) == expected


# ---------------------------------------------------------------- refusals


def _empty_pdf() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    i = j = 0
    out = bytearray()
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user_password: bytes = b"geheim") -> bytes:
    """A one-page PDF with a user password (standard security handler, revision 2, RC4 of
    40 bits: the algorithms of PDF 1.7, 7.6.3.3 and 7.6.3.4)."""
    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    padded = (user_password + pad)[:32]
    owner = _rc4(hashlib.md5(padded).digest()[:5], padded)
    file_id, permissions = b"0123456789abcdef", -4
    key = hashlib.md5(padded + owner + struct.pack("<i", permissions) + file_id).digest()[:5]
    user = _rc4(key, pad)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), user.hex().encode(), permissions),
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 5\n0000000000 65535 f \n"
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>"
    body += b"trailer\n" + trailer % (file_id.hex().encode(), file_id.hex().encode())
    return body + b"\nstartxref\n%d\n%%%%EOF\n" % xref


def test_the_encrypted_test_pdf_is_real():
    assert len(pdfium.PdfDocument(_encrypted_pdf(), password="geheim")) == 1
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(_encrypted_pdf())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"PK\x03\x04 this is a zip file, not a PDF", "could not be read as PDF: no PDF header"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 20, "could not be read as PDF"),
        ((DOCUMENTS / "seed.pdf").read_bytes()[:40_000], "could not be read as PDF"),
        (_empty_pdf(), "no text layer (a scanned PDF?); run OCR first"),
        ((DOCUMENTS / "scanned.pdf").read_bytes(), "no text layer (a scanned PDF?)"),
        (_encrypted_pdf(), "encrypted PDF (password-protected)"),
    ],
    ids=["not-a-pdf", "garbage-after-header", "truncated", "empty-page", "image-only", "encrypted"],
)
def test_refusals(raw, reason):
    with pytest.raises(FileProblem) as refused:
        pdf_text(raw)
    assert refused.value.reason.startswith(reason)


def test_more_pages_than_the_cap_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 3)
    with pytest.raises(FileProblem, match=r"has more than 3 pages, the cap"):
        pdf_text((DOCUMENTS / "seed.pdf").read_bytes())


def _stream(attrs: bytes, data: bytes, packed: bytes | None = None) -> bytes:
    packed = zlib.compress(data, 9) if packed is None else packed
    head = b"<< %s /Length %d /Filter /FlateDecode >>" % (attrs, len(packed))
    return head + b"\nstream\n" + packed + b"\nendstream"


def _hand_made_pdf(content: bytes, pages: int = 1, count: int = 1, form: bytes = b"") -> bytes:
    """Pages sharing one Flate-compressed content stream, with Helvetica as /F1 and a form
    /X0 of `form` to draw; the page tree states `count` pages, whatever it holds."""
    resources = b"/Resources << /Font << /F1 4 0 R >> /XObject << /X0 5 0 R >> >>"
    kids = b" ".join(b"%d 0 R" % (6 + page) for page in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        _stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] " + resources, form),
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R %s >>" % resources]
        * pages,
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content_object in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content_object)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    return body + b"startxref\n%d\n%%%%EOF\n" % xref


def _text(lines: int, words: int = 20, size: int = 10) -> bytes:
    """`lines` lines of `words` words ("Wort", five glyphs with its space) each."""
    shown = b"(" + b"Wort " * words + b") Tj"
    rows = [b"1 0 0 1 40 %d Tm %s" % (800 - (row * 12) % 760, shown) for row in range(lines)]
    return b"BT /F1 %d Tf " % size + b"\n".join(rows) + b" ET"


def test_the_hand_made_pdf_is_read():
    found = pdf_text(_hand_made_pdf(_text(20), pages=2, count=2))
    # the two lines at the top stand on every page: a running header, dropped
    assert found.text.count("Wort") == 2 * 18 * 20 and len(found.page_starts) == 2


def _refused(raw: bytes) -> str:
    with pytest.raises(FileProblem) as refused:
        pdf_text(raw)
    return refused.value.reason


def test_a_page_drawing_too_many_glyphs_is_refused_while_drawn(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_CHARS", 2_000)
    assert pdf_text(_hand_made_pdf(_text(19))).text.count("Wort") == 380  # 1,900 glyphs
    reason = _refused(_hand_made_pdf(_text(21)))
    assert reason.startswith("page 1 draws more than 2,000 characters")
    # a form drawn over and over counts each time: 30 times 100 glyphs
    reason = _refused(_hand_made_pdf(b"/X0 Do\n" * 30, form=_text(1)))
    assert reason.startswith("page 1 draws more than 2,000 characters")


def test_a_page_painting_too_many_graphics_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_GRAPHICS", 100)
    reason = _refused(_hand_made_pdf(_text(1) + b"\n" + b"0 0 1 1 re f\n" * 101))
    assert reason.startswith("page 1 paints more than 100 paths, images or forms")


def test_a_decompression_bomb_is_refused_without_inflating_it():
    bomb = _hand_made_pdf(_text(1) + b" " * 200_000_000)  # 200 MB of spaces in 200 KB
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        reason = _refused(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason.startswith("page 1's content decodes to more than 2,000,000 bytes")
    assert peak < 4 * limits.MAX_PDF_PAGE_CONTENT_BYTES


def test_content_is_counted_each_time_a_form_is_drawn(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_CONTENT_BYTES", 100_000)
    reason = _refused(_hand_made_pdf(b"/X0 Do\n" * 300, form=b"1 w\n" * 500))  # 300 * 2 KB
    assert reason.startswith("page 1's content decodes to more than 100,000 bytes")


def test_the_content_of_all_pages_is_capped(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_CONTENT_BYTES", 100_000)  # seed.pdf's pages: 65-70 KB
    reason = _refused((DOCUMENTS / "seed.pdf").read_bytes())
    assert reason.startswith("its pages' content decodes to more than 100,000 bytes by page 2")


def test_a_content_filter_without_a_bounded_decoder_is_refused():
    raw = _hand_made_pdf(_text(1)).replace(b"/FlateDecode", b"/RunLengthDecode", 1)
    assert _refused(raw).startswith("a page's content is encoded with /RunLengthDecode")


def test_pages_are_counted_whatever_the_page_tree_states(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 3)
    assert len(pdf_text(_hand_made_pdf(_text(20), pages=3, count=1)).page_starts) == 3
    reason = _refused(_hand_made_pdf(_text(20), pages=4, count=1))
    assert reason.startswith("has more than 3 pages, the cap")


def test_the_text_is_capped_like_a_file(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 5_000)  # one shared page: 1,600 characters
    assert len(pdf_text(_hand_made_pdf(_text(20), pages=3, count=3)).page_starts) == 3
    reason = _refused(_hand_made_pdf(_text(20), pages=4, count=4))
    assert reason.startswith("its text is longer than 5,000 characters by page 4")


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["die Verteidi\u2010", "gungsausgaben"], "die Verteidigungsausgaben"),
        (["die Verteidi\u00ad", "gungsausgaben"], "die Verteidigungsausgaben"),
        (["die Verteidi-", "gungsausgaben"], "die Verteidigungsausgaben"),
        (["ein NATO-", "Treffen"], "ein NATO-Treffen"),
        (["US-", "amerikanischer"], "US-amerikanischer"),
        (["100-", "200 Milliarden"], "100-200 Milliarden"),
        (["der 'NATO 3.0'-", "Transformation"], "der 'NATO 3.0'-Transformation"),
        (["Ziel\u2010", "Erreichung"], "Ziel-Erreichung"),
        (["nennen –", "eine"], "nennen – eine"),
        (["nennen -", "eine"], "nennen - eine"),
        (["Die Allianz ", " arbeitet"], "Die Allianz arbeitet"),
        (["Vertei\u00addigung und Ukraine\u2010Hilfe"], "Verteidigung und Ukraine-Hilfe"),
    ],
)
def test_join_lines(lines, joined):
    assert join_lines(lines) == joined


def test_furniture_rows_repeating_headers_with_changing_numbers():
    bodies = ["Der Hafen wuchs.", "Im Jahr 2026", "Die Allianz tagte.", "Ende."]
    edges = [
        [f"11/28/26, 12:5{n} AM Titel", body, f"file:///tmp/x/seed.html {n}/4"]
        for n, body in enumerate(bodies, 1)
    ]
    assert furniture_rows(edges) == [{0, 2}] * 4
    edges = [["Kopfzeile des Berichts", f"Kapitel {n}: Anfang", f"{n}"] for n in (7, 8, 9)]
    edges[1][1] = "Die Allianz wuchs."
    assert furniture_rows(edges) == [{0, 1, 2}, {0, 2}, {0, 1, 2}]


@pytest.mark.parametrize(
    "row", ["3", "- 3 -", "– 12 –", "Seite 3", "3/4", "S. 3 von 10", "Page 7 of 9", "seite 2 aus 5"]
)
def test_furniture_rows_page_numbers_on_a_single_page(row):
    assert furniture_rows([[row, "Im Jahr 2026 wuchs der Hafen um 3 Prozent."]]) == [{0}]


def test_furniture_rows_a_chapter_head_on_three_pages_of_a_book():
    chapters = ["Einleitung", "Grundlagen", "Verfahren", "Ergebnisse"]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"  # every page's first line differs
    edges = [
        [f"{n // 10 + 1} {chapters[n // 10]} {n + 1}", f"Absatz {letters[n]} geht weiter"]
        for n in range(40)
    ]
    assert furniture_rows(edges) == [{0}] * 40
    edges[12][0] = "2 Grundlagen, anders gesetzt 13"
    assert furniture_rows(edges)[12] == set()


def test_furniture_rows_keep_lines_of_a_single_page_and_rare_lines():
    assert furniture_rows([["Jahresbericht 2026", "Seite eins"]]) == [set()]
    edges = [["Kopf"], ["Kopf"], ["Kopf"], ["Einmalige Zeile 1"], ["Andere 2"]]
    assert furniture_rows(edges) == [{0}, {0}, {0}, set(), set()]


def _text_row(start: float, words: list[int]) -> list[tuple[float, float]]:
    """A row of words of the given widths, 3.5 pt apart, from `start`."""
    row, x = [], start
    for width in words:
        row.append((x, x + width))
        x += width + 3.5
    return row


def _lorem_rows(start: float, count: int, width: float) -> list[list[tuple[float, float]]]:
    """Rows of ragged text: word widths vary, so word gaps do not line up."""
    rows = []
    for number in range(count):
        widths = [20 + (number * 7 + k * 13) % 35 for k in range(40)]
        row = [span for span in _text_row(start, widths) if span[1] <= start + width]
        rows.append(row)
    return rows


def test_column_gutter_of_two_columns_and_a_full_width_title():
    rows = [
        left + right
        for left, right in zip(_lorem_rows(75, 30, 220), _lorem_rows(320, 30, 220), strict=True)
    ]
    rows.insert(0, _text_row(75, [120, 150, 160]))  # a title across both columns
    gutter = column_gutter(rows, 8)
    assert gutter is not None and 295 < gutter < 320


def test_column_gutter_none_for_one_column_and_for_few_rows():
    assert column_gutter(_lorem_rows(75, 30, 460), 8) is None
    short = [_text_row(75, [60]), _text_row(400, [60])] * 2
    assert column_gutter(short, 8) is None


def line(text: str, top: float, page: int = 0, flow: int = 0, **style) -> Line:
    size = style.pop("size", 11.0)
    return Line(
        text=text,
        x0=style.pop("x0", 75.0),
        top=top,
        bottom=top + size,
        size=size,
        bold=style.pop("bold", False),
        page=page,
        flow=flow,
        marker=style.pop("marker", False),
    )


def _elements(found):
    return [(e.kind, found.text[e.start : e.end]) for e in found.elements]


def test_build_text_paragraphs_headings_and_lists():
    lines = [
        line("Großer Titel über", 40, size=20, bold=True),
        line("zwei Zeilen", 68, size=20, bold=True),
        line("Der erste Absatz hat", 110),
        line("zwei Zeilen.", 125),
        line("Der zweite Absatz beginnt nach einer Lücke.", 155),
        line("Fett und kurz", 185, bold=True),
        line("Text nach der fetten Überschrift, der eine", 200),
        line("Liste einleitet:", 215),
        line("Erster Punkt, als Grafik", 240, x0=105, marker=True),
        line("markiert, mit Folgezeile", 255, x0=105),
        line("Zweiter Punkt", 270, x0=105, marker=True),
        line("– Punkt mit Strich", 285, x0=90),
        line("1. Schritt eins", 300, x0=90),
        line("2. Numerierte Überschrift", 320, size=15, bold=True),
        line("Ein Absatz nach der Liste.", 350),
    ]
    found = build_text(lines, "Titel")
    assert found.title == "Titel"
    assert _elements(found) == [
        (ElementKind.HEADING, "Großer Titel über zwei Zeilen"),
        (ElementKind.PARAGRAPH, "Der erste Absatz hat zwei Zeilen."),
        (ElementKind.PARAGRAPH, "Der zweite Absatz beginnt nach einer Lücke."),
        (ElementKind.HEADING, "Fett und kurz"),
        (ElementKind.PARAGRAPH, "Text nach der fetten Überschrift, der eine Liste einleitet:"),
        (ElementKind.LIST_ITEM, "• Erster Punkt, als Grafik markiert, mit Folgezeile"),
        (ElementKind.LIST_ITEM, "• Zweiter Punkt"),
        (ElementKind.LIST_ITEM, "• Punkt mit Strich"),
        (ElementKind.LIST_ITEM, "1. Schritt eins"),
        (ElementKind.HEADING, "2. Numerierte Überschrift"),
        (ElementKind.PARAGRAPH, "Ein Absatz nach der Liste."),
    ]
    assert found.page_starts == (0,)


def test_build_text_a_wrapped_dash_or_date_is_no_list_item():
    lines = [
        line("Die Minister tagten am", 40),
        line("12. Februar 2026 in Brüssel, und es hieß", 55),
        line("– so die Sprecherin – alles sei gut.", 70),
        line("Drei Schritte:", 100),
        line("1. Planen", 115),
        line("2. Bauen", 130),
    ]
    assert _elements(build_text(lines)) == [
        (
            ElementKind.PARAGRAPH,
            "Die Minister tagten am 12. Februar 2026 in Brüssel, und es hieß"
            " – so die Sprecherin – alles sei gut.",
        ),
        (ElementKind.PARAGRAPH, "Drei Schritte:"),
        (ElementKind.LIST_ITEM, "1. Planen"),
        (ElementKind.LIST_ITEM, "2. Bauen"),
    ]


def test_build_text_joins_a_paragraph_across_page_and_column_breaks():
    lines = [
        line("Ein Satz, der am Ende", 685),
        line("der Seite nicht", 700),
        line("endet, sondern auf der nächsten weitergeht.", 40, page=1, flow=1),
        line("Ein Absatz, der mit", 70, page=1, flow=1),
        line("der Seite endet.", 85, page=1, flow=1),
        line("Neuer Absatz oben in der rechten Spalte.", 40, page=1, flow=2, x0=320),
        line("Kein Punkt am Ende,", 70, page=1, flow=2, x0=320),
        line("aber", 85, page=1, flow=2, x0=320),
        line("Großschreibung danach", 40, page=2, flow=3),
        line("Überschrift", 60, page=2, flow=3, size=15, bold=True),
        line("Text.", 90, page=2, flow=3),
    ]
    found = build_text(lines)
    assert [text for _, text in _elements(found)] == [
        "Ein Satz, der am Ende der Seite nicht endet, sondern auf der nächsten weitergeht.",
        "Ein Absatz, der mit der Seite endet.",
        "Neuer Absatz oben in der rechten Spalte.",
        "Kein Punkt am Ende, aber Großschreibung danach",
        "Überschrift",
        "Text.",
    ]
    # pages begin where their first line's text begins, within a paragraph if need be
    second, third = found.text.index("endet, sondern"), found.text.index("Großschreibung")
    assert found.page_starts == (0, second, third)


def test_build_text_page_without_text_gets_the_next_start():
    lines = [line("Seite eins.", 40), line("Seite drei.", 40, page=2, flow=1)]
    found = build_text(lines)
    start = found.text.index("Seite drei.")
    assert found.page_starts == (0, start, start)
