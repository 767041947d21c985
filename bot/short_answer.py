"""The short answer inside a quoted sentence: the verbatim phrase that answers a who, when,
where, how-many or which question ("32 Mitgliedsländer", "12. Februar 2026", "Elbridge
Colby"), marked without a neural model.

The sentence is cut into typed candidate spans by regular expressions that know German
writing, not any corpus: numbers with their scale and noun, dates, years, centuries, runs of
capitalised words (German capitalises every noun, so a run is a name or a noun), and noun
phrases with their adjectives or a genitive. A logistic model scores each candidate from
text features: its type against the question's kind, whether it repeats the question (an
answer rarely does), how near it stands to the question's words in the sentence, what
precedes it, its length. The best candidate is offered from the model's threshold on, which
`fit_short_answer` puts where what is offered stays precise on its examples.

Measured on XQuAD-de (the gold sentence of each question of these kinds, the sentence that
holds the answer's start; 4 folds by article, never scored on an article fitted on;
`min_precision_f1=0.72` as `bench.sentence_fit` fits it), before and after the features of
the kind of question (`all_in_question`, `between`, `head_compound`, `kind_adjective` and
the "welche Art von X" candidates):

                     offered        F1 / EM offered          F1 / EM if always offered
    German (758)     27 % → 30 %   0.70 / 0.47 → 0.71 / 0.48   0.45 / 0.30 → 0.48 / 0.31
      time           82 % → 82 %   0.86 / 0.76 → 0.87 / 0.78   0.82 / 0.68 → 0.83 / 0.69
      quantity       67 % → 72 %   0.63 / 0.16 → 0.64 / 0.18   0.51 / 0.14 → 0.55 / 0.16
      person         16 % → 16 %   0.45 / 0.32 → 0.51 / 0.33   0.49 / 0.36 → 0.45 / 0.31
      place          12 % → 20 %   0.55 / 0.40 → 0.55 / 0.38   0.51 / 0.39 → 0.49 / 0.37
      which (entity)  7 % → 12 %   0.56 / 0.44 → 0.63 / 0.44   0.31 / 0.20 → 0.37 / 0.23
    English (923)    17 % → 18 %   0.68 / 0.47 → 0.67 / 0.45   0.36 / 0.23 → 0.36 / 0.23

With the articles cut into folds otherwise (article // 2 or // 3, mod 4) the German share
went 23 → 27 % and 29 → 32 % at about the same F1 (0.72 → 0.71, 0.70 → 0.70): which gained
4.5 to 6 points of offered share and 0.06 of its top candidate's F1 in each of the three
cuts; who and where moved by a few points either way from one cut to another, which is
noise at 134 and 41 questions.

(A number is offered with what it counts, `_WHOLE`, where the gold answer is often the bare
number: hence how-many's low exact match.) The English questions gain little: their head
nouns and words are English, the sentence German.

So the short answer is precise for when and how many, and rarely offered for who, where
and which: the right phrase is usually among the candidates (an oracle choosing among them
reaches F1 0.82 for which, 0.84 to 0.94 for the other kinds) but text features alone seldom
single it out among the sentence's other names and nouns. In the bot it is looked for in
the first quote's best sentence, so it also pays for that sentence's misses: `make bench`
gives the end-to-end figures, with models fitted without the question's article.

The threshold is chosen on out-of-fold probabilities: the fitted examples' own made it too
low. Tried and kept: the features crossed with the question's kind; the features of the
kind of question above (German offered share 27 → 30 % at a held-out F1 of 0.70 → 0.71;
each alone moved it by a point or two, within the noise; together they give which 7 → 12
%). Tried and left out, measured the same way: apposition ("der Dichter Percy Shelley", "X,
der …": offered 27 → 26 % at a lower F1), nearness to the sentence's word for the
question's verb (26 % at F1 0.72) or to its longest matched word (28 % at F1 0.69),
neither adding to the features kept once those were in; ranking the candidates pairwise,
whose scores did not compare across sentences. A number is offered with what it counts and
a year with its date (`_WHOLE`). `short_answer` takes about 0.6 ms for a sentence of 200
characters; the bot gives it one sentence of at most
`limits.MAX_SENTENCE_CHARS`.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from bot.answers import Span
from bot.questions import QuestionKind, question_kind
from index.calibration import Logistic

SHORT_KINDS: frozenset[QuestionKind] = frozenset(
    {
        QuestionKind.PERSON,
        QuestionKind.TIME,
        QuestionKind.PLACE,
        QuestionKind.QUANTITY,
        QuestionKind.ENTITY,
    }
)


class CandidateType(StrEnum):
    NUMBER = "number"
    QUANTITY = "quantity"
    """A number with the noun it counts ("5.000 Soldaten")."""
    YEAR = "year"
    DATE = "date"
    NAME = "name"
    """A run of capitalised words: a name, or a noun."""
    PHRASE = "phrase"
    """A noun with its adjectives or its genitive ("kombinierten statistischen Bereich")."""


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Candidate:
    type: CandidateType
    text: str
    span: Span
    tokens: tuple[int, int]
    """First token and the one after the last, for the features."""


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class ShortAnswerExample:
    question: str
    sentence: str
    answers: tuple[str, ...]
    """Gold answers, verbatim in the sentence when it holds one."""


# --- Words ---------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(
    r"(?:St|Dr|Prof|Mt|Ft|Jr|Sr|Mr|Mrs|[A-ZÄÖÜ])\.(?=\s+[A-ZÄÖÜ])|\w+(?:[-'’.,/:&]\w+)*[%½¼¾]?|[^\w\s]"
)
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?:1[0-9]|20)\d\d(?:er)?|\d\d?0er")
_NUMBER_WORD = re.compile(
    r"(?:ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
    r"vierzig|fünfzig|sechzig|siebzig|achtzig|neunzig|hundert|tausend|und)+"
)
_SCALES = _words(
    "tausend hundert million millionen milliarde milliarden billion billionen mio mrd prozent "
    "% dutzend"
)
_MONTHS = _words(
    "januar jänner februar märz april mai juni juli august september oktober november dezember"
)
_MEASURES = _words(
    "proze anzah zahl jahr jahre jahrz betra summe höhe größe länge menge perce numbe year"
)
"""Keys of nouns after "welche" that ask for a number ("Welcher Prozentsatz", "which year")."""
_CENTURY = re.compile(r"jahrhunderts?|jahrtausends?")
_ARTICLES_DE = "der die das den dem des ein eine einer eines einem einen"
_DETERMINERS = _words(
    _ARTICLES_DE + " mein meine meinen meinem meiner sein seine seinen seinem seiner seines "
    "ihr ihre ihren ihrem ihrer ihres unser unsere dieser diese dieses diesen diesem jener "
    "jene jenen jenem welche welcher welches kein keine keinen keinem keiner"
)
_PLACE_PREPS = _words(
    "in im nach aus bei beim an am auf vom zu zur zum innerhalb nahe nördlich südlich östlich "
    "westlich durch über unter gegenüber entlang"
)
_TIME_PREPS = _words("im am seit bis ab vor nach zwischen um von bereits ca etwa")
_AGENT_PREPS = _words("von vom durch")
_OTHER_PREPS = _words("mit ohne für gegen als wie während trotz wegen laut gemäß zwischen unter")
_OPENING_QUOTES = frozenset("„“\"»«‚‘'")
_CLOSING_QUOTES = frozenset("“”\"«»‘’'")
_NAME_JOINERS = _words("von van de du da di del of on the and & y la le al bin ibn")
_NOUN_SUFFIX = re.compile(r"(?:ung|heit|keit|schaft|tion|ität|nis|tum|ismus|ment|chen)(?:en|s)?$")
_FUNCTION = _words(
    _ARTICLES_DE + " und oder aber sondern denn doch als wie wenn dass ob weil da so auch "
    "noch nur schon sehr mehr nicht kein er sie es wir ihr ich du man sich ihn ihm uns "
    "euch sein seine ihre ihr dies diese dieser dieses jene welche welcher welches was wer "
    "wen wem wessen wo wann warum wieso weshalb wie viel viele hat haben hatte hatten ist "
    "sind war waren wird werden wurde wurden worden sein gibt gab kann können konnte "
    "konnten muss soll sollte wollte in im nach aus bei beim an am auf vom zu zur zum "
    "von mit ohne für gegen über unter vor hinter neben zwischen durch um bis seit ab "
    "während trotz wegen laut gemäß innerhalb etwa rund ca dort hier dann damals heute "
    "the a an of in on at to for by with from and or but is are was were be been being "
    "has have had do does did which what who whom whose when where why how many much "
    "that this these those it its they their there as into than"
)


def _tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _key(word: str) -> str:
    """Words that share their first five letters count as the same word: German inflects
    and compounds ("Mitgliedsländer", "Mitglieder"), and no stemmer is needed at run time."""
    return word.lower()[:5]


def _is_content(word: str) -> bool:
    lower = word.lower()
    return lower not in _FUNCTION and (len(word) > 2 or word.isupper() or word.isdigit())


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and word.lower() not in _FUNCTION


def _is_number(word: str) -> bool:
    lower = word.lower()
    if _DIGIT.match(word):
        return True
    return lower not in ("ein", "und", "einund") and _NUMBER_WORD.fullmatch(lower) is not None


def _is_year(word: str) -> bool:
    return _YEAR.fullmatch(word) is not None


# --- Candidates ----------------------------------------------------------------------------


def _candidate(
    kind: CandidateType, sentence: str, tokens: list[Token], i: int, j: int
) -> Candidate:
    start, end = tokens[i].start, tokens[j - 1].end
    return Candidate(kind, sentence[start:end], (start, end), (i, j))


def _number_end(tokens: list[Token], i: int) -> int:
    """Where the number that starts at token `i` ends, with its scale ("3,5 Millionen")."""
    j = i + 1
    while j < len(tokens) and (_is_number(tokens[j].text) or tokens[j].text.lower() in _SCALES):
        j += 1
    return j


def _counted_noun_end(tokens: list[Token], j: int) -> int | None:
    """The end of the noun a number counts, with at most one adjective before it."""
    for end in (j + 1, j + 2):
        if end > len(tokens):
            return None
        word = tokens[end - 1].text
        if _is_capitalised(word):
            return end
        if not word[0].isalpha() or word.lower() in _FUNCTION:
            return None
    return None


def _numbers(sentence: str, tokens: list[Token]) -> Iterable[Candidate]:
    i = 0
    while i < len(tokens):
        if not _is_number(tokens[i].text):
            i += 1
            continue
        j = _number_end(tokens, i)
        single_year = j == i + 1 and _is_year(tokens[i].text)
        kind = CandidateType.YEAR if single_year else CandidateType.NUMBER
        yield _candidate(kind, sentence, tokens, i, j)
        if (end := _counted_noun_end(tokens, j)) is not None:
            yield _candidate(CandidateType.QUANTITY, sentence, tokens, i, end)
        i = j


def _is_ordinal(tokens: list[Token], i: int) -> bool:
    return i >= 0 and tokens[i].text.isdigit() and tokens[i + 1].text == "."


def _date_start(tokens: list[Token], month: int) -> int:
    """A day before the month ("12. Februar"), else the month itself."""
    return month - 2 if _is_ordinal(tokens, month - 2) else month


def _dates(sentence: str, tokens: list[Token]) -> Iterable[Candidate]:
    for i, token in enumerate(tokens):
        lower = token.text.lower()
        if lower in _MONTHS:
            start = _date_start(tokens, i)
            end = i + 2 if i + 1 < len(tokens) and _is_year(tokens[i + 1].text) else i + 1
            yield _candidate(CandidateType.DATE, sentence, tokens, start, end)
            if start < i and end > i + 1:
                yield _candidate(CandidateType.DATE, sentence, tokens, i, end)
        elif _CENTURY.fullmatch(lower) and _is_ordinal(tokens, i - 2):  # "19. Jahrhundert"
            yield _candidate(CandidateType.DATE, sentence, tokens, i - 2, i + 1)


def _capitalised_runs(tokens: list[Token]) -> Iterable[tuple[int, int]]:
    """Maximal runs of capitalised words, joined by name particles ("Ludwig van Beethoven")."""
    i = 0
    while i < len(tokens):
        if not _is_capitalised(tokens[i].text) or tokens[i].text.lower() in _MONTHS:
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            word = tokens[j].text
            joined = word in _NAME_JOINERS and j + 1 < len(tokens)
            if joined and _is_capitalised(tokens[j + 1].text):
                j += 2
            elif _is_capitalised(word) and word.lower() not in _MONTHS:
                j += 1
            else:
                break
        yield i, j
        i = j


def _names(sentence: str, tokens: list[Token]) -> Iterable[Candidate]:
    """Every part of a run that starts and ends on a capitalised word: "Pro Bowl-Safety Kurt
    Coleman" holds "Kurt Coleman"."""
    for first, last in _capitalised_runs(tokens):
        for i in range(first, last):
            if tokens[i].text in _NAME_JOINERS:
                continue
            for j in range(i + 1, min(last, i + 5) + 1):
                if tokens[j - 1].text not in _NAME_JOINERS:
                    yield _candidate(CandidateType.NAME, sentence, tokens, i, j)


def _adjectives_before(tokens: list[Token], noun: int) -> int:
    """Where the lowercase adjectives before a noun start, if a determiner or preposition
    comes before them (a verb there would be taken for an adjective otherwise)."""
    i = noun
    while i > 0 and noun - i < 3:
        word = tokens[i - 1].text
        if not word[0].islower() or word in _FUNCTION or not word.isalpha():
            break
        i -= 1
    before = tokens[i - 1].text.lower() if i > 0 else ""
    is_led = before in _DETERMINERS or before in _PLACE_PREPS or before in _OTHER_PREPS
    return i if is_led else noun


def _phrases(sentence: str, tokens: list[Token]) -> Iterable[Candidate]:
    for first, last in _capitalised_runs(tokens):
        start = _adjectives_before(tokens, first)
        if start < first:
            yield _candidate(CandidateType.PHRASE, sentence, tokens, start, last)
        attached = last + 1
        if attached < len(tokens) and tokens[last].text in ("des", "der", "von", "mit"):
            while attached < len(tokens) and not _is_capitalised(tokens[attached].text):
                attached += 1
                if attached - last > 3:
                    break
            if attached < len(tokens) and _is_capitalised(tokens[attached].text):
                yield _candidate(CandidateType.PHRASE, sentence, tokens, start, attached + 1)


def _quoted(sentence: str, tokens: list[Token]) -> Iterable[Candidate]:
    """Titles in quotation marks ("„Mork vom Ork“"), up to eight words."""
    for i, token in enumerate(tokens):
        if token.text not in _OPENING_QUOTES:
            continue
        for j in range(i + 2, min(len(tokens), i + 10)):
            if tokens[j].text in _CLOSING_QUOTES:
                yield _candidate(CandidateType.NAME, sentence, tokens, i + 1, j)
                break


def _kind_adjectives(
    sentence: str, tokens: list[Token], keys: list[str], head: str | None
) -> Iterable[Candidate]:
    """For "welche Art von X": the lowercase adjectives (up to three) before each X of the
    sentence, without X ("tiefliegende" in "tiefliegende Tunnel"), the kind it asks for."""
    for noun, key in enumerate(keys):
        if key != head:
            continue
        start = noun
        while start > 0 and noun - start < 3:
            word = tokens[start - 1].text
            if not (word[0].islower() and word.isalpha()) or word.lower() in _FUNCTION:
                break
            start -= 1
        if start < noun:
            yield _candidate(CandidateType.PHRASE, sentence, tokens, start, noun)


def _unique(found: Iterable[Candidate]) -> list[Candidate]:
    return list({(c.span, c.type): c for c in found}.values())


def _candidates(sentence: str, tokens: list[Token]) -> list[Candidate]:
    return _unique(
        [
            *_quoted(sentence, tokens),
            *_numbers(sentence, tokens),
            *_dates(sentence, tokens),
            *_names(sentence, tokens),
            *_phrases(sentence, tokens),
        ]
    )


def candidates(sentence: str) -> list[Candidate]:
    """Typed spans of `sentence` that could answer a short question, overlapping."""
    return _candidates(sentence, _tokens(sentence))


# --- Features ------------------------------------------------------------------------------

_HEAD = re.compile(
    r"\b(?i:welche[rsnm]?|wie\s*viele?|how\s+(?:many|much)|which|what)\s+"
    r"(?:\w+\s+){0,2}?([A-ZÄÖÜ]\w+|\w+(?=\s+(?:do|does|did|is|are|was|were|has|have|had)\b))",
)


_KIND_OF = re.compile(
    r"\b(?i:welche[rsnm]?|which|what)\s+(?:\w+\s+)?(?i:art|arten|sorte|sorten|form|formen|typ|"
    r"typen|kind|kinds|type|types|sort|sorts)\s+(?:(?i:von|an|of)\s+)?(?:[a-zäöüß]\w*\s+){0,2}?"
    r"([A-ZÄÖÜ]\w+)"
)
"""A question for a kind of thing: in "Welche Art von Tunneln" the noun after "Art von" is
the head, and the answer is often the adjective before it in the sentence ("tiefliegende
Tunnel")."""


@dataclass(frozen=True, slots=True)
class _Question:
    kind: QuestionKind
    keys: frozenset[str]
    head: str | None
    """The noun after "welche"/"wie viele" ("Soldaten"), as a key: what the answer is."""
    head_word: str | None = None
    """That noun lowercased, less a final e, n or s, to be found inside compounds: "Welches
    Museum" is answered by "das Horniman-Museum", "welche Stadt" by "die Hauptstadt …"."""
    kind_of: bool = False
    """The question asks "welche Art von X" (X is the head): a kind of X, often an adjective."""


def _question(text: str, kind: QuestionKind) -> _Question:
    words = [t.text for t in _tokens(text) if t.text[0].isalnum()]
    keys = frozenset(_key(w) for w in words if _is_content(w))
    kind_of = _KIND_OF.search(text)
    head = kind_of or _HEAD.search(text)
    if head is None:
        return _Question(kind, keys, None)
    word = head.group(1).lower()
    stem = word[:-1] if len(word) > 5 and word.endswith(("e", "n", "s")) else word
    return _Question(kind, keys, _key(word), stem if len(word) >= 4 else None, kind_of is not None)


def _preposition(tokens: list[Token], i: int, question: _Question) -> str:
    """The class of the word before the candidate, as far as the question's kind cares."""
    before = tokens[i - 1].text.lower() if i > 0 else ""
    if before in _DETERMINERS and i > 1:
        before = tokens[i - 2].text.lower()
    if question.kind is QuestionKind.TIME and before in _TIME_PREPS:
        return "time"
    if before in _AGENT_PREPS and question.kind in (QuestionKind.PERSON, QuestionKind.ENTITY):
        return "agent"
    if before in _PLACE_PREPS:
        return "place"
    if before in _OTHER_PREPS or before in _TIME_PREPS:
        return "other"
    return "none"


def _distance(matched: Sequence[int], first: int, last: int) -> float:
    outside = [i for i in matched if i < first or i >= last]
    if not outside:
        return 0.0
    gap = min(first - i if i < first else i - last + 1 for i in outside)
    return 1.0 / gap


def _run_features(tokens: list[Token], first: int, last: int) -> dict[str, float]:
    """Where the candidate sits in its run of capitalised words: "der Dichter Percy Shelley"
    names a person after the noun that describes them."""
    start = first
    while start > 0 and _is_capitalised(tokens[start - 1].text):
        start -= 1
    end = last
    while end < len(tokens) and _is_capitalised(tokens[end].text):
        end += 1
    led = start == 0 or tokens[start - 1].text.lower() in _DETERMINERS
    return {
        "starts_run": float(start == first),
        "ends_run": float(end == last),
        "drops_first": float(first == start + 1),
        "title_dropped": float(led and first == start + 1),
        "title_kept": float(led and first == start and end - start >= 2),
    }


def _shape_features(tokens: list[Token], c: Candidate) -> dict[str, float]:
    first, last = c.tokens
    words = [t.text for t in tokens[first:last]]
    before = tokens[first - 1].text if first > 0 else ""
    after = tokens[last].text if last < len(tokens) else ""
    return _run_features(tokens, first, last) | {
        "quoted": float(before in _OPENING_QUOTES and after in _CLOSING_QUOTES),
        "length": min(1.0, (last - first) / 8),
        "single": float(last - first == 1),
        "position": first / len(tokens),
        "sentence_start": float(first == 0),
        "after_determiner": float(before.lower() in _DETERMINERS),
        "after_comma": float(before in (",", "(")),
        "acronym": float(any(sum(ch.isupper() for ch in w) >= 2 for w in words)),
        "noun_suffix": float(_NOUN_SUFFIX.search(words[-1].lower()) is not None),
        "digit": float(any(_DIGIT.search(w) for w in words)),
    }


@dataclass(frozen=True, slots=True)
class _Sentence:
    """What every candidate's features read from the sentence, worked out once."""

    tokens: list[Token]
    keys: list[str]
    matched: list[int]
    """Tokens whose word the question has."""
    match: float
    """Share of the question's words that the sentence has."""
    of_type: Counter[CandidateType]


def _head_compound(s: _Sentence, c: Candidate, question: _Question) -> float:
    """Whether the candidate or the two words before it hold the question's head noun as
    part of another word ("Welches Museum": "das Horniman-Museum"), which the five-letter
    keys of `head_inside` and `head_before` miss."""
    stem, head = question.head_word, question.head
    if stem is None:
        return 0.0
    first, last = c.tokens
    words = (s.tokens[i].text.lower() for i in range(max(0, first - 2), last))
    return float(any(stem in word and _key(word) != head for word in words))


def _question_features(s: _Sentence, c: Candidate, question: _Question) -> dict[str, float]:
    """How the candidate stands to the question: whether it repeats it (an answer seldom
    does, wholly: `all_in_question`), how near the question's words it stands, and whether
    between them (`between`: the sentence says the question's words around its answer),
    whether it holds or follows the head noun asked for, also inside a compound
    (`head_compound`), and for "welche Art von X" whether it is the adjective before X
    (`kind_adjective`)."""
    first, last = c.tokens
    keys = s.keys
    inside = [keys[i] for i in range(first, last) if _is_content(s.tokens[i].text)]
    window = {keys[i] for i in s.matched if first - 6 <= i < first or last <= i < last + 6}
    head = question.head
    repeated = sum(k in question.keys for k in inside)
    return {
        "in_question": repeated / max(1, len(inside)),
        "all_in_question": float(bool(inside) and repeated == len(inside)),
        "between": float(any(i < first for i in s.matched) and any(i >= last for i in s.matched)),
        "head_compound": _head_compound(s, c, question),
        "kind_adjective": float(
            question.kind_of
            and last < len(keys)
            and keys[last] == head
            and all(s.tokens[i].text[0].islower() for i in range(first, last))
        ),
        "near": _distance(s.matched, first, last),
        "window": len(window) / max(1, len(question.keys)),
        "head_inside": float(head is not None and head in inside),
        "head_before": float(head is not None and head in keys[max(0, first - 3) : first]),
        "head_after": float(head is not None and head in keys[last : last + 2]),
        "head_measure": float(head in _MEASURES and c.type is not CandidateType.NAME),
    }


def _features(s: _Sentence, c: Candidate, question: _Question) -> dict[str, float]:
    """The features, and each again for the question's kind alone: nearness to the question's
    words says more for a name than for a year, which a sentence seldom holds twice."""
    features = _shape_features(s.tokens, c) | _question_features(s, c, question)
    kind = question.kind.value
    features |= {f"{name}:{kind}": value for name, value in features.items()}
    features[f"{c.type.value}:{kind}"] = 1.0
    features[f"after_{_preposition(s.tokens, c.tokens[0], question)}:{kind}"] = 1.0
    features["sentence_match"] = s.match
    features["rivals"] = 1.0 / s.of_type[c.type]
    return features


def _scored(
    question: str, sentence: str, kind: QuestionKind | None = None
) -> list[tuple[Candidate, dict[str, float]]]:
    """Every candidate of `sentence` with its features, or none when the question does not ask
    for a short answer (its `kind`, found from the question if not given)."""
    question = " ".join(question.replace("\u200b", " ").split())  # "welchem\u200b\u200bJahr"
    kind = kind or question_kind(question)
    if kind not in SHORT_KINDS:
        return []
    asked = _question(question, kind)
    tokens = _tokens(sentence)
    keys = [_key(t.text) for t in tokens]
    found = _candidates(sentence, tokens)
    if asked.kind_of:
        found = _unique([*found, *_kind_adjectives(sentence, tokens, keys, asked.head)])
    matched = [i for i, t in enumerate(tokens) if _is_content(t.text) and keys[i] in asked.keys]
    match = len({keys[i] for i in matched}) / max(1, len(asked.keys))
    facts = _Sentence(tokens, keys, matched, match, Counter(c.type for c in found))
    return [(c, _features(facts, c, asked)) for c in found]


_WHOLE = {CandidateType.NUMBER: CandidateType.QUANTITY, CandidateType.YEAR: CandidateType.DATE}
"""A bare number is given with what it counts ("500 Millionen Pfund"), a year with its day
and month ("12. Februar 2026"): XQuAD's gold answers are often the bare part, so the model
prefers it, but a reader needs the whole, which holds the part the model is sure of."""


def _best(
    question: str, sentence: str, model: Logistic, kind: QuestionKind | None = None
) -> tuple[float, Candidate] | None:
    scored = [(model.probability_of(f), c) for c, f in _scored(question, sentence, kind)]
    if not scored:
        return None
    probability, best = max(scored, key=lambda pair: pair[0])
    wholes = [
        (p, c)
        for p, c in scored
        if c.type is _WHOLE.get(best.type)
        and c.span[0] <= best.span[0]
        and best.span[1] <= c.span[1]
    ]
    return (
        (probability, max(wholes, key=lambda pair: pair[0])[1]) if wholes else (probability, best)
    )


def short_answer(
    question: str, sentence: str, model: Logistic, kind: QuestionKind | None = None
) -> ShortAnswer | None:
    """The likeliest candidate, if the question asks for a short answer and the model is sure
    enough of it; `kind`: the question's kind if already known."""
    best = _best(question, sentence, model, kind)
    if best is None or best[0] < model.threshold:
        return None
    return ShortAnswer(best[1].text, best[1].span)


# --- Scoring -------------------------------------------------------------------------------

_ARTICLES = _words(_ARTICLES_DE + " a an the")


def _normalised(text: str) -> list[str]:
    """SQuAD's (and MLQA's) normalisation, with German articles: lowercase, no punctuation,
    no articles."""
    kept = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text.lower())
    return [word for word in kept.split() if word not in _ARTICLES]


def exact_match(prediction: str, gold: str) -> bool:
    return _normalised(prediction) == _normalised(gold)


def token_f1(prediction: str, gold: str) -> float:
    predicted, wanted = _normalised(prediction), _normalised(gold)
    if not predicted or not wanted:
        return float(predicted == wanted)
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def best_score(prediction: str, answers: Sequence[str]) -> tuple[float, bool]:
    """Token F1 and exact match against the closest of several gold answers."""
    return (
        max((token_f1(prediction, gold) for gold in answers), default=0.0),
        any(exact_match(prediction, gold) for gold in answers),
    )


# --- Fitting -------------------------------------------------------------------------------


def _labelled(
    example: ShortAnswerExample,
) -> tuple[list[dict[str, float]], list[int]]:
    """The candidates' features, with the closest candidate(s) to the gold answer as the
    positives: the exact ones, else the best if it overlaps by half (translated answers do not
    always fall on a candidate's edges)."""
    scored = _scored(example.question, example.sentence)
    f1s = [best_score(c.text, example.answers) for c, _ in scored]
    best = max((f1 for f1, _ in f1s), default=0.0)
    labels = [int(exact or (f1 == best and f1 >= 0.5)) for f1, exact in f1s]
    return [f for _, f in scored], labels


def _threshold(offered: list[tuple[float, float]], min_precision_f1: float) -> float:
    """The lowest probability from which the offered answers (the best candidate of each
    example) still reach `min_precision_f1` in mean token F1; above every probability if none
    does."""
    threshold, total = math.inf, 0.0
    for count, (probability, f1) in enumerate(sorted(offered, reverse=True), start=1):
        total += f1
        if total / count >= min_precision_f1:
            threshold = probability
    return threshold if threshold < math.inf else 1.0


def _weights(labelled: Sequence[tuple[list[dict[str, float]], list[int]]], c: float) -> Logistic:
    """The logistic model over every candidate of `labelled`, threshold not yet set."""
    from sklearn.linear_model import LogisticRegression  # dev-only: fitting is offline

    rows = [row for features, _ in labelled for row in features]
    labels = [label for _, example_labels in labelled for label in example_labels]
    if len(set(labels)) < 2:
        raise ValueError("fit_short_answer needs examples with and without a matching candidate")
    names = tuple(sorted({name for row in rows for name in row}))
    matrix = np.array([[row.get(name, 0.0) for name in names] for row in rows])
    fitted = LogisticRegression(C=c, max_iter=2000).fit(matrix, labels)
    weights = tuple(float(w) for w in fitted.coef_[0])
    return Logistic(names, weights, float(fitted.intercept_[0]), 0.0)


def _offered(examples: Sequence[ShortAnswerExample], model: Logistic) -> list[tuple[float, float]]:
    """The best candidate's probability and token F1, for each example that has one."""
    offered = []
    for example in examples:
        best = _best(example.question, example.sentence, model)
        if best is not None:
            offered.append((best[0], best_score(best[1].text, example.answers)[0]))
    return offered


def fit_short_answer(
    examples: Sequence[ShortAnswerExample],
    min_precision_f1: float = 0.75,
    c: float = 1.0,
    folds: int = 4,
) -> Logistic:
    """A logistic model over every candidate of the examples (L2-regularised by `c`,
    scikit-learn's C), offered from the lowest probability at which the offered answers keep
    a mean token F1 of `min_precision_f1`.

    The threshold is chosen on probabilities from models fitted without the scored example
    (`folds` folds, every `folds`-th example): on the examples a model was fitted on, its best
    candidates look better than they will be, and the threshold would be set too low.
    Examples whose question asks for no short answer are left out.
    """
    labelled = [_labelled(example) for example in examples]
    offered = []
    for fold in range(folds if len(examples) >= 4 * folds else 0):
        held_out = [e for number, e in enumerate(examples) if number % folds == fold]
        kept = [pair for number, pair in enumerate(labelled) if number % folds != fold]
        offered.extend(_offered(held_out, _weights(kept, c)))
    model = _weights(labelled, c)
    offered = offered or _offered(examples, model)
    return replace(model, threshold=_threshold(offered, min_precision_f1))
