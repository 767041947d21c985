"""Rebuilds take turns by one lock among threads and processes, and the app's rebuild runs
in a child process with a memory limit that reports its progress and, in one result, its
end."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import web.service
from conftest import REPO
from index import ChunkSettings, NoPassagesError, VectorSettings, build, build_child, read_manifest
from index.__main__ import parser
from index.build import build_settings
from index.build_child import BuildFailedError, BuildLimits, build_in_subprocess, child_command
from index.build_lock import BuildBusyError, build_turn
from index.corpus import DataDirError
from index.progress import BuildProgress, Stage
from index.settings import DEFAULT_MODEL, Settings
from web.service import BotService

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
def test_a_child_process_builds_and_reports_progress_as_events(tiny_corpus, tmp_path):
    """Every stage arrives as a `BuildProgress` in order; the command line's English summary
    and warnings never do."""
    events: list[BuildProgress] = []
    manifest = build_in_subprocess(tiny_corpus, tmp_path / "index", DEFAULT_MODEL, events.append)
    assert manifest == read_manifest(tmp_path / "index")
    assert manifest.passages >= 1 and manifest.model == DEFAULT_MODEL
    stages = list(dict.fromkeys(event.stage for event in events))
    assert stages == [Stage.READ, Stage.SPLIT, Stage.LOAD_MODEL, Stage.EMBED,
                      Stage.SEARCH_INDEX, Stage.WRITE]  # fmt: skip
    embedded = [event for event in events if event.stage is Stage.EMBED]
    assert embedded[-1].done == embedded[-1].total == manifest.embedded


def test_a_build_over_its_memory_limit_fails_and_says_why(tiny_corpus, tmp_path):
    limits = BuildLimits(memory_bytes=300 * 2**20)  # python with torch needs more than this
    with pytest.raises(BuildFailedError, match=r"MiB of memory \(\$FAQBOT_BUILD_MEMORY_MB\)"):
        build_in_subprocess(tiny_corpus, tmp_path / "index", DEFAULT_MODEL, limits=limits)
    assert not (tmp_path / "index").exists()


def test_a_failing_build_in_the_child_is_raised_as_its_own_error(tmp_path):
    with pytest.raises(DataDirError, match="does not exist"):
        build_in_subprocess(tmp_path / "missing", tmp_path / "index", DEFAULT_MODEL)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoPassagesError) as raised:
        build_in_subprocess(tmp_path / "empty", tmp_path / "index", DEFAULT_MODEL)
    assert str(raised.value).strip()  # the child's message, not a generic one


def test_a_child_killed_on_its_limit_is_a_build_failure_that_names_the_limit(tmp_path, monkeypatch):
    def killed_by_the_kernel(*args, **kwargs):
        report = BuildProgress(Stage.EMBED, 1, 10).to_line()
        kill = f"import os, signal; print({report!r}); print('Embedding: 10%'); " + (
            "os.kill(os.getpid(), signal.SIGKILL)"
        )
        return [sys.executable, "-c", kill]

    monkeypatch.setattr(build_child, "child_command", killed_by_the_kernel)
    events: list[BuildProgress] = []
    limits = BuildLimits(memory_bytes=512 * 2**20)
    with pytest.raises(BuildFailedError, match=r"SIGKILL.*512 MiB of memory \(\$FAQBOT_BUILD"):
        build_in_subprocess(
            tmp_path, tmp_path / "index", DEFAULT_MODEL, events.append, limits=limits
        )
    assert events == [BuildProgress(Stage.EMBED, 1, 10)]  # the plain line is no event


def test_the_child_builds_in_the_turn_its_parent_holds(tmp_path):
    """Within the turn (as `BotService.rebuild` holds it) the child is handed the turn: it
    neither waits for its own parent nor is refused, and its error comes back typed."""
    link = tmp_path / "index"
    with build_turn(link):
        with build_turn(link):  # the thread that holds the turn enters again
            pass
        with pytest.raises(DataDirError):
            build_in_subprocess(tmp_path / "missing", link, DEFAULT_MODEL)


HOLD = """
import sys
from pathlib import Path
from index.build_lock import build_turn
print("ready", flush=True)
with build_turn(Path(sys.argv[1])):
    print("in", flush=True)
    sys.stdin.read()
"""


def holding_process(link) -> subprocess.Popen:
    """A process that takes the turn and holds it until its input ends; it says "ready"
    once it has started (imports can take seconds on a busy machine), "in" once it holds
    the turn."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(link)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert process.stdout.readline() == "ready\n"
    return process


def test_one_process_builds_one_waits_and_a_further_one_is_refused(tmp_path):
    link = tmp_path / "index"
    first = holding_process(link)
    assert first.stdout.readline() == "in\n"
    second = holding_process(link)
    time.sleep(1.0)  # past its start: waiting for its turn
    assert second.poll() is None
    with pytest.raises(BuildBusyError, match="another one is waiting"), build_turn(link):
        pass
    first.communicate("", timeout=10)
    assert second.stdout.readline() == "in\n"  # its turn came when the first ended
    second.communicate("", timeout=10)
    assert (first.returncode, second.returncode) == (0, 0)


ORPHAN = """
import os, subprocess, sys
from pathlib import Path
from index.build_lock import build_turn, handing
link = Path(sys.argv[1])
with build_turn(link):
    turn, fds = handing(link)
    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    child = subprocess.Popen(sleep, pass_fds=fds, **quiet)
    print(child.pid, flush=True)
    os._exit(0)  # like a SIGKILL: the lock is never released by this process
"""


def test_a_child_handed_the_turn_keeps_it_when_its_parent_dies(tmp_path):
    link = tmp_path / "index"
    parent = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(link)],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=True,
    )  # fmt: skip
    orphan = int(parent.stdout)
    entered = threading.Event()
    waiting = threading.Thread(target=hold_turn, args=(link, entered, threading.Event()))
    try:
        waiting.start()
        time.sleep(0.5)
        assert not entered.is_set()  # the orphaned build still holds the turn
    finally:
        os.kill(orphan, signal.SIGKILL)
    assert entered.wait(10)
    waiting.join(10)


# ------------------------------------------------ a rebuild keeps the build settings


def cli_build(monkeypatch, embedder, *args: str) -> None:
    """`python -m index build ARGS` in-process, with `embedder` instead of the model."""
    import index.__main__ as cli

    real = cli.build
    monkeypatch.setattr(cli, "build", lambda *a, **kw: real(*a, **{**kw, "embedder": embedder}))
    assert cli.main(["build", *args]) == 0


@pytest.fixture
def admin_service(small_corpus, tmp_path, fake_embedder, fake_settings, fake_builder):
    """A service over the index at tmp_path/index (built by the test), rebuilt as /admin
    rebuilds it (`BotService.rebuild`), in-process with the fake model."""

    def service():
        return BotService(
            tmp_path / "index",
            small_corpus,
            embedder=fake_embedder,
            settings=fake_settings,
            builder=fake_builder,
        )

    return service


def test_an_admin_rebuild_keeps_the_chunking_the_index_was_built_with(
    monkeypatch, small_corpus, tmp_path, fake_embedder, admin_service
):
    index_dir = tmp_path / "index"
    cli_build(monkeypatch, fake_embedder, "--data", str(small_corpus), "--out", str(index_dir),
              "--max-chars", "600", "--overlap", "0")  # fmt: skip
    built = read_manifest(index_dir)
    assert (built.chunking.max_chars, built.chunking.overlap_sentences) == (600, 0)

    service = admin_service()
    rebuilt = service.rebuild()
    assert rebuilt.built_at >= built.built_at and rebuilt == read_manifest(index_dir)
    assert rebuilt.chunking.max_chars == 600 and rebuilt.chunking.overlap_sentences == 0
    assert rebuilt.passages == built.passages
    assert service.status().manifest.chunking == rebuilt.chunking


def test_an_admin_rebuild_keeps_the_approximate_index_threshold(
    monkeypatch, small_corpus, tmp_path, fake_embedder, admin_service
):
    index_dir = tmp_path / "index"
    cli_build(monkeypatch, fake_embedder, "--data", str(small_corpus), "--out", str(index_dir),
              "--approximate-above", "5")  # fmt: skip
    built = read_manifest(index_dir)
    assert built.vectors.approximate_above == 5 and built.vector_index == "hnsw"

    rebuilt = admin_service().rebuild()
    assert rebuilt.vectors == built.vectors and rebuilt.vector_index == "hnsw"
    assert rebuilt.chunking == ChunkSettings()  # the defaults it was built with


def test_the_app_builder_gets_the_recorded_settings_and_the_configured_memory(
    monkeypatch, small_corpus, tmp_path, fake_embedder, fake_settings
):
    """`BotService`'s own builder (the child process, here replaced in-process) is told the
    settings the index was built with and the memory `$FAQBOT_BUILD_MEMORY_MB` allows."""
    recorded = (ChunkSettings(max_chars=600, overlap_sentences=0), VectorSettings(5))
    build(small_corpus, tmp_path / "index", embedder=fake_embedder,
          chunking=recorded[0], vectors=recorded[1])  # fmt: skip
    calls = []

    def child(data_dir, index_dir, model, on_progress, *, limits, chunking, vectors):
        calls.append((model, limits, chunking, vectors))
        return build(data_dir, index_dir, embedder=fake_embedder, chunking=chunking,
                     vectors=vectors)  # fmt: skip

    monkeypatch.setattr(web.service, "build_in_subprocess", child)
    service = BotService(
        tmp_path / "index", small_corpus, embedder=fake_embedder, settings=fake_settings,
        config=Settings(build_memory_mb=512),
    )  # fmt: skip
    service.rebuild()
    assert calls == [(fake_embedder.name, BuildLimits(512 * 2**20), *recorded)]


def test_the_child_is_told_the_settings_and_else_keeps_those_of_the_index(tmp_path):
    """The child's command line carries the settings given; without them it leaves every
    option unset, so that the child's CLI keeps what the index at --out was built with."""
    limits = BuildLimits(300 * 2**20)
    given = (ChunkSettings(max_chars=600, overlap_sentences=0), VectorSettings(5))
    command = child_command(tmp_path / "data", tmp_path / "index", "m", limits, *given, result_fd=3)
    assert command[1:5] == ["-u", "-m", "index.build_child", str(300 * 2**20)]
    told = parser().parse_args(command[command.index("build") :])
    assert told.model == "m" and told.out == (tmp_path / "index").absolute()
    resolved = build_settings(
        None, max_chars=told.max_chars, overlap_sentences=told.overlap,
        approximate_above=told.approximate_above,
    )  # fmt: skip
    assert resolved == given

    bare_command = child_command(tmp_path, tmp_path, "m", limits, result_fd=3)
    bare = parser().parse_args(bare_command[bare_command.index("build") :])
    assert bare.max_chars is bare.overlap is bare.approximate_above is None
