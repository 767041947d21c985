"""`python -m index` end to end, with the real bundled model (offline)."""

import json

import pytest

from conftest import OLDER_PARTS, REPO, as_if_older, run_index
from index import ChunkSettings, Manifest, VectorSettings, build, load_index, read_manifest
from index.build import build_settings
from index.settings import DEFAULT_MODEL


@pytest.mark.model
def test_build_and_info_on_the_default_corpus(tmp_path):
    out = tmp_path / "index"
    built = run_index("build", "--data", str(REPO / "data"), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert "5 FAQ entries" in built.stdout and "Skipped 0 items." in built.stdout

    info = run_index("info", "--out", str(out), "--json")
    assert info.returncode == 0, info.stderr
    manifest = json.loads(info.stdout)
    assert manifest["model"] == "multilingual-e5-small" and manifest["dimension"] == 384
    assert manifest["calibration"]["features"][0] == "dense"  # the model's, recorded
    assert set(manifest["stage_seconds"]) >= {"read and split", "load model", "embed"}
    assert (
        manifest["documents"] == 1 and manifest["passages"] >= 15 and manifest["faq_entries"] == 5
    )
    assert manifest["built_at"].startswith("20")


def test_build_if_needed_leaves_a_loadable_index_alone(small_corpus, tmp_path, fake_embedder):
    out = tmp_path / "index"
    built = build(small_corpus, out, embedder=fake_embedder)
    result = run_index("build", "--if-needed", "--data", str(small_corpus), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "is current; nothing built" in result.stdout
    assert read_manifest(out) == built


@pytest.mark.model
@pytest.mark.parametrize("present", ["none", *OLDER_PARTS])
def test_build_if_needed_builds_what_this_faqbot_cannot_load(
    small_corpus, tmp_path, fake_embedder, present
):
    out = tmp_path / "index"
    if present != "none":
        build(small_corpus, out, embedder=fake_embedder)
        as_if_older(out, present)
    result = run_index("build", "--if-needed", "--data", str(small_corpus), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Building: ") and "Index written to" in result.stdout
    assert load_index(out).manifest.model == DEFAULT_MODEL


def test_build_failure_exits_non_zero_with_one_line(tmp_path):
    empty = tmp_path / "leer"
    empty.mkdir()
    result = run_index("build", "--data", str(empty), "--out", str(tmp_path / "index"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: nothing to index in")


def test_info_without_index_explains_how_to_build(tmp_path):
    result = run_index("info", "--out", str(tmp_path / "nirgends"))
    assert result.returncode == 1
    assert "python -m index build" in result.stderr


def test_environment_chooses_the_paths(tmp_path):
    result = run_index("info", env={"FAQBOT_INDEX_DIR": str(tmp_path / "woanders")})
    assert result.returncode == 1
    assert str(tmp_path / "woanders") in result.stderr


def test_bad_settings_are_refused(tmp_path):
    result = run_index("build", "--max-chars", "0", "--out", str(tmp_path / "index"))
    assert result.returncode == 1
    assert "max_chars must be positive" in result.stderr


def test_summary_warns_when_the_model_has_no_calibration(small_corpus, tmp_path, fake_embedder):
    from index import build
    from index.__main__ import summary

    manifest = build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    assert "python -m bench.calibrate --model fake-hashed-words" in summary(manifest)
    assert "embed" in summary(manifest)  # where the build time went


RECORDED = Manifest(
    model="m", dimension=3, documents=1, passages=1, faq_entries=0,
    chunking=ChunkSettings(max_chars=600, overlap_sentences=0),
    vectors=VectorSettings(approximate_above=5, hnsw_neighbors=32),
    vector_index="exact", bm25={}, sources=(), skipped=(), embedded=0, reused=0,
    furniture=0, built_at="", build_seconds=0.0, calibration=None,
)  # fmt: skip


@pytest.mark.parametrize(
    ("recorded", "given", "chunking", "vectors"),
    [
        (None, {}, ChunkSettings(), VectorSettings()),
        (RECORDED, {}, RECORDED.chunking, RECORDED.vectors),
        (
            RECORDED, {"max_chars": 800},
            ChunkSettings(max_chars=800, overlap_sentences=0), RECORDED.vectors,
        ),
        (
            RECORDED, {"overlap_sentences": 2, "approximate_above": 0},
            ChunkSettings(max_chars=600, overlap_sentences=2),
            VectorSettings(approximate_above=0, hnsw_neighbors=32),
        ),
        (
            None, {"overlap_sentences": 0, "approximate_above": 7},
            ChunkSettings(overlap_sentences=0), VectorSettings(approximate_above=7),
        ),
    ],
)  # fmt: skip
def test_a_setting_is_the_one_given_else_the_recorded_one_else_the_default(
    recorded, given, chunking, vectors
):
    assert build_settings(recorded, **given) == (chunking, vectors)


def test_the_command_line_run_again_keeps_the_settings_the_index_was_built_with(
    monkeypatch, small_corpus, tmp_path, fake_embedder
):
    import index.__main__ as cli

    real = cli.build
    fake = fake_embedder
    monkeypatch.setattr(cli, "build", lambda *a, **kw: real(*a, **{**kw, "embedder": fake}))
    out = tmp_path / "index"

    def built(*options: str) -> tuple[int, int, int]:
        assert cli.main(["build", "--data", str(small_corpus), "--out", str(out), *options]) == 0
        manifest = read_manifest(out)
        chunking = manifest.chunking
        return chunking.max_chars, chunking.overlap_sentences, manifest.vectors.approximate_above

    assert built("--max-chars", "600", "--overlap", "0", "--approximate-above", "5") == (600, 0, 5)
    assert built() == (600, 0, 5)  # run again without options: kept
    assert built("--overlap", "2") == (600, 2, 5)  # an option given overrides only itself
    assert built() == (600, 2, 5)
