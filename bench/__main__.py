"""`python -m bench [--quick]`: quality on XQuAD-de and the seed article, and answer latency.

Every figure comes with its baselines from the same run. XQuAD-de is read from
../shared/bench/xquad.de.json (or $FAQBOT_XQUAD); without it, those sections are skipped
with the reason, and the seed-article and latency sections still run.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.metrics import (
    abstention_scores,
    contains_answer,
    document_rank,
    latency,
    retrieval_scores,
)
from bench.runs import build_xquad_index, with_retrieval, xquad_bot
from bench.xquad import XQuestion, load_xquad, xquad_path
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


def retrieval_section(bot: Bot, questions: Sequence[XQuestion]) -> str:
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


def seed_section(bot: Bot) -> str:
    data = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))

    def share(items: list[dict[str, object]]) -> str:
        found = sum(
            any(e in bot.answer(str(item["question"])).text for e in item["expected"])  # type: ignore[union-attr]
            for item in items
        )
        return f"{found / len(items):.3f} ({found}/{len(items)})"

    declined = sum(not bot.answer(q).answered for q in data["out_of_scope"])
    rows = [
        [
            "German in-scope questions whose answer contains the expected fact",
            share(data["in_scope"]),
        ],
        [
            "out-of-scope questions declined",
            f"{declined / len(data['out_of_scope']):.3f} ({declined}/{len(data['out_of_scope'])})",
        ],
        [
            "English questions whose answer contains the fact (reported only)",
            share(data["cross_lingual"]),
        ],
    ]
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


def xquad_sections(embedder: Embedder, workdir: Path, quick: bool) -> list[str]:
    path = xquad_path()
    if not path.is_file():
        return [f"XQuAD-de sections skipped: {path} not found (set FAQBOT_XQUAD)."]
    xquad = load_xquad(path)
    questions = xquad.questions[:: 4 if quick else 1]
    note = f"{len(questions)} of {len(xquad.questions)} questions" if quick else "all questions"
    started = time.perf_counter()
    full = xquad_bot(build_xquad_index(xquad, workdir, embedder), embedder)
    build_seconds = time.perf_counter() - started
    half = range(0, xquad.articles // 2)
    first_half = xquad_bot(build_xquad_index(xquad, workdir, embedder, half), embedder)
    return [
        f"### Retrieval on XQuAD-de ({len(xquad.paragraphs)} paragraphs as documents, {note})\n\n"
        + retrieval_section(full, questions),
        f"### Answers on XQuAD-de ({note})\n\n" + answer_section(full, questions),
        f"### Abstention (first {len(half)} of {xquad.articles} articles indexed, {note})\n\n"
        + abstention_section(first_half, questions, half),
        f"Building the XQuAD-de index ({full.content.manifest.passages} passages): "
        f"{build_seconds:.1f} s.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a quarter of the questions")
    args = parser.parse_args(argv)
    embedder = load_embedder(DEFAULT_MODEL)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} CPU cores"
    print(f"## Benchmarks ({stamp}, {machine}, Python {platform.python_version()})\n")
    with tempfile.TemporaryDirectory() as workdir:
        for section in xquad_sections(embedder, Path(workdir), args.quick):
            print(section + "\n", flush=True)
        seed_index = Path(workdir) / "seed-index"
        build(REPO / "data", seed_index, embedder=embedder)
        seed_bot = Bot.load(seed_index, embedder=embedder)
        print("### Seed article\n\n" + seed_section(seed_bot) + "\n", flush=True)
        print("### Speed\n\n" + latency_section(seed_bot, 3 if args.quick else 10))
    return 0


if __name__ == "__main__":
    sys.exit(main())
