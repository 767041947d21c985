"""Hostile and odd input through answer(), the CLI and the chat UI: a German answer or hint
within a bounded time, nothing raised, no raw HTML in what the browser gets."""

import re
import time

import pytest

import bot as bot_package
from bot import AnswerKind, Bot
from conftest import converse
from hostile import BOUND_SECONDS, HOSTILE_INPUTS
from web.service import BotService

pytestmark = pytest.mark.model

GERMAN_OPENINGS = ("Bitte stellen Sie", "Dazu habe ich", "Hallo", "Gern geschehen")


@pytest.fixture(scope="module")
def seed_bot(seed_index, real_embedder):
    return Bot.load(seed_index, embedder=real_embedder)


def assert_german_reply(reply) -> None:
    assert reply.text.strip()
    if reply.kind in (AnswerKind.ANSWER, AnswerKind.FAQ):
        assert re.search(r"\[\d+\]", reply.text) and reply.citations
    else:
        assert reply.text.startswith(GERMAN_OPENINGS)


@pytest.mark.parametrize("question", HOSTILE_INPUTS)
def test_answer(seed_bot, question):
    started = time.perf_counter()
    reply = seed_bot.answer(question)
    assert time.perf_counter() - started < BOUND_SECONDS
    assert_german_reply(reply)
    assert 0.0 <= reply.confidence <= 1.0


@pytest.fixture(scope="module")
def seed_default_bot(seed_index, real_embedder):
    return Bot.load(seed_index, embedder=real_embedder)


@pytest.fixture
def default_index(isolated_paths, seed_index, seed_default_bot, monkeypatch):
    """The module-level `answer()` and the CLI, pointed at the seed index."""
    monkeypatch.setenv("FAQBOT_INDEX_DIR", str(seed_index))
    monkeypatch.setattr(bot_package, "_default", seed_default_bot)


@pytest.mark.parametrize("question", HOSTILE_INPUTS)
def test_cli(default_index, question, monkeypatch, capsys):
    import io

    from bot.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO(question))
    started = time.perf_counter()
    assert main(["ask", "-"]) == 0
    assert time.perf_counter() - started < BOUND_SECONDS
    out = capsys.readouterr()
    assert out.out.strip() and out.err == ""
    assert out.out.startswith(GERMAN_OPENINGS) or "Quellen:" in out.out


@pytest.fixture(scope="module")
def handlers(seed_index, real_embedder, tmp_path_factory):
    from web.chat_page import ChatHandlers
    from web.feedback import FeedbackLog

    service = BotService(seed_index, embedder=real_embedder)
    return ChatHandlers(service, FeedbackLog(tmp_path_factory.mktemp("logs")))


@pytest.mark.parametrize("question", HOSTILE_INPUTS)
def test_chat_ui_gets_no_raw_html(handlers, question):
    started = time.perf_counter()
    history, *_ = converse(handlers, question)
    assert time.perf_counter() - started < BOUND_SECONDS
    assert len(history) >= 2 or not question.strip()  # empty input adds nothing
    for message in history:
        body = re.sub(r"</?(mark|em|br|p|div)( class=\"[\w -]*\")?>", "", message["content"])
        body = re.sub(
            r'<a href="quelle/[\w?=&;,#.-]*" target="_blank" rel="noopener"( title="[^"<]*")?>',
            "",
            body,
        )
        body = body.replace("</a>", "")
        assert not re.search(r"<[A-Za-z/!?]", body), body[:200]  # no tag but the bot's own
