"""A bot that can be rebuilt while it serves: the app's one handle on `bot` and `index`.

Questions are answered by whichever `Bot` is current; a rebuild builds the new index
beside the old one (the index link switches atomically) and loads it, and only then
replaces the current bot, in one assignment. An answer in flight keeps the bot it
started with, so no answer ever mixes old and new state.

A bot is *ready* once it has answered one question: whatever the model or the answering
loads lazily has then loaded, and a load balancer should send traffic only to a server
that answers at full speed.
The app warms the bot it starts with in the background (`warm_up`, once); a rebuild or a
refresh warms the new bot (`Bot.warm_up`) before it replaces the old one, so readiness
never drops while the index changes.

Rebuilds take turns by the one build lock (`index.build_lock`), shared with every other
thread and process that builds the same index; the service's own locks guard only what
is in service.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from bot.answers import Answer, AnswerKind
from bot.inputs import clean_history, clean_question
from bot.pipeline import Bot, BotSettings
from bot.wording import UNAVAILABLE
from index import ChunkSettings, Manifest, VectorSettings, read_manifest
from index.build import build_settings, recorded_manifest
from index.build_child import BuildLimits, build_in_subprocess
from index.build_lock import build_turn
from index.embedding import Embedder, load_embedder
from index.errors import FaqbotError
from index.progress import BuildProgress, ProgressReport, Stage
from index.settings import Settings

log = logging.getLogger("faqbot.service")


class Builder(Protocol):
    """Builds (data directory, index directory, model, progress report) with the chunking
    and vector settings given and returns the new manifest. The app's builder is a child
    process (`index.build_child`); tests hand in one that builds in-process with a fake
    model."""

    def __call__(
        self,
        data_dir: Path,
        index_dir: Path,
        model: str,
        on_progress: ProgressReport,
        *,
        chunking: ChunkSettings,
        vectors: VectorSettings,
    ) -> Manifest: ...


@dataclass(frozen=True, slots=True)
class Status:
    """What the operator sees: the index in use, a rebuild under way, or why there is none."""

    manifest: Manifest | None
    error: str = ""
    rebuilding: bool = False
    progress: BuildProgress | None = None
    """The running rebuild's latest report (None before its first, and when none runs)."""
    version: str = ""
    """The index version in use: the build id of the version the index link pointed to when
    it was loaded (`link_target`; "" if it is no link, or was switched while loading)."""
    ready: bool = False
    """A bot is loaded and has answered its warm-up question."""


@dataclass(frozen=True, slots=True)
class Serving:
    """The bot in service with what was learnt when it was loaded; replaced as a whole, in
    one assignment, so that bot, version and warmth are never read from two different loads."""

    bot: Bot
    version: str
    warm: bool = False


def link_target(index_dir: Path) -> str:
    """The version `index_dir` links to: its directory's name without the part every
    version shares (`.index.version-20260301T120000-3fa9c1` → `20260301T120000-3fa9c1`);
    "" if it is no link."""
    try:
        return _version_name(index_dir, Path(os.readlink(index_dir)))
    except OSError:
        return ""


def _version_name(index_dir: Path, version_dir: Path) -> str:
    return version_dir.name.removeprefix(f".{index_dir.name}.version-")


class BotService:
    def __init__(
        self,
        index_dir: Path | None = None,
        data_dir: Path | None = None,
        *,
        embedder: Embedder | None = None,
        settings: BotSettings | None = None,
        builder: Builder | None = None,
        config: Settings | None = None,
    ) -> None:
        """`config`: the environment's settings (read now if None) for what is not given:
        the directories, the model a rebuild uses, and the default builder's memory limit
        (a child process, `index.build_child`)."""
        config = config or Settings()
        self.index_dir = index_dir or config.index_dir
        self.data_dir = data_dir or config.data_dir
        self.model = config.model
        """The model a rebuild uses, unless the service was given an embedder."""
        self.settings = settings
        self.builder = builder or partial(build_in_subprocess, limits=BuildLimits.of(config))
        self._rebuilding = False
        self._progress: BuildProgress | None = None
        """The latest progress report of this service's rebuild."""
        self._embedder = embedder
        self._serving: Serving | None = None
        self._error = ""
        self.answer_listeners: list[Callable[[Answer], None]] = []
        """Called with every answer `answer` gives (the app counts them by kind)."""
        # Builds take turns by `index.build_lock` alone; three locks guard the service:
        self._swapping = threading.Lock()  # a swap and a warm-up's mark never interleave
        self._warming_up = threading.Lock()  # one warm-up: the start-up's or a refresh's retry
        self._embedder_lock = threading.Lock()  # the model loaded once when threads ask at once
        self._load()

    def _embedder_for(self, model: str) -> Embedder:
        """The given embedder, or the model's, loaded once even if threads ask at once."""
        with self._embedder_lock:
            if self._embedder is None or self._embedder.name != model:
                self._embedder = load_embedder(model)
            return self._embedder

    def _serving_of(self, model: str) -> Serving:
        """The version the index link names now, loaded with `model` from its own directory:
        a switch while it loads changes nothing of what is loaded, and the version reported
        is the one loaded ("" for an index directory that is no link)."""
        embedder = self._embedder_for(model)
        is_link = self.index_dir.is_symlink()
        version_dir = self.index_dir.resolve()
        version = _version_name(self.index_dir, version_dir) if is_link else ""
        bot = Bot.load(version_dir, embedder=embedder, settings=self.settings)
        return Serving(bot, version)

    def _load(self) -> None:
        """Serve the index in place with the model that built it (not yet warm)."""
        try:
            model = self._embedder.name if self._embedder else read_manifest(self.index_dir).model
            self._serving = self._serving_of(model)
            self._error = ""
        except FaqbotError as error:
            self._error = str(error)
            log.error("no index to answer from: %s", error)

    @property
    def serving(self) -> Serving | None:
        """The bot in service with its version and warmth; read it once and use that."""
        return self._serving

    @property
    def bot(self) -> Bot | None:
        serving = self._serving
        return serving.bot if serving is not None else None

    @property
    def ready(self) -> bool:
        """A bot is loaded and warm: a load balancer may send traffic."""
        serving = self._serving
        return serving is not None and serving.warm

    def warm_up(self) -> bool:
        """Warm the bot in service (`Bot.warm_up`) and mark it ready, unless a rebuild or a
        refresh replaced it meanwhile (they warm their own before the swap). The server
        calls it once, in the background at start-up; `refresh` again while the bot in
        service is not warm. False without a bot, while another warm-up runs, or if it
        failed (logged: not ready then, the load balancer keeps away)."""
        serving = self._serving
        if serving is None or not self._warming_up.acquire(blocking=False):
            return False
        started = time.perf_counter()
        try:
            serving.bot.warm_up()
        except Exception:
            log.exception("warm-up failed")
            return False
        finally:
            self._warming_up.release()
        with self._swapping:
            if self._serving is serving:
                self._serving = replace(serving, warm=True)
        log.info("ready after a warm-up of %.2f s", time.perf_counter() - started)
        return True

    @staticmethod
    def _warmed(serving: Serving) -> Serving:
        """A freshly loaded bot, warmed before it is swapped in."""
        serving.bot.warm_up()
        return replace(serving, warm=True)

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """`Bot.answer` of the current bot; `history`: the conversation's earlier questions
        as typed, oldest first."""
        return self.versioned_answer(question, history)[0]

    def versioned_answer(self, question: str, history: Sequence[str] = ()) -> tuple[Answer, str]:
        """`answer`, and the version of the index it came from ("" without one), so that a
        client can tell which version answered while replicas switch."""
        serving = self._serving  # one read: this answer uses one bot from start to end
        if serving is None:
            clean_question(question)  # a caller's bug is still a TypeError
            clean_history(history)
            reply = Answer.saying(UNAVAILABLE, AnswerKind.UNAVAILABLE)
        else:
            reply = serving.bot.answer(question, history)
        for listener in self.answer_listeners:
            listener(reply)
        return reply, serving.version if serving is not None else ""

    def _swap(self, serving: Serving) -> bool:
        """Put a warm bot in service, unless the index link has moved on while it loaded:
        an older version never replaces a newer one (`refresh` loads the newer next)."""
        with self._swapping:
            if link_target(self.index_dir) != serving.version:
                return False
            self._serving = serving
            self._error = ""
            return True

    def refresh(self) -> bool:
        """Serve the index version the link points to now, if it is not the one in service:
        how every replica picks up a version that another process built (`follow`).

        The bot in service answers until the new one has loaded and answered its warm-up
        question, then one assignment swaps them: an answer in flight keeps its bot, so no
        answer mixes versions. Replicas never build: without an index they wait for one.
        False if nothing changed, or the version could not be loaded (logged; the next call
        tries again, e.g. after a build that was still switching).
        """
        version = link_target(self.index_dir)
        current = self._serving
        if not version or self._rebuilding:  # a rebuild here swaps its own
            return False
        if current is not None and current.version == version:
            if not current.warm:  # the warm-up failed (logged): try it again
                self.warm_up()
            return False
        try:
            serving = self._warmed(self._serving_of(read_manifest(self.index_dir).model))
        except (FaqbotError, OSError) as error:  # e.g. removed by a newer build meanwhile
            if current is None:
                self._error = str(error)
            log.warning("index version %s not loaded yet (%s)", version, error)
            return False
        swapped = self._swap(serving)
        if swapped:
            log.info("serving index version %s", serving.version)
        return swapped

    def follow(self, interval: float, stop: threading.Event) -> None:
        """`refresh` every `interval` seconds until `stop` is set (a daemon thread of the
        app): a new version is served within `interval` plus its loading and warm-up."""
        while not stop.wait(interval):
            try:
                self.refresh()
            except Exception:  # a bug must not end the following: log it, keep serving
                log.exception("following the index failed")

    def status(self) -> Status:
        serving = self._serving  # one read: manifest, version and warmth of one load
        status = Status(None, self._error, self._rebuilding, self._progress)
        if serving is None:
            return status
        manifest = serving.bot.content.manifest
        return replace(status, manifest=manifest, version=serving.version, ready=serving.warm)

    def _report(self, progress: BuildProgress) -> None:
        self._progress = progress

    def rebuild(self) -> Manifest:
        """Rebuild from the data directory with the builder and switch to the new index,
        with the chunking and vector settings the index it replaces was built with.

        Builds take turns by the one build lock (`index.build_lock`), with this service's
        other rebuilds and every other thread or process alike: `BuildBusyError` when one
        runs and another waits. The builder runs within the turn (a child process is handed
        it), and so do loading and warming the new bot before it is swapped in. On failure
        the current bot stays in service and the error is raised.
        """
        with build_turn(self.index_dir):
            self._rebuilding, self._progress = True, None
            try:
                model = self._embedder.name if self._embedder else self.model
                chunking, vectors = build_settings(recorded_manifest(self.index_dir))
                manifest = self.builder(
                    self.data_dir, self.index_dir, model, self._report,
                    chunking=chunking, vectors=vectors,
                )  # fmt: skip
                self._report(BuildProgress(Stage.SWITCH))
                self._swap(self._warmed(self._serving_of(manifest.model)))
                return manifest
            finally:
                self._rebuilding, self._progress = False, None
