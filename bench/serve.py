"""Run `python app.py` on a free local port, for tests and the load benchmark."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc (Linux): `VmRSS` now, `VmHWM` at its peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no {field} for process {pid}")


@dataclass(frozen=True, slots=True)
class Served:
    url: str
    pid: int
    started_seconds: float
    """From starting `python app.py` to the first page served."""


@contextmanager
def serve_app(env: dict[str, str], timeout: float = 120) -> Iterator[Served]:
    """The app on 127.0.0.1 and a free port, with `env` added; stopped on exit."""
    port = free_port()
    full_env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        **env,
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")],
        env=full_env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_served(url, process, timeout)
        yield Served(url, process.pid, time.perf_counter() - started)
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stderr.close()


def _wait_until_served(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"app not served at {url} after {timeout} s")
