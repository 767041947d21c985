"""`python -m index build|info`: parse arguments, call the library, print, set the exit code."""

import argparse
import json
import logging
import sys
from pathlib import Path

from index import config
from index.build import build
from index.calibration import fit_hint
from index.documents import escaped
from index.errors import FaqbotError
from index.passages import ChunkSettings
from index.store import Manifest, read_manifest
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


def _build(args: argparse.Namespace) -> None:
    manifest = build(
        args.data,
        args.out,
        model=args.model,
        chunking=ChunkSettings(max_chars=args.max_chars, overlap_sentences=args.overlap),
        vectors=VectorSettings(approximate_above=args.approximate_above),
        progress=True,
    )
    print(summary(manifest))
    print(f"Index written to {args.out}")


def _info(args: argparse.Namespace) -> None:
    manifest = read_manifest(args.out.resolve())
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
    out_help = f"index directory (default: ${config.INDEX_DIR_ENV} or .faqbot/index)"

    build_command = commands.add_parser("build", help="rebuild the index from the data directory")
    build_command.add_argument(
        "--data", type=Path, default=config.data_dir(),
        help=f"corpus directory (default: ${config.DATA_DIR_ENV} or data/)",
    )  # fmt: skip
    build_command.add_argument("--out", type=Path, default=config.index_dir(), help=out_help)
    build_command.add_argument(
        "--model", default=config.model_name(),
        help=f"sentence-transformers model name or path (default: ${config.MODEL_ENV} "
        f"or the bundled {config.DEFAULT_MODEL})",
    )  # fmt: skip
    defaults = ChunkSettings()
    build_command.add_argument(
        "--max-chars", type=int, default=defaults.max_chars,
        help="longest passage in characters (default: %(default)s)",
    )  # fmt: skip
    build_command.add_argument(
        "--overlap", type=int, default=defaults.overlap_sentences,
        help="sentences shared by split passages (default: %(default)s)",
    )  # fmt: skip
    build_command.add_argument(
        "--approximate-above", type=int, default=VectorSettings().approximate_above,
        help="use an HNSW index above this many passages (default: %(default)s)",
    )  # fmt: skip
    build_command.set_defaults(run=_build)

    info_command = commands.add_parser("info", help="print the manifest of the index")
    info_command.add_argument("--out", type=Path, default=config.index_dir(), help=out_help)
    info_command.add_argument("--json", action="store_true", help="one JSON object")
    info_command.set_defaults(run=_info)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        args.run(args)
    except (FaqbotError, ValueError, OSError) as error:  # OSError: a file the library let through
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
