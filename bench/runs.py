"""Shared steps of the benchmarks: build an XQuAD index once, ask questions through a Bot."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.xquad import XQuad, XQuestion
from bot import Bot, BotSettings
from bot.confidence import Evidence
from index import build, load_index
from index.embedding import Embedder


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


@dataclass(frozen=True, slots=True)
class Observation:
    """One question asked of an index: what retrieval found and how sure the bot was."""

    question: XQuestion
    evidence: Evidence
    answerable: bool


def observe(bot: Bot, questions: Sequence[XQuestion], indexed: range) -> list[Observation]:
    return [Observation(q, bot.evidence(q.text), q.article in indexed) for q in questions]
