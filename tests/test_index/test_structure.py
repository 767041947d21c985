"""Structure recognition on the seed article: sections, FAQ entries, lists, sources, furniture."""

import pytest

from index.documents import BlockKind
from index.formats.text import plain_text_elements
from index.structure import is_furniture, structure

SEED_QUESTIONS = [
    "Warum versäumen die USA NATO-Treffen?",
    "Was ist NATO 3.0?",
    "Wie reagieren europäische Länder?",
    "Was ist Arctic Sentry?",
    "Könnten die USA die NATO vollständig verlassen?",
]


@pytest.fixture
def seed_structure(seed_text):
    return structure(seed_text, plain_text_elements(seed_text))


def test_seed_faq_section_becomes_five_linked_entries(seed_structure):
    faq = [b for b in seed_structure.blocks if b.kind is BlockKind.FAQ]
    assert [b.question for b in faq] == SEED_QUESTIONS
    assert {b.section for b in faq} == {"FAQ: NATOs Zukunft und US-Rolle"}
    assert faq[3].text.startswith("Arctic Sentry ist NATOs neue integrierte militärische Aktivität")


def test_seed_title_sections_and_sources(seed_structure):
    assert seed_structure.title.startswith("NATO-Krise 2026: US-Abwesenheit")
    sections = {b.section for b in seed_structure.blocks}
    assert "Arctic Sentry: Eine neue strategische Mission" in sections
    (sources,) = [b for b in seed_structure.blocks if b.kind is BlockKind.SOURCES]
    assert sources.section == "Quellen"
    assert sources.text.startswith("CBS News:") and sources.text.endswith(
        "Erklärung ehemaliger Beamter"
    )


def test_seed_furniture_is_left_out(seed_structure):
    texts = "\n".join(b.text for b in seed_structure.blocks)
    for furniture in ("Facebook X LinkedIn", "nato-us-abwesenheit-krise-2026", "Verwandt"):
        assert furniture not in texts
    assert seed_structure.furniture == 4  # slug, share row, repeated title, "Verwandt"


def test_seed_list_joins_its_lead_in(seed_structure):
    (block,) = [b for b in seed_structure.blocks if "Kommandotransfers" in b.text]
    assert block.text.startswith("Diese Transformation ist bereits")
    assert block.text.endswith("nach Jahrzehnten der Unterinvestition wieder auf")
    assert block.hard_breaks


def test_unanswered_question_is_kept_as_text():
    text = "Titel\n\nFAQ\n\nWarum?\n\nWeil.\n\nUnd dann?"
    found = structure(text, plain_text_elements(text))
    assert [(b.kind, b.question, b.text) for b in found.blocks] == [
        (BlockKind.FAQ, "Warum?", "Weil."),
        (BlockKind.TEXT, "", "Und dann?"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Facebook X LinkedIn Bluesky WhatsApp", True),
        ("nato-us-abwesenheit-krise-2026", True),
        ("Verwandt", True),
        ("Mehr zum Thema:", True),
        ("Der Titel", True),
        ("X", False),
        ("Arctic Sentry: Eine neue strategische Mission", False),
        ("Ukraine-Hilfe", False),
    ],
)
def test_furniture_lines(line, expected):
    assert is_furniture(line, title="Der Titel") is expected
