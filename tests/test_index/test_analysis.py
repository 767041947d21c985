import pytest

from index.analysis import GermanAnalyzer


@pytest.fixture(scope="module")
def analyzer():
    return GermanAnalyzer()


def test_hyphenated_compounds_match_their_parts_and_closed_spelling(analyzer):
    assert set(analyzer("Ukraine-Hilfe")) >= set(analyzer("Ukrainehilfe")) | set(analyzer("Hilfe"))


def test_stopwords_are_dropped_and_words_stemmed(analyzer):
    assert analyzer("Die Länder und das Land") == analyzer("Länder Land")
    assert analyzer("Verteidigungsausgaben") == analyzer("verteidigungsausgabe")


def test_numbers_and_underscored_titles(analyzer):
    assert analyzer("Super_Bowl_50 im Jahr 2016") == analyzer("super bowl 50 superbowl50 jahr 2016")
    assert "3" in analyzer("3,5 %")
