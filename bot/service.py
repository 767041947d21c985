"""A bot that can be rebuilt while it serves: the app's one handle on `bot` and `index`.

Questions are answered by whichever `Bot` is current; a rebuild builds the new index
beside the old one (the index link switches atomically) and loads it, and only then
replaces the current bot, in one assignment. An answer in flight keeps the bot it
started with, so no answer ever mixes old and new state.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.compose import unavailable
from bot.core import Bot, BotSettings
from bot.inputs import clean_history, clean_question
from bot.types import Answer, AnswerKind
from index import Manifest, config, read_manifest
from index.embedding import Embedder, load_embedder
from index.errors import FaqbotError
from index.isolated import Progress, build_in_subprocess
from index.turns import turn

Builder = Callable[[Path, Path, str, Progress], Manifest]
"""Builds (data directory, index directory, model, progress callback) and returns the new
manifest. The app's builder is a child process (`index.isolated`); tests hand in one that
builds in-process with a fake model."""


@dataclass(frozen=True, slots=True)
class Status:
    """What the operator sees: the index in use, a rebuild under way, or why there is none."""

    manifest: Manifest | None
    error: str = ""
    rebuilding: bool = False
    progress: str = ""
    """The running build's latest progress line."""


class BotService:
    def __init__(
        self,
        index_dir: Path | None = None,
        data_dir: Path | None = None,
        *,
        embedder: Embedder | None = None,
        settings: BotSettings | None = None,
        builder: Builder = build_in_subprocess,
    ) -> None:
        self.index_dir = index_dir or config.index_dir()
        self.data_dir = data_dir or config.data_dir()
        self.settings = settings
        self.builder = builder
        self._progress = ""
        self._embedder = embedder
        self._bot: Bot | None = None
        self._error = ""
        self._rebuilding = threading.Event()
        self._building = threading.Lock()
        self._waiting = threading.Lock()
        self._embedder_lock = threading.Lock()
        self._load()

    def _embedder_for(self, model: str) -> Embedder:
        """The given embedder, or the model's, loaded once even if threads ask at once."""
        with self._embedder_lock:
            if self._embedder is None or self._embedder.name != model:
                self._embedder = load_embedder(model)
            return self._embedder

    def _load(self) -> None:
        """Serve the index in place with the model that built it."""
        try:
            model = self._embedder.name if self._embedder else read_manifest(self.index_dir).model
            embedder = self._embedder_for(model)
            self._bot = Bot.load(self.index_dir, embedder=embedder, settings=self.settings)
            self._error = ""
        except FaqbotError as error:
            self._error = str(error)

    @property
    def bot(self) -> Bot | None:
        return self._bot

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """`Bot.answer` of the current bot; `history`: the conversation's earlier questions
        as typed, oldest first."""
        bot = self._bot  # one read: this answer uses one bot from start to end
        if bot is None:
            clean_question(question)  # a caller's bug is still a TypeError
            clean_history(history)
            return Answer(unavailable(self._error), (), False, 0.0, AnswerKind.UNAVAILABLE)
        return bot.answer(question, history)

    def status(self) -> Status:
        manifest = self._bot.content.manifest if self._bot is not None else None
        return Status(manifest, self._error, self._rebuilding.is_set(), self._progress)

    def _report(self, line: str) -> None:
        self._progress = line

    def rebuild(self) -> Manifest:
        """Rebuild from the data directory with the builder and switch to the new index.

        Builds take turns (`index.turns`) within this service and across processes alike:
        `BuildBusyError` when one runs and another waits. On failure the current bot stays
        in service and the error is raised.
        """
        with turn(self._waiting, self._building, f"the index at {self.index_dir}"):
            self._rebuilding.set()
            self._progress = ""
            try:
                model = self._embedder.name if self._embedder else config.model_name()
                manifest = self.builder(self.data_dir, self.index_dir, model, self._report)
                embedder = self._embedder_for(manifest.model)
                self._bot = Bot.load(self.index_dir, embedder=embedder, settings=self.settings)
                self._error = ""
                return manifest
            finally:
                self._rebuilding.clear()
                self._progress = ""
