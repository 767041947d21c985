"""The bundled model: loads offline through sentence-transformers and knows German."""

import numpy as np
import pytest

from index.config import DEFAULT_MODEL
from index.embedding import load_embedder


@pytest.fixture(scope="session")
def embedder():
    return load_embedder(DEFAULT_MODEL)


@pytest.mark.model
def test_default_model_gives_normalized_vectors(embedder):
    vectors = embedder.embed(["Hallo Welt", "Wie geht es dir?"])
    assert vectors.shape == (2, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert embedder.embed([]).shape == (0, 512)


@pytest.mark.model
@pytest.mark.parametrize(
    ("query", "answer", "distractor"),
    [
        (
            "Was ist die Hauptstadt von Deutschland?",
            "Berlin ist die Hauptstadt Deutschlands.",
            "Der Hund bellt im Garten.",
        ),
        (
            "What is the capital of Germany?",
            "Berlin ist die Hauptstadt Deutschlands.",
            "Der Hund bellt im Garten.",
        ),
        (
            "Wie viel kostet die Reform?",
            "Die Reform kostet rund 12 Milliarden Euro.",
            "Die Bahn plant neue Strecken.",
        ),
    ],
)
def test_default_model_ranks_the_german_answer_first(embedder, query, answer, distractor):
    q, a, d = embedder.embed([query, answer, distractor])
    assert q @ a > q @ d


def test_unknown_model_is_a_clear_error(monkeypatch):
    from index.errors import ModelLoadError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="cannot load embedding model 'kein/solches-modell'"):
        load_embedder("kein/solches-modell")
