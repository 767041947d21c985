import pytest

from bot.inputs import clean_question


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Was ist NATO 3.0?  ", "Was ist NATO 3.0?"),
        ("Was\x00 ist\x07 das?", "Was ist das?"),
        ("Zeile eins\nZeile\tzwei", "Zeile eins Zeile zwei"),
        ("Kaffee\u0301 und ש ל ו ם 👍🏽", "Kaffeé und ש ל ו ם 👍🏽"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("\u200f\u200e", ""),
    ],
)
def test_control_and_format_characters_are_removed(raw, expected):
    assert clean_question(raw).text == expected


def test_long_input_is_truncated_and_says_so():
    question = clean_question("Frage " * 500, max_chars=1000)
    assert question.truncated and len(question.text) <= 1000
    assert not clean_question("kurz").truncated


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("a" * 995 + " Bundesverteidigungsministerium", "a" * 995),  # never half a word
        ("Frage " * 200, ("Frage " * 166).strip()),  # 996 characters, then a space
        ("b" * 1500, "b" * 1000),  # no space at all: the limit itself
        ("c" * 999 + " d", "c" * 999),
    ],
)
def test_a_long_question_is_cut_at_a_word_boundary(raw, kept):
    question = clean_question(raw, max_chars=1000)
    assert question.truncated and question.text == kept


@pytest.mark.parametrize("raw", [None, 42, b"Frage", ["Frage"]])
def test_non_strings_raise_type_error(raw):
    with pytest.raises(TypeError, match="question must be a str"):
        clean_question(raw)


@pytest.mark.parametrize(
    ("raw", "greeting", "thanks"),
    [
        ("Hallo", True, False),
        ("hallo!", True, False),
        ("Guten Morgen, Bot!", True, False),
        ("Danke!", True, True),
        ("Vielen Dank", True, True),
        ("thank you", True, True),
        ("Hallo, was ist NATO 3.0?", False, False),
        ("Danke, und wer ist Mark Rutte?", False, False),
        ("Hi-Tech", False, False),
    ],
)
def test_greetings_and_thanks(raw, greeting, thanks):
    question = clean_question(raw)
    assert (question.is_greeting, question.is_thanks) == (greeting, thanks)
