"""What the user typed, made safe to search, and what kind of message it is."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_QUESTION_CHARS = 1000
MAX_INPUT_CHARS = 2 * MAX_QUESTION_CHARS
"""What a surface (chat, API) accepts before cleaning: enough for cleaning to notice that
a question was too long and say so in the answer, which reads at most `MAX_QUESTION_CHARS`."""
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
    """A user's message, cleaned: control characters gone, length bounded; what kind of
    message it is, decided once when it is cleaned."""

    text: str
    truncated: bool = False
    is_greeting: bool = False
    """A greeting or thanks and nothing else ("Hallo!", "Danke schön")."""
    is_thanks: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.text

    @property
    def sets_topic(self) -> bool:
        """A greeting or an empty message between questions says nothing about the topic."""
        return bool(self.text) and not self.is_greeting


@dataclass(frozen=True, slots=True)
class Asked:
    """A question and the earlier questions of its conversation that set its topic, all
    cleaned: what the answering pipeline starts from."""

    question: Question
    earlier: tuple[str, ...]


def _greeting(text: str) -> bool:
    bare = re.sub(r"[\W_]+", " ", text).strip()
    return bool(bare) and _GREETING.fullmatch(bare) is not None


def _question(text: str, truncated: bool = False) -> Question:
    greeting = _greeting(text)
    thanks = greeting and _THANKS.search(text) is not None
    return Question(text, truncated, greeting, thanks)


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
        return _question(text)
    return _question(_cut_at_word(text, max_chars), truncated=True)


def _cut_at_word(text: str, max_chars: int) -> str:
    """The first `max_chars` of `text`, without the word the limit falls in (a half word
    would be searched for as a word of its own); the limit itself if the text has no space
    before it."""
    cut = text[: max_chars + 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut[:max_chars].rstrip()


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


def read_input(question: str, history: Sequence[str], max_chars: int = MAX_QUESTION_CHARS) -> Asked:
    """`question` and the topic-setting questions of `history` (oldest first), cleaned.
    Raises `TypeError` for anything but a string and a sequence of strings."""
    cleaned = clean_question(question, max_chars)
    earlier = tuple(q.text for q in clean_history(history, max_chars) if q.sets_topic)
    return Asked(cleaned, earlier)
