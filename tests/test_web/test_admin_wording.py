"""The operators' page in plain German (`web.admin_wording`): counts, dates, the stages of a
rebuild, its summary and its failures."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from index.build_child import BuildFailedError
from index.build_lock import BuildBusyError
from index.documents import Skipped
from index.errors import IndexWriteError, NoPassagesError
from index.progress import BuildProgress, Stage
from index.store import DocumentRecord
from web import admin_wording as wording


@pytest.mark.parametrize(
    ("value", "said"),
    [(0, "0 Dokumente"), (1, "1 Dokument"), (2, "2 Dokumente"), (12345, "12.345 Dokumente")],
)
def test_counts_take_the_right_noun(value, said):
    assert wording.counted(value, "Dokument", "Dokumente") == said


def test_the_status_line_is_plain_german_in_local_time(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time

    time.tzset()
    try:
        line = wording.in_service(1, "2026-12-06T13:03:09+00:00")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert line == "Im Einsatz: 1 Dokument, zuletzt aktualisiert am 6. Dezember 2026, 14:03"


@pytest.mark.parametrize(
    ("progress", "said"),
    [
        (BuildProgress(Stage.READ), "Dokumente lesen"),
        (BuildProgress(Stage.READ, 3, 5), "Dokumente lesen 3/5"),
        (BuildProgress(Stage.SPLIT), "Abschnitte bilden"),
        (BuildProgress(Stage.EMBED, 45, 100), "Abschnitte einbetten 45\u00a0%"),
        (BuildProgress(Stage.EMBED, 2, 3), "Abschnitte einbetten 66\u00a0%"),
        (BuildProgress(Stage.EMBED, 0, 0), "Abschnitte einbetten"),
        (BuildProgress(Stage.SEARCH_INDEX), "Suchverzeichnis anlegen"),
        (BuildProgress(Stage.WRITE), "Index speichern"),
        (BuildProgress(Stage.SWITCH), "Neuen Stand übernehmen"),
    ],
)
def test_progress_is_said_by_stage_and_count(progress, said):
    assert wording.progress_text(progress) == said


def test_the_steps_show_what_is_done_running_and_open():
    steps = wording.progress_steps(BuildProgress(Stage.EMBED, 1, 4))
    assert steps[:3] == [("Dokumente lesen", "fertig"), ("Abschnitte bilden", "fertig"),
                         ("Sprachmodell laden", "fertig")]  # fmt: skip
    assert steps[3] == ("Abschnitte einbetten 25\u00a0%", "läuft")
    assert {state for _, state in steps[4:]} == {"offen"}
    assert {state for _, state in wording.progress_steps(None)} == {"offen"}


def test_the_summary_of_a_rebuild_names_what_is_in_service_and_what_was_not_taken(
    fake_service,
):
    manifest = fake_service.status().manifest
    assert wording.rebuilt(manifest) == (
        "Fertig: 3 Dokumente sind jetzt im Einsatz, mit "
        f"{manifest.passages - manifest.faq_entries} Textabschnitten und "
        f"{manifest.faq_entries} Fragen mit Antwort."
    )
    one = replace(
        manifest, documents=1, passages=1, faq_entries=0,
        sources=(DocumentRecord("a", "a.md", "h", 1),),
        skipped=(Skipped("a.md", "1 duplicate passage indexed once; first at a.md"),
                 Skipped("b.doc", "unsupported file type")),
    )  # fmt: skip
    assert wording.rebuilt(one) == (
        "Fertig: 1 Dokument ist jetzt im Einsatz, mit 1 Textabschnitt. 1 Datei wurde nicht "
        "übernommen – die Gründe stehen in der Liste der Dokumente."
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (BuildBusyError("a build of /srv/index runs and another one is waiting"),
         "Es läuft schon ein Neuaufbau"),
        (NoPassagesError("nothing to index in /srv/data"), "kein Dokument, das gelesen"),
        (IndexWriteError("No space left on device: /srv/index"), "Speicherplatz voll"),
        (BuildFailedError("the build needed more than its 4096 MiB of memory"),
         "mehr Arbeitsspeicher"),
        (RuntimeError("/srv/bug"), "unerwarteten Fehler"),
    ],
)  # fmt: skip
def test_a_failure_is_said_in_german_without_a_server_path(error, said):
    text = wording.failure(error)
    assert said in text and "/srv" not in text
    if not isinstance(error, BuildBusyError):
        assert "Die Antworten kommen weiter aus dem bisherigen Stand." in text


def test_dates_are_german():
    assert wording.german_date(datetime(2026, 3, 1, 9, 5, tzinfo=UTC).astimezone()).startswith(
        "1. März 2026, "
    )
