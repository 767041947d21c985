"""Build in a child process with a memory limit, so that a huge or hostile corpus can make
a build fail, never the process that serves answers.

The child runs the build of `python -m index build` (the same arguments, code and checks
as an operator's command line) under the limit, set by the child itself before it loads
anything large (`preexec_fn` would be unsafe in the app's threads). It reports its progress
as `BuildProgress` events, one marked JSON line each (`index.progress`), passed on as they
come; its other output (warnings, the summary) is kept only for the reason of a failure,
never shown as progress. Its end is one JSON object (`ChildResult`)
written to a file the parent hands it: the new manifest, or the error's type and message,
which the parent raises again as that `FaqbotError`. A child that leaves no result was
killed (the kernel's limit, a signal): `BuildFailedError` says so and names the limit.

If the caller holds the build turn (`index.build_lock`; `BotService.rebuild` does), the
child is handed it with the lock's descriptor rather than waiting for its own parent.
"""

import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.build_lock import NOT_HELD, handing, taking_over
from index.errors import FaqbotError
from index.passages import ChunkSettings
from index.progress import BuildProgress, ProgressReport
from index.settings import BUILD_MEMORY_ENV, DEFAULT_BUILD_MEMORY_MB, Settings
from index.store import Manifest, read_manifest
from index.vectors import VectorSettings


class BuildFailedError(FaqbotError):
    """The build process ended without a new index; the index in use is unchanged."""


@dataclass(frozen=True, slots=True)
class BuildLimits:
    """What a build may use: address space, in bytes."""

    memory_bytes: int = DEFAULT_BUILD_MEMORY_MB * 2**20

    @classmethod
    def of(cls, settings: Settings) -> "BuildLimits":
        """The limits `settings` set (`$FAQBOT_BUILD_MEMORY_MB`)."""
        return cls(settings.build_memory_bytes)


def _output_lines(stream: int) -> Iterator[str]:
    """Lines of the child's output as they come; a carriage return (a progress bar's
    redraw) ends a line too."""
    pending = b""
    while chunk := os.read(stream, 65536):
        pending += chunk
        *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
        for line in lines:
            if line.strip():
                yield line.decode("utf-8", "replace").strip()
    if pending.strip():
        yield pending.decode("utf-8", "replace").strip()


@dataclass(frozen=True, slots=True)
class ChildResult:
    """How the child's build ended, as it reports it: the new manifest, or the error it
    raised, by type and message."""

    manifest: Manifest | None = None
    error_type: str = ""
    """The error's class as `module.QualifiedName`, e.g. `index.errors.NoPassagesError`."""
    message: str = ""
    plain: bool = False
    """A `ValueError` or `OSError`: its message says it all (the command line prints it alone)."""

    def to_json(self) -> str:
        if self.manifest is not None:
            return json.dumps({"ok": True, "manifest": self.manifest.to_json()})
        body = {
            "ok": False, "error_type": self.error_type, "message": self.message,
            "plain": self.plain,
        }  # fmt: skip
        return json.dumps(body, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ChildResult":
        data = json.loads(text)
        if data["ok"]:
            return cls(Manifest.from_json(data["manifest"]))
        return cls(None, str(data["error_type"]), str(data["message"]), data["plain"] is True)

    @classmethod
    def of_error(cls, error: Exception) -> "ChildResult":
        kind = type(error)
        plain = isinstance(error, ValueError | OSError)
        return cls(None, f"{kind.__module__}.{kind.__qualname__}", str(error), plain)

    def error(self, limits: BuildLimits) -> FaqbotError:
        """The child's error as the parent raises it: the same `FaqbotError` class, a
        `BuildFailedError` for anything else (one that names the memory limit for a
        `MemoryError`)."""
        if self.error_type == "builtins.MemoryError":
            return BuildFailedError(f"the build needed more than its {_memory(limits)}")
        faqbot_error = _faqbot_errors().get(self.error_type)
        if faqbot_error is not None:
            return faqbot_error(self.message)
        if self.plain:  # what the command line reports in one line, without the type
            return BuildFailedError(self.message)
        return BuildFailedError(f"{self.error_type.rpartition('.')[2]}: {self.message}")


def _faqbot_errors() -> dict[str, type[FaqbotError]]:
    """Every `FaqbotError` class by `module.QualifiedName` (the build's modules are loaded
    with `index`)."""
    found: dict[str, type[FaqbotError]] = {}
    pending = [FaqbotError]
    while pending:
        kind = pending.pop()
        found[f"{kind.__module__}.{kind.__qualname__}"] = kind
        pending.extend(kind.__subclasses__())
    return found


def _memory(limits: BuildLimits) -> str:
    return f"{limits.memory_bytes // 2**20} MiB of memory (${BUILD_MEMORY_ENV})"


def _killed(returncode: int, tail: deque[str], limits: BuildLimits) -> BuildFailedError:
    """Why a child that left no result ended."""
    if returncode < 0:  # allocations failing under the limit kill native code by a signal
        name = signal.Signals(-returncode).name
        return BuildFailedError(
            f"the build process was stopped by {name}, most likely for lack of memory: "
            f"it may use {_memory(limits)}"
        )
    last = tail[-1] if tail else "no output"
    return BuildFailedError(f"the build process ended with code {returncode}: {last}")


def child_command(
    data_dir: Path,
    out_dir: Path,
    model: str,
    limits: BuildLimits,
    chunking: ChunkSettings | None = None,
    vectors: VectorSettings | None = None,
    *,
    result_fd: int,
    turn: str = NOT_HELD,
) -> list[str]:
    """The child's command line: unbuffered (`-u`), so that progress comes as it is made;
    it writes its `ChildResult` to the descriptor `result_fd`, and builds within the turn
    `turn` (`index.build_lock.handing`). Settings not given are left to the child, which
    keeps those of the index it replaces."""
    command = [
        sys.executable, "-u", "-m", "index.build_child", str(limits.memory_bytes),
        str(result_fd), turn, "build",
        "--data", str(data_dir.resolve()), "--out", str(out_dir.absolute()), "--model", model,
    ]  # fmt: skip
    if chunking is not None:
        command += ["--max-chars", str(chunking.max_chars)]
        command += ["--overlap", str(chunking.overlap_sentences)]
    if vectors is not None:
        command += ["--approximate-above", str(vectors.approximate_above)]
    return command


def build_in_subprocess(
    data_dir: Path,
    out_dir: Path,
    model: str,
    on_progress: ProgressReport | None = None,
    *,
    limits: BuildLimits | None = None,
    chunking: ChunkSettings | None = None,
    vectors: VectorSettings | None = None,
) -> Manifest:
    """Run `python -m index build` under `limits` (default: `BuildLimits()`) with `chunking`
    and `vectors` (default: those the index at `out_dir` was built with), report its
    progress events, and return the new manifest. The child's error is raised as its own
    `FaqbotError` class with its message; a child killed on its limits, or ending without a
    result, raises `BuildFailedError` with the reason. Within a build turn this thread holds
    for `out_dir`, the child builds in that turn."""
    limits = limits or BuildLimits()
    turn, turn_fds = handing(out_dir)
    with tempfile.TemporaryFile() as result:
        command = child_command(
            data_dir, out_dir, model, limits, chunking, vectors,
            result_fd=result.fileno(), turn=turn,
        )  # fmt: skip
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(result.fileno(), *turn_fds),
        )
        tail: deque[str] = deque(maxlen=20)
        try:
            for line in _output_lines(child.stdout.fileno()):
                event = BuildProgress.from_line(line)
                if event is None:
                    tail.append(line)
                elif on_progress is not None:
                    on_progress(event)
            returncode = child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        result.seek(0)
        reported = result.read().decode("utf-8", "replace")
    try:
        outcome = ChildResult.from_json(reported)
    except (ValueError, KeyError, TypeError, FaqbotError):  # none, or cut short by a kill
        raise _killed(returncode, tail, limits) from None
    if outcome.manifest is None:
        raise outcome.error(limits)
    return outcome.manifest


def _child_build(command: list[str], handed: str) -> ChildResult:
    """The build of `python -m index build` (`command`), within the turn `handed`."""
    from index.__main__ import parser, run_build

    args = parser().parse_args(command)
    settings = Settings()
    out = args.out or settings.index_dir
    with taking_over(out, handed):
        run_build(args, settings, on_progress=lambda event: print(event.to_line(), flush=True))
        return ChildResult(read_manifest(out))


def limited_main(argv: list[str]) -> int:
    """`python -m index.build_child BYTES RESULT_FD TURN build …`: the command line under a
    memory limit, its end written to RESULT_FD as one `ChildResult`."""
    memory_bytes, result_fd, handed, *command = argv
    resource.setrlimit(resource.RLIMIT_AS, (int(memory_bytes), int(memory_bytes)))
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    with open(int(result_fd), "w", encoding="utf-8") as report:
        try:
            outcome = _child_build(command, handed)
        except Exception as error:  # reported to the parent, which raises it again
            outcome = ChildResult.of_error(error)
            if not isinstance(error, (FaqbotError, ValueError, OSError, MemoryError)):
                traceback.print_exc()  # a bug: its traceback in the progress stream
            print(f"error: {error}", file=sys.stderr)
        report.write(outcome.to_json())
    return 0 if outcome.manifest is not None else 1


if __name__ == "__main__":
    sys.exit(limited_main(sys.argv[1:]))
