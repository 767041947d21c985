"""What the chat page does in the browser beyond Gradio: the newest answer in view, the
feedback reasons by keyboard and touch, and controls that say what they do.

Gradio's chat grows with the page (`height=None`, no box in a box), so after an answer the
page itself must scroll: `SHOW_NEWEST` puts the newest question at the top of the window,
with its answer under it and the input, which stays at the bottom of the window, in view.

`CHAT_SCRIPT` runs once when the page starts (`gr.mount_gradio_app(js=…)`) and repairs, as
Gradio writes them:

- the 👎 reasons ("Falsche Antwort" …), which Gradio opens only on mouse hover: the flag
  button opens and closes them by click, tap, Enter or Space, Escape closes them, and
  they close when the focus leaves;
- the order of 👍 and 👎, which Gradio writes 👎 first: the focus order is the order seen;
- the "Quellen" toggle, which has no expanded state and ignores Space;
- the copy button under a question, which Gradio names "Antwort kopieren", and the
  [n] links, named by their title ("Quelle 1: …") instead of "[1]";
- "Neues Gespräch" and the 🗑 button, which ask before they delete a conversation;
- `?embed=1`, the compact page for a frame on another page (`CSS`, `.faqbot-embed`).
"""

import json

from web.german_locale import COPY_ANSWER, DISLIKE, DISLIKED, LIKE, LIKED

SHOW_NEWEST = """() => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const questions = document.querySelectorAll("#chat .user-row");
    const newest = questions[questions.length - 1];
    if (!newest) return;
    const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
    newest.scrollIntoView({block: "start", behavior: still ? "auto" : "smooth"});
  }));
}"""
"""Run after a question is sent and after it is answered (and after a reload)."""

CONFIRM_NEW = "Das bisherige Gespräch wird gelöscht. Neu beginnen?"

_CHAT_TEMPLATE = """() => {
const root = document.documentElement;
if (new URLSearchParams(location.search).get("embed") === "1") root.classList.add("faqbot-embed");

const menus = () => document.querySelectorAll("#chat .extra-feedback");
const setOpen = (menu, open) => {
  menu.classList.toggle("faqbot-open", open);
  menu.querySelector(":scope > button")?.setAttribute("aria-expanded", String(open));
};
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("#chat .extra-feedback > button");
  const chosen = event.target.closest("#chat .extra-feedback-option");
  for (const menu of menus()) {
    const own = menu.contains(event.target);
    if (own && toggle) setOpen(menu, !menu.classList.contains("faqbot-open"));
    else if (!own) setOpen(menu, false);
    else if (chosen) {
      setOpen(menu, false);
      menu.querySelector(":scope > button").focus();  // not lost with the closed menu
    }
  }
  const clears = event.target.closest("#new, #chat button[aria-label='Unterhaltung leeren']");
  if (clears && document.querySelector("#chat .user-row") && !confirm(CONFIRM_NEW)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    const open = event.target.closest?.(".extra-feedback.faqbot-open");
    if (open) { setOpen(open, false); open.querySelector(":scope > button")?.focus(); }
  }
  const title = event.target.closest?.("#chat .thought-group .title[role=button]");
  if (title && event.key === " ") { event.preventDefault(); title.click(); }
});
document.addEventListener("focusout", (event) => {
  const menu = event.target.closest?.(".extra-feedback.faqbot-open");
  if (menu && !menu.contains(event.relatedTarget)) setOpen(menu, false);
});

const LIKE = $LIKE_SELECTOR;
const DISLIKE = $DISLIKE_SELECTOR;
const TOGGLE = ".thought-group .title";
const MARKER = "#chat .message a[title^='Quelle ']";
const QUESTION_COPY = $QUESTION_COPY_SELECTOR;
const within = (node, selector) => [
  ...(node.matches(selector) ? [node] : []), ...node.querySelectorAll(selector),
];
const repair = (node) => {
  if (node?.nodeType !== 1) return;
  for (const buttons of within(node, ".message-buttons")) {
    const like = buttons.querySelector(LIKE), dislike = buttons.querySelector(DISLIKE);
    if (like && dislike && dislike.compareDocumentPosition(like) & Node.DOCUMENT_POSITION_FOLLOWING)
      dislike.before(like);
    const flag = buttons.querySelector(".extra-feedback > button");
    if (flag && !flag.hasAttribute("aria-expanded")) {
      flag.setAttribute("aria-haspopup", "true");
      flag.setAttribute("aria-expanded", "false");
    }
  }
  for (const title of within(node, TOGGLE))
    title.setAttribute("aria-expanded", String(title.classList.contains("expanded")));
  for (const marker of within(node, MARKER)) marker.setAttribute("aria-label", marker.title);
  for (const copy of within(node, QUESTION_COPY))
    for (const name of ["aria-label", "title"]) copy.setAttribute(name, "Frage kopieren");
};
const watched = {subtree: true, childList: true, attributes: true};
new MutationObserver((records) => {
  for (const record of records) {
    if (record.type === "childList") record.addedNodes.forEach(repair);
    else repair(record.target.closest(`.message-buttons, ${TOGGLE}`));
  }
}).observe(document.body, {...watched, attributeFilter: ["class", "aria-label"]});
repair(document.body);
}"""


def _filled(template: str, values: dict[str, str]) -> str:
    """`template` with each placeholder replaced by its value as a JavaScript string, so
    that the script looks for the very labels `web.german_locale` gives the buttons."""
    for placeholder, value in values.items():
        template = template.replace(placeholder, json.dumps(value, ensure_ascii=False))
    return template


CHAT_SCRIPT = _filled(
    _CHAT_TEMPLATE,
    {
        "CONFIRM_NEW": CONFIRM_NEW,
        "$LIKE_SELECTOR": f"button:is([aria-label={LIKE!r}], [aria-label={LIKED!r}])",
        "$DISLIKE_SELECTOR": f"button:is([aria-label^={DISLIKE!r}], [aria-label^={DISLIKED!r}])",
        "$QUESTION_COPY_SELECTOR": f".message-buttons-right button[aria-label={COPY_ANSWER!r}]",
    },
)
