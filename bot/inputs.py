"""What the user typed, made safe to search, and what kind of message it is."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_QUESTION_CHARS = 1000
MAX_HISTORY_TURNS = 3
"""Earlier questions of a conversation that are read: "er" rarely means something older,
and the work per answer stays bounded however long the conversation grows."""

_GREETING = re.compile(
    r"(?:hallo|hallöchen|hi|hey|moin|servus|grüß gott|grüezi|guten (?:morgen|tag|abend)|"
    r"hello|good (?:morning|evening)|danke(?: schön| sehr)?|dankeschön|vielen dank|"
    r"herzlichen dank|merci|thanks?(?: you)?|tschüss|tschüs|ciao|auf wiedersehen|bye)"
    r"(?:\s+(?:bot|faqbot|dir|ihnen|euch|schön|sehr|a lot))*",
    re.IGNORECASE,
)
_THANKS = re.compile(r"danke|dank|merci|thank", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Question:
    """A user's message, cleaned: control characters gone, length bounded."""

    text: str
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.text

    @property
    def is_greeting(self) -> bool:
        """A greeting or thanks and nothing else ("Hallo!", "Danke schön")."""
        bare = re.sub(r"[\W_]+", " ", self.text).strip()
        return bool(bare) and _GREETING.fullmatch(bare) is not None

    @property
    def is_thanks(self) -> bool:
        return self.is_greeting and _THANKS.search(self.text) is not None


def clean_question(raw: str, max_chars: int = MAX_QUESTION_CHARS) -> Question:
    """Strip control and format characters (line breaks and tabs become spaces) and
    surrounding space; shorten to `max_chars`.

    Raises `TypeError` for anything but a string: that is a caller's bug, not user input.
    """
    if not isinstance(raw, str):
        raise TypeError(f"question must be a str, not {type(raw).__name__}")
    normalized = unicodedata.normalize("NFC", raw)
    kept = "".join(
        " " if char in "\t\n\r\v\f" else char
        for char in normalized
        if char in "\t\n\r\v\f" or not unicodedata.category(char).startswith("C")
    )
    text = " ".join(kept.split())
    if len(text) <= max_chars:
        return Question(text)
    return Question(text[:max_chars].rstrip(), truncated=True)


def clean_history(
    history: Sequence[str], max_chars: int = MAX_QUESTION_CHARS, turns: int = MAX_HISTORY_TURNS
) -> tuple[Question, ...]:
    """The last `turns` earlier questions (oldest first), each cleaned like a question.

    Raises `TypeError` unless `history` is a sequence (not itself a string) of strings:
    that is a caller's bug. Only the questions kept are looked at, so a long history costs
    no more than a short one.
    """
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise TypeError(f"history must be a sequence of str, not {type(history).__name__}")
    kept = [history[i] for i in range(max(len(history) - turns, 0), len(history))]
    for item in kept:
        if not isinstance(item, str):
            raise TypeError(f"history must hold str, not {type(item).__name__}")
    return tuple(clean_question(item, max_chars) for item in kept)
