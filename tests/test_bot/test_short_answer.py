"""Short answers: the phrase inside a quoted sentence that answers who, when, where, how many
or which, marked by typed candidates and a small logistic model fitted here on synthetic
German sentences."""

import pytest

from bot.short_answer import (
    SHORT_KINDS,
    CandidateType,
    ShortAnswer,
    ShortAnswerExample,
    candidates,
    exact_match,
    fit_short_answer,
    short_answer,
    token_f1,
)
from index.calibration import Logistic

TRAINING = (
    ("Wie viele Mitglieder hat der Verein?", "Der Verein hat 120 Mitglieder.", "120"),
    ("Wie viele Soldaten schickte Frankreich?", "Frankreich schickte 5.000 Soldaten.", "5.000"),
    ("Wie viele Tore schoss Müller?", "Müller schoss in der Saison 14 Tore.", "14"),
    ("Wie viele Länder unterschrieben?", "Im Jahr 1990 unterschrieben 12 Länder.", "12"),
    ("Wie hoch war der Gewinn?", "Der Gewinn betrug 3,5 Millionen Euro.", "3,5 Millionen"),
    ("Wann wurde die Brücke eröffnet?", "Die Brücke wurde 1932 in Sydney eröffnet.", "1932"),
    ("Wann starb der Maler?", "Der Maler Paul Klee starb am 29. Juni 1940.", "29. Juni 1940"),
    ("Wann begann der Streik?", "Der Streik begann im März 2019 in Hamburg.", "März 2019"),
    ("In welchem Jahr kam Tesla an?", "Tesla kam 1884 mit vier Cent in New York an.", "1884"),
    ("Wer gründete die Firma?", "Die Firma wurde 1998 von Larry Page gegründet.", "Larry Page"),
    (
        "Wer leitete die Sitzung?",
        "Die Sitzung leitete Angela Merkel im Kanzleramt.",
        "Angela Merkel",
    ),
    ("Wer schrieb den Roman?", "Den Roman schrieb Thomas Mann im Jahr 1924.", "Thomas Mann"),
    ("Wer entdeckte das Element?", "Marie Curie entdeckte das Element 1898.", "Marie Curie"),
    ("Wo liegt das Museum?", "Das Museum liegt seit 1910 in Wien.", "Wien"),
    ("Wo fand das Konzert statt?", "Das Konzert mit 300 Gästen fand in Leipzig statt.", "Leipzig"),
    ("Wo arbeitete der Ingenieur?", "Der Ingenieur arbeitete 20 Jahre bei Siemens.", "Siemens"),
    (
        "Welche Stadt ist die Hauptstadt?",
        "Die Hauptstadt ist seit 1991 die Stadt Berlin.",
        "Berlin",
    ),
    ("Welcher Fluss fließt durch Köln?", "Durch Köln fließt der Fluss Rhein.", "Rhein"),
    ("Warum fehlte er?", "Er fehlte wegen einer Grippe im Januar 2020.", "Grippe"),
)
"""Each kind more than once, each sentence with rivals of other types: a year beside a name,
a number beside a place, so that the type asked for has to win."""


def _examples(rows=TRAINING) -> list[ShortAnswerExample]:
    return [ShortAnswerExample(q, s, (a,)) for q, s, a in rows]


@pytest.fixture(scope="module")
def model() -> Logistic:
    fitted = fit_short_answer(_examples(), min_precision_f1=0.5)
    return Logistic(fitted.features, fitted.weights, fitted.bias, threshold=0.0)


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        (
            "Wie viele Mitgliedsländer hat die NATO?",
            "Die NATO hat 32 Mitgliedsländer.",
            {"32", "32 Mitgliedsländer"},
        ),
        (
            "Wann fand das Treffen statt?",
            "Das Treffen fand am 12. Februar 2026 in Brüssel statt.",
            {"12. Februar 2026"},
        ),
        (
            "Wer vertrat Hegseth?",
            "An seiner Stelle nahm Elbridge Colby teil.",
            {"Elbridge Colby"},
        ),
        (
            "Wo fand das Treffen statt?",
            "Das Treffen fand am 12. Februar 2026 in Brüssel statt.",
            {"Brüssel"},
        ),
        ("Who took his place?", "An seiner Stelle nahm Elbridge Colby teil.", {"Elbridge Colby"}),
        ("When did the meeting take place?", "Das Treffen fand 2026 in Brüssel statt.", {"2026"}),
    ],
)
def test_the_short_answer_is_the_phrase_of_the_asked_type(model, question, sentence, answers):
    answer = short_answer(question, sentence, model)
    assert answer is not None
    assert answer.text in answers
    assert sentence[answer.span[0] : answer.span[1]] == answer.text


def test_questions_without_a_short_answer_get_none(model):
    sentence = "Er fehlte wegen einer Grippe im Januar 2020."
    assert short_answer("Warum fehlte er?", sentence, model) is None
    assert short_answer("Was ist eine Grippe?", sentence, model) is None
    assert short_answer("Wie geht es ihm?", sentence, model) is None


def test_nothing_is_offered_below_the_threshold(model):
    sure = Logistic(model.features, model.weights, model.bias, threshold=1.0)
    assert short_answer("Wer vertrat Hegseth?", "Colby kam.", model) is not None
    assert short_answer("Wer vertrat Hegseth?", "Colby kam.", sure) is None
    assert short_answer("Wer kam?", "es regnete.", model) is None  # no candidate at all


def test_candidates_are_typed_and_verbatim():
    sentence = "Am 3. Mai 1990 schickte Frankreich rund 5.000 Soldaten nach Ludwigshafen am Rhein."
    found = {(c.type, c.text) for c in candidates(sentence)}
    assert (CandidateType.DATE, "3. Mai 1990") in found
    assert (CandidateType.NUMBER, "5.000") in found
    assert (CandidateType.QUANTITY, "5.000 Soldaten") in found
    assert (CandidateType.NAME, "Frankreich") in found
    assert (CandidateType.NAME, "Ludwigshafen") in found
    assert all(sentence[c.span[0] : c.span[1]] == c.text for c in candidates(sentence))


def test_names_keep_their_particles_and_parts():
    found = {c.text for c in candidates("Später spielte der Pianist Ludwig van Beethoven.")}
    assert {"Ludwig van Beethoven", "Pianist Ludwig van Beethoven"} <= found
    assert "Ludwig van" not in found  # a name part ends on a capitalised word


def test_years_and_titles_in_quotes_are_candidates():
    found = {(c.type, c.text) for c in candidates("Die Serie „Mork vom Ork“ lief ab 1978.")}
    assert (CandidateType.YEAR, "1978") in found
    assert (CandidateType.NAME, "Mork vom Ork") in found


def test_fitting_learns_that_the_asked_type_wins():
    model = fit_short_answer(_examples(), min_precision_f1=0.5)
    weight = dict(zip(model.features, model.weights, strict=True))
    assert weight["year:time"] > weight["name:time"]
    assert weight["name:person"] > weight["year:person"]
    assert weight["number:quantity"] > weight["name:quantity"]
    assert 0.0 <= model.threshold <= 1.0


def test_a_higher_precision_asks_for_a_higher_threshold():
    loose = fit_short_answer(_examples(), min_precision_f1=0.0)
    strict = fit_short_answer(_examples(), min_precision_f1=1.0)
    assert loose.threshold <= strict.threshold


def test_fitting_needs_examples_with_and_without_a_matching_candidate():
    with pytest.raises(ValueError, match="matching candidate"):
        fit_short_answer(_examples(TRAINING[:2])[:0])


def test_a_model_scores_features_it_does_not_know_as_zero(model):
    older = Logistic(model.features[:3], model.weights[:3], model.bias, 0.0)
    assert short_answer("Wer kam?", "Colby kam.", older) == ShortAnswer("Colby", (0, 5))


def test_short_kinds_are_the_kinds_with_a_phrase_for_an_answer():
    assert {kind.value for kind in SHORT_KINDS} == {"person", "time", "place", "quantity", "entity"}


@pytest.mark.parametrize(
    ("prediction", "gold", "f1", "exact"),
    [
        ("die NATO", "NATO", 1.0, True),
        ("der Rhein.", "Rhein", 1.0, True),
        ("the Rhine", "Rhine", 1.0, True),
        ("32 Mitgliedsländer", "32", 2 / 3, False),
        ("Elbridge Colby", "Colby, Elbridge", 1.0, False),
        ("Brüssel", "Berlin", 0.0, False),
        ("", "", 1.0, True),
    ],
)
def test_token_f1_and_exact_match_normalise_like_squad(prediction, gold, f1, exact):
    assert token_f1(prediction, gold) == pytest.approx(f1)
    assert exact_match(prediction, gold) is exact


@pytest.mark.parametrize(
    ("question", "sentence", "whole"),
    [
        ("Wie viele Soldaten schickte Polen?", "Polen schickte 2.000 Soldaten nach Litauen.",
         "2.000 Soldaten"),
        ("Wann wurde der Vertrag unterschrieben?",
         "Der Vertrag wurde am 4. April 1949 in Washington unterschrieben.", "4. April 1949"),
    ],
)  # fmt: skip
def test_a_number_comes_with_what_it_counts_and_a_year_with_its_date(
    model, question, sentence, whole
):
    """The training answers are bare numbers and years; the reader gets the whole phrase."""
    found = short_answer(question, sentence, model)
    assert found is not None and found.text == whole
    assert sentence[found.span[0] : found.span[1]] == whole


def _one_feature(name: str, weight: float = 5.0) -> Logistic:
    """A model that tells candidates apart by one feature alone."""
    return Logistic((name,), (weight,), -weight / 2, threshold=0.5)


@pytest.mark.parametrize(
    ("feature", "weight", "question", "sentence", "answer"),
    [
        ("kind_adjective", 5.0, "Welche Art von Tunneln wurden durch die Stadt gebaut?",
         "In der Stadt wurden tiefliegende Tunnel gebaut.", "tiefliegende"),
        ("head_compound", 5.0, "Welches Museum erhielt die Instrumente?",
         "Das Horniman-Museum erhielt die Instrumente aus London.", "Horniman-Museum"),
        ("between", 5.0, "Wer spielte im Finale gegen Bayern?",
         "Im Finale spielte Dortmund gegen Bayern.", "Dortmund"),
        ("all_in_question", -5.0, "Wer spielte im Finale gegen Bayern?",
         "Im Finale spielte Dortmund gegen Bayern.", "Dortmund"),
    ],
)  # fmt: skip
def test_features_of_the_kind_of_question(feature, weight, question, sentence, answer):
    """The adjective before X answers "welche Art von X", the head noun counts inside a
    compound, the answer stands between the question's words and does not repeat them."""
    found = short_answer(question, sentence, _one_feature(feature, weight))
    assert found is not None and found.text == answer


def test_only_kind_of_questions_get_adjective_candidates():
    sentence = "In der Stadt wurden tiefliegende Tunnel gebaut."
    model = _one_feature("kind_adjective")
    assert short_answer("Welche Tunnel wurden in der Stadt gebaut?", sentence, model) is None
