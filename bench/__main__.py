"""`python -m bench [--quick]`: quality on XQuAD-de and the seed article, and answer latency.

Every figure comes with its baselines from the same run. XQuAD-de is read from
../shared/bench/xquad.de.json (or $FAQBOT_XQUAD); without it, those sections are skipped
with the reason, and the seed-article and latency sections still run.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from bench.baseline import naive_baseline
from bench.metrics import (
    abstention_scores,
    contains_answer,
    document_rank,
    latency,
    retrieval_scores,
)
from bench.runs import build_xquad_index, with_retrieval, xquad_bot
from bench.scale import measure_size, plot, scale_table, sentence_pool
from bench.system import app_cost, cli_build_cost, system_table
from bench.xquad import XQuad, XQuestion, load_xquad, xquad_path
from bot import Bot
from bot.fusion import FusionMethod
from index import build
from index.config import DEFAULT_MODEL
from index.embedding import Embedder, load_embedder

REPO = Path(__file__).resolve().parents[1]
SEED_QUESTIONS = REPO / "tests" / "data" / "seed_questions.json"

RETRIEVERS: dict[str, dict[str, object]] = {
    "hybrid (z-score fusion, default)": {},
    "BM25-de alone": {"fusion": FusionMethod.BM25},
    "dense alone (USE-m, passage + best sentence)": {"fusion": FusionMethod.DENSE},
    "dense alone (USE-m, passage vector only)": {
        "fusion": FusionMethod.DENSE,
        "sentence_weight": 0.0,
    },
    "hybrid, reciprocal rank fusion": {"fusion": FusionMethod.RRF},
    "hybrid, min-max fusion": {"fusion": FusionMethod.MINMAX},
}


def table(header: Sequence[str], rows: list[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def retrieval_section(bot: Bot, xquad: XQuad, questions: Sequence[XQuestion]) -> str:
    rows = []
    for name, changes in RETRIEVERS.items():
        variant = with_retrieval(bot, **changes)
        ranks = [
            document_rank([hit.doc_id for hit in variant.search(q.text, k=30)], q.doc_id)
            for q in questions
        ]
        scores = retrieval_scores(ranks)
        rows.append(
            [
                name,
                f"{scores.mrr_at_10:.3f}",
                f"{scores.recall_at_1:.3f}",
                f"{scores.recall_at_5:.3f}",
            ]
        )
    naive = naive_baseline(xquad, questions)
    name = "naive baseline: all-MiniLM-L6-v2 (English) + FAISS, raw paragraphs"
    if isinstance(naive, str):
        rows.append([name, naive, "", ""])
    else:
        rows.append(
            [name, f"{naive.mrr_at_10:.3f}", f"{naive.recall_at_1:.3f}", f"{naive.recall_at_5:.3f}"]
        )
    return table(["retriever", "MRR@10", "R@1", "R@5"], rows)


def answer_section(bot: Bot, questions: Sequence[XQuestion]) -> str:
    answers = [bot.answer(q.text) for q in questions]
    contained = [
        contains_answer(a.text, q.answers) for a, q in zip(answers, questions, strict=True)
    ]
    lengths = [len(a.text) for a in answers if a.answered]
    return table(
        ["answer containment (gold span in answer.text)", "declined", "median answer length"],
        [
            [
                f"{sum(contained) / len(contained):.3f}",
                f"{sum(not a.answered for a in answers) / len(answers):.3f}",
                f"{median(lengths):.0f} characters",
            ]
        ],
    )


def abstention_section(bot: Bot, questions: Sequence[XQuestion], indexed: range) -> str:
    answers = [bot.answer(q.text) for q in questions]
    scores = abstention_scores(
        [a.confidence for a in answers],
        [q.article in indexed for q in questions],
        [a.answered for a in answers],
    )
    return table(
        ["AUROC of confidence", "answerable answered", "unanswerable declined"],
        [
            [
                f"{scores.auroc:.3f}",
                f"{scores.answered_when_answerable:.3f}",
                f"{scores.declined_when_unanswerable:.3f}",
            ]
        ],
    )


def _share(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})"


def seed_section(bot: Bot) -> str:
    data = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))

    def contains_fact(item: dict[str, Any]) -> bool:
        return any(fact in bot.answer(item["question"]).text for fact in item["expected"])

    def facts_found(items: list[dict[str, Any]]) -> str:
        return _share(sum(contains_fact(item) for item in items), len(items))

    declined = sum(not bot.answer(q).answered for q in data["out_of_scope"])
    rows = [
        ["German in-scope questions whose answer contains the expected fact",
         facts_found(data["in_scope"])],
        ["out-of-scope questions declined", _share(declined, len(data["out_of_scope"]))],
        ["English questions whose answer contains the fact (reported only)",
         facts_found(data["cross_lingual"])],
    ]  # fmt: skip
    return table(["seed article (tests/data/seed_questions.json)", "result"], rows)


def timed(call: Callable[[str], object], questions: Sequence[str], repeats: int) -> list[float]:
    for question in questions:  # warm-up
        call(question)
    seconds = []
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            call(question)
            seconds.append(time.perf_counter() - started)
    return seconds


def latency_section(bot: Bot, repeats: int) -> str:
    data = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    questions = [item["question"] for item in data["in_scope"]] + data["out_of_scope"]
    rows = []
    for name, call in (
        ("answer() (full pipeline)", bot.answer),
        ("search() (retrieval only, baseline)", bot.search),
        ("embedding the question only (baseline)", lambda q: bot.embedder.embed([q])),
    ):
        measured = latency(timed(call, questions, repeats))
        rows.append([name, f"{measured.median_ms:.2f} ms", f"{measured.p95_ms:.2f} ms"])
    return table([f"default corpus, {len(questions)} questions × {repeats}", "median", "p95"], rows)


def xquad_sections(xquad: XQuad, embedder: Embedder, workdir: Path, quick: bool) -> list[str]:
    questions = xquad.questions[:: 4 if quick else 1]
    note = f"{len(questions)} of {len(xquad.questions)} questions" if quick else "all questions"
    full = xquad_bot(build_xquad_index(xquad, workdir, embedder), embedder)
    half = range(0, xquad.articles // 2)
    first_half = xquad_bot(build_xquad_index(xquad, workdir, embedder, half), embedder)
    return [
        f"### Retrieval on XQuAD-de ({len(xquad.paragraphs)} paragraphs as documents, {note})\n\n"
        + retrieval_section(full, xquad, questions),
        f"### Answers on XQuAD-de ({note})\n\n" + answer_section(full, questions),
        f"### Abstention (first {len(half)} of {xquad.articles} articles indexed, {note})\n\n"
        + abstention_section(first_half, questions, half),
    ]


def scale_section(
    xquad: XQuad, embedder: Embedder, sizes: Sequence[int], plot_path: Path | None
) -> str:
    pool = sentence_pool(xquad, embedder)
    questions = [q.text for q in xquad.questions[::4]]
    points = []
    for size in sizes:
        points.append(measure_size(pool, size, embedder, questions))
        print(f"(scale: {size:,} passages measured)", file=sys.stderr, flush=True)
    if plot_path is not None:
        plot(points, str(plot_path))
    return (
        f"Synthetic corpora from XQuAD-de sentences; {len(questions)} XQuAD-de questions per "
        "size; search() is the full hybrid retrieval of one question.\n\n" + scale_table(points)
    )


class Report:
    """Prints each section as it is ready and keeps them for the report file."""

    def __init__(self) -> None:
        self.sections: list[str] = []

    def add(self, section: str) -> None:
        print(section + "\n", flush=True)
        self.sections.append(section)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(self.sections) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true",
        help="a quarter of the questions, corpora of 1k and 5k passages, one cold start",
    )  # fmt: skip
    parser.add_argument("--report", type=Path, help="write the tables here too "
                        "(default: docs/benchmarks.md, not with --quick)")  # fmt: skip
    parser.add_argument("--plot", type=Path, help="scale plot (default: docs/scale.png, "
                        "not with --quick)")  # fmt: skip
    args = parser.parse_args(argv)
    report_path = args.report or (None if args.quick else REPO / "docs" / "benchmarks.md")
    plot_path = args.plot or (None if args.quick else REPO / "docs" / "scale.png")
    started = time.perf_counter()
    embedder = load_embedder(DEFAULT_MODEL)
    report = Report()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPU cores"
    mode = " (--quick)" if args.quick else ""
    report.add(f"## Benchmarks{mode}: {stamp}, {machine}, Python {platform.python_version()}")
    xquad = load_xquad(xquad_path()) if xquad_path().is_file() else None
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        if xquad is None:
            report.add(f"XQuAD-de sections skipped: {xquad_path()} not found (set FAQBOT_XQUAD).")
        else:
            for section in xquad_sections(xquad, embedder, workdir, args.quick):
                report.add(section)
        seed_index = workdir / "seed-index"
        build(REPO / "data", seed_index, embedder=embedder)
        seed_bot = Bot.load(seed_index, embedder=embedder)
        report.add("### Seed article\n\n" + seed_section(seed_bot))
        report.add("### Speed\n\n" + latency_section(seed_bot, 3 if args.quick else 10))
        if xquad is not None:
            questions = [q.text for q in xquad.questions[:200]]
            costs = system_table(
                cli_build_cost(xquad, workdir),
                app_cost(seed_index, workdir, 1 if args.quick else 3, questions),
            )
            report.add("### Build and app: throughput, memory, cold start\n\n" + costs)
            sizes = (1_000, 5_000) if args.quick else (1_000, 10_000, 100_000)
            report.add("### Scale\n\n" + scale_section(xquad, embedder, sizes, plot_path))
    report.add(f"Whole run: {time.perf_counter() - started:.0f} s.")
    if report_path is not None:
        report.write(report_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
