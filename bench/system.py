"""Build throughput, peak memory of the build and of the app, and the app's cold start."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.serve import memory_mib, serve_app
from bench.xquad import XQuad


@dataclass(frozen=True, slots=True)
class BuildCost:
    passages: int
    texts_embedded: int
    seconds: float
    """Wall time of `python -m index build`, interpreter and model start included."""
    build_seconds: float
    """The build itself, as the manifest records it."""
    stage_seconds: dict[str, float]
    peak_rss_mib: float


def cli_build_cost(xquad: XQuad, workdir: Path, model: str) -> BuildCost:
    """`python -m index build --model MODEL` on XQuAD-de from scratch, in its own process."""
    data, out = workdir / "cli-data", workdir / f"cli-index-{model}"
    xquad.write_jsonl(data)
    command = [sys.executable, "-m", "index", "build", "--data", str(data), "--out", str(out),
               "--model", model]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with {process.returncode}")
    manifest = json.loads((out / "manifest.json").read_text())
    return BuildCost(
        passages=manifest["passages"],
        texts_embedded=manifest["embedded"],
        seconds=seconds,
        build_seconds=manifest["build_seconds"],
        stage_seconds=manifest["stage_seconds"],
        peak_rss_mib=usage.ru_maxrss / 1024,
    )


@dataclass(frozen=True, slots=True)
class AppCost:
    cold_start_seconds: list[float]
    first_answers_seconds: list[float]
    """Eight questions sent at once as soon as a just-started app serves its page."""
    peak_rss_mib: float
    """Highest resident memory of the app process after serving `questions` answers."""
    questions: int


def _first_answers(url: str, questions: list[str]) -> list[float]:
    import httpx

    from bench.load import ask_over_http

    def ask(number: int) -> float:
        started = time.perf_counter()
        with httpx.Client(timeout=60) as http:
            ask_over_http(http, url, questions[number], session=f"first-{number}")
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=FIRST_QUESTIONS) as pool:
        return list(pool.map(ask, range(FIRST_QUESTIONS)))


FIRST_QUESTIONS = 8


def app_cost(index_dir: Path, workdir: Path, starts: int, questions: list[str]) -> AppCost:
    """Cold starts of `python app.py` (to the first page served), eight concurrent first
    questions right after each start, then the app's peak memory."""
    import httpx

    from bench.load import ask_over_http

    env = {"FAQBOT_INDEX_DIR": str(index_dir), "FAQBOT_LOG_DIR": str(workdir / "logs")}
    cold, first = [], []
    for attempt in range(starts):
        with serve_app(env) as app:
            cold.append(app.started_seconds)
            first.extend(_first_answers(app.url, questions))
            if attempt == starts - 1:
                with httpx.Client(timeout=60) as http:
                    for question in questions:
                        ask_over_http(http, app.url, question, session="bench")
                peak = memory_mib(app.pid, "VmHWM")
    return AppCost(cold, first, peak, len(questions))


def system_table(builds: dict[str, BuildCost], app: AppCost) -> str:
    rows = ["| measure | result |", "|---|---|"]
    for model, build in builds.items():
        stages = ", ".join(
            f"{stage} {seconds:.1f} s" for stage, seconds in build.stage_seconds.items()
        )
        rows += [
            f"| `python -m index build --model {model}`, XQuAD-de from scratch "
            f"({build.passages} passages, {build.texts_embedded} texts embedded) "
            f"| {build.seconds:.1f} s wall; build {build.build_seconds:.1f} s: {stages} |",
            f"| peak RSS of that build | {build.peak_rss_mib:.0f} MiB |",
        ]
    first = app.first_answers_seconds
    rows += [
        f"| peak RSS of the running app after {app.questions} answers | "
        f"{app.peak_rss_mib:.0f} MiB |",
        f"| cold start: `python app.py` to the first page served "
        f"(median of {len(app.cold_start_seconds)}) | {median(app.cold_start_seconds):.1f} s |",
        f"| {FIRST_QUESTIONS} concurrent first questions right after each start "
        f"({len(first)} in all): slowest answer | "
        f"{max(first):.2f} s (median {median(first):.2f} s) |",
    ]
    return "\n".join(rows)
