"""The index's English skip reasons as German sentences an editor can act on
(`web.skip_reasons`), for the reasons the index really produces."""

import shutil

import pytest

from conftest import REPO
from index.corpus import load_corpus
from index.documents import Skipped
from web.skip_reasons import german_reason

OLD_WORD = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 56 + "WordDocument".encode("utf-16-le")


@pytest.fixture
def bad_files(tmp_path):
    """A folder of files the index skips, each for another reason, and one good file."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "gut.md").write_text("# Gut\n\nDie Kantine öffnet um 11 Uhr.\n", encoding="utf-8")
    (data / "Alte-Regelung.doc").write_bytes(OLD_WORD)
    (data / "Tarn.docx").write_bytes(OLD_WORD)
    (data / "kaputt.docx").write_bytes(b"PK\3\4 kein zip")
    (data / "kaputt.pdf").write_bytes(b"kein pdf")
    shutil.copy(REPO / "tests" / "documents" / "scanned.pdf", data / "scan.pdf")
    (data / "leer.txt").write_bytes(b"  \n")
    (data / "latin1.txt").write_bytes("Größe".encode("latin-1"))
    (data / ".versteckt.md").write_text("geheim")
    (data / "Notizen.odt").write_bytes(b"PK")
    (data / "faq.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (data / "zeilen.jsonl").write_text('{"id": "x", "text": "Gut."}\n{kaputt\n', encoding="utf-8")
    (data / "draussen.txt").symlink_to(tmp_path)
    (tmp_path / "fremd.txt").write_text("Fremd.", encoding="utf-8")
    (data / "fest.txt").hardlink_to(tmp_path / "fremd.txt")
    return data


EXPECTED = {
    "Alte-Regelung.doc": "Das Format .doc (altes Word) wird nicht gelesen – bitte als .docx "
    "oder PDF speichern.",
    "Tarn.docx": "Das Format .doc (altes Word) wird nicht gelesen – bitte als .docx oder PDF "
    "speichern.",
    "kaputt.docx": "Die Datei ist kein lesbares Word-Dokument (.docx)",
    "kaputt.pdf": "Die PDF ist beschädigt",
    "scan.pdf": "Die PDF enthält nur Bilder, keinen Text (eingescannt?)",
    "leer.txt": "Die Datei ist leer.",
    "latin1.txt": "nicht als UTF-8 gespeichert",
    ".versteckt.md": "Versteckte Datei",
    "Notizen.odt": "Das Format .odt wird nicht gelesen – bitte als .docx oder PDF speichern.",
    "faq.csv": "Zeile 1: Die Tabelle braucht die Spalten „frage“ und „antwort“",
    "zeilen.jsonl": "Zeile 2: Die Zeile ist fehlerhaft und wurde ausgelassen.",
    "draussen.txt": "Eine Verknüpfung, die nicht gelesen wird",
    "fest.txt": "Die Datei hat weitere Namen außerhalb des Ordners",
}


def test_every_reason_the_index_gives_has_its_german_sentence(bad_files):
    skipped = load_corpus(bad_files).skipped
    german = {item.source: german_reason(item) for item in skipped}
    assert set(german) == set(EXPECTED)
    for source, sentence in EXPECTED.items():
        assert german[source].startswith(sentence) or sentence in german[source], source
    assert not any(word in " ".join(german.values()) for word in ("file", "cap", "index."))


@pytest.mark.parametrize(
    ("reason", "german"),
    [
        ("file of 31.0 MB is larger than the cap of 20.0 MB (index.limits.MAX_FILE_BYTES); "
         "not read", "Die Datei ist größer als 20 MB"),
        ("has more than 2,000 pages, the cap (index.limits.MAX_PDF_PAGES); split the PDF",
         "zu umfangreich"),
        ("encrypted PDF (password-protected); save a copy without password",
         "mit einem Passwort geschützt"),
        ("3 duplicate passages indexed once; first at a.md", "nur einmal aufgenommen"),
        ("… and 1,234 more problems of this file not listed",
         "… und 1.234 weitere Hinweise zu dieser Datei."),
        ("https://intranet/x: HTTP 404 Not Found", "Webseite aus der Liste"),
        ("a PDF stream (object 6) decodes to more than 4,000,000 bytes "
         "(index.limits.MAX_PDF_STREAM_BYTES): a decompression bomb, or a whole font embedded; "
         "export the PDF again", "entpackt viel zu groß"),
        ("a PDF stream (object 7) is encoded with /CCITTFaxDecode, which is not read (only "
         "Flate, LZW, ASCII85 and ASCIIHex can be decoded within the caps)",
         "Die PDF ist beschädigt"),
        ("reading needed more than 2,048 MiB of memory ($FAQBOT_READ_MEMORY_MB)",
         "zu viel Speicher"),
        ("the reading process was stopped by SIGSEGV, most likely for lack of memory: it may use "
         "2,048 MiB of memory ($FAQBOT_READ_MEMORY_MB)", "zu viel Speicher"),
        ("reading took longer than 600 s ($FAQBOT_READ_SECONDS)", "dauerte zu lange"),
        ("reading it gave 130.2 MB of documents, more than the 100 MB allowed "
         "($FAQBOT_READ_OUTPUT_MB); split the file", "zu umfangreich"),
        ("https://intranet/x: reading took longer than 600 s ($FAQBOT_READ_SECONDS)",
         "Webseite aus der Liste"),
        ("something nobody foresaw", "Die Datei konnte nicht gelesen werden."),
    ],
)  # fmt: skip
def test_reasons_in_german(reason, german):
    assert german in german_reason(Skipped("a.pdf", reason))
