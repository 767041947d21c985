"""A corpus that stays in its directory: hostile files in `data/` never leak what lies outside
it, never fail or stall the build, and cost bounded time and memory; all is reported."""

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import index.corpus
from conftest import REPO, run_index
from conftest import write_file as write
from index import build, limits
from index.__main__ import summary
from index.corpus import load_corpus
from index.documents import BlockKind
from index.formats.html import html_text
from index.passages import ChunkSettings, split_corpus

SECRET = "FAQBOT_TEST_SECRET=streng-geheim-4711\nFAQBOT_DB_PASSWORD=hunter2"
"""Two lines: one line alone would be taken for a heading, and not be indexed even before."""
ENV_SECRET = "umgebungs-geheimnis-0815"
TEXT = (
    "Wale leben in allen Ozeanen. Der Blauwal ist das größte Tier der Erde. "
    "Er frisst vor allem Krill, bis zu vier Tonnen am Tag."
)


def nested(tag: str, depth: int, inner: str) -> str:
    return f"<{tag}>" * depth + inner + f"</{tag}>" * depth


def reasons(corpus) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in corpus.skipped:
        found.setdefault(item.source, []).append(item.reason)
    return found


# ---------------------------------------------------------------- through the CLI


@dataclass(frozen=True)
class HostileBuild:
    summary: str
    info: str
    passages: str
    manifest: dict


def hostile_corpus(root: Path) -> tuple[Path, Path]:
    """A little real text, and next to it every hostile thing the build must survive."""
    data, outside = root / "data", root / "outside"
    write(data / "wale.txt", f"Wale\n\n{TEXT}\n")
    secret = write(outside / "secret.env", f"{SECRET}\n")
    write(outside / "ordner" / "mehr.txt", f"Geheim\n\n{SECRET}\n")
    (data / "geheim.txt").symlink_to(secret)
    (data / "relativ.txt").symlink_to(Path("..") / "outside" / "secret.env")
    (data / "umgebung.txt").symlink_to("/proc/self/environ")
    (data / "passwd.txt").symlink_to("/etc/passwd")
    (data / "ordner").symlink_to(outside / "ordner", target_is_directory=True)
    (data / "innen").symlink_to(data, target_is_directory=True)
    os.link(secret, data / "fest.txt")  # a hard link to the secret outside
    write(data / "doppelt.txt", "Otter\n\nOtter schwimmen auf dem Rücken.\n")
    os.link(data / "doppelt.txt", data / "zweiter-name.txt")  # both names inside
    os.mkfifo(data / "rohr.txt")
    write(data / "tief.html", nested("div", 10_000, "<p>Tief unten lebt der Pottwal.</p>"))
    with (data / "riesig.txt").open("wb") as huge:  # 50 MB, sparse
        huge.truncate(50_000_000)
    line = json.dumps({"question": "Wie groß ist ein Blauwal?", "answer": "Bis zu 30 Meter."})
    write(data / "faq.jsonl", (line + "\n") * 100_000)
    write(data / "zeile\numbruch.txt", f"Delfine\n\n{TEXT.replace('Wale', 'Delfine')}\n")
    write(data / "farbe\x1b[31m.txt", "Robben\n\nRobben leben an Küsten.\n")
    return data, root / "index"


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> HostileBuild:
    data, out = hostile_corpus(tmp_path_factory.mktemp("hostile"))
    built = run_index("build", "--data", str(data), "--out", str(out), env={"X": ENV_SECRET})
    assert built.returncode == 0, built.stderr[-3000:]
    info = run_index("info", "--out", str(out))
    assert info.returncode == 0, info.stderr[-3000:]
    return HostileBuild(
        summary=built.stdout,
        info=info.stdout,
        passages=(out / "passages.jsonl").read_text(encoding="utf-8"),
        manifest=json.loads((out / "manifest.json").read_text(encoding="utf-8")),
    )


@pytest.mark.parametrize(
    ("name", "target", "leaked"),
    [
        pytest.param("geheim.txt", "/", "streng-geheim-4711", id="link-to-secret"),
        pytest.param("relativ.txt", "/", "streng-geheim-4711", id="relative-link"),
        pytest.param("umgebung.txt", "/proc/", ENV_SECRET, id="environ"),
        pytest.param("passwd.txt", "/etc/passwd", "root:x:0", id="passwd"),
        pytest.param("ordner", "/", "streng-geheim-4711", id="linked-directory"),
    ],
)
def test_links_out_of_the_data_directory_are_refused(hostile_build, name, target, leaked):
    prefix = f"  {name}: symbolic link to {target}"
    (line,) = [line for line in hostile_build.summary.splitlines() if line.startswith(prefix)]
    assert line.endswith(", outside the data directory; not read")
    assert leaked not in hostile_build.passages


@pytest.mark.parametrize(
    ("reported", "indexed"),
    [
        pytest.param("innen: symbolic link to a directory; not followed", None, id="inner-link"),
        pytest.param(
            "fest.txt: hard link with 1 of its 2 names outside the data directory (or in a "
            "hidden folder); not read",
            None,
            id="hard-link-out",
        ),
        pytest.param(None, "Otter schwimmen auf dem Rücken.", id="hard-link-inside"),
        pytest.param("rohr.txt: a FIFO, not a regular file; not read", None, id="fifo"),
        pytest.param(None, "Tief unten lebt der Pottwal.", id="deep-html"),
        pytest.param(
            "riesig.txt: file of 50.0 MB is larger than the cap of 20.0 MB", None, id="50MB"
        ),
        pytest.param(
            "faq.jsonl: 99,999 duplicate FAQ entries indexed once; first at faq.jsonl",
            "Bis zu 30 Meter.",
            id="duplicate-faq",
        ),
        pytest.param(
            "zeile\\numbruch.txt: file name holds control", "Delfine leben", id="newline-name"
        ),
        pytest.param("farbe\\x1b[31m.txt: file name holds control", "Robben", id="escape-name"),
    ],
)
def test_hostile_files_are_reported_and_the_rest_is_indexed(hostile_build, reported, indexed):
    if reported:
        assert f"  {reported}" in hostile_build.summary
    if indexed:
        assert indexed in hostile_build.passages
    assert "Der Blauwal ist das größte Tier der Erde." in hostile_build.passages


def test_duplicates_cost_nothing(hostile_build):
    faq = [p for p in map(json.loads, hostile_build.passages.splitlines()) if p["kind"] == "faq"]
    assert [p["question"] for p in faq] == ["Wie groß ist ein Blauwal?"]
    assert len(json.dumps(hostile_build.manifest)) < 20_000


@pytest.mark.parametrize("output", ["summary", "info"])
def test_control_characters_in_names_never_break_a_line(hostile_build, output):
    printed = getattr(hostile_build, output)
    assert "\x1b" not in printed
    lines = printed.splitlines()
    assert not [line for line in lines if line.startswith("umbruch.txt")]
    assert any("zeile\\numbruch.txt" in line for line in lines)


# ---------------------------------------------------------------- memory and the caps

MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    sys.path.insert(0, "tests")
    from conftest import FakeEmbedder
    from index import build
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    build(data / "warm", out / "warm", embedder=FakeEmbedder())  # imports and SoMaJo loaded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    build(data / "big", out / "big", embedder=FakeEmbedder())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_mb": before / 1024, "peak_mb": after / 1024}))
    """
)

PEAK_GROWTH_MB = 150
"""Measured: building the 1.1 MB paragraph raises the peak by some 20 MB (the text, its
pieces, passages and BM25 tokens); the code before the caps needed 640 MB more."""


def test_a_huge_paragraph_costs_bounded_memory(tmp_path):
    words = "Wort ohne Punkt und Komma, aber mit Zahlen wie 3,5 und 12 dazwischen "
    write(tmp_path / "data" / "warm" / "klein.txt", f"Titel\n\n{TEXT}\n")
    text = (words * (1_100_000 // len(words) + 1))[:1_100_000]
    write(tmp_path / "data" / "big" / "gross.txt", f"Titel\n\n{text}\n")
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path / "data"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    memory = json.loads(result.stdout.splitlines()[-1])
    print(f"peak RSS {memory['peak_mb']:.0f} MB, {memory['before_mb']:.0f} MB before the build")
    assert memory["peak_mb"] - memory["before_mb"] < PEAK_GROWTH_MB
    out = tmp_path / "out" / "big"
    passages = [json.loads(line) for line in (out / "passages.jsonl").read_text().splitlines()]
    longest = max(ChunkSettings().max_chars, limits.MAX_SENTENCE_CHARS)  # a sentence stands alone
    assert max(len(p["text"]) for p in passages) <= longest
    assert max(e - s for p in passages for s, e in p["sentences"]) <= limits.MAX_SENTENCE_CHARS
    skipped = json.loads((out / "manifest.json").read_text())["skipped"]
    assert len(skipped) == 2  # one line per cap, not one per piece
    assert skipped[0]["reason"].startswith("paragraph of 1,100,000 characters split into pieces")
    assert "sentences of up to" in skipped[1]["reason"]


@pytest.fixture
def small_caps(monkeypatch):
    """Caps small enough to be reached by a few lines of test text."""
    monkeypatch.setattr(limits, "MAX_BLOCK_CHARS", 300)
    monkeypatch.setattr(limits, "MAX_SENTENCE_CHARS", 80)
    monkeypatch.setattr(limits, "MAX_HEADING_CHARS", 60)


def test_capped_text_keeps_every_offset_and_is_reported_once_per_file(tmp_path, small_caps):
    endless = " ".join(f"wort{n}" for n in range(400))  # 3,089 characters, no full stop
    sentences = " ".join(f"Satz Nummer {n} ist kurz." for n in range(60))
    write(tmp_path / "lang.txt", f"Titel\n\n{endless}\n\n{sentences}\n")
    write(tmp_path / "liste.md", f"# Liste\n\nSo geht es:\n\n- {endless}\n- kurz\n")
    line = json.dumps({"question": "Was nun?", "answer": endless})
    write(tmp_path / "faq.jsonl", line + "\n")
    corpus = load_corpus(tmp_path)
    split = split_corpus(corpus, ChunkSettings(max_chars=200))
    for document in corpus.documents:
        for block in document.blocks:
            assert document.text[block.start : block.end] == block.text
    texts = {d.doc_id: d.text for d in corpus.documents}
    for passage in split.passages:
        assert texts[passage.doc_id][passage.start : passage.end] == passage.text
        for start, end in passage.sentences:
            sentence = passage.text[start:end]
            assert 0 < len(sentence) <= 80 and sentence == sentence.strip()
    quoted = " ".join(passage.text for passage in split.passages if passage.source == "lang.txt")
    assert all(f"wort{n}" in quoted for n in range(400))  # cut, nothing lost
    pieces = "split into pieces of at most 300 before sentence splitting"
    cut = "cut into pieces of at most 80 at word boundaries"
    assert [str(item) for item in split.skipped] == [
        f"faq.jsonl: paragraph of 3,089 characters {pieces}",
        f"faq.jsonl: 11 sentences of up to 300 characters {cut}",
        f"lang.txt: 2 paragraphs of up to 3,089 characters {pieces}",
        f"lang.txt: 11 sentences of up to 300 characters {cut}",
        f"liste.md: line of 3,091 characters {pieces}",
        f"liste.md: 11 sentences of up to 300 characters {cut}",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reported", "kept"),
    [
        pytest.param(
            "lang.md",
            f"# {'Überschrift ' * 10}\n\n{TEXT}\n",
            "lang.md: heading of 119 characters longer than the cap of 60, indexed as text",
            "Überschrift Überschrift",
            id="heading",
        ),
        pytest.param(
            "titel.html",
            f"<title>{'Titel ' * 20}</title><p>{TEXT}</p>",
            "titel.html: title of 119 characters shortened to 60 at a word boundary",
            TEXT,
            id="title",
        ),
        pytest.param(
            "frage.csv",
            f"Frage,Antwort\n{'Warum ' * 20}?,{TEXT.replace(',', '')}\n",
            "frage.csv: question of 121 characters longer than the cap of 60, indexed as text",
            "Warum Warum",
            id="question",
        ),
        pytest.param(
            "ids.jsonl",
            json.dumps({"id": "x" * 61, "text": TEXT}) + "\n",
            "ids.jsonl:1: id of 61 characters is longer than the cap of 60",
            None,
            id="id",
        ),
    ],
)
def test_overlong_headings_titles_questions_and_ids(
    tmp_path, small_caps, name, content, reported, kept
):
    write(tmp_path / name, content)
    corpus = load_corpus(tmp_path)
    assert any(str(item).startswith(reported) for item in corpus.skipped), corpus.skipped
    split = split_corpus(corpus, ChunkSettings())
    assert all(len(p.context) <= 3 * 60 + 2 for p in split.passages)
    if kept:
        assert any(kept in p.text for p in split.passages)


@pytest.mark.parametrize(
    ("cap", "value", "files", "reported"),
    [
        pytest.param(
            "MAX_FILE_BYTES", 1_000, {"a.txt": 1_000, "b.txt": 1_001},
            ["b.txt: file of 0.0 MB is larger than the cap of 0.0 MB"], id="file-size",
        ),
        pytest.param(
            "MAX_CORPUS_BYTES", 2_500, {"a.txt": 1_000, "b.txt": 1_000, "c.txt": 1_000},
            ["c.txt: file of 0.0 MB would take the corpus beyond the cap of 0.0 MB"],
            id="corpus-size",
        ),
        pytest.param(
            "MAX_FILE_PARTS", 20, {"a.txt": 20, "b.md": 21},
            ["b.md: has 21 lines, more than the cap of 20"], id="lines",
        ),
    ],
)  # fmt: skip
def test_size_caps_skip_files_with_the_reason(tmp_path, monkeypatch, cap, value, files, reported):
    """`files` maps names to sizes: in bytes, or for the lines cap in lines."""
    monkeypatch.setattr(limits, cap, value)
    for name, size in files.items():
        line = "Ein Satz ueber Wale.\n"
        content = line * size if cap == "MAX_FILE_PARTS" else (line * size)[: size - 1] + "\n"
        write(tmp_path / name, f"Titel\n\n{content}"[-len(content) :])
    corpus = load_corpus(tmp_path)
    assert [str(item).split(" (index.limits")[0] for item in corpus.skipped] == reported
    assert len(corpus.documents) == len(files) - len(reported)


# ---------------------------------------------------------------- one file never fails the build


@pytest.mark.parametrize("tag", ["div", "blockquote", "section", "span", "ul"])
def test_deeply_nested_html_is_indexed_in_linear_time(tag):
    started = time.perf_counter()
    _, text, elements = html_text(nested(tag, 10_000, "<p>Tief unten lebt der Pottwal.</p>"))
    assert "Tief unten lebt der Pottwal." in text and elements
    assert time.perf_counter() - started < 10  # bs4's `decomposed` alone took 90 s


def test_html_comments_are_not_indexed():
    _, text, _ = html_text(f"<body><div>{TEXT}<!-- intern: {SECRET} --></div></body>")
    assert TEXT in text and "geheim" not in text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param(
            "tief.jsonl",
            json.dumps({"text": "x"}) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n",
            "tief.jsonl:2: JSON nested too deeply",
            id="deep-json",
        ),
        pytest.param(
            "surrogat.jsonl",
            '{"question": "Was?", "answer": "kaputt \\ud800"}\n' + json.dumps({"text": "x"}),
            "surrogat.jsonl:1: holds an unpaired surrogate (U+D800)",
            id="lone-surrogate",
        ),
    ],
)
def test_hostile_content_costs_one_file_or_line_at_most(
    tmp_path, fake_embedder, name, content, reason
):
    write(tmp_path / "data" / "wale.txt", f"Wale\n\n{TEXT}\n")
    write(tmp_path / "data" / name, content)
    started = time.perf_counter()
    manifest = build(tmp_path / "data", tmp_path / "index", embedder=fake_embedder)
    assert time.perf_counter() - started < 20
    assert [str(item) for item in manifest.skipped] == [reason]


@pytest.mark.parametrize("error", [RecursionError, ValueError, UnicodeError, KeyError])
def test_an_error_in_a_loader_skips_only_its_file(tmp_path, monkeypatch, error):
    def broken(raw: bytes, rel: str):
        raise error("maximum recursion depth exceeded")

    monkeypatch.setitem(index.corpus.LOADERS, ".html", broken)
    write(tmp_path / "wale.txt", f"Wale\n\n{TEXT}\n")
    write(tmp_path / "kaputt.html", "<p>Kaputt.</p>")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["wale.txt"]
    (skipped,) = corpus.skipped
    assert skipped.source == "kaputt.html"
    assert skipped.reason.startswith(f"could not be read ({error.__name__}: ")


# ---------------------------------------------------------------- the directory


def test_walk_order_is_sorted_and_stable(tmp_path):
    for name in ["b/z.txt", "a.txt", "b/a/c.txt", "c.txt", "b.txt"]:
        write(tmp_path / name, f"Titel {name}\n\n{TEXT}\n")
    sources = [d.source for d in load_corpus(tmp_path).documents]
    assert sources == ["a.txt", "b/a/c.txt", "b/z.txt", "b.txt", "c.txt"]
    assert sources == [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*.txt"))]


@pytest.mark.parametrize(
    ("make", "reported"),
    [
        pytest.param(
            lambda d: (d / "x.txt").symlink_to(d / "x.txt"),
            "x.txt: symbolic link that cannot be resolved (Symlink loop from ",
            id="link-loop",
        ),
        pytest.param(
            lambda d: (d / "nochmal.txt").symlink_to(d / "wale.txt"),
            "wale.txt: 1 duplicate passage indexed once; first at nochmal.txt ('Wale leben ",
            id="link-inside",
        ),
        pytest.param(
            lambda d: socket.socket(socket.AF_UNIX).bind(str(d / "s.txt")),
            "s.txt: a socket, not a regular file; not read",
            id="socket",
        ),
        pytest.param(
            lambda d: write(d / ".git" / "objects" / "ab.txt", TEXT),
            ".git: hidden directory; not read",
            id="hidden-directory",
        ),
        pytest.param(
            lambda d: write(d / ".notizen.txt", TEXT), ".notizen.txt: hidden file", id="hidden-file"
        ),
    ],
)
def test_entries_that_are_not_plain_files(tmp_path, fake_embedder, make, reported):
    data = tmp_path / "data"
    write(data / "wale.txt", f"Wale\n\n{TEXT}\n")
    make(data)
    manifest = build(data, tmp_path / "index", embedder=fake_embedder)
    (skipped,) = manifest.skipped
    assert str(skipped).startswith(reported)
    assert manifest.passages == 1


def test_an_unreadable_directory_is_reported(tmp_path, monkeypatch):
    write(tmp_path / "wale.txt", f"Wale\n\n{TEXT}\n")
    write(tmp_path / "gesperrt" / "geheim.txt", f"Geheim\n\n{SECRET}\n")
    scandir = os.scandir

    def refusing(path):
        if Path(path).name == "gesperrt":
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)  # as root, chmod 000 would not stop a read
    corpus = load_corpus(tmp_path)
    assert [str(item) for item in corpus.skipped] == [
        "gesperrt/: unreadable directory (Permission denied); not read"
    ]
    assert [d.source for d in corpus.documents] == ["wale.txt"]


# ---------------------------------------------------------------- reports


def test_duplicates_are_reported_once_per_file(tmp_path):
    row = {"question": "Wie  groß ist\nein Blauwal?", "answer": "Bis zu 30 Meter."}
    write(tmp_path / "a.jsonl", "\n".join(json.dumps(row) for _ in range(3)))
    write(tmp_path / "b.csv", 'Frage,Antwort\n"Wie groß ist ein Blauwal?","Bis zu 30 Meter."\n')
    write(tmp_path / "wale.txt", f"Wale\n\n{TEXT}\n\n{TEXT}\n")
    write(tmp_path / "kopie.txt", f"Wale\n\n{TEXT}\n")
    split = split_corpus(load_corpus(tmp_path), ChunkSettings())
    first = "first at a.jsonl ('Wie groß ist ein Blauwal?')"
    assert [str(item) for item in split.skipped] == [
        f"a.jsonl: 2 duplicate FAQ entries indexed once; {first}",
        f"b.csv: 1 duplicate FAQ entry indexed once; {first}",
        "wale.txt: 2 duplicate passages indexed once; first at kopie.txt ('Wale leben in allen "
        "Ozeanen. Der Blauwal ist das größte Tier der Erde. Er…')",
    ]
    assert [p.kind for p in split.passages].count(BlockKind.FAQ) == 1
    assert sum(TEXT in p.text for p in split.passages) == 1


def test_problems_are_reported_at_most_twenty_per_file(tmp_path):
    write(tmp_path / "kaputt.jsonl", "{kaputt\n" * 100 + json.dumps({"text": TEXT}) + "\n")
    corpus = load_corpus(tmp_path)
    assert len(corpus.skipped) == limits.MAX_REPORTED_PER_FILE + 1
    assert [item.line for item in corpus.skipped[:20]] == list(range(1, 21))
    assert str(corpus.skipped[-1]) == "kaputt.jsonl: … and 80 more problems of this file not listed"
    assert len(corpus.documents) == 1


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x1c", "\x1d", "\x1e", "\x0b"])
def test_jsonl_lines_end_at_newlines_only(tmp_path, separator):
    text = f"Wale leben{separator}in allen Ozeanen."
    write(tmp_path / "a.jsonl", f'{{"id": "r", "text": "{text}"}}\r\n{{kaputt\n')
    corpus = load_corpus(tmp_path)
    (document,) = corpus.documents
    assert document.text == text
    assert [(item.line, item.reason.split(" (")[0]) for item in corpus.skipped] == [
        (2, "malformed JSON")
    ]


def test_the_cli_summary_escapes_and_shows_progress(tmp_path, fake_embedder, monkeypatch):
    write(tmp_path / "data" / "zeile\nzwei.txt", f"Wale\n\n{TEXT}\n")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    manifest = build(tmp_path / "data", tmp_path / "index", embedder=fake_embedder, progress=True)
    assert "Reading files: 100%" in terminal.getvalue()
    assert "Splitting into sentences: 100%" in terminal.getvalue()
    printed = summary(manifest)
    assert "  zeile\\nzwei.txt: file name holds control" in printed
    assert [r.source for r in manifest.sources] == ["zeile\\nzwei.txt"]
    assert not any(line.startswith("zwei.txt") for line in printed.splitlines())
