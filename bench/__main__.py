"""`python -m bench [--quick]`: quality on XQuAD-de and the seed article, and answer latency.

Every figure comes with its baselines from the same run. XQuAD-de is read from
../shared/bench/xquad.de.json (or $FAQBOT_XQUAD); without it, those sections are skipped
with the reason, and the seed-article and latency sections still run.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, median

from bench.baseline import naive_baseline
from bench.big_corpus import big_corpus_section
from bench.dialogues import load_dialogues, score_dialogues
from bench.load import flood_report, flooded_run
from bench.metrics import (
    RetrievalScores,
    abstention_scores,
    contains_answer,
    document_rank,
    first_quote,
    latency,
    retrieval_scores,
)
from bench.replicas import replicas_section
from bench.runs import (
    RememberingEmbedder,
    build_xquad_index,
    question_forms,
    with_retrieval,
    xquad_bot,
)
from bench.scale import EMBED_SAMPLE, measure_size, plot, scale_table, sentence_pool
from bench.sentence_fit import FOLDS, fold_bots
from bench.source_order import source_order_text
from bench.system import app_cost, cli_build_cost, system_table
from bench.xquad import XQuad, XQuestion, load_xquad, xquad_en_path, xquad_path
from bot import Answer, Bot
from bot.fusion import FusionMethod
from bot.questions import question_kind
from bot.short_answer import SHORT_KINDS, best_score
from index import build
from index.embedding import Embedder, Role, load_embedder
from index.settings import DEFAULT_MODEL, USE_MODEL, child_environment

REPO = Path(__file__).resolve().parents[1]
SEED_QUESTIONS = REPO / "tests" / "data" / "seed_questions.json"

RETRIEVERS: dict[str, dict[str, object]] = {
    "hybrid (default: adaptive z-score fusion, spelling repair)": {},
    "hybrid, fixed fusion weights": {"adaptive": False},
    "hybrid, no spelling repair": {"spelling": False},
    "hybrid, reciprocal rank fusion": {"fusion": FusionMethod.RRF},
    "BM25-de alone": {"fusion": FusionMethod.BM25},
    "dense alone (passage + best sentence)": {"fusion": FusionMethod.DENSE},
    "dense alone (passage vector only)": {"fusion": FusionMethod.DENSE, "sentence_weight": 0.0},
}
"""Variants of the default model's retrieval, each asked every question form."""

Forms = dict[str, Sequence[XQuestion]]


def table(header: Sequence[str], rows: list[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ranks(bot: Bot, questions: Sequence[XQuestion]) -> RetrievalScores:
    return retrieval_scores(
        [document_rank([h.doc_id for h in bot.search(q.text, k=30)], q.doc_id) for q in questions]
    )


def _cells(scores: Sequence[RetrievalScores]) -> list[str]:
    return [f"{s.mrr_at_10:.3f} / {s.recall_at_1:.3f}" for s in scores]


def retrieval_section(bots: dict[str, Bot], xquad: XQuad, forms: Forms) -> str:
    """MRR@10 / R@1 of every retriever on every question form; the first bot is the default
    model, whose variants are listed, the others appear with their defaults."""
    (default_name, default), *others = bots.items()
    rows = []
    for name, changes in RETRIEVERS.items():
        variant = with_retrieval(default, **changes)
        rows.append(
            [f"{default_name}: {name}", *_cells([_ranks(variant, qs) for qs in forms.values()])]
        )
    for name, bot in others:
        rows.append(
            [f"{name}: hybrid (its defaults)", *_cells([_ranks(bot, qs) for qs in forms.values()])]
        )
    naive = naive_baseline(xquad, forms["German"])
    name = "naive baseline: all-MiniLM-L6-v2 (English) + FAISS, raw paragraphs (German only)"
    rows.append([name, naive if isinstance(naive, str) else _cells([naive])[0]])
    return table(["retriever", *(f"{form}: MRR@10 / R@1" for form in forms)], rows)


FITTED_FORMS = ("German", "English")
"""The question forms the quoting models are fitted on (`python -m bench.calibrate`)."""


def _answer_row(
    name: str, form: str, pairs: list[tuple[Answer, str, XQuestion]], shorts: bool = True
) -> list[str]:
    """One row of `answer_section` from (answer, its text, question) triples; `shorts`:
    whether the texts are the answers' own, whose short answers the last columns score
    (quotes chosen otherwise had none: "—")."""
    contained = [contains_answer(text, q.answers) for _, text, q in pairs]
    first = [contains_answer(first_quote(text), q.answers) for _, text, q in pairs]
    lengths = [len(text) for a, text, _ in pairs if a.answered] or [0]
    asking = [(a, q) for a, _, q in pairs if question_kind(q.text) in SHORT_KINDS]
    offered = [best_score(a.short, q.answers) for a, q in asking if a.short]
    short_cells = [
        f"{len(offered) / max(len(asking), 1):.3f} of {len(asking)}",
        f"{mean(f1 for f1, _ in offered) if offered else 0:.3f} / "
        f"{mean(em for _, em in offered) if offered else 0:.3f}",
    ] if shorts else ["—", "—"]  # fmt: skip
    return [
        name, form,
        f"{sum(a.answered for a, _, _ in pairs) / len(pairs):.3f}",
        f"{sum(contained) / len(contained):.3f}",
        f"{sum(first) / len(first):.3f}",
        f"{median(lengths):.0f}",
        *short_cells,
    ]  # fmt: skip


def answer_section(bots: dict[str, Bot], forms: Forms) -> str:
    """Per model and form: share answered, share whose answer contains the gold span and
    whose first quote does (declines count as misses), median answer length; and for
    who/when/where/how-many/which questions, how often a short answer is offered and its
    token F1 and exact match against the gold answers where it is. Each question is
    answered with quoting and short-answer models fitted without its article (4 folds);
    beside it, the same answers quoted as before the sentence model, in source order."""
    rows = []
    for name, bot in bots.items():
        folds = fold_bots(bot, {form: forms[form] for form in FITTED_FORMS if form in forms})
        for form, questions in forms.items():
            answers = [folds[q.article % FOLDS].answer(q.text) for q in questions]
            now = [(a, a.text, q) for a, q in zip(answers, questions, strict=True)]
            before = [
                (a, source_order_text(bot, q.text, a), q)
                for a, q in zip(answers, questions, strict=True)
            ]
            rows.append(_answer_row(name, form, now))
            rows.append(_answer_row(f"{name}, source order (before)", form, before, shorts=False))
    header = ["model", "questions", "answered", "gold span in answer", "in first quote",
              "median length", "short answer offered", "short: F1 / EM"]  # fmt: skip
    return table(header, rows)


def abstention_section(bots: dict[str, Bot], forms: Forms, indexed: range) -> str:
    rows = []
    for name, bot in bots.items():
        for form, questions in forms.items():
            answers = [bot.answer(q.text) for q in questions]
            scores = abstention_scores(
                [a.confidence for a in answers],
                [q.article in indexed for q in questions],
                [a.answered for a in answers],
            )
            rows.append([
                name, form, f"{scores.auroc:.3f}",
                f"{scores.answered_when_answerable:.3f}",
                f"{scores.declined_when_unanswerable:.3f}",
            ])  # fmt: skip
    header = ["model", "questions", "AUROC of confidence", "answerable answered",
              "unanswerable declined"]  # fmt: skip
    return table(header, rows)


def _share(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})"


def seed_section(bots: dict[str, Bot]) -> str:
    """Per model: in-scope questions of each form whose answer contains the expected fact,
    those whose first quote does, and out-of-scope questions declined; beside each model,
    the same answers quoted as before the sentence model (source order)."""
    data = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    forms = list(dict.fromkeys(item["form"] for item in data["in_scope"]))
    counts = Counter(item["form"] for item in data["in_scope"])
    rows = []
    for name, bot in bots.items():
        declined = sum(not bot.answer(q).answered for q in data["out_of_scope"])
        replies = [(item, bot.answer(item["question"])) for item in data["in_scope"]]
        for variant, text_of in (
            (name, lambda item, reply: reply.text),
            (f"{name}, source order (before)",
             lambda item, reply, bot=bot: source_order_text(bot, item["question"], reply)),
        ):  # fmt: skip
            found, first = Counter(), 0
            for item, reply in replies:
                text = text_of(item, reply)
                found[item["form"]] += any(fact in text for fact in item["expected"])
                first += any(fact in first_quote(text) for fact in item["expected"])
            rows.append([
                variant,
                *(_share(found[form], counts[form]) for form in forms),
                _share(sum(found.values()), len(data["in_scope"])),
                _share(first, len(data["in_scope"])),
                _share(declined, len(data["out_of_scope"])),
            ])  # fmt: skip
    header = ["model", *(f"{form}: fact in answer" for form in forms), "all in scope",
              "in first quote", "out of scope declined"]  # fmt: skip
    return table(header, rows)


def dialogues_section(bots: dict[str, Bot], plain: Bot, repeats: int) -> str:
    """Per model: follow-up turns answered with an expected fact (baseline: the same
    questions without their history), follow-ups read with the earlier turns at all, and
    independent turns answered exactly as without history; then the default model's
    latency of a follow-up against a conversation's first question, timed in the same
    passes over the dialogues."""
    dialogues = load_dialogues()
    rows = []
    for name, bot in bots.items():
        scores = score_dialogues(bot, dialogues)
        rows.append([
            name,
            _share(scores.followups_expected, scores.followups),
            _share(scores.followups_alone, scores.followups),
            _share(scores.followups_tied, scores.followups),
            _share(scores.independent_unchanged, scores.independent),
        ])  # fmt: skip
    header = ["model", "follow-ups: fact in answer", "baseline: the same without history",
              "follow-ups: read with earlier turns", "independent: answer unchanged"]  # fmt: skip
    followup, standalone = [], []
    score_dialogues(plain, dialogues)  # warm-up
    for _ in range(repeats):
        scores = score_dialogues(plain, dialogues)
        followup.extend(scores.followup_seconds)
        standalone.extend(scores.standalone_seconds)
    speeds = [
        [f"follow-up with its history ({len(followup)})", *_ms(followup)],
        [f"first question, no history ({len(standalone)})", *_ms(standalone)],
    ]
    return (
        table(header, rows)
        + "\n\n"
        + table([f"{plain.embedder.name}, {repeats} passes", "median", "p95"], speeds)
    )


def _ms(seconds: Sequence[float]) -> list[str]:
    measured = latency(seconds)
    return [f"{measured.median_ms:.2f} ms", f"{measured.p95_ms:.2f} ms"]


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
        ("embedding the question only (baseline)", lambda q: bot.embedder.embed([q], Role.QUERY)),
    ):
        measured = latency(timed(call, questions, repeats))
        rows.append([name, f"{measured.median_ms:.2f} ms", f"{measured.p95_ms:.2f} ms"])
    return table([f"default corpus, {len(questions)} questions × {repeats}", "median", "p95"], rows)


def first_answer_section(index_dir: Path, model: str, starts: int) -> str:
    """The first answer after `Bot.load`, each time in a fresh process (so nothing is warm)."""
    script = (
        "import sys, time; from bot import Bot; bot = Bot.load(sys.argv[1]); "
        "t = time.perf_counter(); bot.answer('Was ist Arctic Sentry?'); "
        "print(time.perf_counter() - t)"
    )
    env = child_environment(FAQBOT_MODEL=model)
    seconds = [
        float(subprocess.run([sys.executable, "-c", script, str(index_dir)], capture_output=True,
                             text=True, check=True, env=env, cwd=REPO).stdout)
        for _ in range(starts)
    ]  # fmt: skip
    return table(
        ["first answer after Bot.load (fresh process)", "median", "max"],
        [[f"{starts} starts", f"{median(seconds) * 1000:.1f} ms", f"{max(seconds) * 1000:.1f} ms"]],
    )


def xquad_sections(
    xquad: XQuad, models: dict[str, Embedder], workdir: Path, quick: bool
) -> list[str]:
    step = 4 if quick else 1
    english = (
        load_xquad(xquad_path(), xquad_en_path()).questions if xquad_en_path().is_file() else ()
    )
    forms = {name: qs[::step] for name, qs in question_forms(xquad, english).items() if qs}
    count = len(forms["German"])
    note = f"{count} of {len(xquad.questions)} questions" if quick else "all questions"
    half = range(0, xquad.articles // 2)
    full, first_half = {}, {}
    for name, embedder in models.items():
        model_dir = workdir / embedder.name
        full[name] = xquad_bot(build_xquad_index(xquad, model_dir, embedder), embedder)
        first_half[name] = xquad_bot(build_xquad_index(xquad, model_dir, embedder, half), embedder)
    forms_note = ", ".join(f"{form} ({len(qs)})" for form, qs in forms.items())
    return [
        f"### Retrieval on XQuAD-de ({len(xquad.paragraphs)} paragraphs as documents, {note}; "
        f"questions: {forms_note})\n\n" + retrieval_section(full, xquad, forms),
        f"### Answers on XQuAD-de ({note})\n\n" + answer_section(full, forms),
        f"### Abstention (first {len(half)} of {xquad.articles} articles indexed, {note})\n\n"
        + abstention_section(first_half, forms, half),
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
        "size; search() is the full hybrid retrieval of one question, embedding it included; "
        f"embedding time measured on the first {EMBED_SAMPLE} passages of each size and scaled "
        "to all (passage vectors are pooled from sentence vectors, as in a build).\n\n"
        + scale_table(points)
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


SECTIONS = (
    "xquad", "seed", "dialogues", "speed", "system", "scale", "flood", "replicas", "corpus",
)  # fmt: skip


def independent_sections(sections: set[str], quick: bool) -> list[str]:
    """The sections that need no XQuAD and no shared index: each builds its own."""
    found = []
    if "flood" in sections:
        seconds = 10 if quick else 30
        alone, flooded, flood = flooded_run(clients=20, seconds=seconds, flood_seconds=seconds)
        found.append(
            f"### Under an anonymous flood\n\n20 clients ask through the API for {seconds} s "
            "alone, then as long again while one more client floods every operator event, the "
            "operator login and the upload endpoint (one app, one run).\n\n"
            + flood_report(alone, flooded, flood)
        )
    if "replicas" in sections:
        seconds = 10 if quick else 30
        found.append("### Replicas behind nginx\n\n" + replicas_section(20, seconds))
    if "corpus" in sections:
        found.append("### A large corpus\n\n" + big_corpus_section(5 if quick else 50))
    return found


def seed_bots(models: dict[str, Embedder], workdir: Path) -> dict[str, tuple[Path, Bot]]:
    """The default corpus indexed with each model."""
    indexed = {}
    for name, embedder in models.items():
        index_dir = workdir / f"seed-{embedder.name}"
        build(REPO / "data", index_dir, embedder=embedder)
        indexed[name] = (index_dir, Bot.load(index_dir, embedder=embedder))
    return indexed


def seed_article_sections(
    sections: set[str],
    seeds: dict[str, tuple[Path, Bot]],
    models: dict[str, RememberingEmbedder],
    quick: bool,
) -> list[str]:
    """The sections over the default corpus indexed with each model."""
    bots = {name: bot for name, (_, bot) in seeds.items()}
    seed_index, _ = seeds[DEFAULT_MODEL]
    # Latencies with the real model: the benchmarks' remembering embedder would skip embedding.
    plain = Bot.load(seed_index, embedder=models[DEFAULT_MODEL].inner)
    found = []
    if "seed" in sections:
        found.append("### Seed article\n\n" + seed_section(bots))
    if "dialogues" in sections:
        found.append(
            "### Conversations on the seed article (`tests/data/dialogues.json`)\n\n"
            + dialogues_section(bots, plain, 2 if quick else 5)
        )
    if "speed" in sections:
        found.append(
            "### Speed\n\n"
            + latency_section(plain, 3 if quick else 10)
            + "\n\n"
            + first_answer_section(seed_index, DEFAULT_MODEL, 3 if quick else 5)
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true",
        help="a quarter of the questions, corpora of 1k and 5k passages, one cold start",
    )  # fmt: skip
    parser.add_argument("--report", type=Path, help="write the tables here too "
                        "(default: docs/benchmark-report.md, not with --quick)")  # fmt: skip
    parser.add_argument("--plot", type=Path, help="scale plot (default: docs/scale.png, "
                        "not with --quick)")  # fmt: skip
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)}")  # fmt: skip
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    report_path = args.report or (None if args.quick else REPO / "docs" / "benchmark-report.md")
    plot_path = args.plot or (None if args.quick else REPO / "docs" / "scale.png")
    started = time.perf_counter()
    models = {name: RememberingEmbedder(load_embedder(name)) for name in (DEFAULT_MODEL, USE_MODEL)}
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
        elif "xquad" in sections:
            for section in xquad_sections(xquad, models, workdir, args.quick):
                report.add(section)
        seeds = seed_bots(models, workdir)
        seed_index, _ = seeds[DEFAULT_MODEL]
        for section in seed_article_sections(sections, seeds, models, args.quick):
            report.add(section)
        if xquad is not None and "system" in sections:
            questions = [q.text for q in xquad.questions[:200]]
            costs = system_table(
                {name: cli_build_cost(xquad, workdir, name) for name in models},
                app_cost(seed_index, workdir, 1 if args.quick else 3, questions),
            )
            report.add("### Build and app: throughput, memory, cold start\n\n" + costs)
        if xquad is not None and "scale" in sections:
            sizes = (1_000, 5_000) if args.quick else (1_000, 10_000, 100_000)
            scale = scale_section(xquad, models[DEFAULT_MODEL].inner, sizes, plot_path)
            report.add("### Scale\n\n" + scale)
        for section in independent_sections(sections, args.quick):
            report.add(section)
    report.add(f"Whole run: {time.perf_counter() - started:.0f} s.")
    if report_path is not None:
        report.write(report_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
