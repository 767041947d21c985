"""Rebuilds take turns, and the app's rebuild runs in a child process with a memory limit
that reports its progress and its end."""

import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO
from index import read_manifest
from index.build_child import BuildFailedError, BuildLimits, build_in_subprocess
from index.build_lock import BuildBusyError
from index.config import DEFAULT_MODEL
from index.store import build_turn

SMALL_TEXT = (
    "Bahnreform 2027\n\nDie Bahn plant neue Strecken zwischen Köln und Berlin. "
    "Die Reform kostet rund 12 Milliarden Euro bis 2030.\n"
)


@pytest.fixture
def tiny_corpus(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bahn.txt").write_text(SMALL_TEXT, encoding="utf-8")
    return data


def hold_turn(link, entered: threading.Event, release: threading.Event) -> None:
    with build_turn(link):
        entered.set()
        release.wait(20)


def test_one_build_runs_one_waits_and_a_third_is_refused(tmp_path):
    link = tmp_path / "index"
    first_in, second_in, release = threading.Event(), threading.Event(), threading.Event()
    first = threading.Thread(target=hold_turn, args=(link, first_in, release))
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=hold_turn, args=(link, second_in, release))
    second.start()
    time.sleep(0.3)  # the second is now waiting for its turn
    assert not second_in.is_set()
    with pytest.raises(BuildBusyError, match="another one is waiting"), build_turn(link):
        pass
    release.set()
    first.join(10)
    assert second_in.wait(10)
    second.join(10)
    with build_turn(link):  # free again
        pass


def test_the_turn_is_shared_with_other_processes(tmp_path):
    """A build started by `python -m index build` is refused while two hold the turn."""
    link = tmp_path / "index"
    first_in, second_in, release = threading.Event(), threading.Event(), threading.Event()
    holders = [
        threading.Thread(target=hold_turn, args=(link, first_in, release)),
        threading.Thread(target=hold_turn, args=(link, second_in, release)),
    ]
    holders[0].start()
    assert first_in.wait(10)
    holders[1].start()
    time.sleep(0.3)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text(SMALL_TEXT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "index", "build", "--data", str(tmp_path / "data"),
         "--out", str(link)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    release.set()
    for holder in holders:
        holder.join(10)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: a build of")


@pytest.mark.model
def test_a_child_process_builds_and_reports_progress(tiny_corpus, tmp_path):
    lines: list[str] = []
    manifest = build_in_subprocess(tiny_corpus, tmp_path / "index", DEFAULT_MODEL, lines.append)
    assert manifest == read_manifest(tmp_path / "index")
    assert manifest.passages >= 1 and manifest.model == DEFAULT_MODEL
    assert any("Index written to" in line for line in lines)


def test_a_build_over_its_memory_limit_fails_and_says_why(tiny_corpus, tmp_path):
    limits = BuildLimits(memory_bytes=300 * 2**20)  # python with torch needs more than this
    with pytest.raises(BuildFailedError, match=r"MiB of memory \(\$FAQBOT_BUILD_MEMORY_MB\)"):
        build_in_subprocess(tiny_corpus, tmp_path / "index", DEFAULT_MODEL, limits=limits)
    assert not (tmp_path / "index").exists()


def test_a_failing_build_reports_its_error_line(tmp_path):
    with pytest.raises(BuildFailedError, match="does not exist"):
        build_in_subprocess(tmp_path / "missing", tmp_path / "index", DEFAULT_MODEL)
