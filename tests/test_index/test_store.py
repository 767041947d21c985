"""A damaged index is refused as damaged, a rebuild always repairs it, and a full or
read-only disk is one error line, never a traceback (fake embedder)."""

import errno
import json
import os
import re
import subprocess
import sys

import pytest

import index.__main__
import index.build_lock
import index.store
from bot import Bot
from conftest import FAKE_CALIBRATION, REPO
from index import IndexCorruptError, build, load_index, read_manifest
from index.errors import IndexWriteError
from index.store import REBUILD_HINT, Manifest


@pytest.fixture
def corpus(tmp_path):
    """Two short documents, one with an FAQ entry: builds in milliseconds, so that every
    damage can be built, refused and rebuilt."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "wale.txt").write_text(
        "Wale\n\nFAQ\n\nWie groß wird ein Blauwal?\n\nEin Blauwal wird bis zu 30 Meter lang.",
        encoding="utf-8",
    )
    (data / "bahn.md").write_text(
        "# Bahnreform\n\nDie Bahn plant neue Strecken.\n\n## Kosten\n\nSie kostet 12 Milliarden.",
        encoding="utf-8",
    )
    return data


@pytest.fixture
def out(corpus, tmp_path, fake_embedder):
    path = tmp_path / "index"
    build(corpus, path, embedder=fake_embedder)
    return path


def edit_manifest(out, change):
    path = out.resolve() / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data)), encoding="utf-8")


def with_field(name, value):
    return lambda data: {**data, name: value}


def without_field(name):
    return lambda data: {key: item for key, item in data.items() if key != name}


def with_nested(name, key, value):
    return lambda data: {**data, name: {**data[name], key: value}}


CALIBRATION = FAKE_CALIBRATION.to_json()

DAMAGES = {
    "bm25-list": (with_field("bm25", []), "manifest.bm25 "),
    "top-level-list": (lambda data: [data], "manifest must be an object"),
    "top-level-null": (lambda data: None, "manifest must be an object"),
    "files-string": (with_field("files", "abc"), "manifest.files "),
    "files-size-string": (with_field("files", {"passages.jsonl": "12"}), "passages.jsonl"),
    "max-chars-zero": (with_nested("chunking", "max_chars", 0), "chunking.*max_chars"),
    "max-chars-bool": (with_nested("chunking", "max_chars", True), "chunking.max_chars"),
    "vectors-string": (with_nested("vectors", "hnsw_ef_search", "512"), "vectors.hnsw_ef"),
    "dimension-float": (with_field("dimension", 64.0), "manifest.dimension "),
    "passages-bool": (with_field("passages", False), "manifest.passages "),
    "seconds-string": (with_field("build_seconds", "fast"), "manifest.build_seconds "),
    "stage-null": (with_field("stage_seconds", {"embed": None}), "stage_seconds"),
    "model-number": (with_field("model", 7), "manifest.model "),
    "missing-chunking": (without_field("chunking"), "manifest.chunking is missing"),
    "missing-sources": (without_field("sources"), "manifest.sources is missing"),
    "unknown-field": (with_field("extra", 1), "manifest.extra is not a field"),
    "sources-number": (with_field("sources", [1]), r"manifest.sources\[0\] "),
    "source-passages-string": (
        lambda data: {**data, "sources": [{**data["sources"][0], "passages": "3"}]},
        r"sources\[0\].passages",
    ),
    "skipped-incomplete": (with_field("skipped", [{"source": "x.txt"}]), "reason is missing"),
    "calibration-string": (with_field("calibration", "x"), "manifest.calibration "),
    "calibration-short": (
        with_field("calibration", {**CALIBRATION, "weights": [1.0]}),
        "manifest.calibration is refused",
    ),
    "calibration-weight-string": (
        with_field("calibration", {**CALIBRATION, "weights": ["1"] * 5}),
        r"calibration.weights\[0\]",
    ),
}


@pytest.mark.parametrize(("damage", "field"), DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_manifest_is_refused_and_a_rebuild_repairs_it(
    out, corpus, fake_embedder, fake_settings, damage, field
):
    edit_manifest(out, damage)
    for load in (
        lambda: read_manifest(out),
        lambda: load_index(out),
        lambda: Bot.load(out, embedder=fake_embedder, settings=fake_settings),
        lambda: Bot.load(out, settings=fake_settings),  # the model named by the manifest
    ):
        with pytest.raises(IndexCorruptError, match=field) as caught:
            load()
        assert str(caught.value).endswith(REBUILD_HINT)

    manifest = build(corpus, out, embedder=fake_embedder)
    assert load_index(out).manifest == manifest and manifest.documents == 2


def test_a_manifest_round_trips_and_numbers_written_by_hand_are_read(out):
    manifest = read_manifest(out)
    assert Manifest.from_json(manifest.to_json()) == manifest
    edit_manifest(
        out, lambda data: {**data, "build_seconds": 3, "calibration": {**CALIBRATION, "bias": -7}}
    )
    read = read_manifest(out)
    assert read.build_seconds == 3.0 and read.calibration == FAKE_CALIBRATION
    assert isinstance(read.chunking.max_chars, int) and isinstance(read.sources, tuple)


@pytest.mark.parametrize("damage", ["top-level-list", "files-string"])
def test_info_on_a_damaged_index_prints_one_error_line(out, damage):
    edit_manifest(out, DAMAGES[damage][0])
    result = subprocess.run(
        [sys.executable, "-m", "index", "info", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert REBUILD_HINT in result.stderr


def replace_file(out, name, text):
    """Replace one index file and record its new size, so that only its content is wrong."""
    directory = out.resolve()
    (directory / name).write_text(text, encoding="utf-8")
    size = (directory / name).stat().st_size
    edit_manifest(out, lambda data: {**data, "files": {**data["files"], name: size}})


def first_passage(out):
    return json.loads((out.resolve() / "passages.jsonl").read_text().splitlines()[0])


PASSAGE_DAMAGES = {
    "list": (lambda p: [p], "line 1: passage must be an object"),
    "bad-kind": (lambda p: {**p, "kind": "gedicht"}, "line 1: passage.kind must be one of"),
    "text-number": (lambda p: {**p, "text": 5}, "passage.text must be str"),
    "span-string": (lambda p: {**p, "sentences": [[0, "9"]]}, r"passage.sentences\[0\]\[1\]"),
    "span-triple": (lambda p: {**p, "sentences": [[0, 1, 2]]}, "must have 2 items"),
    "missing-text": (lambda p: {k: v for k, v in p.items() if k != "text"}, "text is missing"),
}


@pytest.mark.parametrize(("damage", "message"), PASSAGE_DAMAGES.values(), ids=PASSAGE_DAMAGES)
def test_a_damaged_passage_is_refused_with_its_line(out, damage, message):
    replace_file(out, "passages.jsonl", json.dumps(damage(first_passage(out))) + "\n")
    with pytest.raises(IndexCorruptError, match=message):
        load_index(out)


def test_a_line_of_two_passages_is_refused(out):
    passage = json.dumps(first_passage(out))
    replace_file(out, "passages.jsonl", f"{passage}, {passage}\n")
    with pytest.raises(IndexCorruptError, match="line 1: passage is refused: more than one"):
        load_index(out)


def test_garbage_in_a_vector_file_of_the_right_size_is_refused(out):
    size = (out.resolve() / "embeddings.npy").stat().st_size
    replace_file(out, "embeddings.npy", "x" * size)
    with pytest.raises(IndexCorruptError, match="embeddings"):
        load_index(out)


def test_any_error_while_checking_a_loaded_index_is_corruption(out, monkeypatch):
    real_load = index.store.bm25s.BM25.load

    def without_statistics(*args, **kwargs):
        bm25 = real_load(*args, **kwargs)
        bm25.scores = {}  # the check of the BM25 document count then meets a KeyError
        return bm25

    monkeypatch.setattr(index.store.bm25s.BM25, "load", without_statistics)
    with pytest.raises(IndexCorruptError, match=REBUILD_HINT):
        load_index(out)


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(out):
    linked = out.resolve().name
    return [p.name for p in out.parent.glob(".index.*-*") if p.name != linked]


@pytest.mark.parametrize("step", ["_write_files", "_fsync_tree", "_switch_link"])
def test_a_full_disk_keeps_the_index_and_leaves_nothing_behind(
    out, corpus, fake_embedder, monkeypatch, step
):
    before = load_index(out)
    (corpus / "neu.txt").write_text("Titel\n\nEin neuer Absatz über Wale.", encoding="utf-8")
    monkeypatch.setattr(index.store, step, disk_full)
    with pytest.raises(IndexWriteError, match=re.escape(f"write the index to {out}: No space")):
        build(corpus, out, embedder=fake_embedder)
    assert load_index(out).manifest == before.manifest
    assert leftovers(out) == []


def test_a_lock_that_cannot_be_made_is_a_write_error(out, corpus, fake_embedder, monkeypatch):
    class ReadOnlyLock:
        def __init__(self, path, **options):
            pass

        def acquire(self, blocking=True):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(index.build_lock, "FileLock", ReadOnlyLock)
    with pytest.raises(IndexWriteError, match="Read-only file system"):
        build(corpus, out, embedder=fake_embedder)


def test_the_build_command_on_a_full_disk_prints_one_line(
    out, corpus, fake_embedder, monkeypatch, capsys
):
    def fake_build(*args, **kwargs):
        return build(*args, **{**kwargs, "embedder": fake_embedder})

    monkeypatch.setattr(index.__main__, "build", fake_build)
    monkeypatch.setattr(index.store, "_write_files", disk_full)
    code = index.__main__.main(["build", "--data", str(corpus), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == f"error: cannot write the index to {out}: No space left on device\n"
    assert isinstance(load_index(out).manifest, Manifest)
