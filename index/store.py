"""The index on disk: manifest, passages, vectors and BM25, written atomically, loaded checked.

Layout: the index path is a symbolic link to a complete, versioned sibling directory.
A build writes a new directory and then replaces the link in one `rename`, so a reader
sees either the old index or the new one, and a killed build leaves the old one in use.
"""

import json
import os
import reprlib
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

import bm25s
import faiss
import numpy as np
from pydantic import ConfigDict, TypeAdapter, ValidationError

from index.analysis import ANALYZER_SETTINGS
from index.calibration import Calibration
from index.documents import BlockKind, Skipped
from index.errors import (
    FaqbotError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexWriteError,
)
from index.passages import ChunkSettings, Passage
from index.vectors import VectorSettings, read_vector_index, write_vector_index
from index.words import WORD_MODEL, WordVectors

FORMAT_VERSION = 2
"""Bump when the files change shape: older indexes are then refused with a rebuild hint."""

MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
EMBEDDINGS = "embeddings.npy"
CONTEXT_EMBEDDINGS = "contexts.npy"
QUESTION_EMBEDDINGS = "questions.npy"
SENTENCE_EMBEDDINGS = "sentences.npy"
VECTORS = "passages.faiss"
WORDS = "words.json"
WORD_VECTORS = "words.npy"
BM25_DIR = "bm25"
REBUILD_HINT = "rebuild it with: python -m index build"


# ---------------------------------------------------------------- reading JSON strictly
#
# The manifest and the passages are read back into frozen dataclasses, and everything after
# loading trusts their declared types: a hand-edited `"files": "abc"` must be refused here,
# with the field's name, not surface later as an AttributeError. pydantic checks them in
# strict mode (no `true` for a number, no `64.0` for a count, no unknown field), each record
# wrapped under its name so that an error's path reads `manifest.chunking.max_chars`.

_PROBLEMS = {
    "missing": "is missing",
    "unexpected_keyword_argument": "is not a field",
    "extra_forbidden": "is not a field",
    "dataclass_type": "must be an object",
    "dict_type": "must be an object",
    "string_type": "must be str",
    "int_type": "must be int",
    "float_type": "must be float",
    "bool_type": "must be bool",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
}


def _problem(error: dict[str, Any]) -> str:
    """One validation error as `record.field[0] must be int, got '3'`."""
    path = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in error["loc"])
    kind = error["type"]
    if kind in ("missing", "unexpected_keyword_argument", "extra_forbidden"):
        problem = _PROBLEMS[kind]
    elif kind in _PROBLEMS:
        problem = f"{_PROBLEMS[kind]}, got {_shown(error['input'])}"
    elif kind == "enum":
        problem = f"must be one of {error['ctx']['expected']}, got {_shown(error['input'])}"
    elif kind in ("too_long", "too_short"):
        problem = f"must have 2 items, got {_shown(error['input'])}"  # a span: (start, end)
    elif kind == "value_error":  # the class's own checks (`__post_init__`)
        problem = f"is refused: {error['ctx']['error']}"
    else:
        problem = f"is refused: {error['msg']}"
    return path.removeprefix(".") + " " + problem


def _shown(value: Any) -> str:
    return "null" if value is None else reprlib.repr(value)


T = TypeVar("T")


class _Strict(Generic[T]):
    """Reads JSON text of one record type, strictly; `ValueError` names the first bad field.

    The record is read as the one item of a list (`[text]`): pydantic applies a config to a
    list, not to a dataclass of the standard library, and two records in one text are then
    two items, refused."""

    def __init__(self, name: str, cls: type[T]) -> None:
        self.name = name
        self._adapter = TypeAdapter(
            tuple[cls],
            config=ConfigDict(strict=True, extra="forbid"),  # type: ignore[valid-type]
        )

    def read(self, text: str) -> T:
        try:
            return self._adapter.validate_json(f"[{text}]")[0]
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if first["loc"][:1] == (0,):
                first = {**first, "loc": (self.name, *first["loc"][1:])}
            elif first["type"] == "too_long":
                first = {"loc": (self.name,), "type": "records", "msg": "more than one record"}
            else:  # not JSON at all
                first = {**first, "loc": (self.name,)}
            raise ValueError(_problem(first)) from None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What the manifest remembers of each document: enough to see what changed."""

    doc_id: str
    source: str
    content_hash: str
    passages: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything needed to trust, explain and reproduce an index."""

    model: str
    dimension: int
    documents: int
    passages: int
    faq_entries: int
    chunking: ChunkSettings
    vectors: VectorSettings
    vector_index: str
    bm25: dict[str, Any]
    sources: tuple[DocumentRecord, ...]
    skipped: tuple[Skipped, ...]
    embedded: int
    reused: int
    furniture: int
    built_at: str
    build_seconds: float
    format_version: int = FORMAT_VERSION
    files: dict[str, int] = field(default_factory=dict)
    """Size in bytes of every file, so that a truncated file is caught at load."""
    calibration: Calibration | None = None
    """What was fitted to the model (`index.calibration`); None if nothing was."""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Where the build time went: reading and splitting, loading the model, embedding …"""
    word_model: str = ""
    """The model of the word vectors (`index.words`); empty for an index built before
    there were any (its passage vectors are still reused by a rebuild)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "Manifest":
        """The manifest in `data` (parsed JSON), every field of its declared type.

        Raises `IndexCorruptError` naming the first field that is missing, unknown, of
        another type or refused by its class (such as `chunking.max_chars` 0).
        """
        try:
            return _MANIFEST_JSON.read(json.dumps(data))
        except ValueError as error:
            raise IndexCorruptError(f"{error}; {REBUILD_HINT}") from None


_MANIFEST_JSON = _Strict("manifest", Manifest)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class IndexContent:
    """An index in memory, as built or as loaded; queries read it, nothing changes it."""

    manifest: Manifest
    passages: tuple[Passage, ...]
    embeddings: np.ndarray
    """Passage vectors, pooled from the context and sentence vectors (see `index.build`)."""
    context_embeddings: np.ndarray
    """One per distinct passage context, in order of first appearance."""
    question_embeddings: np.ndarray
    sentence_embeddings: np.ndarray
    """Every passage's sentences, passage after passage: see `sentence_offsets`."""
    vectors: faiss.Index
    bm25: bm25s.BM25
    words: WordVectors

    @cached_property
    def question_rows(self) -> np.ndarray:
        """Passage rows of the FAQ entries, in the order of `question_embeddings`."""
        return np.array(
            [row for row, p in enumerate(self.passages) if p.kind is BlockKind.FAQ], dtype=np.int64
        )

    @cached_property
    def sentence_offsets(self) -> np.ndarray:
        """Passage row i owns sentence rows `offsets[i]:offsets[i + 1]`."""
        counts = [len(p.sentences) for p in self.passages]
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


# ---------------------------------------------------------------- writing


def _passage_json(passage: Passage) -> str:
    record = asdict(passage)
    record["kind"] = passage.kind.value
    return json.dumps(record, ensure_ascii=False)


def _write_files(directory: Path, content: IndexContent) -> dict[str, int]:
    with (directory / PASSAGES).open("w", encoding="utf-8") as out:
        out.writelines(_passage_json(p) + "\n" for p in content.passages)
    np.save(directory / EMBEDDINGS, content.embeddings)
    np.save(directory / CONTEXT_EMBEDDINGS, content.context_embeddings)
    np.save(directory / QUESTION_EMBEDDINGS, content.question_embeddings)
    np.save(directory / SENTENCE_EMBEDDINGS, content.sentence_embeddings)
    write_vector_index(content.vectors, directory / VECTORS)
    content.bm25.save(str(directory / BM25_DIR), show_progress=False)
    (directory / WORDS).write_text(json.dumps(content.words.words, ensure_ascii=False), "utf-8")
    np.save(directory / WORD_VECTORS, content.words.vectors)
    return {
        path.relative_to(directory).as_posix(): path.stat().st_size
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def _fsync_tree(directory: Path) -> None:
    for path in [*directory.rglob("*"), directory]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _siblings(link: Path, kind: str) -> Iterator[Path]:
    yield from link.parent.glob(f".{link.name}.{kind}-*")


def _write_error(link: Path, error: OSError) -> IndexWriteError:
    return IndexWriteError(f"cannot write the index to {link}: {error.strerror or error}")


def _prepare_link(link: Path) -> None:
    if link.is_symlink() or not link.exists():
        return
    if link.is_dir() and not any(link.iterdir()):
        link.rmdir()
        return
    raise FaqbotError(
        f"{link} exists and is not an index link made by faqbot; remove it or choose another --out"
    )


def write_index(link: Path, content: IndexContent) -> Manifest:
    """Write `content` as a new version and switch `link` to it; return the final manifest.

    Must run under `index.build_lock.build_turn(link)`. Versions that are no longer linked,
    and directories of builds that were killed, are removed once the new version is in
    place. If writing fails (disk full, read-only, no permission), what was written is
    removed, the index in place stays in use, and `IndexWriteError` says why.
    """
    _prepare_link(link)
    build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = link.parent / f".{link.name}.building-{build_id}"
    version = link.parent / f".{link.name}.version-{build_id}"
    try:
        staging.mkdir()
        files = _write_files(staging, content)
        manifest = replace(content.manifest, files=files)
        (staging / MANIFEST).write_text(
            json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        _fsync_tree(staging)
        staging.rename(version)
        _switch_link(link, version)
    except BaseException as error:
        _discard(link, (staging, version))
        if isinstance(error, OSError):
            raise _write_error(link, error) from error
        raise
    _remove_unlinked(link, keep=version)
    return manifest


def _switch_link(link: Path, target: Path) -> None:
    temporary = link.parent / f".{link.name}.link-{secrets.token_hex(4)}"
    temporary.symlink_to(target.name)
    os.replace(temporary, link)  # atomic: readers see the old target or the new one
    descriptor = os.open(link.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _discard(link: Path, written: tuple[Path, ...]) -> None:
    """Remove what a failed write left behind, unless the link already points to it (the
    switch happened, only its fsync failed)."""
    in_use = link.resolve()
    for path in written:
        if path.resolve() != in_use:
            shutil.rmtree(path, ignore_errors=True)


def _remove_unlinked(link: Path, keep: Path) -> None:
    for stale in [*_siblings(link, "version"), *_siblings(link, "building")]:
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
    for stale_link in _siblings(link, "link"):
        stale_link.unlink(missing_ok=True)


# ---------------------------------------------------------------- loading


def index_exists(link: Path) -> bool:
    return (link / MANIFEST).is_file()


def read_manifest(link: Path) -> Manifest:
    """The manifest of the index at `link`, refused if its format is not this version's."""
    path = link / MANIFEST
    if not path.is_file():
        if link.exists():
            raise IndexCorruptError(f"{link} has no {MANIFEST}; {REBUILD_HINT}")
        raise IndexMissingError(f"no index at {link}; build it with: python -m index build")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise IndexCorruptError(f"{path} is unreadable ({error}); {REBUILD_HINT}") from error
    if isinstance(data, dict) and data.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {link} has format version {_shown(data.get('format_version'))}, this "
            f"faqbot reads version {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    try:
        return Manifest.from_json(data)
    except IndexCorruptError as error:
        raise IndexCorruptError(f"{path}: {error}") from error


def _check_model(manifest: Manifest, link: Path, model: str | None, vectors_only: bool) -> None:
    if model is not None and manifest.model != model:
        raise IndexMismatchError(
            f"index at {link} was built with model {manifest.model!r}, but {model!r} is "
            f"configured; rebuild it with: python -m index build --model {model} "
            f"(or set FAQBOT_MODEL={manifest.model})"
        )
    if vectors_only:
        return
    if manifest.bm25.get("analyzer") != ANALYZER_SETTINGS:
        raise IndexMismatchError(f"index at {link} uses another BM25 analyzer; {REBUILD_HINT}")
    if manifest.word_model != WORD_MODEL:
        raise IndexMismatchError(
            f"index at {link} has no word vectors of {WORD_MODEL}; {REBUILD_HINT}"
        )


def _check_files(directory: Path, manifest: Manifest) -> None:
    for name, size in manifest.files.items():
        path = directory / name
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}")
        if path.stat().st_size != size:
            raise IndexCorruptError(
                f"{path} has {path.stat().st_size} bytes, the manifest says {size} "
                f"(truncated or overwritten); {REBUILD_HINT}"
            )


_PASSAGE_JSON = _Strict("passage", Passage)


def _read_passages(path: Path) -> tuple[Passage, ...]:
    """Every passage, each field of its declared type (search and quoting trust them)."""
    passages = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                passages.append(_PASSAGE_JSON.read(line))
            except ValueError as error:
                raise ValueError(f"line {number}: {error}") from None
    return tuple(passages)


def _guarded(directory: Path, what: str, reader: Callable[[], Any]) -> Any:
    try:
        return reader()
    except FaqbotError:
        raise
    except Exception as error:  # any library's "cannot read this file"
        raise IndexCorruptError(
            f"{directory}: cannot read the {what} ({error}); {REBUILD_HINT}"
        ) from error


def _check_counts(content: IndexContent, directory: Path) -> None:
    manifest = content.manifest
    faq_count = int(sum(p.kind is BlockKind.FAQ for p in content.passages))
    counts = {
        "passages": len(content.passages),
        "vectors": content.vectors.ntotal,
        "embeddings": len(content.embeddings),
        "BM25 documents": int(content.bm25.scores["num_docs"]),
    }
    wrong = {name: n for name, n in counts.items() if n != manifest.passages}
    if len(content.sentence_embeddings) != content.sentence_offsets[-1]:
        wrong["sentence vectors"] = len(content.sentence_embeddings)
    contexts = len({p.context for p in content.passages if p.context})
    if len(content.context_embeddings) != contexts:
        wrong["context vectors"] = len(content.context_embeddings)
    if wrong or faq_count != len(content.question_embeddings) or faq_count != manifest.faq_entries:
        raise IndexCorruptError(
            f"{directory}: the manifest counts {manifest.passages} passages and "
            f"{manifest.faq_entries} FAQ entries, but found {counts | wrong} and {faq_count} FAQ "
            f"entries with {len(content.question_embeddings)} question vectors; {REBUILD_HINT}"
        )
    if content.vectors.d != manifest.dimension:
        raise IndexCorruptError(
            f"{directory}: vectors have dimension {content.vectors.d}, the manifest "
            f"{manifest.dimension}; {REBUILD_HINT}"
        )


def load_index(link: Path, model: str | None = None, *, vectors_only: bool = False) -> IndexContent:
    """Load and check the index at `link`; `model`, if given, must be the one it was built with.

    The link is resolved once, so a build that swaps it meanwhile cannot mix two versions.
    Whatever goes wrong is a `FaqbotError`: damage of any kind is `IndexCorruptError`.
    `vectors_only`: also an index whose other parts an older faqbot made (BM25 terms of
    another analyzer, no word vectors): refused for answering, but its passage vectors are
    the model's, and a rebuild takes them over.
    """
    return _guarded(link, "index", lambda: _load(link.resolve(), link, model, vectors_only))


def _read_words(directory: Path, manifest: Manifest) -> WordVectors:
    if not manifest.word_model:
        return WordVectors.empty()
    words = json.loads((directory / WORDS).read_text(encoding="utf-8"))
    if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
        raise ValueError(f"{WORDS} must be a list of words")
    return WordVectors(tuple(words), np.load(directory / WORD_VECTORS))


def _load(directory: Path, link: Path, model: str | None, vectors_only: bool) -> IndexContent:
    manifest = read_manifest(directory)
    _check_model(manifest, link, model, vectors_only)
    _check_files(directory, manifest)
    content = IndexContent(
        manifest=manifest,
        passages=_guarded(directory, "passages", lambda: _read_passages(directory / PASSAGES)),
        embeddings=_guarded(directory, "embeddings", lambda: np.load(directory / EMBEDDINGS)),
        context_embeddings=_guarded(
            directory, "context embeddings", lambda: np.load(directory / CONTEXT_EMBEDDINGS)
        ),
        question_embeddings=_guarded(
            directory, "question embeddings", lambda: np.load(directory / QUESTION_EMBEDDINGS)
        ),
        sentence_embeddings=_guarded(
            directory, "sentence embeddings", lambda: np.load(directory / SENTENCE_EMBEDDINGS)
        ),
        vectors=_guarded(
            directory,
            "FAISS index",
            lambda: read_vector_index(directory / VECTORS, manifest.vectors),
        ),
        bm25=_guarded(
            directory,
            "BM25 index",
            lambda: bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False),
        ),
        words=_guarded(directory, "word vectors", lambda: _read_words(directory, manifest)),
    )
    _check_counts(content, directory)
    return content
