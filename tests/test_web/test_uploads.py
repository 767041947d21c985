"""Documents added and removed on the operators' page (`web.uploads`): hostile names, sizes
and counts are refused with a German reason, files land atomically in the data directory
only, and only listed regular files are removed."""

import os
from pathlib import Path

import pytest

from web.uploads import (
    Accepted,
    OfferedFile,
    Refused,
    UploadLimits,
    check_uploads,
    file_name,
    remove,
    save,
)

LIMITS = UploadLimits(max_bytes=1000, max_files=3)


def offered(name: str, size: int = 10) -> OfferedFile:
    return OfferedFile(name, Path("/tmp/gradio/x") / "f", size)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Kantine.pdf", "Kantine.pdf"),
        ("../../etc/Kantine.pdf", "Kantine.pdf"),
        ("/etc/cron.d/Kantine.pdf", "Kantine.pdf"),
        ("C:\\Users\\eva\\Kantine.pdf", "Kantine.pdf"),
        ("  Regeln für Gäste.docx ", "Regeln für Gäste.docx"),
        ("Bu\u0308cher.md", "Bücher.md"),  # decomposed umlaut, as a Mac sends it: NFC
        ("FAQ.CSV", "FAQ.CSV"),
    ],
)
def test_only_the_last_part_of_a_name_is_kept(sent, kept):
    assert file_name(sent) == kept


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("", "keinen Namen"),
        ("../", "keinen Namen"),
        ("..", "keinen Namen"),
        (".env.txt", "Versteckte Dateien"),
        ("../.bashrc.md", "Versteckte Dateien"),
        ("a\nb.txt", "unsichtbare Zeichen"),
        ("a\u202eb.txt", "unsichtbare Zeichen"),
        ("x" * 200 + ".txt", "länger als 120 Zeichen"),
        ("Alte-Regelung.doc", "Das Format .doc (altes Word) wird nicht gelesen – bitte als .docx"),
        ("Tabelle.xlsx", "als .csv speichern"),
        ("Foto.JPG", "Bilder (.jpg) werden nicht gelesen"),
        ("programm.exe", "Das Format .exe wird nicht gelesen. Lesbar sind PDF"),
        ("LIESMICH", "Eine Datei ohne Endung wird nicht gelesen"),
    ],
)
def test_names_that_are_refused_say_why_in_german(sent, reason):
    refused = file_name(sent)
    assert isinstance(refused, Refused) and reason in refused.reason


def test_sizes_counts_and_repeats_are_checked_and_nothing_else_is_lost():
    plan = check_uploads(
        [
            offered("a.pdf"),
            offered("leer.txt", 0),
            offered("gross.pdf", 1001),
            offered("a.pdf"),
            offered("b.md"),
            offered("c.md"),
            offered("d.md"),
        ],
        LIMITS,
        existing={"b.md"},
    )
    accepted = [(a.name, a.replaces) for a in plan.accepted]
    assert accepted == [("a.pdf", False), ("b.md", True), ("c.md", False)]
    reasons = {item.name: item.reason for item in plan.refused}
    assert reasons["leer.txt"] == "Die Datei ist leer."
    assert reasons["gross.pdf"].startswith("Die Datei ist größer als 0 MB")
    assert reasons["a.pdf"].startswith("Zweimal ausgewählt")
    assert reasons["d.md"].startswith("Höchstens 3 Dateien auf einmal")
    assert len(plan.accepted) + len(plan.refused) == 7


def test_a_file_of_exactly_the_limit_is_accepted():
    assert check_uploads([offered("a.pdf", 1000)], LIMITS, set()).accepted


def test_a_saved_file_replaces_its_namesake_in_one_step_and_leaves_no_temporary(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.md").write_text("alt")
    upload = tmp_path / "upload.md"
    upload.write_text("neu")
    save(Accepted("a.md", upload, replaces=True), data, 1000)
    assert (data / "a.md").read_text() == "neu"
    assert sorted(os.listdir(data)) == ["a.md"]
    assert (data / "a.md").stat().st_mode & 0o777 == 0o644


def test_a_file_grown_beyond_the_limit_is_not_saved_and_leaves_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    upload = tmp_path / "upload.md"
    upload.write_bytes(b"x" * 2000)
    with pytest.raises(ValueError):
        save(Accepted("a.md", upload, replaces=False), data, 1000)
    assert os.listdir(data) == []


def test_a_directory_of_that_name_is_never_replaced(tmp_path):
    data = tmp_path / "data"
    (data / "a.md").mkdir(parents=True)
    upload = tmp_path / "upload.md"
    upload.write_text("neu")
    with pytest.raises(ValueError):
        save(Accepted("a.md", upload, replaces=True), data, 1000)
    assert (data / "a.md").is_dir() and os.listdir(data) == ["a.md"]


def test_only_listed_regular_files_inside_the_folder_are_removed(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "b.md").write_text("b")
    (data / "a.md").write_text("a")
    outside = tmp_path / "geheim.txt"
    outside.write_text("geheim")
    (data / "link.txt").symlink_to(outside)
    listed = ["a.md", "sub/b.md", "link.txt", "../geheim.txt"]
    for hostile in ("../geheim.txt", "link.txt", "sub", "nicht-gelistet.md"):
        with pytest.raises((ValueError, OSError)):
            remove(data, hostile, [*listed, "sub"])
    assert outside.read_text() == "geheim" and (data / "link.txt").is_symlink()
    remove(data, "sub/b.md", listed)
    remove(data, "a.md", listed)
    assert sorted(os.listdir(data)) == ["link.txt", "sub"]
