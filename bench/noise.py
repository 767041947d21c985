"""Noisy German questions, as people type them, to see how the bot copes with real input.

XQuAD's questions are carefully written full sentences; a chat box receives search-engine
keywords and typos. Both rewrites here are seeded and deterministic, so a benchmark run over
noisy questions can be repeated and compared with the clean run question by question.
"""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

from bench.xquad import XQuestion

# fmt: off
QUESTION_WORDS = frozenset({
    "wer", "wen", "wem", "wessen", "was", "wann", "warum", "weshalb", "wieso", "weswegen",
    "wo", "woher", "wohin", "wie", "wieviel", "wieviele", "viele",
    "welche", "welcher", "welches", "welchen", "welchem",
    "womit", "wodurch", "wofür", "wogegen", "woran", "worauf", "woraus", "worin", "worüber",
    "wovon", "wozu",
    "what", "when", "who", "whom", "whose", "which", "where", "why", "how",
})
# fmt: on
"""Beyond the stopword lists: "viele" because "wie viele" is a question phrase."""
DROPPED = QUESTION_WORDS | frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_EN)

TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")
"""Words and numbers; "1.230" and "3,5" stay one number instead of two."""
LETTERS = re.compile(r"[^\W\d_]+")
MIN_TYPO_LENGTH = 5
QWERTZ_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnm")


def _qwertz_neighbours() -> dict[str, str]:
    """Letter keys touching each letter key; each row sits half a key right of the one above."""
    neighbours: dict[str, str] = {}
    for r, row in enumerate(QWERTZ_ROWS):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            if r > 0:
                near += [QWERTZ_ROWS[r - 1][j] for j in (i, i + 1) if j < len(QWERTZ_ROWS[r - 1])]
            if r + 1 < len(QWERTZ_ROWS):
                below = QWERTZ_ROWS[r + 1]
                near += [below[j] for j in (i - 1, i) if 0 <= j < len(below)]
            neighbours[key] = "".join(near)
    return neighbours


NEIGHBOURS = _qwertz_neighbours()


def keyword_form(question: str) -> str:
    """The question as typed into a search box: lower case, only its content words and numbers.

    Drops punctuation, German and English stopwords and question words, and keeps the order of
    what is left. A question of nothing but such words stays whole (lower case, no punctuation),
    so no question becomes empty.
    """
    tokens = TOKEN.findall(question.lower())
    return " ".join(t for t in tokens if t not in DROPPED) or " ".join(tokens)


def with_typos(question: str, rng: random.Random) -> str:
    """The question with one or two words of five letters or more mistyped by one edit each.

    Simulates fast typing on a German (QWERTZ) keyboard: a letter left out, a neighbouring key
    hit as well or instead, or two letters swapped. Short words are left alone, as a typo there
    often makes another real word (or a stopword) rather than noise; case and punctuation
    elsewhere are kept. A question without such a word comes back unchanged.
    """
    words = [m for m in LETTERS.finditer(question) if len(m.group()) >= MIN_TYPO_LENGTH]
    chosen = sorted(rng.sample(words, min(rng.choice((1, 2)), len(words))), key=lambda m: m.start())
    parts, end = [], 0
    for match in chosen:
        parts += [question[end : match.start()], _mistype(match.group(), rng)]
        end = match.end()
    return "".join([*parts, question[end:]])


def _mistype(word: str, rng: random.Random) -> str:
    """`word` with one random edit; never `word` itself."""
    edit = rng.choice((_delete, _insert, _substitute, _transpose))
    return edit(word, rng) or _delete(word, rng)


def _delete(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i + 1 :]


def _on_keyboard(word: str) -> list[int]:
    return [i for i, c in enumerate(word) if c.lower() in NEIGHBOURS]


def _insert(word: str, rng: random.Random) -> str | None:
    """A neighbouring key pressed together with a letter, typed just after it."""
    if not (positions := _on_keyboard(word)):
        return None
    i = rng.choice(positions)
    extra = rng.choice(NEIGHBOURS[word[i].lower()])
    return word[: i + 1] + (extra.upper() if word.isupper() else extra) + word[i + 1 :]


def _substitute(word: str, rng: random.Random) -> str | None:
    """A neighbouring key pressed instead of a letter, in that letter's case."""
    if not (positions := _on_keyboard(word)):
        return None
    i = rng.choice(positions)
    other = rng.choice(NEIGHBOURS[word[i].lower()])
    return word[:i] + (other.upper() if word[i].isupper() else other) + word[i + 1 :]


def _transpose(word: str, rng: random.Random) -> str | None:
    """Two adjacent (different) letters typed in the wrong order."""
    if not (positions := [i for i in range(len(word) - 1) if word[i] != word[i + 1]]):
        return None
    i = rng.choice(positions)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def noisy_questions(
    questions: Sequence[XQuestion], form: Literal["keywords", "typos"], seed: int = 2026
) -> tuple[XQuestion, ...]:
    """The same questions (same gold paragraph and answers) rewritten as users would type them.

    One generator for the whole sequence, so a seed fixes the entire noisy question set.
    """
    rng = random.Random(seed)
    rewrites: dict[str, Callable[[str], str]] = {
        "keywords": keyword_form,
        "typos": lambda text: with_typos(text, rng),
    }
    if form not in rewrites:
        raise ValueError(f"unknown form {form!r}; expected one of {sorted(rewrites)}")
    return tuple(replace(q, text=rewrites[form](q.text)) for q in questions)
