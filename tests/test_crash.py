"""A build killed with SIGKILL at any point leaves a loadable index, and no debris later."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import build, load_index

HELPER = Path(__file__).with_name("build_until_killed.py")


def kill_build_at(point: str, data: Path, out: Path, marker: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, str(HELPER), str(data), str(out), point, str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"build ended before {point}: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"build never reached {point}")
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stderr.close()


@pytest.mark.parametrize("point", ["embed", "write", "switch"])
def test_killed_build_leaves_the_previous_index_in_use(
    small_corpus, tmp_path, fake_embedder, point
):
    out = tmp_path / "index"
    build(small_corpus, out, embedder=fake_embedder)
    before = load_index(out)
    (small_corpus / "neu.txt").write_text("Titel\n\nEin neuer Absatz über Wale.", encoding="utf-8")

    kill_build_at(point, small_corpus, out, tmp_path / "marker")

    after = load_index(out)
    assert after.manifest == before.manifest
    assert after.passages == before.passages
    assert (after.embeddings == before.embeddings).all()

    manifest = build(small_corpus, out, embedder=fake_embedder)
    assert manifest.documents == 4
    names = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".index."))
    assert [n for n in names if "building" in n or "link-" in n] == []
    assert len([n for n in names if ".version-" in n]) == 1


def test_killed_after_the_switch_the_new_index_is_complete(small_corpus, tmp_path, fake_embedder):
    out = tmp_path / "index"
    build(small_corpus, out, embedder=fake_embedder)
    (small_corpus / "neu.txt").write_text("Titel\n\nEin neuer Absatz über Wale.", encoding="utf-8")

    kill_build_at("cleanup", small_corpus, out, tmp_path / "marker")

    assert load_index(out).manifest.documents == 4
    build(small_corpus, out, embedder=fake_embedder)
    assert len([p for p in out.parent.iterdir() if ".version-" in p.name]) == 1
