"""Conversations on the seed article (`tests/data/dialogues.json`): are follow-ups answered,
and are independent questions left alone? Shared by `python -m bench` and the tests."""

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import Answer, AnswerKind, Bot

DIALOGUES = Path(__file__).resolve().parents[1] / "tests" / "data" / "dialogues.json"


def load_dialogues(path: Path = DIALOGUES) -> list[list[dict[str, Any]]]:
    """Each dialogue as its list of turns."""
    return [d["turns"] for d in json.loads(path.read_text(encoding="utf-8"))["dialogues"]]


def is_expected(reply: Answer, expected: str | Sequence[str]) -> bool:
    """The reply gives one of the expected facts, or declines or greets as expected."""
    if expected == "declined":
        return not reply.answered
    if expected == "greeting":
        return reply.kind is AnswerKind.GREETING
    return reply.answered and any(fact in reply.text for fact in expected)


@dataclass(frozen=True, slots=True)
class DialogueScores:
    followups: int
    followups_expected: int
    """Follow-up turns answered with an expected fact (or declined when expected)."""
    followups_tied: int
    """Follow-up turns the bot read with the earlier turns (its answer has a context)."""
    followups_alone: int
    """Baseline: follow-up turns answered as expected when asked without their history."""
    independent: int
    """Turns after the first that do not depend on the earlier ones."""
    independent_unchanged: int
    """Of those, answered with the same text as without history."""
    followup_seconds: tuple[float, ...]
    """Time of each follow-up answer, with its history."""
    standalone_seconds: tuple[float, ...]
    """Time of each answer to a conversation's first question (no history)."""
    misses: tuple[str, ...]
    """Each turn that missed, with its answer's beginning: what to read first."""


def _timed(bot: Bot, question: str, history: Sequence[str]) -> tuple[Answer, float]:
    started = time.perf_counter()
    reply = bot.answer(question, history)
    return reply, time.perf_counter() - started


def score_dialogues(bot: Bot, dialogues: Sequence[Sequence[dict[str, Any]]]) -> DialogueScores:
    """Every turn asked with the questions before it as history, as a chat would."""
    kinds = ("followups", "expected", "tied", "alone", "independent", "unchanged")
    counts = dict.fromkeys(kinds, 0)
    followup_seconds: list[float] = []
    standalone_seconds: list[float] = []
    misses: list[str] = []
    for turns in dialogues:
        questions = [turn["question"] for turn in turns]
        reply, seconds = _timed(bot, questions[0], ())
        standalone_seconds.append(seconds)
        for position, turn in enumerate(turns[1:], start=1):
            reply, seconds = _timed(bot, turn["question"], questions[:position])
            if turn["followup"]:
                followup_seconds.append(seconds)
                counts["followups"] += 1
                counts["tied"] += bool(reply.context)
                right = is_expected(reply, turn["expected"])
                counts["expected"] += right
                counts["alone"] += is_expected(bot.answer(turn["question"]), turn["expected"])
            else:
                counts["independent"] += 1
                right = reply.text == bot.answer(turn["question"]).text
                counts["unchanged"] += right
            if not right:
                misses.append(f"{questions[:position]} → {turn['question']}: {reply.text[:100]}")
    return DialogueScores(
        counts["followups"],
        counts["expected"],
        counts["tied"],
        counts["alone"],
        counts["independent"],
        counts["unchanged"],
        tuple(followup_seconds),
        tuple(standalone_seconds),
        tuple(misses),
    )
