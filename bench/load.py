"""`python -m bench.load`: many concurrent clients through the Gradio API, on 127.0.0.1 only.

Starts the app over a fresh index of the default corpus, runs `--clients` threads that
each ask questions through Gradio's REST API (`/gradio_api/call/answer`, on a kept-alive
connection; `gradio_client` itself costs the load generator ~70 ms of CPU a call, which
would measure the client, not the app) for `--seconds` (bounded: it also stops after
`--max-questions`), and reports errors, throughput, latency and the server's memory.

With `--flood`, the same load runs twice in one app: alone, then while an anonymous
client floods every operator event, the operator login and the upload endpoint; all of
those must be refused, and the legitimate clients must keep getting answers.
"""

import argparse
import itertools
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.metrics import latency
from bench.serve import REPO, memory_mib, queue_join, serve_app
from index import build
from index.embedding import load_embedder
from index.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    import httpx

QUESTIONS = REPO / "tests" / "data" / "seed_questions.json"


@dataclass
class LoadResult:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    memory_samples: list[tuple[int, float]] = field(default_factory=list)
    """(questions answered so far, server RSS) samples."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def asked(self) -> int:
        return len(self.seconds) + len(self.errors)


def questions() -> list[str]:
    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    return [item["question"] for item in data["in_scope"]] + data["out_of_scope"]


def ask_over_http(
    http: "httpx.Client", url: str, question: str, session: str, deadline: float = 120
) -> dict:
    """One question through Gradio's REST API: post it, then read the event stream.

    A client keeps its session, as `gradio_client` and browsers do; without one, Gradio
    opens (and keeps, up to its `state_session_capacity`) a new session per request.
    """
    posted = http.post(
        f"{url}gradio_api/call/answer", json={"data": [question, None], "session_hash": session}
    )
    posted.raise_for_status()
    event, data = "", ""
    give_up = time.monotonic() + deadline  # heartbeats would keep a lost event open for ever
    with http.stream("GET", f"{url}gradio_api/call/answer/{posted.json()['event_id']}") as stream:
        stream.raise_for_status()
        for line in stream.iter_lines():
            if time.monotonic() > give_up:
                raise TimeoutError(f"no answer to {question!r} after {deadline} s")
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = line.removeprefix("data:").strip()
    if event != "complete":
        raise RuntimeError(f"event {event!r}: {data[:200]}")
    (reply,) = json.loads(data)
    if not reply.get("text"):
        raise ValueError(f"empty answer to {question!r}")
    return reply


def client_loop(url: str, stop: threading.Event, result: LoadResult, offset: int) -> None:
    """One client: a kept-alive HTTP connection, one question after the other."""
    import httpx

    asked = questions()
    session = uuid.uuid4().hex
    with httpx.Client(timeout=60) as http:
        for question in itertools.islice(itertools.cycle(asked), offset, None):
            if stop.is_set():
                return
            started = time.perf_counter()
            try:
                ask_over_http(http, url, question, session)
                with result.lock:
                    result.seconds.append(time.perf_counter() - started)
            except Exception as error:  # every failure counts, whatever its kind
                with result.lock:
                    result.errors.append(f"{type(error).__name__}: {error}")


@dataclass
class FloodResult:
    """What the flooding client got back, by HTTP status; any success is a breach."""

    statuses: dict[int, int] = field(default_factory=dict)
    """HTTP status → count; 0 counts connections the server closed."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def admitted(self) -> int:
        return sum(n for status, n in self.statuses.items() if 0 < status < 400)


OPERATOR_EVENTS = range(8)
"""More event numbers than the operators' page has: every one of them is tried."""


def flood_loop(url: str, stop: threading.Event, result: FloodResult) -> None:
    """An anonymous client sending operator events, logins and uploads as fast as it can."""
    import httpx

    upload = b"\0" * 1_000_000
    attacks = [
        *(
            lambda http, n=n: queue_join(http, f"{url}admin/", n, [], "flood")
            for n in OPERATOR_EVENTS
        ),
        lambda http: http.post(
            f"{url}admin/login", data={"username": "admin", "password": "x" * 16}
        ),
        lambda http: http.post(f"{url}gradio_api/upload", content=upload),
        lambda http: http.get(f"{url}admin/config"),
    ]
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            for attack in attacks:
                try:
                    status = attack(http).status_code
                except httpx.TransportError:  # the server closed the connection: refused
                    status = 0
                with result.lock:
                    result.statuses[status] = result.statuses.get(status, 0) + 1


def run_load(
    url: str,
    pid: int,
    clients: int,
    seconds: float,
    max_questions: int,
    flood: FloodResult | None = None,
) -> LoadResult:
    """`clients` asking for `seconds`; with `flood`, an attacker floods meanwhile."""
    result = LoadResult()
    stop = threading.Event()
    threads = [
        threading.Thread(target=client_loop, args=(url, stop, result, n), daemon=True)
        for n in range(clients)
    ]
    if flood is not None:
        threads.append(threading.Thread(target=flood_loop, args=(url, stop, flood), daemon=True))
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and result.asked < max_questions:
        time.sleep(0.5)
        result.memory_samples.append((result.asked, memory_mib(pid)))
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return result


def flood_report(alone: LoadResult, flooded: LoadResult, flood: FloodResult) -> str:
    """Latency of the same load alone and under the flood, and what the flood got back."""
    quiet, loud = latency(alone.seconds), latency(flooded.seconds)
    statuses = ", ".join(f"{n} × {status}" for status, n in sorted(flood.statuses.items()))
    return "\n".join(
        [
            "| load | questions | errors | median | p95 |",
            "|---|---|---|---|---|",
            f"| alone | {alone.asked} | {len(alone.errors)} | {quiet.median_ms:.1f} ms "
            f"| {quiet.p95_ms:.1f} ms |",
            f"| while flooded | {flooded.asked} | {len(flooded.errors)} | "
            f"{loud.median_ms:.1f} ms | {loud.p95_ms:.1f} ms |",
            "",
            f"p95 under the flood: {loud.p95_ms / quiet.p95_ms:.2f}× the p95 alone "
            f"(target ≤ 2×). The flood sent {flood.sent} requests ({statuses}); "
            f"admitted: {flood.admitted}.",
        ]
    )


def report(result: LoadResult, clients: int, seconds: float) -> str:
    measured = latency(result.seconds) if result.seconds else None
    warm = next((mib for asked, mib in result.memory_samples if asked >= 1000), None)
    final = result.memory_samples[-1][1] if result.memory_samples else float("nan")
    lines = [
        "| clients | questions | errors | per second | median | p95 "
        "| server RSS after 1,000 → end |",
        "|---|---|---|---|---|---|---|",
        f"| {clients} | {result.asked} | {len(result.errors)} | {result.asked / seconds:.0f} | "
        + (f"{measured.median_ms:.1f} ms | {measured.p95_ms:.1f} ms | " if measured else "– | – | ")
        + (f"{warm:.0f} → {final:.0f} MiB |" if warm is not None else f"– → {final:.0f} MiB |"),
    ]
    if result.errors:
        lines.append(f"\nFirst errors: {result.errors[:3]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-questions", type=int, default=20_000)
    parser.add_argument(
        "--flood", action="store_true", help="run the load alone, then under an anonymous flood"
    )
    args = parser.parse_args(argv)
    if args.flood:
        return flood_main(args.clients, args.seconds)
    with tempfile.TemporaryDirectory() as workdir:
        index_dir = Path(workdir) / "index"
        build(REPO / "data", index_dir, embedder=load_embedder(DEFAULT_MODEL))
        env = {"FAQBOT_INDEX_DIR": str(index_dir), "FAQBOT_LOG_DIR": str(Path(workdir) / "logs")}
        with serve_app(env) as app:
            started = time.monotonic()
            result = run_load(app.url, app.pid, args.clients, args.seconds, args.max_questions)
            elapsed = time.monotonic() - started
    print(report(result, args.clients, elapsed))
    return 1 if result.errors else 0


def flooded_run(
    clients: int, seconds: float, flood_seconds: float
) -> tuple[LoadResult, LoadResult, FloodResult]:
    """One app with an operator password: the load alone, then the same load flooded."""
    with tempfile.TemporaryDirectory() as workdir:
        index_dir = Path(workdir) / "index"
        build(REPO / "data", index_dir, embedder=load_embedder(DEFAULT_MODEL))
        env = {
            "FAQBOT_INDEX_DIR": str(index_dir),
            "FAQBOT_LOG_DIR": str(Path(workdir) / "logs"),
            "FAQBOT_ADMIN_PASSWORD": uuid.uuid4().hex,
        }
        with serve_app(env) as app:
            run_load(app.url, app.pid, clients, 3, 1_000)  # warm-up, not counted
            alone = run_load(app.url, app.pid, clients, seconds, 1_000_000)
            flood = FloodResult()
            flooded = run_load(app.url, app.pid, clients, flood_seconds, 1_000_000, flood)
    return alone, flooded, flood


def flood_main(clients: int, seconds: float) -> int:
    alone, flooded, flood = flooded_run(clients, seconds, seconds)
    print(flood_report(alone, flooded, flood))
    return 1 if alone.errors or flooded.errors or flood.admitted else 0


if __name__ == "__main__":
    raise SystemExit(main())
