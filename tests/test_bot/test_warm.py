"""The model a bot uses, and a just-loaded bot under concurrent first questions."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import AnswerKind, Bot
from conftest import REPO
from index import build
from index.settings import DEFAULT_MODEL, USE_MODEL
from web.service import BotService

pytestmark = pytest.mark.model


def test_bot_load_uses_the_model_that_built_the_index(tmp_path, monkeypatch):
    build(REPO / "data", tmp_path / "index", model=USE_MODEL)
    monkeypatch.setenv("FAQBOT_MODEL", DEFAULT_MODEL)  # configured for rebuilds, not for loading
    bot = Bot.load(tmp_path / "index")
    assert bot.embedder.name == USE_MODEL and bot.content.manifest.model == USE_MODEL
    assert bot.answer("Was ist Arctic Sentry?").answered


def test_eight_concurrent_first_questions_on_a_fresh_service_are_all_answered(seed_index):
    service = BotService(seed_index)  # loads the index's model itself
    assert service.bot is not None and service.bot.embedder.name == DEFAULT_MODEL
    questions = [
        "Was ist Arctic Sentry?",
        "Wer ist NATO-Generalsekretär?",
        "Wann wurde die NATO gegründet?",
        "Who missed the NATO meeting?",
        "nato mitglieder anzahl",
        "Wie viele Mitgliedsländer hat die NATO?",
        "Was ist NATO 3.0?",
        "Welche Länder überschreiten das Ziel von 3,5 %?",
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(service.answer, questions))
    assert sum(reply.answered for reply in replies) >= 6
    assert all(reply.kind is not AnswerKind.UNAVAILABLE for reply in replies)
    alone = [service.answer(q) for q in questions]
    assert replies == alone  # no thread saw another's state, nothing was half-loaded
