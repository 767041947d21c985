"""Follow-up questions: what a question means after the earlier questions of its conversation.

"Was hat er gesagt?" or "Und warum?" name no topic of their own: asked alone they find
nothing, or the wrong passage. Read with the previous turn's topic ("Mark Rutte") they are
ordinary questions. A question that names its own topic ("Was ist Arctic Sentry?" after
"Wer ist Mark Rutte?") must stay as it is, or retrieval would be pulled to the old topic.

Everything here is text work on the questions alone, with no index and no model, so it
holds for any German corpus and costs nothing; callers keep only the questions as typed,
and the chain is re-read each time (turn 3 against turn 2 read against turn 1). The
surface cues are those of German and English: pronouns and pronominal adverbs that point
back, a leading "und"/"aber"/"and", questions with no content words of their own, and
capitalised words, acronyms and numbers for the topic (German capitalises every noun).

How a question is read after an earlier turn:

- It refers back (er, sie, dessen, dort, damals, dabei, he, it …) or has no content words
  of its own ("Und warum?", "Wofür?"): only with the previous topic's words added.
- An ellipsis with a topic of its own ("Und Boris Pistorius?", "And Mark Rutte?"): the
  previous question with that topic put in ("Was forderte Elbridge Colby?" → "Was forderte
  Boris Pistorius?"), then as typed if that finds no answer.
- Unsure: it opens with "und"/"aber"/"and", or has a single content word ("Wie viele
  Soldaten?"): as typed first, and with the previous topic only if that finds no answer,
  so a question the sources answer on its own keeps its answer.
- Otherwise: as typed, exactly as without history.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot import wording
from bot.inputs import MAX_HISTORY_TURNS
from index.analysis import is_stopword
from index.sentences import Span

MAX_CARRIED = 8
"""Content words a turn hands on: enough for a question and the topic it inherited, few
enough that an old topic does not outweigh the new question's own words."""
MAX_TOPIC_PHRASES = 2
"""Phrases named to the user in "Bezogen auf …"."""

_TOKEN = re.compile(r"[^\W_]+(?:[-‐‑.,'’/][^\W_]+)*")
_ACRONYM = re.compile(r"[A-ZÄÖÜ]{2,}")
_ANAPHORS = frozenset(
    {
        # German: third-person and possessive pronouns, demonstratives, pronominal adverbs
        "er", "ihn", "ihm", "sie", "ihr", "ihre", "ihren", "ihrem", "ihrer", "ihres",
        "seine", "seinen", "seinem", "seiner", "seines", "es", "dessen", "deren", "derer",
        "dies", "diese", "diesen", "diesem", "dieser", "dieses", "dort", "dorthin", "damals",
        "dabei", "dafür", "dazu", "davon", "darüber", "daran", "darauf", "daraus", "dagegen",
        "deshalb", "deswegen",
        # English
        "he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their",
        "theirs", "there", "then", "these", "those", "this",
    }
)  # fmt: skip
_FINAL_ANAPHORS = frozenset({"das", "der", "die", "den", "dem", "that", "sein"})
"""Pronouns only where nothing follows ("Was bedeutet das?", "Seit wann gibt es die?",
"Wer leitet den?"); before a noun, an article."""
_FORMAL = frozenset({"sie", "ihr", "ihre", "ihren", "ihrem", "ihrer", "ihres"})
"""Capitalised inside a question these address the reader ("Können Sie …"), not a topic."""
_EXPLETIVE = re.compile(
    r"\b(?:gibt\s+es|es\s+gibt|geht\s+es|es\s+geht|is\s+there|are\s+there|was\s+there|"
    r"were\s+there|is\s+it\s+true)\b",
    re.IGNORECASE,
)
"""An "es"/"there"/"it" that points at nothing."""
_CONNECTIVE = re.compile(r"^(?:und|aber|oder|also|and|but|or|so)\b[\s,]*", re.IGNORECASE)
"""How a follow-up may open: a frame taken from one starts without it."""
_LEAD = re.compile(
    r"^(?:(?:und|aber|oder|also|and|but|or|so)\b[\s,]*)?"
    r"(?:(?:was\s+ist\s+(?:mit|denn\s+mit)|wie\s+(?:ist|steht)\s+es\s+mit|what\s+about|"
    r"how\s+about)\b\s*)?",
    re.IGNORECASE,
)
"""A connective that continues the conversation ("Und …", "Was ist mit …", "What about …")."""
_QUESTION_WORDS = frozenset(
    {
        "wer", "wen", "wem", "wessen", "was", "wann", "wo", "woher", "wohin", "warum",
        "weshalb", "wieso", "weswegen", "wie", "welche", "welcher", "welches", "welchen",
        "welchem", "wozu", "womit", "wofür", "worüber", "wodurch", "woran", "worauf",
        "wovon", "wovor", "who", "whom", "whose", "what", "when", "where", "why", "how",
        "which",
    }
)  # fmt: skip
_FILLERS = frozenset(
    {
        "viele", "viel", "mehr", "genau", "außerdem", "eigentlich", "denn", "ganz", "jetzt",
        "bitte", "mal", "sonst", "about", "else", "more", "many", "much", "exactly",
    }
)  # fmt: skip
"""Words that are not stopwords to BM25 but name no topic."""
_ARTICLES = frozenset(
    {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
     "eines", "the", "a", "an"}
)  # fmt: skip
_DETERMINERS = _ARTICLES | {"beim", "im", "am", "vom", "zum", "zur", "ins"}
"""Words that open a noun phrase; a contracted preposition stays when its noun is replaced."""
MAX_FRAGMENT_TOKENS = 4
"""An ellipsis is short: "Und beim Verteidigungsministertreffen?", "And Mark Rutte?"."""


class Dependence(StrEnum):
    """How much a question leans on the previous turn."""

    NONE = "none"
    """Self-contained: asked as typed."""
    UNSURE = "unsure"
    """Could go either way: as typed first, with the previous topic if that is not answered."""
    ELLIPSIS = "ellipsis"
    """A new topic in the previous question's frame ("Und Boris Pistorius?")."""
    STRONG = "strong"
    """Refers back or has no content of its own: only with the previous topic."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to understand a question: what to search for, and how to tell the user."""

    query: str
    context: str = ""
    """German, for the user: how the question was tied to the conversation ("" = as typed)."""
    focus: str = ""
    """The question the quoted sentences must answer, when it is not `query` itself: the
    question as typed, whose own words say what is asked ("Wer führt sie?"), while the
    earlier topic in `query` only finds the passages. Empty when the query is the whole
    question (as typed, an ellipsis completed) or when the typed question has no words of
    its own ("Und warum?", "Wie viele waren es?")."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """A question read in its conversation, and what it hands on to the next turn."""

    question: str
    readings: tuple[Reading, ...]
    """Best first; the next is asked only if the one before it finds no answer."""
    dependence: Dependence = Dependence.NONE
    frame: str = ""
    """The question as a whole question, for an ellipsis after it ("" = `question`)."""
    topic: tuple[str, ...] = ()
    """Named phrases of what it is about: its own, else those it inherited."""
    carried: tuple[str, ...] = ()
    """Its content words, then those it inherited: the context of a follow-up."""

    @property
    def standalone(self) -> bool:
        """Read as typed, without anything from earlier turns."""
        return self.readings == (Reading(self.question),)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return self.text.casefold()


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_function_word(key: str) -> bool:
    return (
        is_stopword(key)
        or key in _ANAPHORS
        or key in _FINAL_ANAPHORS
        or key in _QUESTION_WORDS
        or key in _FILLERS
    )


def content_words(text: str) -> tuple[str, ...]:
    """The words of `text` that say what it is about, as typed, each once."""
    words = (t.text for t in _tokens(text) if not _is_function_word(t.key))
    return tuple({w.casefold(): w for w in words if len(w) > 1 or w.isdigit()}.values())


def _is_named(token: _Token) -> bool:
    return token.text[:1].isupper() or any(char.isdigit() for char in token.text)


def _is_strong(run: list[_Token]) -> bool:
    """A name rather than a common noun: several capitalised words, an acronym, a number."""
    return len(run) > 1 or any(
        _ACRONYM.search(t.text) or any(c.isdigit() for c in t.text) for t in run
    )


def _runs(text: str) -> list[list[_Token]]:
    """Consecutive capitalised or numeric content words: "Pete Hegseth", "NATO 3.0".

    A question's first word is capitalised whatever it is (a verb: "Könnten die USA …"), so
    it counts only as part of a longer run, as an acronym or number, or when alone."""
    tokens = _tokens(text)
    runs: list[list[_Token]] = []
    for position, token in enumerate(tokens):
        if not _is_named(token) or _is_function_word(token.key):
            continue
        if runs and tokens[position - 1] is runs[-1][-1]:
            runs[-1].append(token)
        else:
            runs.append([token])
    if runs and runs[0][0] is tokens[0] and len(tokens) > 1 and not _is_strong(runs[0]):
        runs.pop(0)
    return runs


def _phrase(text: str, run: list[_Token]) -> str:
    return text[run[0].start : run[-1].end]


def topic_phrases(text: str) -> tuple[str, ...]:
    """What `text` is about, as the user would name it: its names (several capitalised
    words, acronyms, numbers) if it has any, else its capitalised nouns."""
    runs = _runs(text)
    strong = [run for run in runs if _is_strong(run)]
    return tuple(dict.fromkeys(_phrase(text, run) for run in strong or runs))


def _anaphor_at(tokens: list[_Token], position: int) -> bool:
    token, last = tokens[position], position == len(tokens) - 1
    if token.key in _FORMAL and token.text[0].isupper() and position > 0:
        return False
    return token.key in _ANAPHORS or (last and token.key in _FINAL_ANAPHORS)


def refers_back(question: str) -> bool:
    """A pronoun or pronominal adverb that points outside the question: "Was sagte er?".

    One whose antecedent the question names first ("Was ist Arctic Sentry und wer führt
    sie?") does not count; nor does an "es" or "there" that points at nothing."""
    tokens = _tokens(_EXPLETIVE.sub(" ", question))
    for position in range(len(tokens)):
        if _anaphor_at(tokens, position):
            before = " ".join(t.text for t in tokens[:position])
            return not any(_is_strong(run) for run in _runs(before))
    return False


def _split_lead(question: str) -> tuple[bool, str]:
    """(whether it opens with a connective, the rest)."""
    match = _LEAD.match(question)
    return bool(match and match.group().strip()), question[match.end() if match else 0 :]


def is_fragment(question: str) -> bool:
    """An ellipsis that names a new topic and asks nothing itself: "Und NATO 3.0?"."""
    _, body = _split_lead(question)
    tokens = _tokens(body)
    return (
        0 < len(tokens) <= MAX_FRAGMENT_TOKENS
        and not any(t.key in _QUESTION_WORDS for t in tokens)
        and bool(_runs(body))
    )


def dependence(question: str) -> Dependence:
    """How much `question` leans on the turn before it (see the module's docstring)."""
    if refers_back(question) or not content_words(question):
        return Dependence.STRONG
    led, _ = _split_lead(question)
    if is_fragment(question):
        return Dependence.ELLIPSIS if led else Dependence.UNSURE
    if led or len(content_words(question)) == 1:
        return Dependence.UNSURE
    return Dependence.NONE


def _replaced_span(tokens: list[_Token], run: list[_Token], name: bool) -> Span:
    """Where `run` stands, with the adjectives between it and its article ("die isländische
    Außenministerin"), and the article too when a name takes its place."""
    position = first = tokens.index(run[0])
    while position > 0 and tokens[position - 1].text.islower():
        before = tokens[position - 1].key
        if before in _DETERMINERS:
            start = position - 1 if name and before in _ARTICLES else position
            return tokens[start].start, run[-1].end
        if _is_function_word(before):
            break
        position -= 1
    return tokens[first].start, run[-1].end


def with_topic(frame: str, fragment: str) -> str:
    """`frame` asked of the fragment's topic: its name put where the frame's name of the
    same shape stands (a name for a name, a noun for a noun), else in place of its first
    pronoun, else added at the end. A frame that was a follow-up itself ("Und warum?")
    loses its "Und", which joined it to the question before it."""
    if connective := _CONNECTIVE.match(frame):
        rest = frame[connective.end() :]
        frame = rest[:1].upper() + rest[1:]
    _, body = _split_lead(fragment)
    new = _runs(body)
    topic = " ".join(_phrase(body, run) for run in new)
    name = _is_strong(new[0])
    runs = _runs(frame)
    tokens = _tokens(frame)
    targets = [run for run in runs if _is_strong(run) == name] or runs
    if targets:
        start, end = _replaced_span(tokens, targets[0], name)
    else:
        pronouns = [t for i, t in enumerate(tokens) if _anaphor_at(tokens, i)]
        if not pronouns:
            return f"{frame.rstrip(' ?')} {topic}?"
        start, end = pronouns[0].start, pronouns[0].end
    return frame[:start] + topic + frame[end:]


def _carry(own: Sequence[str], inherited: Sequence[str]) -> tuple[str, ...]:
    kept = {word.casefold(): word for word in [*inherited[::-1], *own[::-1]]}
    return tuple(reversed(kept.values()))[:MAX_CARRIED]


def _standalone(question: str, previous: Resolution | None = None) -> Resolution:
    """`question` as typed. One that names no name of its own ("Wer führt die Mission?")
    still hands the conversation's topic on, after its own words."""
    topic = topic_phrases(question)
    named = any(_is_strong(run) for run in _runs(question))
    inherited = previous if previous is not None and not named else None
    return Resolution(
        question,
        (Reading(question),),
        topic=topic if inherited is None else inherited.topic or topic,
        carried=_carry(content_words(question), inherited.carried if inherited else ()),
    )


def _with_previous(question: str, previous: Resolution) -> Reading:
    topic = previous.topic[:MAX_TOPIC_PHRASES]
    query = " ".join([question, *previous.carried])
    return Reading(query, wording.about(topic), question if content_words(question) else "")


def read(question: str, previous: Resolution | None) -> Resolution:
    """`question` read after the turn `previous` (None: the conversation's first)."""
    how = dependence(question) if previous is not None else Dependence.NONE
    if previous is None or how is Dependence.NONE:
        return _standalone(question, previous)
    as_typed = Reading(question)
    if how is Dependence.ELLIPSIS:
        frame = with_topic(previous.frame or previous.question, question)
        alone = _standalone(frame)
        readings = (Reading(frame, wording.read_as(frame)), as_typed)
        return Resolution(question, readings, how, frame, alone.topic, alone.carried)
    contextual = _with_previous(question, previous)
    readings = (contextual,) if how is Dependence.STRONG else (as_typed, contextual)
    own = content_words(question)
    topic = topic_phrases(question) if how is Dependence.UNSURE else ()
    return Resolution(
        question,
        readings,
        how,
        topic=topic or previous.topic,
        carried=_carry(own, previous.carried),
    )


def resolve(question: str, history: Sequence[str]) -> Resolution:
    """`question` read after the earlier questions `history` (oldest first; only the last
    `MAX_HISTORY_TURNS` count), each of them read after the ones before it."""
    previous: Resolution | None = None
    for earlier in history[-MAX_HISTORY_TURNS:]:
        previous = read(earlier, previous)
    return read(question, previous)
