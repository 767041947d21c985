"""A build's progress as events (`index.progress`): what `index.build` reports, and how the
build child's lines carry them."""

import importlib

import pytest

from index import build, build_child
from index.progress import BuildProgress, Stage


def test_a_build_reports_every_stage_in_order_with_counts(small_corpus, tmp_path, fake_embedder):
    events: list[BuildProgress] = []
    manifest = build(small_corpus, tmp_path / "index", embedder=fake_embedder,
                     on_progress=events.append)  # fmt: skip
    stages = list(dict.fromkeys(event.stage for event in events))
    assert stages == [Stage.READ, Stage.SPLIT, Stage.LOAD_MODEL, Stage.EMBED,
                      Stage.SEARCH_INDEX, Stage.WRITE]  # fmt: skip
    read = [(e.done, e.total) for e in events if e.stage is Stage.READ and e.total]
    assert read == [(1, 3), (2, 3), (3, 3)]
    embedded = [e for e in events if e.stage is Stage.EMBED]
    assert embedded[0].done == 0 and embedded[-1].done == embedded[-1].total == manifest.embedded
    assert [e.done for e in embedded] == sorted(e.done for e in embedded)


def test_embedding_is_reported_in_steps(small_corpus, tmp_path, fake_embedder, monkeypatch):
    build_module = importlib.import_module("index.build")  # `index.build` is the function
    monkeypatch.setattr(build_module, "EMBED_STEP", 10)
    events: list[BuildProgress] = []
    build(small_corpus, tmp_path / "index", embedder=fake_embedder, on_progress=events.append)
    embedded = [e.done for e in events if e.stage is Stage.EMBED]
    assert len(embedded) > 3 and embedded[-1] == max(embedded)


def test_a_rebuild_of_unchanged_documents_embeds_nothing_and_says_so(
    small_corpus, tmp_path, fake_embedder
):
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    events: list[BuildProgress] = []
    build(small_corpus, tmp_path / "index", embedder=fake_embedder, on_progress=events.append)
    assert [e for e in events if e.stage is Stage.EMBED] == [BuildProgress(Stage.EMBED, 0, 0)]


@pytest.mark.parametrize(
    ("event", "fraction"),
    [
        (BuildProgress(Stage.READ, 3, 5), 0.6),
        (BuildProgress(Stage.EMBED, 0, 0), None),
        (BuildProgress(Stage.WRITE), None),
        (BuildProgress(Stage.EMBED, 12, 10), 1.0),
    ],
)
def test_an_event_travels_as_one_line_and_knows_its_share(event, fraction):
    assert BuildProgress.from_line(event.to_line()) == event
    assert event.fraction == fraction


@pytest.mark.parametrize(
    "line",
    [
        "warning: skipped Alte-Regelung.doc: unsupported file type",
        "Index written to /srv/faqbot/index",
        "faqbot-progress {not json",
        'faqbot-progress {"stage": "unknown", "done": 1, "total": 2}',
        'faqbot-progress {"stage": "read"}',
    ],
)
def test_other_lines_of_the_child_are_no_events(line):
    assert BuildProgress.from_line(line) is None


def test_the_child_reports_events_and_keeps_its_other_output_out_of_them(tmp_path, monkeypatch):
    """The child's English lines (warnings, the summary, a server path) never reach the
    progress report; a failure still names its last line."""
    script = (
        f"print({BuildProgress(Stage.READ, 1, 2).to_line()!r}); "
        "print('warning: skipped a.doc: unsupported file type'); "
        "print('Index written to /srv/index'); raise SystemExit(3)"
    )
    monkeypatch.setattr(build_child, "child_command", lambda *a, **k: ["python3", "-c", script])
    events: list[BuildProgress] = []
    with pytest.raises(build_child.BuildFailedError, match="code 3: Index written to"):
        build_child.build_in_subprocess(tmp_path, tmp_path / "index", "m", events.append)
    assert events == [BuildProgress(Stage.READ, 1, 2)]
