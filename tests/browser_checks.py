"""The browser the browser tests drive (`chromium`, `wait_for`), and checks they run on a
served page: accessibility (axe-core), Gradio's English UI strings left on a German page,
and tap targets too small for a finger.

No tests live here; the browser tests call these helpers with their selenium driver and
assert that what comes back is empty, so a failure names what is wrong and where.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@contextmanager
def chromium(window: tuple[int, int], language: str) -> Iterator[Any]:
    """Debian's headless Chromium at `window` (width, height) asking for pages in `language`
    ("en-US": the page must be German nonetheless); skips without it, fails in CI."""
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver must be installed in CI (.ci/run does)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    width, height = window
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--window-size={width},{height}",
        f"--lang={language}",
    ):  # fmt: skip
        options.add_argument(argument)
    primary = language.split("-")[0]
    options.add_experimental_option("prefs", {"intl.accept_languages": f"{language},{primary}"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Callable[[Any], Any], seconds: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


AXE_VERSION = "4.14.1"
AXE_INTEGRITY = "sha512-" + (
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
"""`npm view axe-core@4.14.1 dist.integrity`; its sha1 (`dist.shasum`) is
14d8a6f3f085afd126b8b5ca1e42e50e17fb1d99. npm pack checks the download against the
registry's record; checking it again here against a pinned value means a changed
registry record cannot slip another script into the tests."""


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "faqbot" / f"axe-core-{AXE_VERSION}"


@cache
def axe_source() -> str:
    """axe.min.js of the pinned axe-core, fetched once with `npm pack` from the npm registry
    (the one registry besides PyPI that every machine of the project reaches) and cached in
    ~/.cache/faqbot, so a browser test needs no bundled copy and no network after the first
    run."""
    cached = _cache_dir() / "axe.min.js"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"npm is needed once to fetch axe-core {AXE_VERSION} for the accessibility check "
            "(apt-get install npm); it is then cached in " + str(cached.parent)
        )
    with tempfile.TemporaryDirectory() as work:
        packed = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", work, "--silent"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if packed.returncode != 0:
            raise RuntimeError(f"npm pack axe-core@{AXE_VERSION} failed: {packed.stderr}")
        tarball = Path(work) / packed.stdout.strip().splitlines()[-1]
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != AXE_INTEGRITY:
            raise RuntimeError(f"{tarball.name} does not match the pinned {AXE_INTEGRITY}")
        with tarfile.open(tarball, "r:gz") as archive:
            member = archive.extractfile("package/axe.min.js")  # read, never extracted to disk
            if member is None:
                raise RuntimeError(f"{tarball.name} has no package/axe.min.js")
            source = member.read().decode("utf-8")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    partial.write_text(source, encoding="utf-8")
    partial.replace(cached)  # a run stopped halfway leaves no truncated cache behind
    return source


_RUN_AXE = """
const [impacts, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, {resultTypes: ["violations"]})
  .then(result => done(result.violations
    .filter(v => impacts.includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))}))))
  .catch(error => done({error: String(error)}));
"""


def axe_violations(
    driver: Any, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of the given impacts: each with
    its rule `id`, `impact`, `help` and the CSS `targets` of the offending nodes, so
    `assert not axe_violations(driver), ...` fails with a message that says what to fix."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    script_timeout = driver.timeouts.script
    driver.set_script_timeout(120)  # a full run on a large page takes seconds
    try:
        found = driver.execute_async_script(_RUN_AXE, list(impacts))
    finally:
        driver.set_script_timeout(script_timeout)
    if isinstance(found, dict):
        raise RuntimeError(f"axe-core failed on the page: {found['error']}")
    return found


ENGLISH_UI_STRINGS: list[str] = [
    # Gradio's locale file (js/core/src/lang/en.json), for the components this app shows:
    # chatbot (and chat_interface), textbox, button, the queue's blocks.* and errors.*.
    *("Edit", "Retry", "Undo", "Submit", "Cancel", "Like", "Dislike", "Clear"),
    *("Copy message", "Copied message", "New chat", "Type a message", "Additional inputs"),
    *("Built with Gradio", "built with", "Hosted on", "Download", "Empty", "Error"),
    *("Loading", "Remove", "Settings", "Share", "Use via API", "Use via API or MCP"),
    "On mobile, the connection can break",
    "There is a long queue of requests pending",
    "Lost connection due to leaving page",
    "Waiting for file(s) to finish uploading",
    "Please contact the author of the page",
    # Written into Gradio 6's components and client, not in any locale file: the i18n
    # mechanism cannot translate these.
    *("Copy conversation", "Copied conversation", "chatbot conversation", "Scroll down"),
    *("user's message", "bot's message", "assistant's message", "Liked", "Disliked"),
    *("Loading response", "Loading content", "Select example", "Example attachments"),
    *("processing", "queue:", "from cache", "used cache", "Close", "An error occurred"),
    *("Warning", "Success", "Textbox", "Connection errored out", "Could not resolve app"),
    "This application is currently busy",
]
"""Gradio's English UI strings that could show on this app's chat page. Words that read
the same in German ("Feedback", "Info", "Chatbot", "Code") are left out: they cannot tell
an untranslated page from a German one."""

_PAGE_TEXTS = """
const texts = [document.title, document.body.innerText];
for (const element of document.querySelectorAll("*")) {
  for (const name of ["aria-label", "aria-description", "aria-roledescription",
                      "aria-valuetext", "title", "placeholder", "alt"]) {
    const value = element.getAttribute(name);
    if (value) texts.push(value);
  }
}
return texts;
"""


def english_strings_on_page(driver: Any) -> list[str]:
    """Which of `ENGLISH_UI_STRINGS` the page shows as text or says through its
    aria-label, title, placeholder or alt attributes, the ones a screen reader reads.
    Matched as whole words, so German text that contains "Like" inside a word does not
    count."""
    texts = "\n".join(driver.execute_script(_PAGE_TEXTS))
    return [
        english
        for english in ENGLISH_UI_STRINGS
        if re.search(rf"(?<!\w){re.escape(english)}(?!\w)", texts)
    ]


_TAP_TARGETS = """
const minimum = arguments[0];
const selector = "button, a[href], input:not([type=hidden]), select, textarea, "
  + "[role=button], [role=link], [role=checkbox], [role=tab]";
const small = [];
for (const element of document.querySelectorAll(selector)) {
  const box = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  if (box.width === 0 || box.height === 0 || style.visibility === "hidden"
      || element.closest("[aria-hidden=true], [inert]")) continue;
  if (box.width >= minimum && box.height >= minimum) continue;
  const name = element.getAttribute("aria-label") || element.getAttribute("title")
    || element.innerText || element.getAttribute("placeholder") || "";
  small.push(`${element.tagName.toLowerCase()} ${JSON.stringify(name.trim().slice(0, 40))} `
    + `${Math.round(box.width * 10) / 10}x${Math.round(box.height * 10) / 10}`);
}
return small;
"""


def small_tap_targets(driver: Any, minimum: float = 24) -> list[str]:
    """Visible controls (buttons, links, inputs, textareas, [role=button] …) smaller than
    `minimum`×`minimum` CSS pixels, WCAG 2.2's minimum target size (2.5.8), each as
    `tag "name" WxH`. Run it at a phone's width (390 px), where missed taps matter."""
    return driver.execute_script(_TAP_TARGETS, minimum)


def describe(found: list[Any]) -> str:
    """One finding per line, for an assertion message."""
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in found)
