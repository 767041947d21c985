"""Choose the sentences that answer, best first: every sentence of the top passages is
judged by one fitted model, "does this sentence answer this question?".

The model is a linear score over what the bot knows of a sentence (`SentenceEvidence`):
how similar it is to the question, how much of the question's rare vocabulary it holds,
and how closely it holds each of the question's words by meaning (word vectors: an English
question's words have no spelling in a German sentence, a paraphrase's few) — each also as
the distance to the best candidate, since what matters is being the best of this
question's sentences, not an absolute cosine — how well its neighbours match (the
sentence that restates the question is often followed by the one that answers it), the
rank and fused score of its passage, and whether it holds what the question asks for — a
number for "wie viele", a date for "wann", a name for "wer", a place for "wo", a reason
for "warum" — read as a probability through a logistic function. It is fitted per
embedding model by `python -m bench.calibrate` on XQuAD-de (German and English questions;
"holds a gold answer" is the label), listwise: each question's sentences against each
other (`bench.sentence_fit`), and stored with the model's calibration. There is no
cross-encoder or reader on the package registries with its weights inside (looked for in
December 2026); this model is what makes the order.

Quotes come in order of that probability, and a further sentence is quoted only while the
second model of the calibration (`follow`) expects it to add the answer the ones before it
miss: a threshold fitted on the same data, not a fixed count. Source lists and fragments
(a line without a sentence's end and few words: headings, captions, bare bullet items)
come last, so they are quoted only when nothing else is there. A sentence that points back
("Dies war …", "Er sagte …") is quoted with the sentence before it, as one quote.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

import numpy as np

from bot.answers import Span
from bot.questions import QuestionKind
from bot.retrieval import Query, Ranked
from index.calibration import Logistic
from index.documents import BlockKind
from index.passages import Passage
from index.search import SearchIndex

_NUMBER = (
    r"\d|\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
    r"hundert|tausend|million(?:en)?|milliarde(?:n)?|dutzend|hälfte|drittel|viertel)\b"
)
_MONTH = r"januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
_ANSWER_TYPES: dict[QuestionKind, re.Pattern[str]] = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in (
        (QuestionKind.QUANTITY, _NUMBER),
        (QuestionKind.TIME, rf"\b(?:1\d{{3}}|20\d{{2}}|{_MONTH}|jahrhunderts?|jahrzehnts?|"
                            r"\d+er\s+jahren?|montag|dienstag|mittwoch|donnerstag|freitag|"
                            r"samstag|sonntag|seit|bis|vor\s+\S+\s+jahren|nach\s+dem|während)\b"),
        (QuestionKind.PLACE, r"\b(?:in|im|nach|aus|bei|nahe|an|am|auf|über|vor)\s+(?:der\s+|dem\s+|"
                             r"den\s+|die\s+)?(?-i:[A-ZÄÖÜ])|\b(?:stadt|land|region|insel|fluss|"
                             r"küste|norden|süden|osten|westen)"),
        (QuestionKind.REASON, r"\b(?:weil|denn|wegen|aufgrund|infolge|dank|daher|deshalb|"
                              r"deswegen|darum|somit|folglich|dadurch|damit|grund|ursache|"
                              r"um\s+\S+(?:\s+\S+){0,8}\s+zu)\b|,\s*da\b"),
    )
}  # fmt: skip
_NAME = re.compile(
    r"(?<![.!?]\s)\b[A-ZÄÖÜ](?=[\w'’-]*[a-zäöüß])[\w'’-]*+\s+"
    r"(?:(?:von|van|de|der|da|di|du|al|bin|le|la)\s+)?[A-ZÄÖÜ](?=[\w'’-]*[a-zäöüß])"
)
"""Two capitalised words in a row: in German, where every noun is capitalised, the nearest
cheap sign of a name ("Elbridge Colby", "Mark Rutte") rather than an article and a noun."""
_ARTICLE_START = re.compile(
    r"^(?:Der|Die|Das|Den|Dem|Des|Ein|Eine|Einen|Einem|Einer|Eines|Im|Am|Zum|Zur|Vom|Beim)\s",
)

_POINTS_BACK = re.compile(
    r"^[\"„“«»‚'(]?(?:(?:er|sie|dies|diese[rsnm]?|dessen|deren|dort|damals|dabei|dafür|dazu|"
    r"davon|daher|deshalb|deswegen|darauf|daraufhin|danach|dadurch|damit|seither|seitdem|"
    r"jedoch|allerdings|außerdem|zudem|ebenso|trotzdem|stattdessen|he|she|they|these|"
    r"however)\b|(?:das|es|it|this)\s+(?!gibt\b|gab\b)(?-i:[a-zäöüß]))",
    re.IGNORECASE,
)
"""Openings that lean on the sentence before: a pronoun, a pronominal adverb, a connective;
"das" and "es" only as pronouns (a verb follows, "Das war …"), not as an article ("Das
Bündnis …") or in "es gibt"."""
_SENTENCE_END = re.compile(r"[.!?…:;][\"'“”»«‘’)\]]*\s*$")
MAX_FRAGMENT_WORDS = 6
"""A line without a sentence's end and at most this many words is a heading, a caption or a
bare list item ("Quellen", "NATO: Arctic Sentry-Ankündigung"), not a statement."""


_WORD = re.compile(r"\w+")


def answer_type_found(kind: QuestionKind | None, sentence: str, question: str = "") -> bool | None:
    """Whether `sentence` holds what a question of `kind` asks for, beyond what `question`
    already says: "Wer führt Arctic Sentry?" is not answered by the name "Arctic Sentry",
    nor "Wie viele Soldaten kamen 2024?" by the year. None when the kind asks for nothing
    a surface pattern can see ("was ist", "welche", "wie")."""
    if kind is QuestionKind.PERSON:
        matches = [
            match
            for match in _NAME.finditer(sentence)
            if not (match.start() == 0 and _ARTICLE_START.match(sentence))
        ]
    else:
        pattern = _ANSWER_TYPES.get(kind) if kind is not None else None
        if pattern is None:
            return None
        matches = list(pattern.finditer(sentence))
    asked = {word.casefold() for word in _WORD.findall(question)}
    return any(not _asked_already(sentence, match, asked) for match in matches)


def _asked_already(sentence: str, match: re.Match[str], asked: set[str]) -> bool:
    """Every word the match touches (the whole word, where it ends inside one) is one of
    the question's."""
    start = match.start()
    while start > 0 and sentence[start - 1].isalnum():
        start -= 1
    end = match.end()
    while end < len(sentence) and sentence[end].isalnum():
        end += 1
    words = _WORD.findall(sentence[start:end])
    return bool(words) and all(word.casefold() in asked for word in words)


def is_fragment(sentence: str, kind: BlockKind) -> bool:
    """A source line, heading, caption or bare list item: quoted only if nothing else is."""
    if kind is BlockKind.SOURCES:
        return True
    text = sentence.strip().lstrip("•-–*· ")
    return _SENTENCE_END.search(text) is None and len(text.split()) <= MAX_FRAGMENT_WORDS


def points_back(sentence: str) -> bool:
    """ "Dies war jedoch …", "Er sagte …": read alone, the sentence does not say what about."""
    return _POINTS_BACK.match(sentence.strip()) is not None


@dataclass(frozen=True, slots=True)
class ExtractionSettings:
    passages: int = 3
    """Top passages whose sentences are candidates (the gold paragraph is among the top 3
    for 99 % of XQuAD-de questions)."""
    max_sentences: int = 3
    """At most this many sentences chosen, however sure the model is that each adds (a
    sentence that points back brings the one before it besides)."""

    def __post_init__(self) -> None:
        if self.passages < 1 or self.max_sentences < 1:
            raise ValueError("passages and max_sentences must be positive")


@dataclass(frozen=True, slots=True)
class SentenceEvidence:
    """What the sentence model sees of one candidate sentence for one question."""

    similarity: float
    """Cosine similarity of the sentence to the question."""
    similarity_gap: float
    """How far it lies below the most similar candidate (0 for that one)."""
    coverage: float
    """Share of the question's IDF mass the sentence holds."""
    coverage_gap: float
    """How far that lies below the best candidate's."""
    soft_coverage: float
    """How closely it holds each of the question's words, by meaning: the similarity of its
    nearest word to each (`SearchIndex.soft_coverage`), averaged."""
    soft_coverage_gap: float
    """How far that lies below the best candidate's."""
    previous_gap: float
    """`similarity_gap` of the sentence before it in its passage (its own if none)."""
    next_gap: float
    """`similarity_gap` of the sentence after it (its own if none)."""
    passage_rank: float
    """0 for a sentence of the best passage, 1 for the next, …"""
    passage_gap: float
    """How far its passage's fused score lies below the best passage's."""
    typed: float
    """1 if the question asks for a type of answer (number, date, name, place, reason) and
    the sentence holds one that the question does not name itself."""
    untyped: float
    """1 if the question asks for a type of answer and the sentence holds none."""
    length: float
    """log(characters): very short and very long sentences answer less often."""
    first: float
    """1 for the first sentence of its passage."""
    novelty: float
    """Share of its words that the question does not have: an answer says something new."""
    context_coverage: float
    """For a sentence that points back ("Sie wurde 1991 …"), how much more of the question
    the sentence before it adds: the question may name what the sentence only refers to."""


SENTENCE_FEATURES = tuple(f.name for f in fields(SentenceEvidence))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of a top passage, with what the model judges it by."""

    row: int
    """Passage row in the index."""
    sentence: int
    """Which sentence of the passage."""
    span: Span
    """Where the sentence stands in the passage text."""
    doc_id: str
    position: int
    """Where the sentence starts in its document (for sentences repeated by overlapping
    passages)."""
    fragment: bool
    evidence: SentenceEvidence


@dataclass(frozen=True, slots=True)
class Judged:
    candidate: Candidate
    probability: float
    """That the sentence answers the question (the sentence model)."""


@dataclass(frozen=True, slots=True)
class Quote:
    """What the answer quotes from one passage, followed by one marker: a sentence, or a run
    of neighbouring sentences in reading order."""

    row: int
    span: Span


def _top_passages(ranked: Ranked, count: int) -> list[tuple[int, int]]:
    """(rank, row) of the top `count` passages."""
    return list(enumerate(ranked.rows[:count].tolist()))


def candidates(
    query: Query, ranked: Ranked, index: SearchIndex, settings: ExtractionSettings
) -> list[Candidate]:
    """Every sentence of the top passages, each once (overlapping passages of one document
    repeat sentences: the copy in the better-ranked passage is kept)."""
    rows = _top_passages(ranked, settings.passages)
    if not rows:
        return []
    similarities = [index.sentence_similarities(row, query.vector) for _, row in rows]
    terms = [index.sentence_terms(row) for _, row in rows]
    coverages = [
        [index.coverage(query.terms, set(words)) for words in passage] for passage in terms
    ]
    softs = [index.soft_coverage(row, query.words) for _, row in rows]
    question_words = set(index.analyzer(query.text))
    best_similarity = max(float(s.max()) for s in similarities)
    best_coverage = max(max(c) for c in coverages)
    best_soft = max(float(s.max(initial=0.0)) for s in softs)
    top_fused = float(ranked.fused[0])
    seen: set[tuple[str, int]] = set()
    found = []
    for (rank, row), sims, covs, soft, sentence_terms in zip(
        rows, similarities, coverages, softs, terms, strict=True
    ):
        passage = index.passages[row]
        gaps = sims - best_similarity
        for number, (span, words) in enumerate(zip(passage.sentences, sentence_terms, strict=True)):
            text = passage.text[span[0] : span[1]]
            key = (passage.doc_id, passage.start + span[0])
            if key in seen:
                continue
            seen.add(key)
            typed = answer_type_found(query.kind, text, query.text)
            context = 0.0
            if number > 0 and points_back(text):
                together = set(words) | set(sentence_terms[number - 1])
                context = index.coverage(query.terms, together) - covs[number]
            evidence = SentenceEvidence(
                similarity=float(sims[number]),
                similarity_gap=float(gaps[number]),
                coverage=covs[number],
                coverage_gap=covs[number] - best_coverage,
                soft_coverage=float(soft[number]),
                soft_coverage_gap=float(soft[number]) - best_soft,
                previous_gap=float(gaps[number - 1] if number > 0 else gaps[number]),
                next_gap=float(gaps[number + 1] if number + 1 < len(gaps) else gaps[number]),
                passage_rank=float(rank),
                passage_gap=float(ranked.fused[rank]) - top_fused,
                typed=float(typed is True),
                untyped=float(typed is False),
                length=math.log(max(len(text), 1)),
                first=float(number == 0),
                novelty=sum(w not in question_words for w in words) / max(len(words), 1),
                context_coverage=context,
            )
            found.append(
                Candidate(
                    row, number, span, passage.doc_id, key[1],
                    is_fragment(text, passage.kind), evidence,
                )
            )  # fmt: skip
    return found


def judge_sentences(
    query: Query, ranked: Ranked, index: SearchIndex, settings: ExtractionSettings, model: Logistic
) -> list[Judged]:
    """The sentences of the top passages, best answer to `query` first."""
    return judge(candidates(query, ranked, index, settings), model)


def judge(found: Sequence[Candidate], model: Logistic) -> list[Judged]:
    """The candidates with their probability of answering, best first; fragments last."""
    if not found:
        return []
    probabilities = model.probabilities(np.array([astuple(c.evidence) for c in found]))
    judged = [Judged(c, float(p)) for c, p in zip(found, probabilities, strict=True)]
    return sorted(judged, key=lambda j: (j.candidate.fragment, -j.probability))


@dataclass(frozen=True, slots=True)
class FollowEvidence:
    """What decides whether a further sentence is worth quoting after the ones before it."""

    probability: float
    """The sentence model's probability for it."""
    lead: float
    """The sentence model's probability for the first quote."""
    same_passage: float
    """1 if it comes from the passage of the first quote."""
    adjacent: float
    """1 if it stands right before or after the first quote's sentence (then it is quoted
    with it, in reading order)."""


FOLLOW_FEATURES = tuple(f.name for f in fields(FollowEvidence))


def follow_evidence(judged: Judged, lead: Judged) -> FollowEvidence:
    return FollowEvidence(
        probability=judged.probability,
        lead=lead.probability,
        same_passage=float(judged.candidate.row == lead.candidate.row),
        adjacent=float(
            judged.candidate.row == lead.candidate.row
            and abs(judged.candidate.sentence - lead.candidate.sentence) == 1
        ),
    )


def select(
    judged: Sequence[Judged], follow: Logistic, settings: ExtractionSettings
) -> list[Judged]:
    """The best sentence, then each next one as long as `follow` expects it to add the
    answer (its probability reaches the fitted threshold), at most `max_sentences`."""
    if not judged:
        return []
    lead, *rest = judged
    chosen = [lead]
    for further in rest:
        if len(chosen) == settings.max_sentences or further.candidate.fragment:
            break
        evidence = astuple(follow_evidence(further, lead))
        if follow.probability(evidence) < follow.threshold:
            break
        chosen.append(further)
    return chosen


def quotes(chosen: Sequence[Judged], passages: Sequence[Passage]) -> list[Quote]:
    """The chosen sentences as quotes, in the order chosen. Sentences of one passage that
    stand next to each other become one quote in reading order, and a sentence that points
    back takes the sentence before it along (unless that one is quoted already, from an
    overlapping passage), so that every quote reads on its own."""
    runs: list[_Run] = []
    quoted: set[tuple[str, int]] = set()
    for judged in chosen:
        c = judged.candidate
        passage = passages[c.row]
        first = c.sentence
        if first > 0 and points_back(passage.text[c.span[0] : c.span[1]]):
            before = (passage.doc_id, passage.start + passage.sentences[first - 1][0])
            first -= before not in quoted
        _join(runs, _Run(c.row, first, c.sentence))
        quoted.update(
            (passage.doc_id, passage.start + passage.sentences[n][0])
            for n in range(first, c.sentence + 1)
        )
    return [
        Quote(run.row, (passages[run.row].sentences[run.first][0],
                        passages[run.row].sentences[run.last][1]))
        for run in runs
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Run:
    """Sentences `first` to `last` of the passage in `row`."""

    row: int
    first: int
    last: int

    def touches(self, other: "_Run") -> bool:
        return (
            self.row == other.row and self.first <= other.last + 1 and other.first <= self.last + 1
        )


def _join(runs: list[_Run], run: _Run) -> None:
    """Add `run` to `runs`, joined with every run it touches or overlaps, in the place of
    the earliest of them. No two runs of `runs` touch, so the joined run touches no other."""
    touching = [number for number, other in enumerate(runs) if other.touches(run)]
    if not touching:
        runs.append(run)
        return
    joined = _Run(
        run.row,
        min(run.first, *(runs[n].first for n in touching)),
        max(run.last, *(runs[n].last for n in touching)),
    )
    for number in reversed(touching):
        del runs[number]
    runs.insert(touching[0], joined)


@dataclass(frozen=True, slots=True)
class Quoting:
    """What an answer quotes, and the sentence judged to answer best (the short answer's
    place: it stands in the first quote)."""

    quotes: list[Quote]
    best: Candidate | None


def quote_answer(
    judged: Sequence[Judged],
    focus: Query | None,
    ranked: Ranked,
    index: SearchIndex,
    settings: ExtractionSettings,
    models: tuple[Logistic, Logistic],
) -> Quoting:
    """The quotes of an answer: the `judged` sentences, or — when the sentences must answer
    a `focus` other than the query that found the passages — the sentences judged again
    for it, selected by the follow model (`models`: sentence, follow)."""
    sentence, follow = models
    if focus is not None:
        judged = judge_sentences(focus, ranked, index, settings, sentence)
    chosen = quotes(select(judged, follow, settings), index.passages)
    return Quoting(chosen, judged[0].candidate if chosen else None)
