"""Noisy question generators, on small synthetic questions; the English XQuAD loader."""

import json
import random
import re

import pytest

from bench.noise import NEIGHBOURS, keyword_form, noisy_questions, with_typos
from bench.xquad import XQuestion, load_xquad
from conftest import XQUAD

XQUAD_EN = XQUAD.with_name("xquad.en.json")
WORDS = re.compile(r"[^\W\d_]+")

QUESTIONS = [
    "Wie lang ist der Rhein?",
    "Wann betrat Neil Armstrong 1969 den Mond?",
    "Welche Stadt liegt an der Mündung des Flusses, und wer regierte dort?",
    "Who designed the Brandenburger Tor in Berlin?",
    "Warum verließen viele Menschen 1.230 Dörfer in Schlesien?",
    "ÜBERSCHWEMMUNG im Frühjahr: wie oft, wo?",
]


def restricted_damerau(a: str, b: str) -> int:
    """Optimal string alignment distance: a swap of adjacent letters counts as one edit."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("Rhein", "Rhein", 0), ("Rhein", "Rhien", 1), ("Rhein", "Rhin", 1), ("Rhein", "Rheein", 1)],
)
def test_the_tests_distance(a, b, distance):
    assert restricted_damerau(a, b) == distance


@pytest.mark.parametrize(
    ("question", "keywords"),
    [
        ("Wie lang ist der Rhein?", "lang rhein"),
        ("Wann betrat Neil Armstrong 1969 den Mond?", "betrat neil armstrong 1969 mond"),
        ("Wie viele Punkte gab die Verteidigung ab?", "punkte gab verteidigung ab"),
        ("Welche Stadt liegt an der Mündung, und wessen?", "stadt liegt mündung"),
        ("Who designed the Brandenburger Tor in Berlin?", "designed brandenburger tor berlin"),
        (
            "Warum verließen 1.230 Menschen (ca. 3,5 %) Dörfer?",
            "verließen 1.230 menschen ca 3,5 dörfer",
        ),
        ("Wer war es?", "wer war es"),  # nothing left: the whole question, lower case
        ("Was ist das???", "was ist das"),
    ],
)
def test_keyword_form(question, keywords):
    assert keyword_form(question) == keywords


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("seed", range(20))
def test_typos_change_one_or_two_long_words_by_one_edit_each(question, seed):
    noisy = with_typos(question, random.Random(seed))
    assert noisy != question
    assert WORDS.split(noisy) == WORDS.split(question)  # punctuation, digits, spaces kept
    pairs = list(zip(WORDS.findall(question), WORDS.findall(noisy), strict=True))
    changed = [(a, b) for a, b in pairs if a != b]
    assert 1 <= len(changed) <= 2
    for a, b in changed:
        assert len(a) >= 5 and restricted_damerau(a, b) == 1


def test_typos_use_all_kinds_of_edits_and_both_counts():
    """Over many seeds: deletions, insertions, swaps and QWERTZ substitutions, 1 and 2 words."""
    question = QUESTIONS[2]
    kinds, counts = set(), set()
    for seed in range(200):
        noisy = with_typos(question, random.Random(seed))
        changed = [
            (a, b)
            for a, b in zip(WORDS.findall(question), WORDS.findall(noisy), strict=True)
            if a != b
        ]
        counts.add(len(changed))
        for a, b in changed:
            kinds.add(edit_kind(a, b))
    assert counts == {1, 2}
    assert kinds == {"deletion", "insertion", "transposition", "substitution"}


def edit_kind(a: str, b: str) -> str:
    if len(b) != len(a):
        return "deletion" if len(b) < len(a) else "insertion"
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 2:
        return "transposition"
    (i,) = diff
    assert b[i].lower() in NEIGHBOURS[a[i].lower()], f"{a[i]}→{b[i]} is no QWERTZ neighbour"
    assert b[i].isupper() == a[i].isupper()
    return "substitution"


@pytest.mark.parametrize("question", ["Wer war es?", "Wie alt ist Bob?", "1969?", ""])
def test_typos_never_touch_short_words(question):
    assert with_typos(question, random.Random(1)) == question


def test_qwertz_neighbours():
    assert set(NEIGHBOURS["z"]) == set("tugh")
    assert set(NEIGHBOURS["a"]) == set("sqwy")
    assert set(NEIGHBOURS["ö"]) == set("lpüä")


def questions() -> list[XQuestion]:
    return [
        XQuestion(text, f"doc#{i}", i % 2, (f"answer {i}",)) for i, text in enumerate(QUESTIONS)
    ]


@pytest.mark.parametrize("form", ["keywords", "typos"])
def test_noisy_questions_keep_gold_and_are_deterministic(form):
    clean = questions()
    noisy = noisy_questions(clean, form, seed=7)
    assert [(q.doc_id, q.article, q.answers) for q in noisy] == [
        (q.doc_id, q.article, q.answers) for q in clean
    ]
    assert all(n.text != c.text for n, c in zip(noisy, clean, strict=True))
    assert noisy_questions(clean, form, seed=7) == noisy


def test_noisy_typos_differ_across_seeds_and_follow_with_typos():
    clean = questions()
    by_seed = {seed: noisy_questions(clean, "typos", seed) for seed in (1, 2)}
    assert by_seed[1] != by_seed[2]
    rng = random.Random(1)  # one generator for the whole sequence
    assert [q.text for q in by_seed[1]] == [with_typos(q.text, rng) for q in clean]
    assert [q.text for q in noisy_questions(clean, "keywords")] == [
        keyword_form(q.text) for q in clean
    ]


def test_unknown_noise_form_is_refused():
    with pytest.raises(ValueError, match="unknown form"):
        noisy_questions(questions(), "shouting")  # type: ignore[arg-type]


def xquad_file(path, articles):
    """A tiny XQuAD file: `articles` maps a title to paragraphs of (context, [(id, q, answer)])."""
    data = [
        {
            "title": title,
            "paragraphs": [
                {
                    "context": context,
                    "qas": [
                        {"id": qid, "question": q, "answers": [{"text": a, "answer_start": 0}]}
                        for qid, q, a in qas
                    ],
                }
                for context, qas in paragraphs
            ],
        }
        for title, paragraphs in articles.items()
    ]
    path.write_text(json.dumps({"data": data}), encoding="utf-8")
    return path


def test_english_questions_are_matched_by_id_not_by_title_or_position(tmp_path):
    german = xquad_file(
        tmp_path / "de.json",
        {
            "Rhein": [
                ("Der Rhein ist 1.230 km lang.", [("r1", "Wie lang ist der Rhein?", "1.230 km")])
            ],
            "Mond": [
                ("Der Mond umkreist die Erde.", [("m1", "Was umkreist der Mond?", "die Erde")]),
                ("Armstrong betrat ihn 1969.", [("m2", "Wann betrat Armstrong ihn?", "1969")]),
            ],
        },
    )
    english = xquad_file(
        tmp_path / "en.json",
        {
            "Moon": [
                (
                    "Armstrong walked on it in 1969.",
                    [("m2", "When did Armstrong walk on it?", "in 1969")],
                ),
                ("The Moon orbits the Earth.", [("m1", "What does the Moon orbit?", "the Earth")]),
            ],
            "Rhine": [
                ("The Rhine is 1,230 km long.", [("r1", "How long is the Rhine?", "1,230 km")])
            ],
        },
    )
    assert [
        (q.text, q.doc_id, q.article, q.answers) for q in load_xquad(german, english).questions
    ] == [
        ("When did Armstrong walk on it?", "Mond#1", 1, ("1969",)),
        ("What does the Moon orbit?", "Mond#0", 1, ("die Erde",)),
        ("How long is the Rhine?", "Rhein#0", 0, ("1.230 km",)),
    ]
    assert load_xquad(german).questions[0].text == "Wie lang ist der Rhein?"  # unchanged


def test_english_questions_with_other_ids_are_refused(tmp_path):
    german = xquad_file(tmp_path / "de.json", {"Rhein": [("Der Rhein.", [("r1", "Wo?", "Rhein")])]})
    english = xquad_file(
        tmp_path / "en.json", {"Rhine": [("The Rhine.", [("x", "Where?", "Rhine")])]}
    )
    with pytest.raises(ValueError, match="1 missing, 1 extra"):
        load_xquad(german, english)


@pytest.mark.xquad
@pytest.mark.skipif(
    not (XQUAD.is_file() and XQUAD_EN.is_file()),
    reason=f"XQuAD-de and XQuAD-en not both found at {XQUAD} and {XQUAD_EN}",
)
def test_english_xquad_questions_point_at_german_paragraphs_and_answers():
    german = load_xquad(XQUAD)
    english = load_xquad(XQUAD, questions_path=XQUAD_EN)
    assert english.paragraphs == german.paragraphs
    assert len(english.questions) == 1190
    texts = {p.doc_id: p.text for p in german.paragraphs}
    for question in english.questions:
        assert question.doc_id in texts
        assert any(answer in texts[question.doc_id] for answer in question.answers), question
    assert english.questions[0].text == "How many points did the Panthers defense surrender?"
    same = sum(e.text == g.text for e, g in zip(english.questions, german.questions, strict=True))
    assert same < 10  # the texts really are the English ones
