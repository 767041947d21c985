"""`python -m index` end to end, with the real bundled model (offline)."""

import json

import pytest

from conftest import REPO, run_index


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
