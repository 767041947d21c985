"""How far a build has come, as data: a stage and a count, never a line of text.

A build reports `BuildProgress` events to a callback (`index.build.build(on_progress=…)`);
the build child (`index.build_child`) sends them to the app as JSON lines, so the app
words them for its readers (`web.admin_wording`) instead of parsing English output.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The stages of a build and of putting its result in service, in their order."""

    READ = "read"
    """Reading the files of the data directory: done/total counts files."""
    SPLIT = "split"
    """Cutting the documents into passages and sentences."""
    LOAD_MODEL = "load_model"
    EMBED = "embed"
    """Embedding the texts not yet embedded: done/total counts texts."""
    SEARCH_INDEX = "search_index"
    """The BM25 and vector indexes."""
    WRITE = "write"
    """Writing the new version and switching the index link."""
    SWITCH = "switch"
    """The app loads the new version and puts it in service (`web.service`)."""


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """One report: the stage under way and, for counted stages, how much of it is done."""

    stage: Stage
    done: int = 0
    total: int = 0

    @property
    def fraction(self) -> float | None:
        """The share done, or None for a stage that is not counted."""
        return min(self.done / self.total, 1.0) if self.total > 0 else None

    def to_line(self) -> str:
        """The event as one line of the child's output (`PROGRESS_PREFIX` + JSON)."""
        payload = {"stage": self.stage.value, "done": self.done, "total": self.total}
        return PROGRESS_PREFIX + json.dumps(payload)

    @classmethod
    def from_line(cls, line: str) -> "BuildProgress | None":
        """The event a line of the child's output carries, or None if it carries none (a
        warning, a traceback, the command line's summary)."""
        if not line.startswith(PROGRESS_PREFIX):
            return None
        try:
            data = json.loads(line.removeprefix(PROGRESS_PREFIX))
            return cls(Stage(data["stage"]), int(data["done"]), int(data["total"]))
        except (ValueError, KeyError, TypeError):
            return None


PROGRESS_PREFIX = "faqbot-progress "
"""Marks a progress event among the other lines a child writes."""

ProgressReport = Callable[[BuildProgress], None]
