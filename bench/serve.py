"""Run `python app.py` on a free local port, and speak Gradio's queue protocol to it, as
its own page does: for tests and the load benchmark."""

import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.settings import child_environment

if TYPE_CHECKING:
    import httpx

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
    log: Path
    """What the app wrote to stdout and stderr (the operator's log)."""


@contextmanager
def serve_app(
    env: dict[str, str], timeout: float = 120, open_files: int | None = None
) -> Iterator[Served]:
    """The app on 127.0.0.1 and a free port, with `env` added; stopped on exit. `open_files`:
    the most files it may open (soft and hard RLIMIT_NOFILE), as a service is limited."""
    port = free_port()
    full_env = child_environment(
        GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), **env
    )
    started = time.perf_counter()
    # A file, not a pipe: a pipe nobody reads fills up and stops the app mid-write.
    with tempfile.TemporaryDirectory() as logs:
        log = Path(logs) / "app.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, str(REPO / "app.py")],
                env=full_env,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=None if open_files is None else partial(_limit_files, open_files),
            )
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_until_served(url, process, log, timeout)
            yield Served(url, process.pid, time.perf_counter() - started, log)
        finally:
            process.terminate()
            process.wait(timeout=20)


def _limit_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def _wait_until_served(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"app not served at {url} after {timeout} s")


def queue_join(
    http: "httpx.Client",
    app_url: str,
    fn_index: int,
    data: list[Any],
    session: str,
    event_data: Any = None,
) -> "httpx.Response":
    """Send one event to Gradio's queue as the page does (any event, by its number)."""
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data}
    return http.post(f"{app_url}gradio_api/queue/join", json=body)


def queue_call(
    http: "httpx.Client",
    app_url: str,
    fn_index: int,
    data: list[Any],
    session: str,
    event_data: Any = None,
) -> list[Any]:
    """Send one event and return its output, read from the session's event stream."""
    joined = queue_join(http, app_url, fn_index, data, session, event_data)
    joined.raise_for_status()
    return event_output(http, app_url, session, joined.json()["event_id"])


def event_output(
    http: "httpx.Client", app_url: str, session: str, event_id: str, deadline: float = 120
) -> list[Any]:
    """The output of an event joined earlier, read from its session's event stream.

    Gradio keeps one message queue per session and a stream that is closed while one of
    the session's events still runs lingers on the server and takes the next messages: a
    client waits for every event it joins before it joins the next. Heartbeats keep a
    stream open for ever, so a message that never comes fails after `deadline` seconds
    instead of hanging.
    """
    give_up = time.monotonic() + deadline
    url = f"{app_url}gradio_api/queue/data"
    with http.stream("GET", url, params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if time.monotonic() > give_up:
                raise TimeoutError(f"event {event_id} not completed after {deadline} s")
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                continue
            if not message.get("success"):
                raise RuntimeError(f"event {event_id} failed: {message.get('output')}")
            return message["output"]["data"]
    raise RuntimeError(f"the stream ended before event {event_id} completed")


def chat_turn(
    http: "httpx.Client", app_url: str, question: str, session: str
) -> tuple[list[Any], list[Any]]:
    """One question as the chat page asks it: `ask` shows it at once, then `respond`
    answers it in the session's conversation (the page chains the two). Returns both
    events' outputs, the chat as its messages."""
    events = event_numbers(http, app_url)
    shown = queue_call(http, app_url, events["ask"], [question, None], session)
    answered = queue_call(http, app_url, events["respond"], [None, None], session)
    return [chat_messages(shown[0]), *shown[1:]], [chat_messages(answered[0]), *answered[1:]]


def chat_messages(output: Any) -> Any:
    """The chat's messages in an event's output: the page sends the Chatbot as an update
    of its messages (`value`) and the votes under them."""
    return output["value"] if isinstance(output, dict) else output


def event_numbers(http: "httpx.Client", app_url: str) -> dict[str, int]:
    """The page's events (`fn_index` numbers) by their API name, as listed in /config."""
    config = http.get(f"{app_url}config").json()
    return {
        dependency.get("api_name") or f"#{dependency['id']}": dependency["id"]
        for dependency in config["dependencies"]
    }
