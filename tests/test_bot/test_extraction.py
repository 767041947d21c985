"""Choosing what an answer quotes: the judged order, when to stop, and quotes that read on
their own (pure functions over hand-made candidates and passages: no index, no model)."""

import math
from dataclasses import replace

import pytest

from bot.extraction import (
    FOLLOW_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    ExtractionSettings,
    Judged,
    SentenceEvidence,
    answer_type_found,
    is_fragment,
    judge,
    points_back,
    quotes,
    select,
)
from bot.questions import question_kind
from index.calibration import Logistic
from index.documents import BlockKind
from index.passages import Passage
from index.sentences import sentences

EVIDENCE = SentenceEvidence(*(0.0,) * len(SENTENCE_FEATURES))
BY_SIMILARITY = Logistic(
    SENTENCE_FEATURES, tuple(float(name == "similarity") * 10 for name in SENTENCE_FEATURES), -5
)
"""Probability rises with the similarity alone: 0.5 at similarity 0.5."""
ADDS_ABOVE_HALF = Logistic(
    FOLLOW_FEATURES, tuple(float(name == "probability") * 20 for name in FOLLOW_FEATURES), -10
)
"""A further sentence is quoted when its own probability is above 0.5."""


def passage(text: str, row: int = 0) -> Passage:
    spans = sentences(text).spans
    return Passage(
        f"p{row}", "doc", "doc.txt", "Titel", "", BlockKind.TEXT, text, 0, len(text), spans
    )


def candidate(row: int, number: int, p: Passage, similarity: float, fragment=False):
    evidence = replace(EVIDENCE, similarity=similarity)
    span = p.sentences[number]
    return Candidate(row, number, span, "doc", span[0] + 1000 * row, fragment, evidence)


TEXT = (
    "Die Allianz wurde 1949 gegründet. Sie hat heute 32 Mitglieder. "
    "Ihr Sitz ist in Brüssel. Der Generalsekretär ist Mark Rutte."
)


def test_judged_best_first_and_fragments_last():
    p = passage(TEXT)
    found = [
        candidate(0, 0, p, 0.2),
        candidate(0, 1, p, 0.9, fragment=True),
        candidate(0, 2, p, 0.7),
    ]
    judged = judge(found, BY_SIMILARITY)
    assert [j.candidate.sentence for j in judged] == [2, 0, 1]
    assert judged[0].probability == pytest.approx(1 / (1 + math.exp(-2)))


def test_select_stops_where_the_next_sentence_would_not_add():
    p = passage(TEXT)
    judged = judge(
        [candidate(0, n, p, s) for n, s in enumerate((0.95, 0.7, 0.45, 0.3))], BY_SIMILARITY
    )
    chosen = select(judged, ADDS_ABOVE_HALF, ExtractionSettings(max_sentences=4))
    assert [j.candidate.sentence for j in chosen] == [0, 1]  # 0.45: p 0.38, below the bar
    assert len(select(judged, ADDS_ABOVE_HALF, ExtractionSettings(max_sentences=1))) == 1


def test_select_never_adds_a_fragment():
    p = passage(TEXT)
    judged = judge([candidate(0, 0, p, 0.9), candidate(0, 2, p, 0.99, True)], BY_SIMILARITY)
    assert [
        j.candidate.sentence for j in select(judged, ADDS_ABOVE_HALF, ExtractionSettings())
    ] == [0]


def _quoted(chosen: list[Judged], passages: list[Passage]) -> list[str]:
    return [passages[q.row].text[q.span[0] : q.span[1]] for q in quotes(chosen, passages)]


def test_neighbouring_sentences_become_one_quote_in_reading_order():
    p = passage(TEXT)
    chosen = [Judged(candidate(0, 3, p, 0.9), 0.9), Judged(candidate(0, 2, p, 0.8), 0.8)]
    assert _quoted(chosen, [p]) == ["Ihr Sitz ist in Brüssel. Der Generalsekretär ist Mark Rutte."]


def test_a_sentence_that_points_back_is_quoted_with_the_one_before():
    p = passage(TEXT)
    assert _quoted([Judged(candidate(0, 1, p, 0.9), 0.9)], [p]) == [
        "Die Allianz wurde 1949 gegründet. Sie hat heute 32 Mitglieder."
    ]


def test_a_sentence_that_joins_two_quotes_makes_them_one():
    p = passage(TEXT)
    chosen = [Judged(candidate(0, n, p, 0.9), 0.9) for n in (0, 2, 1)]
    assert _quoted(chosen, [p]) == [
        "Die Allianz wurde 1949 gegründet. Sie hat heute 32 Mitglieder. Ihr Sitz ist in Brüssel."
    ]


def test_a_sentence_quoted_from_an_overlapping_passage_is_not_quoted_again():
    """Passages share a sentence (`ChunkSettings.overlap_sentences`): the one that points
    back does not bring along what the answer already quotes from the other passage."""
    text = "Der Sitz ist in Brüssel. Sie hat heute 32 Mitglieder. Dies ist viel."
    spans = sentences(text).spans
    first = Passage(
        "a",
        "doc",
        "doc.txt",
        "T",
        "",
        BlockKind.TEXT,
        text[: spans[1][1]],
        0,
        spans[1][1],
        spans[:2],
    )
    offset = spans[1][0]
    second = Passage(
        "b",
        "doc",
        "doc.txt",
        "T",
        "",
        BlockKind.TEXT,
        text[offset:],
        offset,
        len(text),
        tuple((a - offset, b - offset) for a, b in spans[1:]),
    )
    chosen = [
        Judged(Candidate(0, 1, first.sentences[1], "doc", spans[1][0], False, EVIDENCE), 0.9),
        Judged(Candidate(1, 1, second.sentences[1], "doc", spans[2][0], False, EVIDENCE), 0.8),
    ]  # fmt: skip
    quoted = _quoted(chosen, [first, second])
    assert quoted == ["Der Sitz ist in Brüssel. Sie hat heute 32 Mitglieder.", "Dies ist viel."]


def test_quotes_keep_the_order_chosen_across_passages():
    first, second = (
        passage(TEXT),
        passage("Arctic Sentry ist eine Mission. Sie schützt die Arktis.", 1),
    )
    chosen = [Judged(candidate(1, 0, second, 0.9), 0.9), Judged(candidate(0, 3, first, 0.5), 0.5)]
    assert _quoted(chosen, [first, second]) == [
        "Arctic Sentry ist eine Mission.",
        "Der Generalsekretär ist Mark Rutte.",
    ]


@pytest.mark.parametrize(
    ("question", "sentence", "found"),
    [
        ("Wie viele Mitglieder hat die NATO?", "Die NATO hat 32 Mitglieder.", True),
        ("Wie viele Mitglieder hat die NATO?", "Die NATO ist eine Allianz.", False),
        ("Wann fand das Treffen statt?", "Es fand am 12. Februar 2026 statt.", True),
        ("When was it founded?", "Sie wurde 1949 gegründet.", True),
        ("Wer nahm an seiner Stelle teil?", "An seiner Stelle nahm Elbridge Colby teil.", True),
        ("Wer nahm an seiner Stelle teil?", "Die Allianz war besorgt.", False),
        ("Warum fehlte er?", "Er fehlte, weil er in Asien war.", True),
        ("Warum fehlte er?", "Er fehlte in Brüssel.", False),
        ("Was ist Arctic Sentry?", "Arctic Sentry ist eine Mission.", None),
        # what the question already names does not answer it
        ("Wer führt Arctic Sentry?", "Arctic Sentry ist eine Mission der NATO.", False),
        ("Wer führt Arctic Sentry?", "Sie wird vom Joint Force Command Norfolk geführt.", True),
        ("Wie viele Soldaten kamen 2024?", "Im Jahr 2024 kamen viele Soldaten.", False),
        ("Wie viele Soldaten kamen 2024?", "Im Jahr 2024 kamen 300 Soldaten.", True),
        ("Wann war das Treffen im Februar?", "Das Treffen im Februar war in Brüssel.", False),
        ("Wann war das Treffen im Februar?", "Das Treffen war am 12. Februar 2026.", True),
    ],
)
def test_answer_types(question, sentence, found):
    assert answer_type_found(question_kind(question), sentence, question) is found


@pytest.mark.parametrize(
    ("sentence", "kind", "fragment"),
    [
        ("NATO: Arctic Sentry-Ankündigung", BlockKind.TEXT, True),
        ("Quellen", BlockKind.TEXT, True),
        ("• Lastenverschiebung", BlockKind.TEXT, True),
        ("Die NATO hat 32 Mitglieder.", BlockKind.TEXT, False),
        ("Kommandotransfers: Die USA haben das Kommando über zwei Hauptquartiere übertragen",
         BlockKind.TEXT, False),
        ("Reuters: Bericht über das Treffen vom 12. Februar 2026.", BlockKind.SOURCES, True),
    ],
)  # fmt: skip
def test_fragments(sentence, kind, fragment):
    assert is_fragment(sentence, kind) is fragment


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Sie wurde im April 1991 wiederhergestellt.", True),
        ("Dies war jedoch das zweite Fernbleiben.", True),
        ("„Er sagte, es sei wichtig.“", True),
        ("Seither hat sie 32 Mitglieder.", True),
        ("Das war neu.", True),
        ("Die Allianz wurde 1949 gegründet.", False),
        ("Das Bündnis hat 32 Mitglieder.", False),
        ("Es gibt 32 Mitglieder.", False),
    ],
)
def test_points_back(sentence, expected):
    assert points_back(sentence) is expected
