"""The operators' page in a real browser (Debian's chromium, headless), as an editor uses it:
log in, upload a PDF and an old Word file, follow the rebuild, and the chat answers from the
PDF without a restart. The whole server of `web.server.make_server` runs in a thread with
the fake model, so a rebuild takes a second; axe-core checks the login and the page.
"""

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from bench.serve import free_port
from browser_checks import axe_violations, chromium, describe, wait_for
from conftest import SEED
from index import build
from web.feedback import FeedbackLog
from web.server import make_server
from web.service import BotService

PASSWORD = "ein-langes-betriebs-passwort-2026"
CANTEEN = (
    "Kantinenordnung",
    "Die Kantine im Erdgeschoss öffnet montags bis freitags um 11:30 Uhr.",
    "Ein Mittagessen kostet für Beschäftigte 4,50 Euro.",
)


def text_pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, WinAnsi: umlauts too),
    written by hand: the project reads PDFs but has no library that writes them."""

    def literal(text: str) -> bytes:
        raw = text.encode("cp1252")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    shown = b"".join(
        b"BT /F1 %d Tf 72 %d Td %s Tj ET\n" % (18 if n == 0 else 12, 720 - 30 * n, literal(line))
        for n, line in enumerate(lines)
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%sendstream" % (len(shown), shown),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )  # fmt: skip
    return bytes(out)


def old_word_file() -> bytes:
    """The start of a Word 97–2003 file: the OLE signature and the stream name the index
    recognises (`index.formats.word`)."""
    return bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 56 + "WordDocument".encode("utf-16-le")


def write_questions(logs: Path) -> None:
    """Declined and down-voted questions of the last days, two of them one question."""
    now = datetime.now(UTC)
    declined = [
        ("Wann öffnet die Kantine?", 3),
        ("Wann öffnet die Kantine morgens?", 1),
        ("Wann öffnet die Kantine heute?", 0),
        ("Gibt es einen Betriebsausflug?", 2),
    ]
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "declined.jsonl").open("w", encoding="utf-8") as out:
        for question, days in declined:
            record = {"time": (now - timedelta(days=days)).isoformat(), "question": question}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    vote = {
        "time": now.isoformat(), "session": "s1", "answer_id": "a1", "vote": "down",
        "question": "Wie viel kostet das Mittagessen?",
    }  # fmt: skip
    (logs / "feedback.jsonl").write_text(json.dumps(vote, ensure_ascii=False) + "\n")


@pytest.fixture
def admin_server(tmp_path, fake_embedder, fake_settings, fake_builder) -> Iterator[tuple]:
    """The whole server with the fake model over the seed article and a file the index
    skips; yields (base URL, data directory)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "nato.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (data / "Notizen.odt").write_bytes(b"PK\3\4 not read")
    build(data, tmp_path / "index", embedder=fake_embedder)
    service = BotService(
        tmp_path / "index", data, embedder=fake_embedder, settings=fake_settings,
        builder=fake_builder,
    )  # fmt: skip
    write_questions(tmp_path / "logs")
    app = make_server(service, FeedbackLog(tmp_path / "logs"), PASSWORD)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            timeout_graceful_shutdown=1)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/", data
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def browser():
    with chromium((1280, 800), "de-DE") as driver:
        yield driver


def text_of(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def assert_accessible(driver, where: str) -> None:

    assert not (found := axe_violations(driver)), f"axe {where}:\n{describe(found)}"


RECORD_PROGRESS = """
window.progressSeen = [];
new MutationObserver(() => {
  const text = document.getElementById("progress").innerText;
  if (text && window.progressSeen.at(-1) !== text) window.progressSeen.push(text);
}).observe(document.getElementById("progress"), {subtree: true, childList: true,
                                                 characterData: true});
"""


def test_an_editor_adds_documents_and_the_chat_answers_from_them(admin_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, data = admin_server
    browser.get(f"{url}admin/")
    (password,) = wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "input[type=password]")
    )
    assert browser.title.strip(), "the login page has a title"
    assert_accessible(browser, "on the login page")
    browser.find_element(By.CSS_SELECTOR, "input[type=text]").send_keys("admin")
    password.send_keys(PASSWORD, Keys.ENTER)

    wait_for(browser, lambda d: "Im Einsatz: 1 Dokument," in text_of(d, "status"))
    status = text_of(browser, "status")
    assert "/" not in status.split("\n")[0] and "e5" not in status and "UTC" not in status
    wait_for(browser, lambda d: "Notizen.odt" in text_of(d, "documents"))
    assert "bitte als .docx oder PDF speichern" in text_of(browser, "documents")
    wait_for(browser, lambda d: "Wann öffnet die Kantine" in text_of(d, "questions"))
    assert_accessible(browser, "on the operators' page")

    pdf = tmp_path / "upload" / "Kantine.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(text_pdf(CANTEEN))
    doc = tmp_path / "upload" / "Alte-Regelung.doc"
    doc.write_bytes(old_word_file())
    browser.execute_script(RECORD_PROGRESS)
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(f"{pdf}\n{doc}")
    wait_for(
        browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#upload .file-preview tr")) >= 2
    )
    browser.find_element(By.ID, "upload-button").click()

    wait_for(browser, lambda d: "Alte-Regelung.doc" in text_of(d, "report"))
    report = text_of(browser, "report")
    assert "Kantine.pdf: hinzugefügt" in report
    assert (
        "Das Format .doc (altes Word) wird nicht gelesen – bitte als .docx oder PDF speichern."
        in report
    )
    wait_for(
        browser, lambda d: "Fertig: 2 Dokumente sind jetzt im Einsatz" in text_of(d, "progress")
    )
    wait_for(browser, lambda d: "Kantinenordnung" in text_of(d, "documents"))
    assert not (data / "Alte-Regelung.doc").exists()
    seen = "\n".join(browser.execute_script("return window.progressSeen"))
    assert "Dokumente lesen" in seen and "Index speichern" in seen
    assert "Index written" not in seen and str(data) not in seen

    answer = httpx.post(f"{url}api/answer", json={"question": "Wann öffnet die Kantine?"}).json()
    assert answer["answered"] and "11:30 Uhr" in answer["text"], answer

    browser.find_element(By.ID, "rebuild").click()
    wait_for(browser, lambda d: "Fertig" in text_of(d, "progress") and len(
        browser.execute_script("return window.progressSeen")) > 3)  # fmt: skip
    if os.environ.get("FAQBOT_ADMIN_SCREENSHOT"):  # docs/screenshot-admin.png
        metrics = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        browser.find_element(By.CSS_SELECTOR, "#questions details summary").click()
        report = browser.find_element(By.ID, "report")
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", report)
        browser.save_screenshot(os.environ["FAQBOT_ADMIN_SCREENSHOT"])

    # The chat's start page follows the index in use, without a restart.
    browser.get(url)

    def heading(d) -> str:
        found = d.find_elements(By.CSS_SELECTOR, "#header h1")
        return found[0].text if found else ""

    wait_for(browser, lambda d: "und 1 weiteren Dokument" in heading(d))
    assert "Kantinenordnung" in browser.find_element(By.ID, "header").text
    wait_for(browser, lambda d: d.title == heading(d))
