"""The Gradio app, served for real on a free local port: API client and headless browser.

The browser is Debian's chromium with chromium-driver (`.ci/run` installs them); without
them the browser test is skipped here and fails in CI, so it cannot silently not run.
"""

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from bench.serve import serve_app
from conftest import REPO
from hostile import BOUND_SECONDS, HOSTILE_INPUTS

pytestmark = pytest.mark.model

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
OPERATOR_PASSWORD = "test-operator-secret-2026"


@pytest.fixture(scope="module")
def served(seed_index, tmp_path_factory):
    """`python app.py` on a free port of 127.0.0.1, over the seed index; yields (url, logs)."""
    logs = tmp_path_factory.mktemp("logs")
    env = {
        "FAQBOT_INDEX_DIR": str(seed_index),
        "FAQBOT_DATA_DIR": str(REPO / "data"),
        "FAQBOT_LOG_DIR": str(logs),
        "FAQBOT_ADMIN_PASSWORD": OPERATOR_PASSWORD,
    }
    with serve_app(env) as app:
        yield app.url, logs


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served[0], verbose=False)


def test_api_answers_with_citations_as_json(client):
    reply = client.predict("Wer führt die Mission Arctic Sentry?", api_name="/answer")
    assert reply["answered"] is True and 0.5 <= reply["confidence"] <= 1
    assert "Joint Force Command Norfolk" in reply["text"]
    citation = reply["citations"][0]
    assert set(citation) >= {"doc_id", "text", "title", "section", "source", "score"}
    assert citation["section"] == "Arctic Sentry: Eine neue strategische Mission"

    declined = client.predict("Wie backe ich einen Apfelkuchen?", api_name="/answer")
    assert declined["answered"] is False and declined["citations"] == []


@pytest.mark.parametrize("question", HOSTILE_INPUTS)
def test_api_survives_hostile_input(client, question):
    from bot.edge import EdgeLimits

    started = time.perf_counter()
    if len(json.dumps(question)) > EdgeLimits().max_body_bytes:
        with pytest.raises(httpx.HTTPStatusError, match="413"):  # refused at the edge
            client.predict(question, api_name="/answer")
        return
    reply = client.predict(question, api_name="/answer")
    assert time.perf_counter() - started < BOUND_SECONDS
    assert reply["text"].strip() and reply["kind"] in {"answer", "faq", "declined", "hint"}


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver must be installed in CI (.ci/run does)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1200,1000",
        "--lang=de-DE",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def ask(driver, question: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def wait_for(driver, condition, seconds: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def test_chat_in_a_real_browser(served, browser):
    from selenium.webdriver.common.by import By

    url, logs = served
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    chat = browser.find_element(By.ID, "chat")

    # Example questions on the start screen come from the corpus's FAQ; clicking one asks it.
    examples = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat button.example"))
    assert "Was ist NATO 3.0?" in [e.text for e in examples]
    next(e for e in examples if e.text == "Was ist Arctic Sentry?").click()
    wait_for(browser, lambda d: "Arktisregion" in chat.text)

    # A typed question gets an answer and its collapsible sources, with the quote marked.
    ask(browser, "Wer führt die Mission Arctic Sentry?")
    wait_for(browser, lambda d: "Joint Force Command Norfolk" in chat.text)
    assert "Quellen (1)" in chat.text
    titles = chat.find_elements(By.CSS_SELECTOR, ".thought-group [role='button']")
    next(t for t in reversed(titles) if "Quellen" in t.text).click()
    wait_for(
        browser,
        lambda d: any(
            "Joint Force Command Norfolk" in mark.text  # .text is only what is visible
            for mark in chat.find_elements(By.CSS_SELECTOR, ".faqbot-source mark")
        ),
    )
    if os.environ.get("FAQBOT_SCREENSHOT"):
        browser.save_screenshot(os.environ["FAQBOT_SCREENSHOT"])

    # HTML in a question is shown as text and never runs.
    injection = "<img src=x onerror=alert(1)> <script>alert(2)</script> **fett**"
    ask(browser, injection)
    wait_for(browser, lambda d: injection in chat.text)
    assert chat.find_elements(By.CSS_SELECTOR, ".message img, .message script") == []
    assert browser.execute_script("return typeof window.__faqbot_pwned") == "undefined"

    # A question the sources do not answer is declined, set off from answers.
    ask(browser, "Wie backe ich einen Apfelkuchen?")
    declined = wait_for(browser, lambda d: chat.find_elements(By.CSS_SELECTOR, ".faqbot-declined"))
    assert "leider nichts gefunden" in declined[-1].text

    # A vote lands in the feedback log.
    browser.find_elements(By.CSS_SELECTOR, "#chat button[aria-label='Like']")[0].click()
    votes_path = Path(logs) / "feedback.jsonl"
    wait_for(browser, lambda d: votes_path.is_file() and votes_path.read_text().strip())
    vote = json.loads(votes_path.read_text().splitlines()[0])
    assert vote["vote"] == "up" and vote["question"]
    assert (Path(logs) / "declined.jsonl").is_file()


def test_operator_rebuilds_without_restart(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, _ = served
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    assert "Verwaltung" not in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_elements(By.ID, "rebuild") == []

    browser.get(f"{url}admin/")
    (password,) = wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "input[type=password]")
    )
    browser.find_element(By.CSS_SELECTOR, "input[type=text]").send_keys("admin")
    password.send_keys(OPERATOR_PASSWORD, Keys.ENTER)
    (status,) = wait_for(browser, lambda d: d.find_elements(By.ID, "status"))
    wait_for(browser, lambda d: "20 Passagen" in status.text and "5 FAQ-Einträge" in status.text)
    built_before = status.text
    time.sleep(1.1)  # build times are stamped to the second
    browser.find_element(By.ID, "rebuild").click()
    wait_for(browser, lambda d: "neu aufgebaut" in status.text)
    wait_for(browser, lambda d: "gebaut" in status.text and status.text != built_before, 180)
    assert "fehlgeschlagen" not in status.text

    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    ask(browser, "Was ist NATO 3.0?")
    chat = browser.find_element(By.ID, "chat")
    wait_for(browser, lambda d: "europäischer Führung" in chat.text)
