"""The chat page in German, whatever the browser's language, and readable as plain text.

Gradio picks its UI language from `navigator.language` as the page starts, before any of
the app's own scripts run, and has no setting to fix it. `GermanPage` (ASGI middleware)
therefore serves every Gradio page with `<html lang="de">` and, first in `<head>`, a
script (`PAGE_SCRIPT`) that

- makes the browser report German, so Gradio starts with its German locale, which
  `TRANSLATIONS` completes through Gradio's own i18n (flat dotted keys win over the
  built-in ones);
- puts the few English labels Gradio writes into its components without i18n (the chat
  log's and its messages' accessible names, example buttons, "Scroll down") into German,
  as they appear;
- makes what a screen reader reads and what the copy buttons copy the visible text of a
  message, not the markup it is sent as;
- names the example questions a group instead of a list without items (Gradio's list
  of buttons is an error for screen readers).
"""

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIKE = "Hilfreich"
DISLIKE = "Nicht hilfreich"
LIKED = "Als hilfreich bewertet"
DISLIKED = "Als nicht hilfreich bewertet"
COPY_ANSWER = "Antwort kopieren"
"""The vote and copy buttons' names, which the chat's script and style look for."""

TRANSLATIONS = {
    "chatbot.like": LIKE,
    "chatbot.dislike": DISLIKE,
    "chatbot.clear": "Unterhaltung leeren",
    "chatbot.copy_message": COPY_ANSWER,
    "chatbot.copied_message": "Kopiert",
    "common.error": "Fehler",
}
"""Gradio's own strings that its German locale lacks or words differently; given for
every language, since the page is German whatever the browser says."""

_LABELS = [
    (r"^chatbot conversation$", "Unterhaltung"),
    (r"^user's message: ", "Ihre Frage: "),
    (r"^bot's message: ", "Antwort: "),
    (r"^Select example (\d+): ", "Beispielfrage $1: "),
    (r"^Scroll down$", "Nach unten"),
    (r"^Liked$", LIKED),
    (r"^Disliked$", DISLIKED),
    (r"^Loading response$", "Die Antwort wird gesucht"),
    (r"^Copy conversation$", "Unterhaltung kopieren"),
    (r"^Copied conversation$", "Unterhaltung kopiert"),
    (r"^Close$", "Schließen"),
    (r"^Feedback$", "Grund für „nicht hilfreich“ angeben"),
    (r"^Click to upload or drop files$", "Datei hier ablegen - oder - Hochladen"),
    (r"^File upload$", "Dateien hochladen"),
]
"""English accessible names Gradio writes without i18n, and their German."""

PAGE_SCRIPT = """<script>(() => {
for (const [name, value] of [["language", "de"], ["languages", Object.freeze(["de"])]])
  Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true});
const labels = LABELS.map(([pattern, german]) => [new RegExp(pattern), german]);
const plain = (html) => {
  const body = new DOMParser().parseFromString(html, "text/html").body;
  body.querySelectorAll("br").forEach((br) => br.replaceWith("\\n"));
  body.querySelectorAll("p").forEach((p) => p.append("\\n"));
  return body.textContent;
};
const german = (element) => {
  for (const attribute of ["aria-label", "title"]) {
    const value = element.getAttribute(attribute);
    if (!value) continue;
    const found = labels.find(([pattern]) => pattern.test(value));
    if (!found) continue;  // German already, or no label of Gradio's: left as it is
    let changed = value.replace(found[0], found[1]);
    // A message's name is its content as sent; read once, as the text it shows.
    if (/^(Ihre Frage|Antwort): /.test(changed)) changed = plain(changed);
    element.setAttribute(attribute, changed);
  }
};
const repair = (element) => {
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", "Beispielfragen");
};
const visit = (node) => {
  if (node.nodeType !== 1) return;
  german(node);
  node.querySelectorAll("[aria-label], [title]").forEach(german);
  if (node.matches(".examples[role=list]")) repair(node);
  node.querySelectorAll(".examples[role=list]").forEach(repair);
};
new MutationObserver((records) => {
  for (const record of records)
    record.type === "attributes" ? german(record.target) : record.addedNodes.forEach(visit);
}).observe(document.documentElement, {
  subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "title"],
});
const clipboard = navigator.clipboard;
if (clipboard) {
  const write = clipboard.writeText.bind(clipboard);
  clipboard.writeText = (text) => write(/[<&]/.test(text) ? plain(text) : text);
}
})();</script>""".replace("LABELS", json.dumps(_LABELS)).encode()

_HTML_LANG = re.compile(rb"<html(\s[^>]*)?>")


def german_page(page: bytes, head: str = "") -> bytes:
    """A Gradio page declared German, with `PAGE_SCRIPT` first in its head and `head` (a
    title, a style) last; any other page (the app's own source pages are German already)
    as it is."""
    if b"gradio_config" not in page:
        return page
    page = page.replace(b"</head>", head.encode() + b"</head>", 1)
    page = _HTML_LANG.sub(
        lambda match: re.sub(rb'\slang="[^"]*"', b"", match.group()).replace(
            b"<html", b'<html lang="de"', 1
        ),
        page,
        count=1,
    )
    return page.replace(b"<head>", b"<head>" + PAGE_SCRIPT, 1)


class GermanPage:
    """Rewrites Gradio's pages (GET and HEAD of `pages`, text/html) with `german_page`.
    They are asked for uncompressed, so the rewrite never has to decompress, and a HEAD is
    answered as the GET would be, so the lengths agree; every other response passes
    untouched."""

    def __init__(
        self,
        app: ASGIApp,
        pages: tuple[str, ...] = ("/", "/admin/"),
        heads: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.pages = pages
        """The paths of Gradio's pages; nothing else is read or changed."""
        self.heads = heads or {}
        """HTML added to a page's head, by path: what its login page needs before Gradio's
        app (and its title and style) is loaded."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if (
            scope["type"] != "http"
            or method not in ("GET", "HEAD")
            or scope["path"] not in self.pages
        ):
            await self.app(scope, receive, send)
            return
        head = method == "HEAD"
        headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        started: Message = {}
        body: list[bytes] = []
        passing = False

        async def rewrite(message: Message) -> None:
            nonlocal passing
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                passing = not content_type.startswith(b"text/html")
                if passing:
                    await send(message)
                else:
                    started.update(message)
                return
            if passing or message["type"] != "http.response.body":
                if head and message["type"] == "http.response.body":
                    message = {**message, "body": b""}
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = german_page(b"".join(body), self.heads.get(scope["path"], ""))
            kept = [(k, v) for k, v in started["headers"] if k != b"content-length"]
            await send({**started, "headers": [*kept, (b"content-length", b"%d" % len(page))]})
            await send({"type": "http.response.body", "body": b"" if head else page})

        await self.app({**scope, "method": "GET", "headers": headers}, receive, rewrite)
