"""Word vectors: a question's word finds the corpus's word that means the same, in German
or across languages, where spelling finds nothing."""

import numpy as np
import pytest

import index.words
from index.words import DIMENSION, WordVectors

CORPUS = ["botschafter", "geboren", "erneut", "wetter", "schiffe", "gründung", "2026"]


@pytest.fixture(scope="module")
def corpus_words() -> WordVectors:
    return WordVectors.of_corpus([*CORPUS, "wetter"])


def test_each_corpus_word_is_kept_once_with_a_unit_vector_and_numbers_are_not(corpus_words):
    assert corpus_words.words == tuple(sorted(set(CORPUS) - {"2026"}))
    assert corpus_words.vectors.dtype == np.float16
    norms = np.linalg.norm(corpus_words.vectors.astype(np.float32), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-2)


@pytest.mark.parametrize(
    ("asked", "meant"),
    [("ambassadors", "botschafter"), ("born", "geboren"), ("again", "erneut"),
     ("ships", "schiffe"), ("gegründet", "gründung")],
)  # fmt: skip
def test_a_word_the_corpus_lacks_finds_the_corpus_word_that_means_the_same(
    corpus_words, asked, meant
):
    vector = corpus_words.of([asked])[0]
    assert corpus_words.words[int(np.argmax(corpus_words.vectors @ vector))] == meant


def test_a_corpus_word_gets_its_stored_vector_and_nothing_is_embedded(corpus_words, monkeypatch):
    def embedded(words):
        raise AssertionError(f"embedded {words}")

    monkeypatch.setattr(index.words, "embed_words", embedded)
    found = corpus_words.of(["wetter", "wetter"])
    stored = corpus_words.vectors[corpus_words.words.index("wetter")]
    assert found.shape == (2, DIMENSION) and np.array_equal(found[1], stored.astype(np.float32))


@pytest.mark.parametrize(
    ("words", "vectors"),
    [(("a", "b"), np.zeros((1, DIMENSION))), (("a",), np.zeros((1, 3))), (("a",), np.zeros(3))],
)
def test_word_vectors_that_do_not_fit_their_words_are_refused(words, vectors):
    with pytest.raises(ValueError, match="word vectors"):
        WordVectors(words, vectors)
