"""The Gradio app, served for real on a free local port: API client and headless browser.

The browser is Debian's chromium with chromium-driver (`.ci/run` installs them); without
them the browser test is skipped here and fails in CI, so it cannot silently not run.
"""

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from bench.serve import serve_app
from browser_checks import (
    axe_violations,
    chromium,
    describe,
    english_strings_on_page,
    small_tap_targets,
    wait_for,
)
from conftest import REPO
from hostile import BOUND_SECONDS, HOSTILE_INPUTS

pytestmark = pytest.mark.model

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


def test_api_reads_a_follow_up_against_the_history_it_is_given(client):
    first = "Wer führt die Mission Arctic Sentry?"
    alone = client.predict("Und wo liegt es?", api_name="/answer")
    follow_up = client.predict("Und wo liegt es?", [first], api_name="/answer")
    assert follow_up["text"].startswith("Bezogen auf") and follow_up["answered"]
    assert follow_up["context"] and not alone["text"].startswith("Bezogen auf")


@pytest.mark.parametrize("question", HOSTILE_INPUTS)
def test_api_survives_hostile_input(client, question):
    from web.security import EdgeLimits

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
    with chromium((1200, 1000), "en-US") as driver:
        yield driver


def ask(driver, question: str) -> None:
    """Type a question, send it, and wait until its answer has replaced the thinking note."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def questions(d) -> int:
        return len(d.find_elements(By.CSS_SELECTOR, "#chat .user-row"))

    before = questions(driver)
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait_for(
        driver,
        lambda d: (
            questions(d) > before
            and "Ich suche in den Quellen" not in d.find_element(By.ID, "chat").text
        ),
    )


def last_answer(chat):
    """The text bubble of the newest answer (its sources are a second bubble)."""
    from selenium.webdriver.common.by import By

    row = chat.find_elements(By.CSS_SELECTOR, ".bot-row")[-1]
    return row.find_element(By.CSS_SELECTOR, "[data-testid='bot']")


def copied_text(browser, button) -> str:
    """What a click on `button` puts into the clipboard, read back from it."""
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    button.click()
    time.sleep(0.3)
    return browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done(`${e}`));"
    )


def start_new_conversation(browser) -> None:
    """ "Neues Gespräch", and yes to the question whether to delete the conversation."""
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "new").click()
    wait_for(browser, lambda d: d.switch_to.alert).accept()


def in_view(browser) -> dict:
    """Where the newest question, its answer (with any suggested questions) and the input
    are in the window."""
    return browser.execute_script(
        """
        const box = (e) => e.getBoundingClientRect();
        const last = (selector) => [...document.querySelectorAll(selector)].pop();
        const answer = box(last("#chat .bot-row"));
        const options = [...document.querySelectorAll("#chat button.option")].map(box);
        const input = box(document.querySelector("#question textarea"));
        return {window: innerHeight, question: box(last("#chat .user-row")).top,
                answer_top: answer.top,
                answer_bottom: Math.max(answer.bottom, ...options.map((o) => o.bottom)),
                input_top: input.top, input_bottom: input.bottom};
        """
    )


def assert_accessible_and_german(browser, where: str) -> None:

    assert not (found := axe_violations(browser)), f"axe {where}:\n{describe(found)}"
    assert not (english := english_strings_on_page(browser)), f"English {where}: {english}"


def test_chat_in_a_real_browser(served, browser):
    """A new visitor's conversation, in a browser set to English: German page, follow-up,
    sources, copying, hostile input, a decline, a vote, a reload, a new conversation."""
    from selenium.webdriver.common.by import By

    url, logs = served
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    chat = browser.find_element(By.ID, "chat")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    assert "NATO" in browser.title and "NATO" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible_and_german(browser, "on the start page")

    # Example questions on the start screen come from the corpus's FAQ; clicking one asks it.
    examples = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat button.example"))
    assert "Was ist NATO 3.0?" in [e.text for e in examples]
    next(e for e in examples if e.text == "Was ist Arctic Sentry?").click()
    wait_for(browser, lambda d: "Arktisregion" in chat.text)

    # A question and its follow-up, read against it.
    ask(browser, "Wer führt die Mission Arctic Sentry?")
    wait_for(browser, lambda d: "Joint Force Command Norfolk" in chat.text)
    ask(browser, "Und wo liegt es?")
    wait_for(browser, lambda d: "Bezogen auf" in last_answer(chat).text)

    # The sources: collapsed, the quote marked, a link that opens the document at it.
    ask(browser, "Wer führt die Mission Arctic Sentry?")
    titles = chat.find_elements(By.CSS_SELECTOR, ".thought-group [role='button']")
    next(t for t in reversed(titles) if "Quellen" in t.text).click()
    marks = wait_for(
        browser,
        lambda d: [
            mark  # .text is only what is visible
            for mark in chat.find_elements(By.CSS_SELECTOR, ".faqbot-source mark")
            if "Joint Force Command Norfolk" in mark.text
        ],
    )
    # The short answer of a how-many question stands in bold in its quote.
    ask(browser, "Wie viele Mitgliedsländer hat die NATO?")
    bold = last_answer(chat).find_elements(By.TAG_NAME, "strong")
    assert [b.text for b in bold] == ["32 Mitgliedsländer"]
    if os.environ.get("FAQBOT_SCREENSHOT"):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", marks[-1])
        browser.save_screenshot(os.environ["FAQBOT_SCREENSHOT"])
    assert_accessible_and_german(browser, "after an answer with its sources open")
    answer = last_answer(chat)
    copy = chat.find_elements(By.CSS_SELECTOR, "button[aria-label='Antwort kopieren']")[-1]
    copied = copied_text(browser, copy)
    shown_text = answer.get_attribute("innerText").strip()
    assert copied.startswith(shown_text), (copied, shown_text)
    assert "<" not in copied and "&#" not in copied
    source = marks[-1].find_element(By.XPATH, "./preceding::a[1]")
    link = source.get_attribute("href")
    browser.get(link)
    target = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ":target"))
    quoted = [mark.text for mark in target[0].find_elements(By.TAG_NAME, "mark")]
    assert any("Joint Force Command Norfolk" in text for text in quoted), quoted

    # Back at the chat, after a reload: the conversation is still there.
    browser.get(url)
    chat = wait_for(browser, lambda d: d.find_element(By.ID, "chat"))
    wait_for(browser, lambda d: "Bezogen auf" in chat.text)

    # HTML in a question is shown as text and never runs.
    injection = "<img src=x onerror=alert(1)> <script>alert(2)</script> **fett**"
    ask(browser, injection)
    wait_for(browser, lambda d: injection in chat.text)
    assert chat.find_elements(By.CSS_SELECTOR, ".message img, .message script") == []
    assert browser.execute_script("return typeof window.__faqbot_pwned") == "undefined"

    # A question the sources do not answer is declined; the suggestions are buttons only.
    ask(browser, "Wie backe ich einen Apfelkuchen?")
    wait_for(browser, lambda d: "leider nichts gefunden" in last_answer(chat).text)
    options = chat.find_elements(By.CSS_SELECTOR, ".message-wrap button.option")
    assert options and not any(o.text in last_answer(chat).text for o in options)
    assert_accessible_and_german(browser, "after a decline")

    # 👍 before 👎; a vote is thanked and logged with the conversation's id.
    like = chat.find_elements(By.CSS_SELECTOR, "button[aria-label='Hilfreich']")[0]
    dislike = chat.find_elements(By.CSS_SELECTOR, "button[aria-label='Nicht hilfreich']")[0]
    assert like.location["x"] < dislike.location["x"]
    like.click()
    wait_for(browser, lambda d: "Danke" in d.find_element(By.TAG_NAME, "body").text)
    votes_path = Path(logs) / "feedback.jsonl"
    wait_for(browser, lambda d: votes_path.is_file() and votes_path.read_text().strip())
    vote = json.loads(votes_path.read_text().splitlines()[0])
    assert vote["vote"] == "up" and vote["question"] and len(vote["session"]) == 22
    assert (Path(logs) / "declined.jsonl").is_file()

    # "Neues Gespräch" asks first; declined, the chat stays; accepted, it is emptied, also
    # after a reload.
    browser.find_element(By.ID, "new").click()
    wait_for(browser, lambda d: d.switch_to.alert).dismiss()
    time.sleep(0.5)
    assert "Joint Force Command Norfolk" in chat.text
    start_new_conversation(browser)
    wait_for(browser, lambda d: "Joint Force Command Norfolk" not in chat.text)
    browser.get(url)
    chat = wait_for(browser, lambda d: d.find_element(By.ID, "chat"))
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat button.example"))
    assert "Joint Force Command Norfolk" not in chat.text


def test_the_sources_in_dark_mode(served, browser):
    """Dark mode, sources open: the marked quote stays readable (axe: no serious finding)."""
    from selenium.webdriver.common.by import By

    url, _ = served
    browser.get(f"{url}?__theme=dark")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    assert "dark" in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    chat = browser.find_element(By.ID, "chat")
    ask(browser, "Wer führt die Mission Arctic Sentry?")
    wait_for(browser, lambda d: "Joint Force Command Norfolk" in chat.text)
    titles = chat.find_elements(By.CSS_SELECTOR, ".thought-group [role='button']")
    next(t for t in reversed(titles) if "Quellen" in t.text).click()
    wait_for(browser, lambda d: chat.find_elements(By.CSS_SELECTOR, ".faqbot-source mark"))
    assert_accessible_and_german(browser, "in dark mode with the sources open")
    start_new_conversation(browser)


def test_the_chat_on_a_phone(served, browser):
    """At 390 px: no control smaller than 24 px, no nested scroll box, nothing English."""
    from selenium.webdriver.common.by import By

    url, _ = served
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        browser.get(url)
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        ask(browser, "Wer führt die Mission Arctic Sentry?")
        chat = browser.find_element(By.ID, "chat")
        wait_for(browser, lambda d: "Joint Force Command Norfolk" in chat.text)
        titles = chat.find_elements(By.CSS_SELECTOR, ".thought-group [role='button']")
        sources = next(t for t in reversed(titles) if "Quellen" in t.text)
        sources.click()
        if os.environ.get("FAQBOT_PHONE_SCREENSHOT"):
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", sources)
            browser.save_screenshot(os.environ["FAQBOT_PHONE_SCREENSHOT"])
        assert not (small := small_tap_targets(browser)), small
        scroll_boxes = browser.execute_script(
            "return [...document.querySelectorAll('#chat *')].filter((e) => "
            "['auto', 'scroll'].includes(getComputedStyle(e).overflowY) "
            "&& e.scrollHeight > e.clientHeight + 1).length"
        )
        assert scroll_boxes == 0
        assert_accessible_and_german(browser, "on a phone")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_newest_answer_and_the_input_stay_in_view(served, browser, screen, theme):
    """After each answer the page scrolls: the newest question and its answer (a decline's
    suggestions too) stand above the input, which stays in the window."""
    from selenium.webdriver.common.by import By

    url, _ = served
    metrics = {
        "desktop": {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        "phone": {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
    }[screen]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        browser.get(f"{url}?__theme={theme}")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        for question in (
            "Wer führt die Mission Arctic Sentry?", "Was ist NATO 3.0?",
            "Wie viele Mitgliedsländer hat die NATO?", "Wie backe ich einen Apfelkuchen?",
        ):  # fmt: skip
            ask(browser, question)

            def settled(d) -> dict | None:
                view = in_view(d)
                return view if 0 <= view["question"] < view["answer_top"] else None

            view = wait_for(browser, settled, 10)
            assert view["answer_bottom"] <= view["input_top"], (question, view)
            assert view["input_bottom"] <= view["window"], (question, view)
        assert browser.find_elements(By.CSS_SELECTOR, "#chat button.option")
        start_new_conversation(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_feedback_by_keyboard_and_by_touch(served, browser):
    """👍 before 👎 on the screen and for the keyboard; a 👎 reason chosen by keyboard and by
    touch, each logged once and shown again after a reload; no votes on a greeting; the
    sources open with Space and say so."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, logs = served
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    ask(browser, "Hallo!")
    greeting_buttons = browser.find_elements(By.CSS_SELECTOR, "#chat .message-buttons-left")[-1]
    shown_labels = [
        b.get_attribute("aria-label") for b in greeting_buttons.find_elements(By.TAG_NAME, "button")
        if b.is_displayed()
    ]  # fmt: skip
    assert shown_labels == ["Antwort kopieren"]

    def menus_open() -> list[bool]:
        return browser.execute_script(
            "return [...document.querySelectorAll('#chat .extra-feedback-options')]"
            ".map((menu) => getComputedStyle(menu).display !== 'none')"
        )

    def logged() -> list[dict]:
        path = Path(logs) / "feedback.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    before = len(logged())
    # Keyboard: from the copy button, Tab reaches 👍, 👎, then the reasons' button.
    ask(browser, "Was ist NATO 3.0?")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#chat .message-buttons-left")[-1]
    browser.execute_script("arguments[0].focus()", buttons.find_element(By.TAG_NAME, "button"))
    order = []
    for _ in range(3):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        order.append(browser.switch_to.active_element.get_attribute("aria-label"))
    assert order[:2] == ["Hilfreich", "Nicht hilfreich"] and "Grund" in order[2]
    assert menus_open()[-1] is False
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: menus_open()[-1])
    assert browser.switch_to.active_element.get_attribute("aria-expanded") == "true"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Falsche Antwort"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: len(logged()) > before)
    wait_for(browser, lambda d: not menus_open()[-1])
    time.sleep(1)  # Gradio sends a chosen reason twice: the second must not be logged
    assert [(v["vote"], v["reason"]) for v in logged()[before:]] == [("down", "Falsche Antwort")]

    # The sources' toggle: Space opens it, and it says it is open.
    toggle = browser.find_elements(By.CSS_SELECTOR, "#chat .thought-group .title")[-1]
    assert toggle.get_attribute("aria-expanded") == "false"
    browser.execute_script("arguments[0].focus()", toggle)
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    wait_for(browser, lambda d: toggle.get_attribute("aria-expanded") == "true")

    # Touch: a tap opens the reasons, a tap on one chooses it and closes them.
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    try:
        ask(browser, "Wer führt die Mission Arctic Sentry?")

        def tap(element) -> None:
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
            x, y = browser.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "return [r.x + r.width / 2, r.y + r.height / 2]",
                element,
            )
            for kind, points in (("touchStart", [{"x": x, "y": y}]), ("touchEnd", [])):
                browser.execute_cdp_cmd(
                    "Input.dispatchTouchEvent", {"type": kind, "touchPoints": points}
                )

        tap(browser.find_elements(By.CSS_SELECTOR, "#chat .extra-feedback > button")[-1])
        wait_for(browser, lambda d: menus_open()[-1])
        reason = browser.find_elements(By.CSS_SELECTOR, "#chat .extra-feedback-option")[-3]
        assert reason.text == "Unvollständig"
        tap(reason)
        wait_for(browser, lambda d: len(logged()) > before + 1)
        wait_for(browser, lambda d: not menus_open()[-1])
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    time.sleep(1)
    assert [v["reason"] for v in logged()[before:]] == ["Falsche Antwort", "Unvollständig"]

    # After a reload the reasons are still shown as chosen, and 👎 with them.
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat .extra-feedback-option"))
    chosen = browser.execute_script(
        "return [...document.querySelectorAll('#chat .extra-feedback-option')]"
        ".filter((o) => o.style.fontWeight === 'bold').map((o) => o.textContent)"
    )
    assert chosen == ["Falsche Antwort", "Unvollständig"]
    for buttons in browser.find_elements(By.CSS_SELECTOR, "#chat .message-buttons-left")[-2:]:
        like = buttons.find_element(By.CSS_SELECTOR, "button[aria-label='Hilfreich']")
        dislike = buttons.find_element(By.CSS_SELECTOR, "button[aria-label='Nicht hilfreich']")
        assert dislike.value_of_css_property("color") != like.value_of_css_property("color")
    assert_accessible_and_german(browser, "with the feedback reasons chosen")
    start_new_conversation(browser)


def test_the_compact_chat_for_a_frame(served, browser):
    """`?embed=1` in a 380×560 frame: no heading, the input and the answer in view, nothing
    wider than the frame."""
    from selenium.webdriver.common.by import By

    url, _ = served
    metrics = {"width": 380, "height": 560, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        browser.get(f"{url}?embed=1")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        assert not browser.find_element(By.CSS_SELECTOR, "#header").is_displayed()
        ask(browser, "Wer führt die Mission Arctic Sentry?")
        view = wait_for(browser, lambda d: (v := in_view(d))["question"] >= 0 and v)
        assert 0 <= view["answer_top"] < view["input_top"] < view["input_bottom"] <= 560, view
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 380
        assert_accessible_and_german(browser, "in the compact page")
        start_new_conversation(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


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
    wait_for(browser, lambda d: "Im Einsatz: 1 Dokument," in status.text)
    browser.find_element(By.ID, "rebuild").click()
    progress = browser.find_element(By.ID, "progress")
    wait_for(browser, lambda d: "Der Index wird neu aufgebaut" in progress.text)
    wait_for(browser, lambda d: "Fertig: 1 Dokument ist jetzt im Einsatz" in progress.text, 180)

    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    ask(browser, "Was ist NATO 3.0?")
    chat = browser.find_element(By.ID, "chat")
    wait_for(browser, lambda d: "europäischer Führung" in chat.text)
