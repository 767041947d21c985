"""Build throughput, peak memory of the build and of the app, and the app's cold start."""

import json
import os
import subprocess
import sys
import time
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
    peak_rss_mib: float


def cli_build_cost(xquad: XQuad, workdir: Path) -> BuildCost:
    """`python -m index build` on XQuAD-de from scratch, in its own process."""
    data, out = workdir / "cli-data", workdir / "cli-index"
    xquad.write_jsonl(data)
    command = [sys.executable, "-m", "index", "build", "--data", str(data), "--out", str(out)]
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
        peak_rss_mib=usage.ru_maxrss / 1024,
    )


@dataclass(frozen=True, slots=True)
class AppCost:
    cold_start_seconds: list[float]
    peak_rss_mib: float
    """Highest resident memory of the app process after serving `questions` answers."""
    questions: int


def app_cost(index_dir: Path, workdir: Path, starts: int, questions: list[str]) -> AppCost:
    """Cold starts of `python app.py` (to the first page served), then its peak memory."""
    import httpx

    from bench.load import ask_over_http

    env = {"FAQBOT_INDEX_DIR": str(index_dir), "FAQBOT_LOG_DIR": str(workdir / "logs")}
    cold = []
    for attempt in range(starts):
        with serve_app(env) as app:
            cold.append(app.started_seconds)
            if attempt == starts - 1:
                with httpx.Client(timeout=60) as http:
                    for question in questions:
                        ask_over_http(http, app.url, question, session="bench")
                peak = memory_mib(app.pid, "VmHWM")
    return AppCost(cold, peak, len(questions))


def system_table(build: BuildCost, app: AppCost) -> str:
    rows = [
        "| measure | result |",
        "|---|---|",
        f"| index build throughput, XQuAD-de from scratch ({build.passages} passages, "
        f"{build.texts_embedded} texts embedded) | {build.passages / build.build_seconds:.0f} "
        f"passages/s ({build.build_seconds:.1f} s; {build.seconds:.1f} s with interpreter "
        "and model start) |",
        f"| peak RSS of `python -m index build` (XQuAD-de) | {build.peak_rss_mib:.0f} MiB |",
        f"| peak RSS of the running app after {app.questions} answers | "
        f"{app.peak_rss_mib:.0f} MiB |",
        f"| cold start: `python app.py` to the first page served "
        f"(median of {len(app.cold_start_seconds)}) | {median(app.cold_start_seconds):.1f} s |",
    ]
    return "\n".join(rows)
