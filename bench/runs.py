"""Shared steps of the benchmarks: build an XQuAD index once, ask questions through a Bot."""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.noise import noisy_questions
from bench.xquad import XQuad, XQuestion
from bot import Bot, BotSettings
from bot.confidence import Evidence
from index import build, load_index
from index.embedding import Embedder, Role


class RememberingEmbedder:
    """Remembers every query vector it made, so that benchmark variants over the same
    questions (fusion methods, question forms, two indexes) embed each question once.
    Documents are passed through: a build embeds each text once anyway."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension
        self._queries: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str], role: Role, progress: bool = False) -> np.ndarray:
        if role is not Role.QUERY:
            return self.inner.embed(texts, role, progress)
        missing = list(dict.fromkeys(t for t in texts if t not in self._queries))
        if missing:
            self._queries.update(zip(missing, self.inner.embed(missing, role), strict=True))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = self._queries[text]
        return vectors


def question_forms(xquad: XQuad, english: Sequence[XQuestion]) -> dict[str, Sequence[XQuestion]]:
    """Every question as written, as keywords, with typos, and in English (if given)."""
    forms: dict[str, Sequence[XQuestion]] = {
        "German": xquad.questions,
        "keywords": noisy_questions(xquad.questions, "keywords"),
        "typos": noisy_questions(xquad.questions, "typos"),
    }
    if english:
        forms["English"] = english
    return forms


def build_xquad_index(
    xquad: XQuad, workdir: Path, embedder: Embedder, articles: range | None = None
) -> Path:
    name = "all" if articles is None else f"articles-{articles.start}-{articles.stop}"
    data = workdir / f"data-{name}"
    xquad.write_jsonl(data, articles)
    out = workdir / f"index-{name}"
    logging.getLogger("index").setLevel(logging.ERROR)
    build(data, out, embedder=embedder)
    return out


def xquad_bot(index_dir: Path, embedder: Embedder, settings: BotSettings | None = None) -> Bot:
    return Bot(load_index(index_dir, embedder.name), embedder, settings)


def with_retrieval(bot: Bot, **changes: object) -> Bot:
    """The same index and model with other retrieval settings (for side-by-side baselines)."""
    settings = replace(bot.settings, retrieval=replace(bot.settings.retrieval, **changes))
    return Bot(bot.content, bot.embedder, settings)


def with_calibration(bot: Bot, **changes: object) -> Bot:
    """The same index and model with parts of the calibration replaced."""
    calibration = replace(bot.calibration, **changes)
    return Bot(bot.content, bot.embedder, replace(bot.settings, calibration=calibration))


@dataclass(frozen=True, slots=True)
class Observation:
    """One question asked of an index: what retrieval found and how sure the bot was."""

    question: XQuestion
    evidence: Evidence
    answerable: bool


def observe(
    bot: Bot, questions: Sequence[XQuestion], indexed: Collection[str]
) -> list[Observation]:
    """Evidence for every question; answerable when its paragraph's doc id is `indexed`."""
    return [Observation(q, bot.evidence(q.text), q.doc_id in indexed) for q in questions]
