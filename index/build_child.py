"""Build in a child process with a memory limit, so that a huge or hostile corpus can make
a build fail, never the process that serves answers.

The child runs `python -m index build` (the same code, checks and turn-taking as an
operator's command line) under the limit, set by the child itself before it loads
anything large (`preexec_fn` would be unsafe in the app's threads); its progress lines
are passed on as they come.
"""

import os
import resource
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index import config
from index.errors import FaqbotError
from index.store import Manifest, read_manifest

Progress = Callable[[str], None]


class BuildFailedError(FaqbotError):
    """The build process ended without a new index; the index in use is unchanged."""


@dataclass(frozen=True, slots=True)
class BuildLimits:
    """What a build may use: address space, in bytes."""

    memory_bytes: int = field(default_factory=config.build_memory_bytes)


def _progress_lines(stream: int) -> Iterator[str]:
    """Lines of the child's output as they come; tqdm redraws with carriage returns, so a
    carriage return ends a line too."""
    pending = b""
    while chunk := os.read(stream, 65536):
        pending += chunk
        *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
        for line in lines:
            if line.strip():
                yield line.decode("utf-8", "replace").strip()
    if pending.strip():
        yield pending.decode("utf-8", "replace").strip()


def _failure(returncode: int, tail: deque[str], limits: BuildLimits) -> BuildFailedError:
    errors = [line for line in tail if line.startswith("error:")]
    if errors:
        return BuildFailedError(errors[-1].removeprefix("error:").strip())
    memory = f"{limits.memory_bytes // 2**20} MiB of memory (${config.BUILD_MEMORY_ENV})"
    if any("MemoryError" in line for line in tail):
        return BuildFailedError(f"the build needed more than its {memory}")
    if returncode < 0:  # allocations failing under the limit kill native code by a signal
        name = signal.Signals(-returncode).name
        return BuildFailedError(
            f"the build process was stopped by {name}, most likely for lack of memory: "
            f"it may use {memory}"
        )
    last = tail[-1] if tail else "no output"
    return BuildFailedError(f"the build process ended with code {returncode}: {last}")


def build_in_subprocess(
    data_dir: Path,
    out_dir: Path,
    model: str,
    on_progress: Progress | None = None,
    *,
    limits: BuildLimits | None = None,
) -> Manifest:
    """Run `python -m index build` under `limits`, report its progress lines, and return the
    new manifest; raise `BuildFailedError` with the reason if it ends without one."""
    limits = limits or BuildLimits()

    command = [
        sys.executable, "-m", "index.build_child", str(limits.memory_bytes), "build",
        "--data", str(data_dir.resolve()), "--out", str(out_dir.absolute()), "--model", model,
    ]  # fmt: skip
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    tail: deque[str] = deque(maxlen=20)
    try:
        for line in _progress_lines(child.stdout.fileno()):
            tail.append(line)
            if on_progress is not None:
                on_progress(line)
        returncode = child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    if returncode != 0:
        raise _failure(returncode, tail, limits)
    return read_manifest(out_dir)


def limited_main(argv: list[str]) -> int:
    """`python -m index.build_child BYTES build …`: the command line under a memory limit."""
    memory_bytes, *command = argv
    resource.setrlimit(resource.RLIMIT_AS, (int(memory_bytes), int(memory_bytes)))
    from index.__main__ import main

    return main(command)


if __name__ == "__main__":
    sys.exit(limited_main(sys.argv[1:]))
