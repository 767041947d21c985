"""What editors need from the chat: votes on answers, and the questions the bot declined.

Each is one JSON object per line, appended under a file lock, so that concurrent app
workers (threads or processes) never interleave lines; a line torn by a killed writer is
cut off before the next append, so every line stays valid JSON. No record holds a raw
line break of any kind (U+2028, U+2029 and C1 controls such as U+0085 are escaped), so
even a reader that splits on every Unicode line break sees one record per line.

Bounds: no log file grows beyond `max_bytes` (the app's: `$FAQBOT_LOG_MAX_BYTES`, default
10 MiB; `index.settings`). An append that would pass it first renames `feedback.jsonl` to
`feedback.jsonl.1`, `.1` to `.2` and so on, keeping `KEPT_FILES` (3) older files, so a log
takes at most four times the cap. Text from users is cut to `MAX_QUESTION_CHARS` before it
is written.

A write that fails (disk full, read-only, no permission) never reaches the chat: the
method returns False, logs the error (logger `faqbot.feedback`) and counts it in
`failures`, with `last_error`, for the operator.
"""

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from filelock import FileLock

from bot.answers import Answer
from bot.inputs import MAX_QUESTION_CHARS
from index.settings import DEFAULT_LOG_MAX_BYTES, ServerSettings
from web.question_groups import AskedQuestion, Why

log = logging.getLogger("faqbot.feedback")

KEPT_FILES = 3
"""Older files kept beside each log (`.1` newest … `.3` oldest); older ones are deleted."""
MAX_ANSWER_CHARS = 4 * MAX_QUESTION_CHARS
"""An answer quotes a few sentences; longer FAQ answers are cut in the log."""
MAX_ID_CHARS = 100
"""Session and answer ids come from the browser: bounded like any other user text."""
VOTES = ("up", "down", None)

_CHUNK = 2**16
_RAW_BREAKS = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""What `json.dumps(ensure_ascii=False)` leaves raw but must not be: C1 controls (U+0085
is a line break to `str.splitlines`), the Unicode line and paragraph separators, and lone
surrogates (which UTF-8 cannot encode)."""


def json_line(record: dict[str, Any]) -> bytes:
    """`record` as one line of UTF-8 JSON whose only line break is the final "\\n";
    other non-ASCII text stays readable."""
    text = json.dumps(record, ensure_ascii=False)
    return (_RAW_BREAKS.sub(lambda char: f"\\u{ord(char[0]):04x}", text) + "\n").encode()


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """The JSON objects in `data`, split on "\\n" only; a torn last line (which the next
    append cuts off) and anything else that is not an object are left out."""
    records = []
    for line in data.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:  # empty, torn, or not UTF-8
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of one log file, oldest first (see `parse_lines`)."""
    return parse_lines(path.read_bytes())


def drop_torn_line(path: Path) -> int:
    """Cut off a last line that a killed writer left without its newline: it is not JSON.

    Looks back chunk by chunk for the last newline, so a torn line of any length goes.
    Returns the size of the file after the cut (0 if there is no file).
    """
    try:
        log_file = path.open("rb+")
    except FileNotFoundError:
        return 0
    with log_file:
        size = end = log_file.seek(0, os.SEEK_END)
        keep = 0
        while end > 0:
            start = max(0, end - _CHUNK)
            log_file.seek(start)
            newline = log_file.read(end - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        if keep != size:
            log_file.truncate(keep)
        return keep


def generations(path: Path) -> list[Path]:
    """`path` and its kept older files, oldest first."""
    return [path.with_name(f"{path.name}.{n}") for n in range(KEPT_FILES, 0, -1)] + [path]


def rotate(path: Path) -> None:
    """Shift `path` to `.1`, `.1` to `.2` … ; the oldest kept file is replaced. Run under the
    log's lock."""
    for newer, older in pairwise(generations(path)):
        if older.exists():
            os.replace(older, newer)


@dataclass(frozen=True, slots=True)
class VoteCounts:
    """The votes as they stand: each session's last vote on each answer, taken-back votes
    removed, over the current and kept vote files."""

    up: int = 0
    down: int = 0
    answers: int = 0
    """Answers with at least one standing vote."""
    sessions: int = 0
    """Sessions with at least one standing vote."""


def count_votes(records: Iterable[dict[str, Any]]) -> VoteCounts:
    """Counts of the last vote per (session, answer_id), in the order of `records`."""
    standing: dict[tuple[str, str], str] = {}
    for record in records:
        key = (record.get("session"), record.get("answer_id"))
        if not all(isinstance(part, str) for part in key):
            continue  # written before votes carried their session and answer
        if record.get("vote") in ("up", "down"):
            standing[key] = record["vote"]
        else:
            standing.pop(key, None)
    votes = list(standing.values())
    return VoteCounts(
        up=votes.count("up"),
        down=votes.count("down"),
        answers=len({answer for _, answer in standing}),
        sessions=len({session for session, _ in standing}),
    )


def _moment(record: dict[str, Any]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(record["time"])
    except (KeyError, TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def questions_to_review(
    declined: Iterable[dict[str, Any]],
    votes: Iterable[dict[str, Any]],
    since: datetime,
    limit: int,
) -> list[AskedQuestion]:
    """The declined questions and those whose answer stands down-voted (each session's
    last vote on it), asked since `since`: the newest `limit`, newest first. Records of the
    logs in their order, oldest first; a record without a question or time is left out."""
    found = [
        AskedQuestion(record["question"], moment, Why.DECLINED)
        for record in declined
        if isinstance(record.get("question"), str) and (moment := _moment(record))
    ]
    standing: dict[tuple[str, str], dict[str, Any]] = {}
    for record in votes:
        key = (record.get("session"), record.get("answer_id"))
        if all(isinstance(part, str) for part in key):
            standing[key] = record  # type: ignore[index]
    found += [
        AskedQuestion(record["question"], moment, Why.DOWN_VOTED)
        for record in standing.values()
        if record.get("vote") == "down"
        and isinstance(record.get("question"), str)
        and (moment := _moment(record))
    ]
    recent = [item for item in found if item.asked_at >= since and item.text.strip()]
    return sorted(recent, key=lambda item: item.asked_at, reverse=True)[:limit]


class FeedbackLog:
    """Appends votes to `feedback.jsonl` and declined questions to `declined.jsonl`.

    `failures` counts the records that could not be written, `last_error` says why the
    last one was not; both are for the operator.
    """

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_LOG_MAX_BYTES) -> None:
        """Logs in `directory`, no file beyond `max_bytes` (a record larger than that is
        refused and counted)."""
        self.directory = directory
        self.max_bytes = max_bytes
        self.failures = 0
        self.last_error = ""
        self._state = threading.Lock()

    @classmethod
    def of(cls, settings: ServerSettings) -> "FeedbackLog":
        """The app's logs: `$FAQBOT_LOG_DIR`, capped at `$FAQBOT_LOG_MAX_BYTES`."""
        return cls(settings.log_dir, settings.log_max_bytes)

    @property
    def votes_path(self) -> Path:
        return self.directory / "feedback.jsonl"

    @property
    def declined_path(self) -> Path:
        return self.directory / "declined.jsonl"

    @staticmethod
    def _lock(path: Path) -> FileLock:
        return FileLock(str(path) + ".lock")

    def _failed(self, path: Path, reason: str) -> bool:
        message = f"cannot write to {path}: {reason}"
        log.error("%s", message)
        with self._state:
            self.failures += 1
            self.last_error = message
        return False

    def _append(self, path: Path, record: dict[str, Any]) -> bool:
        line = json_line({"time": datetime.now(UTC).isoformat(), **record})
        if len(line) > self.max_bytes:
            return self._failed(path, f"a record of {len(line)} bytes exceeds the cap")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._lock(path):
                if drop_torn_line(path) + len(line) > self.max_bytes:
                    rotate(path)
                with path.open("ab") as out:
                    out.write(line)
                    out.flush()
                    os.fsync(out.fileno())
        except OSError as error:
            return self._failed(path, error.strerror or str(error))
        return True

    def vote(
        self,
        session: str,
        answer_id: str,
        question: str,
        reply: Answer,
        vote: str | None,
        reason: str | None = None,
    ) -> bool:
        """Record `session`'s vote on the answer `answer_id`: "up", "down", or None when
        it is taken back, and for "down" optionally what was missing. Only the last one per
        session and answer counts (`vote_counts`). False if it could not be written."""
        if vote not in VOTES:
            raise ValueError(f"vote must be 'up', 'down' or None, not {vote!r}")
        if reason is not None and (vote != "down" or not isinstance(reason, str)):
            raise ValueError(f"only a 'down' vote has a reason, not {vote!r} with {reason!r}")
        return self._append(
            self.votes_path,
            {
                "session": session[:MAX_ID_CHARS],
                "answer_id": answer_id[:MAX_ID_CHARS],
                "vote": vote,
                "reason": reason[:MAX_ID_CHARS] if reason else None,
                "question": question[:MAX_QUESTION_CHARS],
                "answer": reply.text[:MAX_ANSWER_CHARS],
                "kind": reply.kind.value,
                "confidence": reply.confidence,
                "citation_ids": [hit.passage_id for hit in reply.citations],
            },
        )

    def declined(self, question: str, reply: Answer) -> bool:
        """Record a question the bot declined; False if it could not be written."""
        return self._append(
            self.declined_path,
            {
                "question": question[:MAX_QUESTION_CHARS],
                "confidence": reply.confidence,
                "suggestions": [text[:MAX_QUESTION_CHARS] for text in reply.suggestions],
            },
        )

    def _read_all(self, path: Path) -> list[dict[str, Any]]:
        """The records of a log and its kept older files, oldest first (see `vote_counts`
        on the locking)."""
        if not self.directory.is_dir():
            return []
        with ExitStack() as files:
            with self._lock(path):
                handles = [
                    files.enter_context(generation.open("rb"))
                    for generation in generations(path)
                    if generation.is_file()
                ]
            return [record for handle in handles for record in parse_lines(handle.read())]

    def questions_to_review(self, days: int, limit: int) -> list[AskedQuestion]:
        """What editors should look at (`questions_to_review`) of the last `days`: the
        newest `limit`. Raises OSError if the logs cannot be read."""
        since = datetime.now(UTC) - timedelta(days=days)
        return questions_to_review(
            self._read_all(self.declined_path), self._read_all(self.votes_path), since, limit
        )

    def vote_counts(self) -> VoteCounts:
        """The votes as they stand (see `VoteCounts`).

        The files are opened under the lock, so no rotation falls between them, and read
        after it, so writers do not wait for the reading. Raises OSError if the log
        directory cannot be read.
        """
        if not self.directory.is_dir():
            return VoteCounts()
        with ExitStack() as files:
            with self._lock(self.votes_path):
                handles = [
                    files.enter_context(path.open("rb"))
                    for path in generations(self.votes_path)
                    if path.is_file()
                ]
            return count_votes(
                record for handle in handles for record in parse_lines(handle.read())
            )
