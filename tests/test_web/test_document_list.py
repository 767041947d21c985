"""The documents of the folder with their state (`web.document_list`)."""

import os
from datetime import UTC, datetime, timedelta

from index.documents import Skipped
from web.document_list import (
    DocumentState,
    FolderFile,
    IndexedDocument,
    document_rows,
    folder_files,
)

BUILT = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)


def test_each_file_has_its_state_and_its_reason_in_german():
    files = [
        FolderFile("alt.md", BUILT - timedelta(days=1)),
        FolderFile("faq.csv", BUILT - timedelta(days=1)),
        FolderFile("Regelung.doc", BUILT - timedelta(days=1)),
        FolderFile("neu.pdf", BUILT + timedelta(minutes=5)),
        FolderFile("gleich.md", BUILT + timedelta(milliseconds=400)),  # stamped to the second
    ]
    indexed = [
        IndexedDocument("alt.md", ("Bahnreform",), 3, 0),
        IndexedDocument("faq.csv", ("faq",), 5, 5),
        IndexedDocument("gleich.md", ("Gleich",), 1, 0),
        IndexedDocument("weg.md", ("Weg",), 2, 0),
    ]
    skipped = [
        Skipped("Regelung.doc", "unsupported file type; use one of .txt"),
        Skipped("faq.csv", "empty question or answer", 4),
        Skipped("link.md", "symbolic link to /etc/passwd, outside the data directory; not read"),
    ]
    rows = {row.source: row for row in document_rows(files, indexed, skipped, BUILT)}
    assert rows["alt.md"].state is DocumentState.IN_SERVICE
    assert rows["alt.md"].summary == "„Bahnreform“ – 3 Textabschnitte"
    assert rows["faq.csv"].summary == "„faq“ – 5 Fragen mit Antwort"
    assert rows["faq.csv"].notes == (
        "Zeile 4: Frage oder Antwort fehlt; die Zeile wurde ausgelassen.",
    )
    assert rows["Regelung.doc"].state is DocumentState.SKIPPED
    assert rows["Regelung.doc"].summary.startswith("Das Format .doc (altes Word)")
    assert rows["neu.pdf"].state is DocumentState.WAITING
    assert rows["gleich.md"].state is DocumentState.IN_SERVICE
    assert rows["weg.md"].state is DocumentState.REMOVED and not rows["weg.md"].removable
    assert rows["link.md"].state is DocumentState.SKIPPED and not rows["link.md"].removable
    assert rows["link.md"].summary.startswith("Eine Verknüpfung, die nicht gelesen wird")
    assert list(rows) == sorted(rows)


def test_without_an_index_every_file_waits():
    rows = document_rows([FolderFile("a.md", BUILT)], [], [], None)
    assert [row.state for row in rows] == [DocumentState.WAITING]


def test_the_folder_is_listed_without_following_links_or_half_written_uploads(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "b.md").write_text("b")
    (data / "a.md").write_text("a")
    (data / ".upload-x.part").write_text("halb")
    (data / "link.md").symlink_to(tmp_path)
    os.mkfifo(data / "fifo.md")
    assert [file.source for file in folder_files(data)] == ["a.md", "sub/b.md"]
    assert len(folder_files(data, limit=1)) == 1
