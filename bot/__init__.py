"""Answers from the index: `answer("Frage")` for the default index, `Bot` for any other.

>>> from bot import answer
>>> reply = answer("Was ist Arctic Sentry?")
>>> reply.text, reply.citations[0].section, reply.confidence
"""

import threading
from collections.abc import Sequence

from bot.answers import Answer, AnswerKind, Hit
from bot.inputs import clean_history, clean_question
from bot.pipeline import Bot, BotSettings
from index import build, config, index_exists

__all__ = ["Answer", "AnswerKind", "Bot", "BotSettings", "Hit", "answer", "default_bot"]

_default: Bot | None = None
_default_lock = threading.Lock()


def default_bot() -> Bot:
    """The bot over the configured index, built from the data directory on first use if
    there is none yet. Raises a `FaqbotError` subclass that says why if it cannot be."""
    global _default
    with _default_lock:
        if _default is None:
            if not index_exists(config.index_dir()):
                build(config.data_dir(), config.index_dir(), model=config.model_name())
            _default = Bot.load(config.index_dir())
        return _default


def answer(question: str, history: Sequence[str] = ()) -> Answer:
    """Answer `question` from the default index (see `default_bot`); `history`: the
    conversation's earlier questions, oldest first (see `Bot.answer`)."""
    clean_question(question)  # a caller's bug is a TypeError before any loading
    clean_history(history)
    return default_bot().answer(question, history)
