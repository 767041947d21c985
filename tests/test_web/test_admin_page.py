"""The operators' handlers (`web.admin_page.AdminHandlers`) without a browser: uploads,
removal with its confirmation, and what the page shows, over the fake model."""

import html

import pytest

from web.admin_page import AdminHandlers
from web.feedback import FeedbackLog


@pytest.fixture
def admin(fake_service, tmp_path):
    return AdminHandlers(fake_service, FeedbackLog(tmp_path / "logs"))


def last(flow):
    return list(flow)[-1]


def test_an_upload_saves_the_readable_file_refuses_the_other_and_rebuilds(admin, tmp_path):
    chosen = tmp_path / "gradio"
    chosen.mkdir()
    (chosen / "kantine.md").write_text("# Kantine\n\nDie Kantine öffnet um 11:30 Uhr.\n")
    (chosen / "Alte-Regelung.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    paths = [str(chosen / "kantine.md"), str(chosen / "Alte-Regelung.doc")]
    steps = list(admin.upload_and_rebuild(paths))
    report = html.unescape(steps[0][0])
    assert "kantine.md: hinzugefügt" in report
    assert "Alte-Regelung.doc: Das Format .doc (altes Word) wird nicht gelesen" in report
    assert "Fertig: 4 Dokumente sind jetzt im Einsatz" in html.unescape(steps[-2][2])
    status, documents, choice, *_ = steps[-1][3:]
    assert status.startswith("Im Einsatz: 4 Dokumente, zuletzt aktualisiert am")
    assert "„Kantine“ – 1 Textabschnitt" in html.unescape(documents)
    assert "kantine.md" in choice["choices"] and "Alte-Regelung.doc" not in choice["choices"]
    assert admin.service.answer("Wann öffnet die Kantine?").answered


def test_nothing_chosen_saves_nothing_and_does_not_rebuild(admin):
    steps = list(admin.upload_and_rebuild(None))
    assert len(steps) == 1 and steps[0][0] == "Bitte zuerst Dateien auswählen."


def test_removal_asks_first_then_removes_and_rebuilds(admin):
    shown, question = admin.ask_removal("bahn.md")
    assert shown["visible"] and "wirklich entfernen" in html.unescape(question)
    assert admin.ask_removal(None)[0]["visible"] is False
    final = last(admin.remove_and_rebuild("bahn.md"))
    assert not (admin.data_dir / "bahn.md").exists()
    assert final[3].startswith("Im Einsatz: 2 Dokumente")
    assert "bahn.md" not in html.unescape(final[4])


@pytest.mark.parametrize("hostile", ["../index/manifest.json", "/etc/passwd", "", None])
def test_a_removal_of_anything_not_listed_is_refused(admin, hostile):
    steps = list(admin.remove_and_rebuild(hostile))
    assert steps[0][0] == "✗ Das Dokument konnte nicht entfernt werden." and len(steps) == 1
    assert sorted(p.name for p in admin.data_dir.iterdir()) == [
        "bahn.md",
        "nato.txt",
        "wetter.jsonl",
    ]


def test_the_page_names_no_server_path_or_model_outside_the_technical_details(admin):
    view = admin.view()
    shown = view.status + view.documents + view.questions
    assert str(admin.data_dir) not in shown and admin.service.bot.embedder.name not in shown
    assert str(admin.data_dir) in html.unescape(view.technical)
