"""`python -m index build|info`: parse arguments, call the library, print, set the exit code."""

import argparse
import json
import logging
import sys
from pathlib import Path

from index.build import build, build_settings, recorded_manifest
from index.calibration import fit_hint
from index.documents import escaped
from index.errors import FaqbotError
from index.passages import ChunkSettings
from index.progress import ProgressReport
from index.settings import DATA_DIR_ENV, DEFAULT_MODEL, INDEX_DIR_ENV, MODEL_ENV, Settings
from index.store import Manifest, index_exists, load_index, read_manifest
from index.vectors import VectorSettings


def summary(manifest: Manifest) -> str:
    """What a build did, in a few lines: counts, reuse, time, and every skipped item (each
    on one line: `Skipped` escapes the control characters a file name may hold)."""
    lines = [
        f"Indexed {manifest.documents} documents: {manifest.passages} passages, "
        f"{manifest.faq_entries} FAQ entries ({manifest.vector_index} vector index, "
        f"model {manifest.model}, dimension {manifest.dimension}).",
        f"Embedded {manifest.embedded} texts, reused {manifest.reused}; "
        f"left out {manifest.furniture} lines of page furniture; {manifest.build_seconds} s "
        f"({', '.join(f'{stage} {s} s' for stage, s in manifest.stage_seconds.items())}).",
        f"Skipped {len(manifest.skipped)} items" + (":" if manifest.skipped else "."),
    ]
    lines.extend(f"  {item}" for item in manifest.skipped)
    if manifest.calibration is None:
        lines.append(
            f"Warning: the bot cannot answer from this index yet: {fit_hint(manifest.model)}."
        )
    return "\n".join(lines)


def run_build(
    args: argparse.Namespace, settings: Settings, on_progress: ProgressReport | None = None
) -> None:
    """The build; with `on_progress` (the build child), progress goes there as events
    instead of bars on the terminal."""
    out = args.out or settings.index_dir
    if args.if_needed:
        refused = _refused(out)
        if refused is None:
            print(f"The index at {out} is current; nothing built (without --if-needed: rebuilt).")
            return
        print(f"Building: {refused}")
    chunking, vectors = build_settings(
        recorded_manifest(out),  # a rebuild keeps what it was built with, unless told
        max_chars=args.max_chars,
        overlap_sentences=args.overlap,
        approximate_above=args.approximate_above,
    )
    manifest = build(
        args.data or settings.data_dir,
        out,
        model=args.model or settings.model,
        chunking=chunking,
        vectors=vectors,
        progress=on_progress is None,
        settings=settings,
        on_progress=on_progress,
    )
    print(summary(manifest))
    print(f"Index written to {out}")


def _refused(out: Path) -> str | None:
    """Why this faqbot cannot answer from the index at `out` (none there, another format or
    analyzer, damaged), or None if it can."""
    if not index_exists(out):
        return f"there is no index at {out} yet"
    try:
        load_index(out)
    except FaqbotError as error:
        return str(error)
    return None


def _info(args: argparse.Namespace, settings: Settings) -> None:
    manifest = read_manifest((args.out or settings.index_dir).resolve())
    if args.json:
        print(json.dumps(manifest.to_json(), ensure_ascii=False))
    else:
        print(summary(manifest))
        print(f"Built at {manifest.built_at} from {len(manifest.sources)} documents:")
        for record in manifest.sources:  # an id may come from a file: escaped, one line each
            print(f"  {escaped(record.doc_id)}: {record.passages} passages")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    out_help = f"index directory (default: ${INDEX_DIR_ENV} or .faqbot/index)"
    kept = "the value the index at --out was built with, else"

    build_command = commands.add_parser("build", help="rebuild the index from the data directory")
    build_command.add_argument(
        "--data", type=Path, help=f"corpus directory (default: ${DATA_DIR_ENV} or data/)"
    )
    build_command.add_argument("--out", type=Path, help=out_help)
    build_command.add_argument(
        "--model",
        help=f"sentence-transformers model name or path (default: ${MODEL_ENV} "
        f"or the bundled {DEFAULT_MODEL})",
    )
    defaults = ChunkSettings()
    build_command.add_argument(
        "--max-chars", type=int,
        help=f"longest passage in characters (default: {kept} {defaults.max_chars})",
    )  # fmt: skip
    build_command.add_argument(
        "--overlap", type=int,
        help=f"sentences shared by split passages (default: {kept} {defaults.overlap_sentences})",
    )  # fmt: skip
    build_command.add_argument(
        "--approximate-above", type=int,
        help="use an HNSW index above this many passages "
        f"(default: {kept} {VectorSettings().approximate_above})",
    )  # fmt: skip
    build_command.add_argument(
        "--if-needed", action="store_true",
        help="build only if this faqbot cannot load the index at --out (none there, another "
        "format or analyzer, damaged); the documents are not compared",
    )  # fmt: skip
    build_command.set_defaults(run=run_build)

    info_command = commands.add_parser("info", help="print the manifest of the index")
    info_command.add_argument("--out", type=Path, help=out_help)
    info_command.add_argument("--json", action="store_true", help="one JSON object")
    info_command.set_defaults(run=_info)
    return root


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """The command line; `settings`: the environment's (`Settings()`) unless given."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        args.run(args, settings or Settings())
    except (FaqbotError, ValueError, OSError) as error:  # OSError: a file the library let through
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
