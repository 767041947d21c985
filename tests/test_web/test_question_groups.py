"""Declined and down-voted questions grouped by meaning (`web.question_groups`), and read
from the logs (`web.feedback.questions_to_review`)."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from web.feedback import questions_to_review
from web.question_groups import AskedQuestion, Why, group_questions

NOW = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)


def asked(text: str, hours_ago: int = 0, why: Why = Why.DECLINED) -> AskedQuestion:
    return AskedQuestion(text, NOW - timedelta(hours=hours_ago), why)


def unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_close_vectors_form_one_group_and_far_ones_stay_apart():
    questions = [asked("A1", 5), asked("A2", 1, Why.DOWN_VOTED), asked("A3", 3), asked("B", 0)]
    vectors = unit([1, 0.1, 0], [1, 0.15, 0], [1, 0.05, 0], [0, 0, 1])
    first, second = group_questions(questions, vectors)
    assert (first.count, first.declined, first.down_voted) == (3, 2, 1)
    assert first.typical == "A1"  # the medoid: closest to the other two
    assert first.last_asked == NOW - timedelta(hours=1)
    assert set(first.questions) == {"A1", "A2", "A3"}
    assert (second.typical, second.count) == ("B", 1)


def test_repeated_wordings_count_each_time_and_are_listed_once():
    questions = [asked("Wann?"), asked("Wann?", 2), asked("Wann?", 3)]
    (group,) = group_questions(questions, unit([1, 0], [1, 0], [1, 0]))
    assert group.count == 3 and group.questions == ("Wann?",)


def test_nothing_asked_gives_no_groups_and_one_question_one_group():
    assert group_questions([], np.zeros((0, 3))) == []
    (group,) = group_questions([asked("Allein")], unit([1, 0]))
    assert group.typical == "Allein" and group.count == 1


PARAPHRASES = [
    ["Wann öffnet die Kantine?", "Ab wie viel Uhr hat die Kantine offen?",
     "Öffnungszeiten der Kantine"],
    ["Wie beantrage ich Urlaub?", "Wo reiche ich einen Urlaubsantrag ein?",
     "Urlaub beantragen – wie geht das?"],
    ["Wie viel kostet das Deutschlandticket?", "Was ist der Preis des Deutschlandtickets?",
     "Deutschlandticket Kosten"],
    ["Darf ich im Homeoffice arbeiten?", "Ist mobiles Arbeiten von zu Hause erlaubt?"],
]  # fmt: skip
UNRELATED = [
    "Wer ist der Datenschutzbeauftragte?", "Wie backe ich einen Apfelkuchen?",
    "Wann ist die Weihnachtsfeier?", "Wie setze ich mein Passwort zurück?",
]  # fmt: skip


@pytest.mark.model
def test_the_bots_model_groups_german_paraphrases_and_keeps_unrelated_questions_apart(
    real_embedder,
):
    """The measurement behind `SAME_QUESTION` and the choice of the model over words."""
    from index.embedding import Role

    texts = [q for group in PARAPHRASES for q in group] + UNRELATED
    vectors = real_embedder.embed(texts, Role.QUERY)
    groups = group_questions([asked(text) for text in texts], vectors)
    found = {frozenset(group.questions) for group in groups}
    expected = {frozenset(group) for group in PARAPHRASES} | {frozenset([q]) for q in UNRELATED}
    assert found == expected


def record(question: str, hours_ago: int, **fields) -> dict:
    return {"time": (NOW - timedelta(hours=hours_ago)).isoformat(), "question": question, **fields}


def test_the_logs_give_declined_and_standing_down_voted_questions_newest_first():
    declined = [record("alt", 24 * 30), record("neu", 1), {"question": "ohne Zeit"}, {"x": 1}]
    votes = [
        record("umgedacht", 3, session="s", answer_id="a", vote="down"),
        record("umgedacht", 2, session="s", answer_id="a", vote="up"),
        record("schlecht", 2, session="s", answer_id="b", vote="down"),
        record("zurückgenommen", 2, session="t", answer_id="c", vote="down"),
        record("zurückgenommen", 1, session="t", answer_id="c", vote=None),
    ]
    found = questions_to_review(declined, votes, NOW - timedelta(days=14), limit=10)
    assert [(item.text, item.why) for item in found] == [
        ("neu", Why.DECLINED), ("schlecht", Why.DOWN_VOTED),
    ]  # fmt: skip
    assert len(questions_to_review(declined, votes, NOW - timedelta(days=14), limit=1)) == 1
