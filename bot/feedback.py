"""What editors need from the chat: votes on answers, and the questions the bot declined.

Each is one JSON object per line, appended under a file lock, so that concurrent app
workers (threads or processes) never interleave lines; a line torn by a killed writer is
cut off before the next append, so every line stays valid JSON.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from bot.types import Answer

LOG_DIR_ENV = "FAQBOT_LOG_DIR"


def log_dir() -> Path:
    """`$FAQBOT_LOG_DIR`, else `.faqbot/logs` (git-ignored)."""
    return Path(os.environ.get(LOG_DIR_ENV) or ".faqbot/logs")


def drop_torn_line(path: Path) -> None:
    """Cut off a last line that a killed writer left without its newline: it is not JSON."""
    if not path.is_file():
        return
    with path.open("rb+") as log:
        size = log.seek(0, os.SEEK_END)
        if size == 0:
            return
        log.seek(size - 1)
        if log.read(1) == b"\n":
            return
        log.seek(max(0, size - 1_000_000))
        tail = log.read()
        log.truncate(size - len(tail) + tail.rfind(b"\n") + 1)


class FeedbackLog:
    """Appends votes to `feedback.jsonl` and declined questions to `declined.jsonl`."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or log_dir()

    @property
    def votes_path(self) -> Path:
        return self.directory / "feedback.jsonl"

    @property
    def declined_path(self) -> Path:
        return self.directory / "declined.jsonl"

    def _append(self, path: Path, record: dict[str, Any]) -> None:
        line = json.dumps({"time": datetime.now(UTC).isoformat(), **record}, ensure_ascii=False)
        self.directory.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock"):
            drop_torn_line(path)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())

    def vote(self, question: str, reply: Answer, liked: bool) -> None:
        self._append(
            self.votes_path,
            {
                "question": question,
                "answer": reply.text,
                "kind": reply.kind.value,
                "confidence": reply.confidence,
                "citation_ids": [hit.passage_id for hit in reply.citations],
                "vote": "up" if liked else "down",
            },
        )

    def declined(self, question: str, reply: Answer) -> None:
        self._append(
            self.declined_path,
            {
                "question": question,
                "confidence": reply.confidence,
                "suggestions": list(reply.suggestions),
            },
        )
