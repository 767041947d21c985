"""Shared fixtures: a deterministic fake embedder, small corpora, and isolated paths."""

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.extraction import FOLLOW_FEATURES, SENTENCE_FEATURES
from index.calibration import Calibration, Logistic
from index.embedding import Role

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "nato-krise-2026.txt"
XQUAD = REPO.parent / "shared" / "bench" / "xquad.de.json"


class FakeEmbedder:
    """Bag of hashed words: similar wording gives similar vectors, and every call is recorded
    (texts in `embedded`, their roles in `roles`). Roles do not change the vectors."""

    name = "fake-hashed-words"
    dimension = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []
        self.roles: list[Role] = []

    def embed(self, texts: Sequence[str], role: Role, progress: bool = False) -> np.ndarray:
        self.embedded.extend(texts)
        self.roles.extend([role] * len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or [""]:
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                bucket = int.from_bytes(digest, "little")
                vectors[row, bucket % self.dimension] += 1.0 if bucket & 1 << 31 else -1.0
            vectors[row] /= np.linalg.norm(vectors[row]) or 1.0
        return vectors


def write_file(path: Path, content: str | bytes) -> Path:
    """Write `content` (UTF-8 if text) to `path`, making its directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def run_index(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m index ARGS` from the repository, offline, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "index", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        timeout=300,
    )


OLDER_PARTS = {"analyzer": "another BM25 analyzer", "word vectors": "no word vectors"}
"""What an older faqbot built otherwise, and the message that refuses it for answering."""


def as_if_older(index_dir: Path, part: str) -> None:
    """Make the index at `index_dir` look as if an older faqbot had built `part` of it: its
    BM25 terms by an older analyzer, or no word vectors at all."""
    path = index_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if part == "analyzer":
        data["bm25"]["analyzer"] = {**data["bm25"]["analyzer"], "version": 1}
    else:
        del data["word_model"]
        for name in ("words.json", "words.npy"):
            (index_dir / name).unlink()
            del data["files"][name]
    path.write_text(json.dumps(data), encoding="utf-8")


def _hand_set(features: tuple[str, ...], bias: float, **weights: float) -> Logistic:
    return Logistic(features, tuple(weights.get(name, 0.0) for name in features), bias)


FAKE_CALIBRATION = Calibration(
    features=("dense", "sentence", "coverage", "recognised", "foreign", "answering"),
    weights=(6.0, 4.0, 8.0, 0.0, 0.0, 0.0),
    bias=-7.0,
    faq_match=0.75,
    faq_slope=40.0,
    fitted_on="hand-set for the fake embedder's bag-of-words similarities",
    sentence=_hand_set(
        SENTENCE_FEATURES, -6.0, similarity=6.0, coverage=6.0, passage_rank=-1.0, typed=1.0
    ),
    follow=_hand_set(FOLLOW_FEATURES, -4.0, probability=6.0),
)
"""No calibration is fitted for the fake model; tests that answer hand this one in."""


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_builder(fake_embedder):
    """A `BotService` builder that builds in-process with the fake model (the app's own
    builder starts `python -m index build`, which cannot load a fake)."""
    from index import build

    def builder(data_dir, index_dir, model, on_progress, *, chunking=None, vectors=None):
        return build(
            data_dir, index_dir, embedder=fake_embedder, chunking=chunking, vectors=vectors,
            on_progress=on_progress,
        )  # fmt: skip

    return builder


@pytest.fixture
def fake_service(small_corpus, tmp_path, fake_embedder, fake_settings, fake_builder):
    """A rebuildable `BotService` over `small_corpus`, with the fake model throughout."""
    from index import build
    from web.service import BotService

    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    return BotService(
        tmp_path / "index",
        small_corpus,
        embedder=fake_embedder,
        settings=fake_settings,
        builder=fake_builder,
    )


@pytest.fixture
def fake_settings():
    from bot import BotSettings

    return BotSettings(calibration=FAKE_CALIBRATION)


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path, monkeypatch):
    """Nothing a test does may touch the repository's own data or index."""
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FAQBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.delenv("FAQBOT_MODEL", raising=False)


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled model, loaded once per test session."""
    from index.embedding import load_embedder
    from index.settings import DEFAULT_MODEL

    return load_embedder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_embedder) -> Path:
    """The default corpus indexed with the real model, once per session; do not modify."""
    from index import build

    out = tmp_path_factory.mktemp("seed") / "index"
    build(REPO / "data", out, embedder=real_embedder)
    return out


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def small_corpus(tmp_path, seed_text) -> Path:
    """The seed article plus one Markdown and one JSONL document."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "nato.txt").write_text(seed_text, encoding="utf-8")
    (data / "bahn.md").write_text(
        "# Bahnreform 2027\n\nDie Bahn plant neue Strecken zwischen Köln und Berlin.\n\n"
        "## Kosten\n\nDie Reform kostet rund 12 Milliarden Euro bis 2030.\n",
        encoding="utf-8",
    )
    (data / "wetter.jsonl").write_text(
        '{"id": "wetter-1", "title": "Wetter", "text": "Im Januar fiel in München viel Schnee."}\n',
        encoding="utf-8",
    )
    return data


def converse(chat, question, token=None):
    """One chat turn as the page sends it (`web.chat_page.ChatHandlers`): the question shown at
    once, then answered. Returns (chat messages, conversation token, records)."""
    _, cleared, token, pending = chat.ask(question, token)
    assert cleared == ""
    shown, records, token, pending = chat.respond(pending, token)
    assert pending is None  # answered once
    return shown["value"], token, records
