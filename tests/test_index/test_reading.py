"""Files whose parsers can blow up are read in a reading process with its own limits on
memory, time and output (`index.reading`); PDF streams are capped before pdfminer inflates
them (`limits.MAX_PDF_STREAM_BYTES`). A file beyond either is skipped with its reason, and
the build goes on with the next file."""

import io
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import docx
import pytest

from conftest import REPO, write_file
from index import build, limits, reading
from index.corpus import load_corpus
from index.documents import FileProblem
from index.formats import decode
from index.formats.pdf import pdf_text
from index.reading import ReadingWorker, ReadLimits
from index.settings import Settings
from pdf_bombs import BOMBS, write_bombs

SEED_PDF = REPO / "tests" / "documents" / "seed.pdf"
STREAM_CAP = "decodes to more than 4,000,000 bytes (index.limits.MAX_PDF_STREAM_BYTES)"
BOMB_BYTES = 5 * limits.MAX_PDF_STREAM_BYTES
"""Inflated size of the bombs in tests: beyond the cap, and quick to write."""


# ---------------------------------------------------------------- the stream cap


@pytest.mark.parametrize("name", BOMBS)
def test_each_bomb_is_a_readable_pdf_below_the_cap(name):
    """The bombs are PDFs pdfminer reads: what stops them is the size of their stream."""
    assert pdf_text(BOMBS[name](200_000)).text == "Ein Satz ueber Wale und Delfine."


@pytest.mark.parametrize("name", BOMBS)
def test_each_bomb_is_refused_without_inflating_it(name):
    bomb = BOMBS[name](BOMB_BYTES)
    tracemalloc.start()
    try:
        with pytest.raises(FileProblem) as refused:
            pdf_text(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason.startswith("a PDF stream (") and STREAM_CAP in refused.value.reason
    assert peak < 4 * limits.MAX_PDF_STREAM_BYTES


def test_a_stream_filter_without_a_bounded_decoder_is_refused():
    bomb = BOMBS["tounicode-bomb.pdf"](200_000)
    raw = bomb.replace(b"/FlateDecode", b"/RunLengthDecode", 2)  # the content, then the map
    with pytest.raises(FileProblem, match=r"^a PDF stream \(object 6\) is encoded with /RunLe"):
        pdf_text(raw)


WHALES = "# Wale\n\nDer Pottwal taucht bis in 2.000 Meter Tiefe.\n"


def test_bombs_are_skipped_with_their_reason_and_the_other_documents_indexed(
    tmp_path, fake_embedder
):
    data = tmp_path / "data"
    write_file(data / "wale.md", WHALES)
    shutil.copy(SEED_PDF, data / "seed.pdf")
    write_bombs(data, dict.fromkeys(BOMBS, BOMB_BYTES))
    manifest = build(data, tmp_path / "index", embedder=fake_embedder)
    assert sorted(record.doc_id for record in manifest.sources) == ["seed.pdf", "wale.md"]
    reasons = {item.source: item.reason for item in manifest.skipped}
    assert set(reasons) == set(BOMBS)
    assert all(STREAM_CAP in reason for reason in reasons.values()), reasons


# ---------------------------------------------------------------- the reading process


@pytest.fixture
def worker():
    with ReadingWorker(ReadLimits(1024 * 2**20, 2, 1_000_000)) as started:
        yield started


def test_the_reading_process_returns_what_the_reader_returns(worker):
    assert worker.run(decode, "Größe".encode()) == "Größe"
    with pytest.raises(FileProblem) as refused:  # a file's problem comes with its line
        worker.run(decode, b"Zeile\n\xff")
    assert refused.value.line == 2 and refused.value.reason.startswith("not valid UTF-8")
    with pytest.raises(FileProblem, match=r"^could not be read \(ValueError: "):
        worker.run(int, "keine Zahl")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("call", "reason"),
    [
        pytest.param(
            (bytearray, 2 * 2**30),
            "reading needed more than 1,024 MiB of memory ($FAQBOT_READ_MEMORY_MB)",
            id="memory",
        ),
        pytest.param(
            (signal.raise_signal, signal.SIGKILL),
            "the reading process was stopped by SIGKILL, most likely for lack of memory: "
            "it may use 1,024 MiB of memory ($FAQBOT_READ_MEMORY_MB)",
            id="killed",
        ),
        pytest.param(
            (time.sleep, 60), "reading took longer than 2 s ($FAQBOT_READ_SECONDS)", id="time"
        ),
        pytest.param(
            (bytes, 1_500_000),
            "reading it gave 1.5 MB of documents, more than the 1 MB allowed "
            "($FAQBOT_READ_OUTPUT_MB); split the file",
            id="output",
        ),
    ],
)
def test_a_limit_passed_is_the_reason_and_the_next_file_is_read(worker, call, reason):
    with pytest.raises(FileProblem) as refused:
        worker.run(*call)
    assert refused.value.reason == reason
    assert worker.run(decode, b"weiter") == "weiter"


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("import sys; sys.exit(3)", "the reading process ended with code 3"),
        ("import time; time.sleep(60)", "the reading process did not start within 1 s"),
    ],
)
def test_a_reading_process_that_does_not_start_skips_the_file(monkeypatch, program, reason):
    monkeypatch.setattr(reading, "START_SECONDS", 1.0)
    monkeypatch.setattr(reading, "_CHILD", program)
    with ReadingWorker(ReadLimits()) as failing, pytest.raises(FileProblem) as refused:
        failing.run(decode, b"Text")
    assert refused.value.reason == reason


def test_the_caps_of_the_build_hold_in_the_reading_process(worker, monkeypatch):
    raw = BOMBS["tounicode-bomb.pdf"](200_000)
    assert worker.run(pdf_text, raw).text == "Ein Satz ueber Wale und Delfine."
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 100_000)
    with pytest.raises(FileProblem, match=r"decodes to more than 100,000 bytes"):
        worker.run(pdf_text, raw)


def test_a_corpus_of_text_files_starts_no_reading_process(small_corpus, monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("text formats are read in the build's process")

    monkeypatch.setattr(ReadingWorker, "run", never)
    assert len(load_corpus(small_corpus).documents) == 3


def _long_docx(paragraphs: int) -> bytes:
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"Absatz {number}: " + "Der Pottwal taucht tief. " * 40)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.slow
def test_a_file_beyond_the_limits_is_skipped_and_the_build_goes_on(
    tmp_path, fake_embedder, monkeypatch
):
    """One PDF takes longer than the time limit (a bomb no cap stops: its cap raised),
    one Word file gives more than the output limit; the files after each are indexed."""
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 10**9)
    data = tmp_path / "data"
    write_file(data / "a-bomb.pdf", BOMBS["zero-tokens-bomb.pdf"](BOMB_BYTES))
    write_file(data / "b-seed.pdf", SEED_PDF.read_bytes())
    write_file(data / "c-long.docx", _long_docx(1_000))  # 1 MB of text
    write_file(data / "d-wale.md", WHALES)
    settings = Settings(read_seconds=2, read_output_mb=1)
    manifest = build(data, tmp_path / "index", embedder=fake_embedder, settings=settings)
    assert sorted(r.doc_id for r in manifest.sources) == ["b-seed.pdf", "d-wale.md"]
    reasons = {item.source: item.reason for item in manifest.skipped}
    assert reasons["a-bomb.pdf"] == "reading took longer than 2 s ($FAQBOT_READ_SECONDS)"
    assert reasons["c-long.docx"].startswith("reading it gave ")
    assert "more than the 1 MB allowed ($FAQBOT_READ_OUTPUT_MB)" in reasons["c-long.docx"]


_BUILD_STUCK_IN_A_FILE = """
import sys
from index.reading import ReadingWorker, ReadLimits
worker = ReadingWorker(ReadLimits())
worker.run(print, "")
print(worker._process.pid, flush=True)
stuck = f"open({sys.argv[1]!r}, 'w').close(); import time; time.sleep(600)"
worker.run(exec, stuck)
"""


def test_the_reading_process_ends_with_its_build(tmp_path):
    """A build killed while a file is read leaves no reading process behind."""
    reading = tmp_path / "reading"
    build_process = subprocess.Popen(
        [sys.executable, "-c", _BUILD_STUCK_IN_A_FILE, str(reading)],
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    reader = int(build_process.stdout.readline())
    for _ in range(300):
        if reading.exists():
            break
        time.sleep(0.1)
    assert reading.exists()
    build_process.kill()
    build_process.wait()
    build_process.stdout.close()
    for _ in range(100):
        if _ended(reader):
            break
        time.sleep(0.1)
    assert _ended(reader)


def _ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True
