"""Read the files whose parsers can blow up in a child process with its own limits on
memory, time and output, so that a file no cap foresaw costs the build that file, never the
build itself (nor the app a rebuild runs beside).

PDF, Word and web pages are parsed by large libraries (pdfminer, python-docx and lxml,
trafilatura) from structures that the file only describes: compressed streams, zipped XML,
markup of any shape. The caps of `index.limits` refuse every bomb found so far before it is
inflated, but the next one may lie where no cap looks; in the reading process it can take
at most `ReadLimits` and is then skipped with the reason, and the build goes on with the
next file. Text, Markdown, CSV, JSONL and HTML files stay in the build's process: they are
read as they are, nothing in them is inflated, and the caps on bytes and parts bound them
(`limits.MAX_FILE_BYTES`, `limits.MAX_FILE_PARTS`), so a corpus of them pays nothing.

One process reads file after file for a build (`ReadingWorker`): it is started when the
first file that needs it comes (its imports take a second or more), and again after a file
killed it. It applies the parent's `index.limits` to each file, so that a cap lowered in
the parent (as tests do) holds there too. It sets its own memory limit, as
`index.build_child` does (`preexec_fn` is unsafe in the app's threads).

The reading process runs faqbot's own code with the build's user and rights: it limits what
a file may cost, it is no sandbox. Jobs and results travel pickled over its pipes, each
preceded by its length.
"""

import contextlib
import ctypes
import logging
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar

from index import limits
from index.documents import FileProblem, described
from index.settings import (
    DEFAULT_READ_MEMORY_MB,
    DEFAULT_READ_OUTPUT_MB,
    DEFAULT_READ_SECONDS,
    READ_MEMORY_ENV,
    READ_OUTPUT_ENV,
    READ_SECONDS_ENV,
    Settings,
    reading_environment,
)

T = TypeVar("T")

START_SECONDS = 120.0
"""The reading process may take 2 minutes to start: its imports take 1 to 1.5 s on two
cores, many times that on a machine busy with a build's embedding or other processes."""

STOP_SECONDS = 5.0
"""A reading process asked to end (its input closed) has 5 s to do so: it ends at once
unless it is still in a file, where only a kill stops it."""
_CHILD = "import sys; from index.reading import worker_main; sys.exit(worker_main(sys.argv[1:]))"
"""The reading process's program: `worker_main` of this module as imported (with `-m`, its
classes would be `__main__`'s, and their pickles unknown to the build)."""
_LENGTH = struct.Struct(">Q")
_READY = b"ready"


class Runner(Protocol):
    """Runs a reader (`index.formats`) on its arguments: in this process, or in the
    reading process; a file it cannot read is a `FileProblem`."""

    def __call__(self, function: Callable[..., T], /, *args: Any) -> T: ...


def in_process(function: Callable[..., T], /, *args: Any) -> T:
    return function(*args)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What reading one file (or one web page) may take: address space in bytes, seconds,
    and bytes of documents handed back."""

    memory_bytes: int = DEFAULT_READ_MEMORY_MB * 2**20
    seconds: float = DEFAULT_READ_SECONDS
    output_bytes: int = DEFAULT_READ_OUTPUT_MB * 10**6

    @classmethod
    def of(cls, settings: Settings) -> "ReadLimits":
        """The limits `settings` set (`$FAQBOT_READ_MEMORY_MB`, `$FAQBOT_READ_SECONDS`,
        `$FAQBOT_READ_OUTPUT_MB`)."""
        return cls(
            settings.read_memory_mb * 2**20, settings.read_seconds, settings.read_output_mb * 10**6
        )

    def memory(self) -> str:
        return f"{self.memory_bytes // 2**20:,} MiB of memory (${READ_MEMORY_ENV})"


@dataclass(frozen=True, slots=True)
class _Job:
    """One call for the reading process: a module-level function (pickled by its name) and
    its arguments, with the caps of `index.limits` as the build has them."""

    function: Callable[..., object]
    args: tuple[object, ...]
    caps: dict[str, object]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the call gave back, or the reason the file is not read (`FileProblem`)."""

    value: object = None
    reason: str = ""
    line: int | None = None
    memory_spent: bool = False
    """The call ran out of memory: the process ends after reporting it, to give it back."""


class _Stopped(Exception):
    """The reading process was stopped, or stopped answering: the file is skipped for
    `reason`, and the process is started anew for the next one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _current_caps() -> dict[str, object]:
    return {name: value for name, value in vars(limits).items() if name.isupper()}


# ---------------------------------------------------------------- the build's side


class ReadingWorker:
    """The reading process of one build, started on the first call of `run` and after a
    file stopped it; use it as a context manager, which ends it."""

    def __init__(self, read_limits: ReadLimits) -> None:
        self.limits = read_limits
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "ReadingWorker":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, function: Callable[..., T], /, *args: Any) -> T:
        """`function(*args)` in the reading process. A `FileProblem` it raises, any other
        error, and a limit passed (memory, time, output) come back as a `FileProblem` with
        the reason; the process is started anew for the next call if it was stopped."""
        job = pickle.dumps(_Job(function, args, _current_caps()), pickle.HIGHEST_PROTOCOL)
        try:
            process = self._started()
            deadline = time.monotonic() + self.limits.seconds
            _send(process, job)
            outcome = self._outcome(process, deadline)
        except _Stopped as stopped:
            self._kill()
            raise FileProblem(stopped.reason) from None
        if outcome.memory_spent:
            self.close()
        if outcome.reason:
            raise FileProblem(outcome.reason, outcome.line)
        return outcome.value  # type: ignore[return-value]

    def close(self) -> None:
        """End the reading process: asked to, by closing its input (it reads no further
        job), killed if it does not end within `STOP_SECONDS`."""
        process = self._process
        if process is None:
            return
        process.stdin.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
        self._kill()

    def _kill(self) -> None:
        """End the reading process at once: it passed a limit, or is stuck in a file."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            stream.close()  # type: ignore[union-attr]

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._kill()  # ended after its last answer: it spent its memory
        command = [sys.executable, "-c", _CHILD, str(self.limits.memory_bytes), str(os.getpid())]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=reading_environment(),
        )
        try:
            ready = _read_exactly(self._process, len(_READY), time.monotonic() + START_SECONDS)
        except TimeoutError:
            raise _Stopped(
                f"the reading process did not start within {START_SECONDS:g} s"
            ) from None
        except EOFError:
            raise _Stopped(self._ended(self._process)) from None
        if ready != _READY:
            raise _Stopped("the reading process did not start: it wrote something else first")
        return self._process

    def _outcome(self, process: subprocess.Popen[bytes], deadline: float) -> _Outcome:
        """The process's answer to the job just sent, within `deadline` and the limit on
        output; `_Stopped` otherwise."""
        try:
            (size,) = _LENGTH.unpack(_read_exactly(process, _LENGTH.size, deadline))
            if size > self.limits.output_bytes:
                raise _Stopped(
                    f"reading it gave {size / 1e6:,.1f} MB of documents, more than the "
                    f"{self.limits.output_bytes / 1e6:,.0f} MB allowed (${READ_OUTPUT_ENV}); "
                    "split the file"
                )
            return pickle.loads(_read_exactly(process, size, deadline))
        except TimeoutError:
            raise _Stopped(
                f"reading took longer than {self.limits.seconds:g} s (${READ_SECONDS_ENV})"
            ) from None
        except EOFError:
            raise _Stopped(self._ended(process)) from None

    def _ended(self, process: subprocess.Popen[bytes]) -> str:
        """Why the process ended without an answer."""
        returncode = process.wait()
        if returncode < 0:  # allocations failing under the limit kill native code by a signal
            return (
                f"the reading process was stopped by {signal.Signals(-returncode).name}, most "
                f"likely for lack of memory: it may use {self.limits.memory()}"
            )
        return f"the reading process ended with code {returncode}"


def _send(process: subprocess.Popen[bytes], payload: bytes) -> None:
    try:
        process.stdin.write(_LENGTH.pack(len(payload)) + payload)  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
    except BrokenPipeError:  # it ended after its last answer (spent memory, a signal)
        raise EOFError from None


def _read_exactly(process: subprocess.Popen[bytes], size: int, deadline: float) -> bytes:
    """`size` bytes of the process's output, by `deadline` (`TimeoutError`), or
    `EOFError` if it ends before."""
    stream = process.stdout.fileno()  # type: ignore[union-attr]
    chunks: list[bytes] = []
    missing = size
    while missing:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(stream, min(missing, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- the reading process


def _outcome_of(job: _Job, memory: str) -> tuple[bytes, bool]:
    """The job done, its outcome pickled, and whether memory ran out: a file's problem or
    any error becomes the reason it is skipped, as `index.corpus.load_file` gives it in the
    build's process."""
    for name, value in job.caps.items():
        setattr(limits, name, value)
    try:
        return pickle.dumps(_Outcome(job.function(*job.args)), pickle.HIGHEST_PROTOCOL), False
    except FileProblem as problem:
        outcome = _Outcome(reason=problem.reason, line=problem.line)
    except MemoryError:
        outcome = _Outcome(reason=f"reading needed more than {memory}", memory_spent=True)
    except Exception as error:  # a parser's bug or limit on hostile input: this file only
        outcome = _Outcome(reason=f"could not be read ({described(error)})")
    return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL), outcome.memory_spent


def _limit_memory(memory_bytes: int) -> None:
    """The address-space limit, never above one this process was started under (a
    rebuild's child has its own, `index.build_child`)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_PR_SET_PDEATHSIG = 1


def _end_with_the_build(build: int) -> None:
    """Have the kernel kill this process when the build that started it ends: a build
    killed while a file is read (by a signal, or its own memory limit) cannot stop a reading
    stuck in the file, which would otherwise go on for ever."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != build:  # it ended before the request was made
        os._exit(0)


def worker_main(argv: list[str]) -> int:
    """The reading process (`argv`: its address-space limit in bytes, the build's process
    id): read jobs from standard input and answer each on standard output, until the input
    ends."""
    memory_bytes, build = int(argv[0]), int(argv[1])
    _end_with_the_build(build)
    _limit_memory(memory_bytes)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    memory = ReadLimits(memory_bytes=memory_bytes).memory()
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what a library prints goes to the build's errors, not into an answer
    jobs = sys.stdin.buffer
    answers.write(_READY)
    answers.flush()
    while header := jobs.read(_LENGTH.size):
        (size,) = _LENGTH.unpack(header)
        job = pickle.loads(jobs.read(size))
        answer, memory_spent = _outcome_of(job, memory)
        answers.write(_LENGTH.pack(len(answer)) + answer)
        answers.flush()
        if memory_spent:
            break
    return 0
