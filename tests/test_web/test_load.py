"""Bounded load on 127.0.0.1: concurrent API clients get no errors, memory stays flat.

The full figures (20 clients for 60 s, 10,000 questions) come from `python -m bench.load`.
"""

import itertools
import json

import pytest

from bench.load import flood_report, flooded_run, report, run_load
from bench.serve import memory_mib, serve_app
from bot import Bot
from conftest import REPO

pytestmark = pytest.mark.model


def test_twenty_concurrent_api_clients_get_no_errors(seed_index, tmp_path):
    env = {"FAQBOT_INDEX_DIR": str(seed_index), "FAQBOT_LOG_DIR": str(tmp_path / "logs")}
    with serve_app(env) as app:
        result = run_load(app.url, app.pid, clients=20, seconds=10, max_questions=5_000)
    print(report(result, clients=20, seconds=10))
    assert result.errors == []
    assert len(result.seconds) >= 100


def test_memory_stays_flat_over_ten_thousand_questions(seed_index, real_embedder):
    import os

    data = json.loads((REPO / "tests" / "data" / "seed_questions.json").read_text())
    asked = [i["question"] for i in data["in_scope"]] + data["out_of_scope"]
    bot = Bot.load(seed_index, embedder=real_embedder)
    questions = (f"{q} {n}" for n, q in enumerate(itertools.cycle(asked)))  # all different
    for question in itertools.islice(questions, 1_000):
        bot.answer(question)
    warm = memory_mib(os.getpid())
    for question in itertools.islice(questions, 9_000):
        bot.answer(question)
    assert memory_mib(os.getpid()) - warm < 20, "memory grew by 20 MiB or more over 9,000 answers"


def test_an_anonymous_flood_is_refused_and_clients_keep_getting_answers():
    """20 clients alone for 10 s, then for 30 s while every operator event, the login and
    the upload endpoint are flooded (`make bench` reports the latencies side by side)."""
    alone, flooded, flood = flooded_run(clients=20, seconds=10, flood_seconds=30)
    print(flood_report(alone, flooded, flood))
    assert alone.errors == [] and flooded.errors == []
    assert flood.sent > 100 and flood.admitted == 0
