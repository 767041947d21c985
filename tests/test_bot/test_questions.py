"""Question kinds: what a question asks for, so that an FAQ answer of another kind is not used."""

import pytest

from bot.questions import QuestionKind, kinds_clash, question_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wer hat das NATO-Treffen verpasst?", QuestionKind.PERSON),
        ("Who missed the meeting?", QuestionKind.PERSON),
        ("Wessen Abwesenheit fiel auf?", QuestionKind.PERSON),
        ("Warum versäumen die USA NATO-Treffen?", QuestionKind.REASON),
        ("Und wieso fehlte er?", QuestionKind.REASON),
        ("Why did the US skip it?", QuestionKind.REASON),
        ("Wann wurde die NATO gegründet?", QuestionKind.TIME),
        ("In welchem Jahr wurde die NATO gegründet?", QuestionKind.TIME),
        ("Wie viele Mitglieder hat die NATO?", QuestionKind.QUANTITY),
        ("Wieviele Mitglieder hat die NATO?", QuestionKind.QUANTITY),
        ("How many members does NATO have?", QuestionKind.QUANTITY),
        ("Wo fand das Treffen statt?", QuestionKind.PLACE),
        ("Wie reagieren europäische Länder?", QuestionKind.MANNER),
        ("Was ist NATO 3.0?", QuestionKind.DEFINITION),
        ("What is Arctic Sentry?", QuestionKind.DEFINITION),
        ("Was bedeutet NATO 3.0?", QuestionKind.DEFINITION),
        ("Welche Länder zahlen mehr?", QuestionKind.ENTITY),
        ("Which headquarters were handed over?", QuestionKind.ENTITY),
        ("What year was NATO founded?", QuestionKind.TIME),
        # "welche"/"which" with a noun of time or amount asks for a time or a number
        ("In welchen Jahren traten Spanien und Portugal bei?", QuestionKind.TIME),
        ("An welchem Tag ist Präsenztag?", QuestionKind.TIME),
        ("In which year did the gallery open?", QuestionKind.TIME),
        ("Welcher Prozentsatz der Wähler stimmte zu?", QuestionKind.QUANTITY),
        ("Welchen Anteil am Haushalt hat die Verteidigung?", QuestionKind.QUANTITY),
        ("What percentage of the vote did it get?", QuestionKind.QUANTITY),
        ("In welcher Stadt fand das Treffen statt?", QuestionKind.ENTITY),  # a place: named
        ("Welche Jahreszeit ist am kältesten?", QuestionKind.ENTITY),  # not "Jahr"
        ("Was sagte Mark Rutte?", None),
        ("nato gründung jahr", None),
        ("Wollen die USA austreten?", None),  # "wo" only as a whole word
    ],
)
def test_question_kind_comes_from_the_first_question_word(question, kind):
    assert question_kind(question) is kind


@pytest.mark.parametrize(
    ("asked", "answered", "clash"),
    [
        (QuestionKind.PERSON, QuestionKind.REASON, True),
        (QuestionKind.TIME, QuestionKind.QUANTITY, True),
        (QuestionKind.PERSON, QuestionKind.DEFINITION, True),
        (QuestionKind.ENTITY, QuestionKind.DEFINITION, True),
        (QuestionKind.ENTITY, QuestionKind.MANNER, False),
        (QuestionKind.PERSON, QuestionKind.ENTITY, False),
        (QuestionKind.REASON, QuestionKind.REASON, False),
        (None, QuestionKind.REASON, False),
        (QuestionKind.PERSON, None, False),
        (None, None, False),
    ],
)
def test_only_two_named_and_different_kinds_clash(asked, answered, clash):
    assert kinds_clash(asked, answered) is clash
