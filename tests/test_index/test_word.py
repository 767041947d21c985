"""Word (.docx) text extraction: the pandoc-made seed against its plain text, documents made
with python-docx (itself a producer of .docx files), and damaged or hostile files."""

import io
import os
import re
import time
import zipfile

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from conftest import REPO
from index import limits
from index.documents import BlockKind, ElementKind, FileProblem
from index.formats import word
from index.formats.text import plain_text_elements
from index.formats.word import docx_text
from index.structure import structure

ROOT = REPO
HEADING, PARAGRAPH, ITEM, QUESTION = (
    ElementKind.HEADING,
    ElementKind.PARAGRAPH,
    ElementKind.LIST_ITEM,
    ElementKind.QUESTION,
)


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def read(document) -> list[tuple[ElementKind, int, str]]:
    extracted = docx_text(saved(document))
    return [(e.kind, e.level, extracted.text[e.start : e.end]) for e in extracted.elements]


def set_property(owner, tag: str, **attributes: str) -> None:
    """A property python-docx has no API for, e.g. `w:outlineLvl` in a paragraph's pPr."""
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    owner.append(element)


@pytest.fixture
def document():
    return docx.Document()


# ---------------------------------------------------------------- the seed


def test_seed_docx_gives_the_blocks_of_the_plain_text():
    text = (ROOT / "data" / "nato-krise-2026.txt").read_text(encoding="utf-8")
    want = structure(text, plain_text_elements(text))
    extracted = docx_text((ROOT / "tests" / "documents" / "seed.docx").read_bytes())
    got = structure(extracted.text, list(extracted.elements), extracted.title)

    def key(found):
        return [(b.kind, b.section, b.question, " ".join(b.text.split())) for b in found.blocks]

    assert got.title == want.title
    assert key(got) == key(want)
    assert sum(block.kind is BlockKind.FAQ for block in got.blocks) == 5
    assert [block.kind for block in got.blocks][-1] is BlockKind.SOURCES
    for element in extracted.elements:
        assert extracted.text[element.start : element.end] == " ".join(
            extracted.text[element.start : element.end].split()
        )


def test_seed_docx_is_read_in_well_under_a_second():
    raw = (ROOT / "tests" / "documents" / "seed.docx").read_bytes()
    started = time.perf_counter()
    docx_text(raw)
    assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------- headings and title


def test_heading_styles_give_levels_and_title_style_the_title(document):
    document.add_heading("Hafen Hamburg", 0)  # the "Title" style
    document.add_paragraph("Der größte Hafen Deutschlands", style="Subtitle")
    document.add_heading("Geschichte", 1)
    document.add_paragraph("Gegründet 1189.")
    document.add_heading("Mittelalter", 2)
    document.add_heading("Hanse", 3)
    extracted = docx_text(saved(document))
    assert extracted.title == "Hafen Hamburg"
    assert read(document) == [
        (PARAGRAPH, 0, "Der größte Hafen Deutschlands"),
        (HEADING, 1, "Geschichte"),
        (PARAGRAPH, 0, "Gegründet 1189."),
        (HEADING, 2, "Mittelalter"),
        (HEADING, 3, "Hanse"),
    ]


def test_outline_level_makes_a_heading_of_a_custom_style_or_paragraph(document):
    german = document.styles.add_style("Überschrift 1", WD_STYLE_TYPE.PARAGRAPH)
    set_property(german.element.get_or_add_pPr(), "w:outlineLvl", val="0")
    derived = document.styles.add_style("Kapitel", WD_STYLE_TYPE.PARAGRAPH)
    derived.base_style = german
    document.add_paragraph("Anreise", style="Überschrift 1")
    document.add_paragraph("Mit dem Zug", style="Kapitel")
    direct = document.add_paragraph("Mit dem Auto")
    set_property(direct._p.get_or_add_pPr(), "w:outlineLvl", val="2")
    body = document.add_paragraph("Kein Titel", style="Überschrift 1")
    set_property(body._p.get_or_add_pPr(), "w:outlineLvl", val="9")  # 9: body text
    assert read(document) == [
        (HEADING, 1, "Anreise"),
        (HEADING, 1, "Mit dem Zug"),
        (HEADING, 3, "Mit dem Auto"),
        (PARAGRAPH, 0, "Kein Titel"),
    ]


@pytest.mark.parametrize(
    ("core_title", "title"),
    [
        ("Jahresbericht 2025", "Jahresbericht 2025"),
        ("bericht-final.docx", ""),
        ("Microsoft Word - bericht", ""),
        ("", ""),
    ],
)
def test_title_from_the_properties_unless_a_file_name(document, core_title, title):
    document.core_properties.title = core_title
    document.add_paragraph("Text.")
    assert docx_text(saved(document)).title == title


def test_title_paragraph_wins_over_the_properties(document):
    document.core_properties.title = "Dokument1"
    document.add_heading("Hafen Hamburg", 0)
    assert docx_text(saved(document)).title == "Hafen Hamburg"


def test_a_style_based_on_itself_ends(document):
    loop = document.styles.add_style("Schleife", WD_STYLE_TYPE.PARAGRAPH)
    set_property(loop.element, "w:basedOn", val=loop.style_id)
    document.add_paragraph("Text.", style="Schleife")
    assert read(document) == [(PARAGRAPH, 0, "Text.")]


# ---------------------------------------------------------------- lists


def test_bullet_numbered_and_numbering_paragraphs_are_list_items(document):
    document.add_paragraph("Zug", style="List Bullet")
    document.add_paragraph("Auto", style="List Number")
    document.add_paragraph("Fahrrad", style="List Paragraph")
    numbered = document.add_paragraph("Schiff")
    numbering = OxmlElement("w:numPr")
    set_property(numbering, "w:ilvl", val="0")
    set_property(numbering, "w:numId", val="1")
    numbered._p.get_or_add_pPr().append(numbering)
    switched_off = document.add_paragraph("Kein Punkt", style="List Bullet")
    numbering = OxmlElement("w:numPr")
    set_property(numbering, "w:numId", val="0")
    switched_off._p.get_or_add_pPr().append(numbering)
    assert read(document) == [
        (ITEM, 0, "• Zug"),
        (ITEM, 0, "• Auto"),
        (ITEM, 0, "• Fahrrad"),
        (ITEM, 0, "• Schiff"),
        (PARAGRAPH, 0, "Kein Punkt"),
    ]


# ---------------------------------------------------------------- tables


def fill(table, rows: list[list[str]], bold_first_row: bool = False) -> None:
    for number, (row, texts) in enumerate(zip(table.rows, rows, strict=True)):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.paragraphs[0].add_run(text).bold = bold_first_row and number == 0


def test_table_with_a_bold_header_row_reads_header_cell_pairs(document):
    table = document.add_table(rows=3, cols=3)
    fill(table, [["Land", "Quote", "Ziel"], ["DE", "2,1 %", "3,5 %"], ["FR", "", "3 %"]], True)
    assert read(document) == [
        (PARAGRAPH, 0, "Land: DE; Quote: 2,1 %; Ziel: 3,5 %"),
        (PARAGRAPH, 0, "Land: FR; Ziel: 3 %"),
    ]


def test_table_marked_with_a_repeated_header_row(document):
    table = document.add_table(rows=2, cols=2)
    fill(table, [["Land", "Quote"], ["DE", "2 %"]])
    set_property(table.rows[0]._tr.get_or_add_trPr(), "w:tblHeader")
    assert read(document) == [(PARAGRAPH, 0, "Land: DE; Quote: 2 %")]


def test_table_without_header_joins_cells_and_repeats_no_merged_cell(document):
    table = document.add_table(rows=3, cols=3)
    fill(table, [["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]])
    table.cell(0, 0).merge(table.cell(0, 1))  # horizontal: "a b" once
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical: "f i" in its first row only
    assert read(document) == [
        (PARAGRAPH, 0, "a b | c"),
        (PARAGRAPH, 0, "d | e | f i"),
        (PARAGRAPH, 0, "g | h"),
    ]


def test_nested_table_rows_follow_the_row_that_holds_them(document):
    table = document.add_table(rows=2, cols=2)
    fill(table, [["außen", "links"], ["unten", "rechts"]])
    inner = table.cell(0, 1).add_table(rows=2, cols=1)
    fill(inner, [["innen 1"], ["innen 2"]])
    document.add_paragraph("Danach.")
    assert read(document) == [
        (PARAGRAPH, 0, "außen | links"),
        (PARAGRAPH, 0, "innen 1"),
        (PARAGRAPH, 0, "innen 2"),
        (PARAGRAPH, 0, "unten | rechts"),
        (PARAGRAPH, 0, "Danach."),
    ]


def test_two_column_question_table_gives_faq_entries_outside_an_faq_section(document):
    document.add_heading("Anreise", 1)
    table = document.add_table(rows=3, cols=2)
    fill(
        table,
        [
            ["Frage", "Antwort"],
            ["Gibt es Parkplätze?", "Ja, am Bahnhof."],
            ["Ist der Eintritt frei?", "Nein, 5 Euro."],
        ],
        bold_first_row=True,
    )
    extracted = docx_text(saved(document))
    assert [(e.kind, extracted.text[e.start : e.end]) for e in extracted.elements] == [
        (HEADING, "Anreise"),
        (QUESTION, "Gibt es Parkplätze?"),
        (PARAGRAPH, "Ja, am Bahnhof."),
        (QUESTION, "Ist der Eintritt frei?"),
        (PARAGRAPH, "Nein, 5 Euro."),
    ]
    found = structure(extracted.text, list(extracted.elements), "Reise")
    assert [(b.kind, b.section, b.question, b.text) for b in found.blocks] == [
        (BlockKind.FAQ, "Anreise", "Gibt es Parkplätze?", "Ja, am Bahnhof."),
        (BlockKind.FAQ, "Anreise", "Ist der Eintritt frei?", "Nein, 5 Euro."),
    ]


def test_three_column_table_with_questions_is_no_faq(document):
    table = document.add_table(rows=1, cols=3)
    fill(table, [["Warum?", "Darum.", "x"]])
    assert read(document) == [(PARAGRAPH, 0, "Warum? | Darum. | x")]


# ---------------------------------------------------------------- bold questions


def test_bold_question_paragraphs_give_faq_entries(document):
    document.add_heading("Häufige Fragen", 1)
    document.add_paragraph().add_run("Gibt es Parkplätze?").bold = True
    document.add_paragraph("Ja, am Bahnhof.")
    styled = document.add_paragraph()
    styled.add_run("Ist der Eintritt ")
    styled.add_run("frei?")
    for run in styled.runs:
        run.style = "Strong"  # bold by its character style
    document.add_paragraph("Nein, 5 Euro.")
    half = document.add_paragraph()
    half.add_run("Nur halb ").bold = True
    half.add_run("fett?")
    document.add_paragraph().add_run("Fett, aber keine Frage.").bold = True
    assert [kind for kind, _, _ in read(document)] == [
        HEADING, QUESTION, PARAGRAPH, QUESTION, PARAGRAPH, PARAGRAPH, PARAGRAPH,
    ]  # fmt: skip
    extracted = docx_text(saved(document))
    found = structure(extracted.text, list(extracted.elements), "Reise")
    assert [(b.kind, b.question) for b in found.blocks] == [
        (BlockKind.FAQ, "Gibt es Parkplätze?"),
        (BlockKind.FAQ, "Ist der Eintritt frei?"),
    ]


# ---------------------------------------------------------------- text


def test_text_cleaned_empty_paragraphs_and_page_furniture_left_out(document):
    document.sections[0].header.add_paragraph("Kopfzeile Seite 1")
    document.sections[0].footer.add_paragraph("Fußzeile")
    document.add_paragraph("")
    document.add_paragraph("  \t ")
    paragraph = document.add_paragraph("Verteidi\u00adgungs")
    set_property(paragraph.add_run()._r, "w:softHyphen")
    paragraph.add_run("ministerium\tin\nBerlin")
    run = document.add_paragraph("NATO").add_run()
    set_property(run._r, "w:noBreakHyphen")
    run.add_text("Gipfel")
    linked = document.add_paragraph("Siehe ")
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.append(docx.Document().add_paragraph().add_run("die Quelle")._r)
    linked._p.append(hyperlink)
    assert read(document) == [
        (PARAGRAPH, 0, "Verteidigungsministerium in Berlin"),
        (PARAGRAPH, 0, "NATO-Gipfel"),
        (PARAGRAPH, 0, "Siehe die Quelle"),
    ]


# ---------------------------------------------------------------- refusals and caps


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def members_of(raw: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(raw))
    return {name: archive.read(name) for name in archive.namelist()}


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (os.urandom(4096), "could not be read as a Word document: not a zip archive"),
        (OLE + "WordDocument".encode("utf-16-le"), "a Word 97–2003 .doc file; save it as .docx"),
        (OLE + "EncryptedPackage".encode("utf-16-le"), "an encrypted (password-protected)"),
        (OLE, "an encrypted Word file or an old Office format"),
        (zipped({"notiz.txt": b"Hallo"}), "could not be read as a Word document"),
    ],
    ids=["random", "doc", "encrypted", "ole", "plain-zip"],
)
def test_refused_files(raw, reason):
    with pytest.raises(FileProblem, match="^" + re.escape(reason)):
        docx_text(raw)


def test_refused_without_its_main_part_or_damaged(document):
    members = members_of(saved(document))
    del members["word/document.xml"]
    with pytest.raises(FileProblem, match=r"could not be read as a Word document: .*document\.xml"):
        docx_text(zipped(members))
    members = members_of(saved(document))
    members["word/document.xml"] = members["word/document.xml"][:100]
    with pytest.raises(FileProblem, match="could not be read as a Word document"):
        docx_text(zipped(members))


def test_zip_bomb_refused_before_parsing(document, monkeypatch):
    out = io.BytesIO(saved(document))
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/bomb.bin", "w") as member,
    ):
        for _ in range(60):  # 60 MB of zeros, some 60 KB compressed
            member.write(bytes(1_000_000))
    raw = out.getvalue()
    assert len(raw) < 200_000

    def never(*_args, **_kwargs):
        raise AssertionError("python-docx must not parse a zip bomb")

    monkeypatch.setattr(word.docx, "Document", never)
    with pytest.raises(FileProblem, match=r"unpacks to 6\d MB, more than the cap of 50 MB"):
        docx_text(raw)


def test_more_paragraphs_than_the_cap_refused(document, monkeypatch):
    for number in range(5):
        document.add_paragraph(f"Absatz {number}.")
    raw = saved(document)
    monkeypatch.setattr(limits, "MAX_FILE_PARTS", 4)
    with pytest.raises(FileProblem, match="more than 4 paragraphs and table rows"):
        docx_text(raw)
    monkeypatch.setattr(limits, "MAX_FILE_PARTS", 5)
    assert len(docx_text(raw).elements) == 5
