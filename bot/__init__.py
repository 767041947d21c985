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
from index import build, index_exists
from index.settings import Settings

__all__ = ["Answer", "AnswerKind", "Bot", "BotSettings", "Hit", "answer", "default_bot"]

_default: Bot | None = None
_default_lock = threading.Lock()


def default_bot(settings: Settings | None = None) -> Bot:
    """The bot over the configured index (`settings`, else the environment's: `Settings()`),
    built from the data directory on first use if there is none yet; later calls return the
    same bot. Raises a `FaqbotError` subclass that says why if it cannot be, a
    `SettingsError` if the environment holds an unusable value."""
    global _default
    with _default_lock:
        if _default is None:
            settings = settings or Settings()
            if not index_exists(settings.index_dir):
                build(
                    settings.data_dir, settings.index_dir, model=settings.model, settings=settings
                )
            _default = Bot.load(settings.index_dir)
        return _default


def answer(question: str, history: Sequence[str] = ()) -> Answer:
    """Answer `question` from the default index (see `default_bot`); `history`: the
    conversation's earlier questions, oldest first (see `Bot.answer`)."""
    clean_question(question)  # a caller's bug is a TypeError before any loading
    clean_history(history)
    return default_bot().answer(question, history)
