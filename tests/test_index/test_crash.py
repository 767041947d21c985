"""A build killed with SIGKILL at any point leaves a loadable index, and no debris later."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from index import build, load_index

HELPER = REPO / "tests" / "build_until_killed.py"


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


def start_cli_build(data: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "index", "build", "--data", str(data), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def kill_when(process: subprocess.Popen, ready, timeout: float = 120) -> bool:
    """SIGKILL `process` as soon as `ready()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    return True


@pytest.mark.model
def test_sigkill_of_the_cli_build_at_several_points(tmp_path, real_embedder):
    import shutil

    from bot import Bot

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    out = tmp_path / "index"
    build(data, out, embedder=real_embedder)
    questions = ["Was ist Arctic Sentry?", "Wer ist NATO-Generalsekretär?", "Wie backe ich Brot?"]
    before = [Bot.load(out, embedder=real_embedder).answer(q) for q in questions]
    (data / "wale.txt").write_text(
        "Wale\n\nDer Blauwal ist das größte Tier der Erde und wird bis zu 30 Meter lang.",
        encoding="utf-8",
    )

    def staging_exists() -> bool:
        return any(".building-" in p.name for p in tmp_path.iterdir())

    started = [0.0]

    def after(seconds: float):
        return lambda: time.monotonic() - started[0] >= seconds

    points = {"while starting": after(0.5), "while loading and embedding": after(2.0)}
    points["while writing"] = staging_exists
    killed = []
    for name, ready in points.items():
        started[0] = time.monotonic()
        if kill_when(start_cli_build(data, out), ready):
            killed.append(name)
            after_kill = Bot.load(out, embedder=real_embedder)
            assert after_kill.content.manifest.documents == 1, name
            assert [after_kill.answer(q) for q in questions] == before, name
        else:  # the build won the race: put the old index back for the next point
            (data / "wale.txt").rename(tmp_path / "wale.txt")
            build(data, out, embedder=real_embedder)
            (tmp_path / "wale.txt").rename(data / "wale.txt")
    assert len(killed) >= 2, killed

    finished = start_cli_build(data, out)
    assert finished.wait(timeout=300) == 0
    assert not staging_exists()
    assert len([p for p in tmp_path.iterdir() if ".version-" in p.name]) == 1
    reply = Bot.load(out, embedder=real_embedder).answer("Wie lang wird ein Blauwal?")
    assert "30 Meter" in reply.text
