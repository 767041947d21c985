"""Replicas behind nginx under load, and what the REST API costs over answering in-process.

    python -m bench.replicas [--clients 20] [--seconds 30]

Measures, in one run over the seed index (default model): requests per second and p50/p95
of `POST /api/answer` through nginx with 1 and with 2 replicas (`replicas.py`), and the
latency of `POST /api/answer` on one replica without nginx against `BotService.answer`
in-process. The test of replicas (`tests/test_replicas.py`) drives the same pieces.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.load import questions
from bench.metrics import latency
from index.settings import child_environment

REPO = Path(__file__).resolve().parents[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count >= 65000:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no consecutive free ports")


def answers(url: str) -> bool:
    """`url` answers 200 (used for readiness)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def replicas_behind_nginx(
    run_dir: Path, environment: dict[str, str], replicas: int, first: int
) -> Iterator[str]:
    """`replicas.py` with `replicas` replicas (ports first+1, …) behind nginx at `first`,
    without a rate limit to speak of (every client here is 127.0.0.1); yields nginx's URL
    once it is ready. The launcher's output is in `run_dir/serve.log`."""
    command = [
        sys.executable, str(REPO / "replicas.py"), "--replicas", str(replicas),
        "--port", str(first), "--first-port", str(first + 1),
        "--rate", "10000", "--burst", "10000",
    ]  # fmt: skip
    log_path = run_dir / "serve.log"
    with log_path.open("w") as log:
        served = subprocess.Popen(command, env=environment, cwd=run_dir, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{first}"
        try:
            deadline = time.monotonic() + 300
            while not answers(f"{url}/api/ready"):
                if served.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"replicas did not start: {log_path.read_text()[-2000:]}")
                time.sleep(1)
            yield url
        finally:
            served.terminate()
            served.wait(60)


@dataclass
class Asked:
    """One answer through the API: the version that answered, the passages cited, when
    the question was sent (monotonic clock), and how long the answer took."""

    version: str
    cited: set[str]
    sent: float
    seconds: float


@dataclass
class Askers:
    """`clients` threads asking `POST /api/answer` at `url` until stopped, one question
    after the other; every non-200 and transport error is recorded as an error."""

    url: str
    clients: int
    asked: Sequence[str]
    results: list[Asked] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def _ask(self, number: int) -> None:
        with httpx.Client(timeout=120) as http:
            while not self.stop.is_set():
                number += 1
                question = self.asked[number % len(self.asked)]
                sent, started = time.monotonic(), time.perf_counter()
                try:
                    reply = http.post(f"{self.url}/api/answer", json={"question": question})
                except httpx.HTTPError as error:
                    self.errors.append(repr(error))
                    continue
                if reply.status_code != 200:
                    self.errors.append(f"{reply.status_code} {reply.text[:200]}")
                    continue
                self.results.append(
                    Asked(
                        reply.headers["X-Index-Version"],
                        {hit["passage_id"] for hit in reply.json()["citations"]},
                        sent,
                        time.perf_counter() - started,
                    )
                )

    def __enter__(self) -> "Askers":
        self.threads = [threading.Thread(target=self._ask, args=(n,)) for n in range(self.clients)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(150)


@dataclass(frozen=True, slots=True)
class Throughput:
    replicas: int
    answered: int
    errors: int
    per_second: float
    p50_ms: float
    p95_ms: float


def through_nginx(
    environment: dict[str, str], replicas: int, clients: int, seconds: float
) -> Throughput:
    with tempfile.TemporaryDirectory() as run:
        first = free_ports(replicas + 1)
        with (
            replicas_behind_nginx(Path(run), environment, replicas, first) as url,
            Askers(url, clients, questions()) as askers,
        ):
            time.sleep(seconds)
    measured = latency([asked.seconds for asked in askers.results])
    return Throughput(
        replicas,
        len(askers.results),
        len(askers.errors),
        len(askers.results) / seconds,
        measured.median_ms,
        measured.p95_ms,
    )


def api_against_in_process(
    environment: dict[str, str], index_dir: Path, rounds: int = 2
) -> tuple[float, float]:
    """Median ms of `POST /api/answer` on one replica (no nginx) and of `BotService.answer`
    in this process, over the seed questions, one question at a time, the two taking turns
    (question by question), so that whatever else the machine does falls on both alike."""
    from bench.serve import serve_app
    from web.service import BotService

    service = BotService(index_dir, REPO / "data")
    service.warm_up()
    over_http, in_process = [], []
    with serve_app(environment) as app, httpx.Client(timeout=60) as http:
        http.post(f"{app.url}api/answer", json={"question": "Was ist NATO?"}).raise_for_status()
        for question in questions() * rounds:
            started = time.perf_counter()
            http.post(f"{app.url}api/answer", json={"question": question}).raise_for_status()
            over_http.append(time.perf_counter() - started)
            started = time.perf_counter()
            service.answer(question)
            in_process.append(time.perf_counter() - started)
    return latency(over_http).median_ms, latency(in_process).median_ms


def replicas_section(clients: int, seconds: float) -> str:
    """The benchmark's section: 1 and 2 replicas through nginx, then the API's overhead."""
    from index import build

    with tempfile.TemporaryDirectory() as work:
        index_dir = Path(work) / "index"
        build(REPO / "data", index_dir)
        environment = child_environment(
            FAQBOT_INDEX_DIR=str(index_dir), FAQBOT_DATA_DIR=str(REPO / "data"),
            FAQBOT_LOG_DIR=str(Path(work) / "logs"), HF_HUB_OFFLINE="1",
        )  # fmt: skip
        runs = [through_nginx(environment, n, clients, seconds) for n in (1, 2)]
        http_ms, in_process_ms = api_against_in_process(environment, index_dir)
    rows = [
        f"| {run.replicas} | {run.answered} | {run.errors} | {run.per_second:.1f} "
        f"| {run.p50_ms:.0f} ms | {run.p95_ms:.0f} ms |"
        for run in runs
    ]
    return "\n".join(
        [
            f"{clients} clients ask `POST /api/answer` through nginx for {seconds:.0f} s each "
            "(seed index, default model, one run):",
            "",
            "| replicas | answered | errors | per second | p50 | p95 |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"2 replicas answer {runs[1].per_second / runs[0].per_second:.2f}× the questions "
            "per second of one. `POST /api/answer` on one replica, one question at a time: "
            f"median {http_ms:.1f} ms, against {in_process_ms:.1f} ms for "
            "`BotService.answer` in-process (same questions, same run).",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args(argv)
    print(replicas_section(arguments.clients, arguments.seconds))


if __name__ == "__main__":
    main()
