"""The bot: a question in, a German answer of cited source sentences out.

question → clean (`bot.inputs`; greeting? empty?) → read in its conversation
(`bot.followup`) → retrieve (`bot.retrieval`) → judge the sentences (`bot.extraction`) →
how sure (`bot.confidence`) → an FAQ answer, quoted sentences with the short answer
(`bot.extraction`, `bot.short_answer`), or a decline with related questions → worded
(`bot.wording`). `Bot` calls each stage; no stage calls back into another.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot import followup, wording
from bot.answers import Answer, AnswerKind, Hit
from bot.confidence import FEATURES, Evidence, gather_evidence, how_sure
from bot.extraction import (
    FOLLOW_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    ExtractionSettings,
    Judged,
    candidates,
    judge_sentences,
    quote_answer,
)
from bot.inputs import MAX_QUESTION_CHARS, Question, clean_question, read_input
from bot.language import language_guess
from bot.questions import QuestionKind, question_kind
from bot.retrieval import Query, Ranked, RetrievalSettings, Retrieved, Retriever
from bot.short_answer import short_answer
from index import limits
from index.calibration import Calibration, calibration_for, fit_hint
from index.embedding import Embedder, load_embedder
from index.errors import CalibrationMissingError
from index.passages import Passage
from index.search import SearchIndex
from index.settings import Settings
from index.store import IndexContent, load_index, read_manifest
from index.words import embed_words


@dataclass(frozen=True, slots=True)
class BotSettings:
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    extraction: ExtractionSettings = field(default_factory=ExtractionSettings)
    calibration: Calibration | None = None
    """None: the one fitted for the index's model, recorded in its manifest."""
    answer_threshold: float = 0.5
    """Below this confidence the bot declines."""
    suggestions: int = 3
    max_question_chars: int = MAX_QUESTION_CHARS
    handover: str = ""
    """Whom to ask when the sources do not answer ("Fragen Sie das Servicebüro, Tel. …"),
    added to every decline as it is given; none by default."""


def hit_of(passage: Passage, score: float) -> Hit:
    return Hit(
        doc_id=passage.doc_id,
        text=passage.text,
        title=passage.title,
        section=passage.section,
        source=passage.source,
        score=round(float(score), 4),
        passage_id=passage.passage_id,
        question=passage.question,
        url=passage.url,
        start=passage.start,
        end=passage.end,
        first_page=passage.first_page,
        last_page=passage.last_page,
    )


def _current(calibration: Calibration) -> bool:
    """Fitted on the evidence this bot gathers, with every part it uses."""
    return (
        calibration.features == FEATURES
        and calibration.sentence is not None
        and calibration.sentence.features == SENTENCE_FEATURES
        and calibration.follow is not None
        and calibration.follow.features == FOLLOW_FEATURES
    )


def _calibration(content: IndexContent, settings: BotSettings) -> Calibration:
    """The settings' calibration, else the one recorded in the index, else — for an index
    built before the bot gathered the evidence it gathers now — the one fitted for the
    index's model now: what is fitted belongs to the model, the index only records it."""
    model = content.manifest.model
    if settings.calibration is not None:
        offered = (settings.calibration,)
    else:
        offered = (content.manifest.calibration, calibration_for(model))
    fitted = [c for c in offered if c is not None]
    if not fitted:
        raise CalibrationMissingError(fit_hint(model))
    current = next((c for c in fitted if _current(c)), None)
    if current is None:
        raise CalibrationMissingError(
            f"the calibration of {model!r} was fitted on the evidence {fitted[0].features}, "
            f"this bot gathers {FEATURES} and judges sentences on {SENTENCE_FEATURES}; "
            + fit_hint(model)
        )
    return current


WARM_UP_QUESTION = "Worum geht es in den Dokumenten?"
"""Answered (not shown, not counted) to warm a bot: a whole answer, so that every lazily
loaded part of answering has run once, not only the model's first query."""


class Bot:
    """Answers questions from one loaded index. Immutable once built, so one instance can
    serve many threads; a rebuilt index means a new `Bot`."""

    def __init__(
        self, content: IndexContent, embedder: Embedder, settings: BotSettings | None = None
    ) -> None:
        self.settings = settings or BotSettings()
        self.content = content
        self.embedder = embedder
        self.calibration = _calibration(content, self.settings)
        self.index = SearchIndex(content)
        self.retriever = Retriever(
            self.index, embedder, self.settings.retrieval, self.calibration.faq_match
        )
        language_guess()  # loaded now, so the first answer does not pay for it
        embed_words(["Frage"])  # the word model too (its first call takes a second)

    @classmethod
    def load(
        cls,
        index_dir: Path | str | None = None,
        *,
        embedder: Embedder | None = None,
        settings: BotSettings | None = None,
    ) -> "Bot":
        """The bot over the index at `index_dir` (default: `$FAQBOT_INDEX_DIR`'s, see
        `index.settings`), with the model that built it (or `embedder`, which must be that
        model)."""
        path = Path(index_dir) if index_dir is not None else Settings().index_dir
        embedder = embedder or load_embedder(read_manifest(path).model)
        return cls(load_index(path, embedder.name), embedder, settings)

    def warm_up(self) -> None:
        """Answer `WARM_UP_QUESTION` once, the answer unused: whatever answering loads or
        compiles lazily has then run, so the next question is answered at full speed."""
        self.answer(WARM_UP_QUESTION)

    # ------------------------------------------------------------ the stages

    def _hits(self, ranked: Ranked, k: int) -> list[Hit]:
        passages = self.content.passages
        return [
            hit_of(passages[row], score)
            for row, score in zip(ranked.rows[:k].tolist(), ranked.fused[:k], strict=True)
        ]

    def search(self, question: str, k: int = 10) -> list[Hit]:
        """The `k` passages that best match `question`, best first."""
        cleaned = clean_question(question, self.settings.max_question_chars)
        if cleaned.is_empty or k < 1:
            return []
        return self._hits(self.retriever.retrieve(cleaned.text).ranked, k)

    def evidence(self, question: str) -> Evidence:
        """What the confidence model sees for `question` (for calibration and debugging)."""
        found = self.retriever.retrieve(
            clean_question(question, self.settings.max_question_chars).text
        )
        judged = judge_sentences(
            found.query, found.ranked, self.index, self.settings.extraction,
            self.calibration.sentence,
        )  # fmt: skip
        return gather_evidence(found.query, found.ranked, self.index, judged)

    def sentence_candidates(self, question: str) -> list[Candidate]:
        """The sentences the sentence model judges for `question` (for calibration)."""
        found = self.retriever.retrieve(
            clean_question(question, self.settings.max_question_chars).text
        )
        return candidates(found.query, found.ranked, self.index, self.settings.extraction)

    # ------------------------------------------------------------ answering

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """A German answer to `question`; never raises for a string (`TypeError` otherwise).

        `history`: the conversation's earlier questions as typed, oldest first (the last
        `MAX_HISTORY_TURNS` count). A follow-up ("Was hat er gesagt?") is read with the
        previous turn's topic, and its answer says so (`Answer.context`); a question that
        stands on its own is answered exactly as without history.

        The path: read the input (`bot.inputs`) → read it in its conversation
        (`bot.followup`) → retrieve (`bot.retrieval`) → judge the sentences
        (`bot.extraction`) → how sure (`bot.confidence`) → quote (`bot.extraction`) and
        the short answer (`bot.short_answer`) → word it (`bot.wording`); each stage is
        called from here, once per reading of the question.
        """
        max_chars = self.settings.max_question_chars
        asked = read_input(question, history, max_chars)
        cleaned = asked.question
        if cleaned.is_empty:
            return Answer.saying(wording.EMPTY_HINT, AnswerKind.HINT)
        if cleaned.is_greeting:
            return self._greeting(cleaned)
        notices = (wording.TRUNCATED_NOTICE.format(limit=max_chars),) if cleaned.truncated else ()
        if not asked.earlier:
            return self._answer(followup.Reading(cleaned.text), notices)
        readings = followup.resolve(cleaned.text, asked.earlier).readings
        first = self._answer(readings[0], notices)
        if first.answered:
            return first
        # A further reading is only asked (and embedded) when the one before was not answered.
        later = (self._answer(reading, notices) for reading in readings[1:])
        return next((reply for reply in later if reply.answered), first)

    def _answer(self, reading: followup.Reading, notices: tuple[str, ...]) -> Answer:
        """The answer to one reading of the question. The earlier turn's topic finds the
        passages, but the sentences to quote are the ones that answer the reading's focus,
        the question as typed: with the topic in the query, the sentence that names the
        topic most would win over the one that answers ("Who leads it?" would quote what
        Arctic Sentry is)."""
        found = self.retriever.retrieve(reading.query)
        query, ranked = found.query, found.ranked
        judged = judge_sentences(
            query, ranked, self.index, self.settings.extraction, self.calibration.sentence
        )
        faq_match = self.retriever.faq_match
        sure = how_sure(self.calibration, query, ranked, self.index, judged, faq_match)
        context = reading.context
        if sure < self.settings.answer_threshold:
            if context == wording.ABOUT_PREVIOUS:  # "… vorige Frage: nichts gefunden" tells nothing
                context = ""
            suggestions = self.related_questions(query, ranked)
            text = wording.declined(suggestions, context, notices, self.settings.handover)
            return Answer(
                text, (), False, sure, AnswerKind.DECLINED, suggestions, notices, context=context
            )
        focus = self._focus(reading)
        if self._asks_faq_question(focus, ranked):  # an FAQ question: its answer whole
            return self._faq_answer(reading, query, ranked, sure, notices)
        return self._quoted_answer(reading, found, judged, sure, notices, focus)

    def _focus(self, reading: followup.Reading) -> Query | None:
        """The reading's focus as a query (embedded only now: a declined reading never
        needs it), or None when the sentences answer the reading's own query."""
        if not reading.focus:
            return None
        return self.retriever.read(reading.focus)

    def _asks_faq_question(self, focus: Query | None, ranked: Ranked) -> bool:
        """Whether the best passage is an FAQ entry whose question is the user's. For a
        follow-up the focus must match it too: the earlier topic in the query ("NATO 3.0")
        makes "Und was fordert Colby dabei?" look like "Was ist NATO 3.0?"."""
        faq_match = self.retriever.faq_match
        if not ranked.rows.size or ranked.question_similarity[0] < faq_match:
            return False
        if focus is None:
            return True
        position = int(self.index.faq_position(ranked.rows[:1])[0])
        return bool(self.retriever.faq_similarities(focus)[position] >= faq_match)

    def _faq_answer(
        self,
        reading: followup.Reading,
        query: Query,
        ranked: Ranked,
        sure: float,
        notices: tuple[str, ...],
    ) -> Answer:
        """The answer of the FAQ entry whose question is the user's, whole."""
        hit = hit_of(self.content.passages[int(ranked.rows[0])], ranked.fused[0])
        hit = replace(hit, quoted=((0, len(hit.text)),))
        text = wording.quoted([(hit.text, hit.passage_id)], reading.context, notices)
        reply = Answer(
            text, (hit,), True, sure, AnswerKind.FAQ, notices=notices, context=reading.context
        )
        kind = question_kind(reading.focus) if reading.focus else query.kind
        return self._with_short(reply, reading.focus or query.text, kind, hit.text)

    def _quoted_answer(
        self,
        reading: followup.Reading,
        found: Retrieved,
        judged: list[Judged],
        sure: float,
        notices: tuple[str, ...],
        focus: Query | None,
    ) -> Answer:
        """The answer that quotes the sentences judged to answer best, for the reading's
        `focus` if it has one."""
        ranked, asked = found.ranked, focus or found.query
        models = (self.calibration.sentence, self.calibration.follow)
        quoting = quote_answer(judged, focus, ranked, self.index, self.settings.extraction, models)
        score_of = dict(zip(ranked.rows.tolist(), ranked.fused.tolist(), strict=True))
        passages = self.content.passages
        hits = [hit_of(passages[q.row], score_of[q.row]) for q in quoting.quotes]
        spans: dict[str, list[tuple[int, int]]] = {}
        for quote, hit in zip(quoting.quotes, hits, strict=True):
            spans.setdefault(hit.passage_id, []).append(quote.span)
        citations = tuple(
            replace(hit, quoted=tuple(sorted(spans[hit.passage_id])))
            for hit in {h.passage_id: h for h in hits}.values()
        )
        lines = [
            (hit.text[q.span[0] : q.span[1]], hit.passage_id)
            for q, hit in zip(quoting.quotes, hits, strict=True)
        ]
        text = wording.quoted(lines, reading.context, notices)
        reply = Answer(
            text, citations, True, sure, AnswerKind.ANSWER, notices=notices,
            context=reading.context,
        )  # fmt: skip
        if quoting.best is None:
            return reply
        best, first = quoting.best.span, quoting.quotes[0].span[0]  # the first quote holds it
        within = (best[0] - first, best[1] - first)
        return self._with_short(reply, asked.text, asked.kind, lines[0][0], within)

    def _with_short(
        self,
        reply: Answer,
        question: str,
        kind: QuestionKind | None,
        quote: str,
        within: tuple[int, int] | None = None,
    ) -> Answer:
        """`reply` with the phrase of its first `quote` that answers `question` (of `kind`),
        looked for in the sentence `within` the quote that was judged to answer (the whole
        quote if None) and never in more than a sentence's worth of text (`MAX_SENTENCE_CHARS`: the
        candidates of a long text take milliseconds each). A question of no kind asks for
        no short answer."""
        start, end = within or (0, len(quote))
        model = self.calibration.short
        if model is None or kind is None or end - start > limits.MAX_SENTENCE_CHARS:
            return reply
        found = short_answer(question, quote[start:end], model, kind)
        if found is None:
            return reply
        span = (start + found.span[0], start + found.span[1])
        return replace(reply, short=found.text, short_span=span)

    # ------------------------------------------------------------ around the answers

    def example_questions(self, n: int = 3) -> tuple[str, ...]:
        """Questions to offer a new user: the corpus's FAQ questions, else section titles."""
        return self._questions_by_preference(np.arange(len(self.content.passages)), n)

    def related_questions(self, query: Query, ranked: Ranked) -> tuple[str, ...]:
        """FAQ questions most similar to the query, then headings of the nearest passages."""
        faq_rows = self.index.faq_rows
        by_similarity = faq_rows[np.argsort(-self.index.faq_similarities(query.vector))]
        return self._questions_by_preference(
            np.concatenate([by_similarity, ranked.rows]), self.settings.suggestions
        )

    def _questions_by_preference(self, rows: np.ndarray, n: int) -> tuple[str, ...]:
        passages = [self.content.passages[row] for row in rows.tolist()]
        questions = [p.question for p in passages if p.question]
        sections = [p.section for p in passages if p.section and p.section != p.title]
        return tuple(dict.fromkeys(questions + sections))[:n]

    def titles(self) -> list[str]:
        return list(dict.fromkeys(p.title for p in self.content.passages))

    def _greeting(self, cleaned: Question) -> Answer:
        text = wording.greeting(self.titles(), self.example_questions(1), cleaned.is_thanks)
        return Answer.saying(text, AnswerKind.GREETING)
