"""The feedback logs lose no record: torn lines of any length, Unicode line separators,
rotation at the cap under concurrent writers, votes counted once, and full disks."""

import errno
import json
import logging
import os
import subprocess
import sys
import threading
import time

import pytest

import web.feedback
from bot.answers import Answer, AnswerKind, Hit
from bot.inputs import MAX_QUESTION_CHARS
from conftest import REPO
from index.settings import ServerSettings
from web.feedback import (
    KEPT_FILES,
    MAX_ID_CHARS,
    FeedbackLog,
    VoteCounts,
    generations,
    read_records,
)

REPLY = Answer(
    "Ein Blauwal wird bis zu 30 Meter lang. [1]",
    (
        Hit(
            "wale.txt",
            "Ein Blauwal wird bis zu 30 Meter lang.",
            "Wale",
            "FAQ",
            "wale.txt",
            1.0,
            "p1",
        ),
    ),
    True,
    0.9,
)
DECLINED = Answer("Nichts gefunden.", (), False, 0.1, AnswerKind.DECLINED, ("Was ist X?",))


def lines_of(path):
    """Every line of `path`, each of which must be a JSON object ending in a newline."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


@pytest.mark.parametrize("before", [0, 1], ids=["alone", "after-a-record"])
@pytest.mark.parametrize("torn_bytes", [40, 2 * 2**20], ids=["short", "2MB"])
def test_a_torn_last_line_of_any_length_is_cut_and_the_next_record_kept(
    tmp_path, before, torn_bytes
):
    log = FeedbackLog(tmp_path)
    for n in range(before):
        assert log.vote("s", f"a{n}", "erste", REPLY, "up")
    with log.votes_path.open("ab") as out:
        out.write(b'{"question": "' + b"x" * torn_bytes)  # a writer killed mid-line
    assert log.vote("s", "neu", "zweite", REPLY, "down")
    records = lines_of(log.votes_path)
    assert [r["question"] for r in records] == ["erste"] * before + ["zweite"]


QUESTION = "Zeile eins\u2028Zeile zwei\u2029Absatz\x85Ende \x1c\x1d\x1e\x0b\x0c\r\n ärger 🐋 \ud800"


def test_line_separators_in_user_text_are_escaped_and_round_trip(tmp_path):
    log = FeedbackLog(tmp_path)
    assert log.vote("s", "a", QUESTION, REPLY, "up")
    assert log.declined(QUESTION, DECLINED)
    for path in (log.votes_path, log.declined_path):
        (record,) = read_records(path)
        assert record["question"] == QUESTION
        text = path.read_bytes().decode("utf-8")
        assert not {"\u2028", "\u2029", "\x85"} & set(text)
        assert len(text.splitlines()) == 1 and "ärger 🐋" in text  # other text stays readable


def test_long_user_text_is_cut_before_it_is_written(tmp_path):
    log = FeedbackLog(tmp_path)
    assert log.vote("s" * 5000, "a" * 5000, "q" * 5000, REPLY, "up")
    assert log.declined("q" * 5000, DECLINED)
    (vote,) = read_records(log.votes_path)
    (declined,) = read_records(log.declined_path)
    assert len(vote["question"]) == len(declined["question"]) == MAX_QUESTION_CHARS
    assert len(vote["session"]) == len(vote["answer_id"]) == MAX_ID_CHARS


WRITER = """
import sys, time
from pathlib import Path
from web.feedback import FeedbackLog
from bot.answers import Answer
directory, cap, name, count = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
log = FeedbackLog(directory, max_bytes=cap)
reply = Answer("Ein Blauwal wird bis zu 30 Meter lang. [1]", (), True, 0.9)
(directory / f"ready-{name}").touch()
while not (directory / "go").exists():
    time.sleep(0.005)
failed = [n for n in range(count) if not log.vote(name, f"a{n}", f"Frage {name} {n}", reply, "up")]
sys.exit(len(failed))
"""


def test_rotation_at_the_cap_loses_nothing_under_threads_and_processes(tmp_path):
    cap, per_writer = 16 * 2**10, 25
    names = {"thread": [f"t{n}" for n in range(4)], "process": ["p0", "p1"]}
    probe = FeedbackLog(tmp_path / "probe")
    probe.vote("t0", f"a{per_writer}", f"Frage t0 {per_writer}", REPLY, "up")
    record_size = probe.votes_path.stat().st_size  # the largest: REPLY has a citation
    log = FeedbackLog(tmp_path / "logs", max_bytes=cap)
    total = per_writer * 6
    assert total * record_size < (KEPT_FILES + 1) * (cap - record_size)  # all generations kept

    log.directory.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(log.directory), str(cap), name, str(per_writer)],
            cwd=REPO,
        )
        for name in names["process"]
    ]
    go = threading.Event()
    failures = []

    def write(name):
        go.wait(30)
        for n in range(per_writer):
            if not log.vote(name, f"a{n}", f"Frage {name} {n}", REPLY, "up"):
                failures.append(name)

    threads = [threading.Thread(target=write, args=(name,)) for name in names["thread"]]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    for name in names["process"]:
        while not (log.directory / f"ready-{name}").exists():
            assert all(p.poll() is None for p in processes), "a writer process died"
            assert time.monotonic() < deadline, "a writer process never started"
            time.sleep(0.01)
    (log.directory / "go").touch()
    go.set()
    for thread in threads:
        thread.join(30)
    assert [p.wait(60) for p in processes] == [0, 0] and failures == []

    files = [path for path in generations(log.votes_path) if path.exists()]
    assert len(files) >= 3, "the cap was never reached: rotation is untested"
    assert all(path.stat().st_size <= cap for path in files)
    records = [record for path in files for record in lines_of(path)]
    written = {
        (name, f"a{n}") for group in names.values() for name in group for n in range(per_writer)
    }
    assert sorted((r["session"], r["answer_id"]) for r in records) == sorted(written)
    assert log.vote_counts() == VoteCounts(up=total, down=0, answers=per_writer, sessions=6)


def test_only_the_kept_generations_remain_and_none_exceeds_the_cap(tmp_path):
    cap = 4096
    log = FeedbackLog(tmp_path, max_bytes=cap)
    for n in range(200):
        assert log.vote("s", f"a{n}", f"Frage {n}", REPLY, "up")
    present = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("feedback.jsonl"))
    expected = ["feedback.jsonl", "feedback.jsonl.lock"] + [
        f"feedback.jsonl.{n}" for n in range(1, KEPT_FILES + 1)
    ]
    assert present == sorted(expected)
    assert all(path.stat().st_size <= cap for path in generations(log.votes_path))
    newest = [r["answer_id"] for path in generations(log.votes_path) for r in lines_of(path)]
    assert newest[-1] == "a199" and newest == [f"a{n}" for n in range(200 - len(newest), 200)]


def test_vote_counts_keep_each_sessions_last_vote_per_answer(tmp_path):
    log = FeedbackLog(tmp_path, max_bytes=4096)  # the votes spread over rotated files
    for _ in range(30):
        log.vote("s1", "a1", "Frage", REPLY, "up")
    log.vote("s1", "a2", "Frage", REPLY, "up")
    log.vote("s1", "a2", "Frage", REPLY, "down")  # changed: replaces the up vote
    log.vote("s2", "a1", "Frage", REPLY, "down")
    log.vote("s2", "a1", "Frage", REPLY, None)  # taken back
    log.vote("s3", "a3", "Frage", REPLY, "down")
    with log.votes_path.open("a") as out:  # written before votes carried their session
        out.write(json.dumps({"question": "alt", "vote": "up"}) + "\n")
    assert log.votes_path.with_name("feedback.jsonl.1").exists()
    assert log.vote_counts() == VoteCounts(up=1, down=2, answers=3, sessions=2)


def test_vote_counts_of_an_empty_log_are_zero(tmp_path):
    assert FeedbackLog(tmp_path / "nie").vote_counts() == VoteCounts()


def test_an_unknown_vote_is_a_callers_error(tmp_path):
    with pytest.raises(ValueError, match="vote must be"):
        FeedbackLog(tmp_path).vote("s", "a", "Frage", REPLY, "maybe")


def fail_with(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


def full_logs(log):
    """Both logs one byte short of the cap, so that the next append of each rotates."""
    log.directory.mkdir()
    for path in (log.votes_path, log.declined_path):
        path.write_text(json.dumps({"pad": "x" * (log.max_bytes - 13)}) + "\n")
        assert path.stat().st_size == log.max_bytes - 1


BREAKAGES = {
    "disk-full": (lambda log, mp: mp.setattr(web.feedback.os, "fsync", fail_with(errno.ENOSPC))),
    "read-only-rotation": (
        lambda log, mp: (
            full_logs(log),
            mp.setattr(web.feedback.os, "replace", fail_with(errno.EROFS)),
        )
    ),
    "directory-is-a-file": lambda log, mp: log.directory.write_text("a file"),
}
REASONS = {
    "disk-full": "No space left",
    "read-only-rotation": "Read-only file system",
    "directory-is-a-file": "exists",
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_failed_write_returns_false_is_counted_and_logged(
    tmp_path, monkeypatch, caplog, breakage
):
    log = FeedbackLog(tmp_path / "logs", max_bytes=4096)
    BREAKAGES[breakage](log, monkeypatch)
    with caplog.at_level(logging.ERROR, logger="faqbot.feedback"):
        assert log.vote("s", "x", "Frage", REPLY, "up") is False
        assert log.declined("Frage", DECLINED) is False
    assert log.failures == 2 and REASONS[breakage] in log.last_error
    assert [r.name for r in caplog.records] == ["faqbot.feedback"] * 2

    monkeypatch.undo()
    if log.directory.is_file():
        log.directory.unlink()
    assert log.vote("s", "y", "Frage", REPLY, "up") and log.failures == 2
    assert all(lines_of(path) for path in generations(log.votes_path) if path.exists())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 10 * 2**20), ("1048576", 2**20), ("10", "at least"), ("10MB", "number of bytes")],
)
def test_the_cap_comes_from_the_environment(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("FAQBOT_LOG_MAX_BYTES", value)
    monkeypatch.setenv("FAQBOT_LOG_DIR", str(tmp_path))
    if isinstance(expected, int):
        log = FeedbackLog.of(ServerSettings())
        assert log.max_bytes == expected and log.directory == tmp_path
    else:
        with pytest.raises(ValueError, match=expected):
            ServerSettings()
