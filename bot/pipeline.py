"""The bot: a question in, a German answer of cited source sentences out.

question → clean → (greeting? empty?) → read in its conversation (`bot.followup`) → embed
+ analyze → rank → evidence → confidence → FAQ answer, quoted sentences, or a decline with
related questions.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot import followup, wording
from bot.answers import Answer, AnswerKind, Hit
from bot.confidence import FEATURES, Evidence, confidence, gather_evidence
from bot.extraction import (
    FOLLOW_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    ExtractionSettings,
    Judged,
    candidates,
    judge,
    quotes,
    select,
)
from bot.inputs import MAX_QUESTION_CHARS, Question, clean_history, clean_question
from bot.language import language_guess
from bot.retrieval import Query, Ranked, RetrievalSettings, Retriever
from bot.short_answer import short_answer
from index import config, limits
from index.calibration import Calibration, calibration_for, fit_hint
from index.embedding import Embedder, Role, load_embedder
from index.errors import CalibrationMissingError
from index.passages import Passage
from index.search import SearchIndex
from index.store import IndexContent, load_index, read_manifest


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
        self.retriever = Retriever(self.index, self.settings.retrieval, self.calibration.faq_match)
        language_guess()  # loaded now, so the first answer does not pay for it

    @classmethod
    def load(
        cls,
        index_dir: Path | str | None = None,
        *,
        embedder: Embedder | None = None,
        settings: BotSettings | None = None,
    ) -> "Bot":
        """The bot over the index at `index_dir` (default: the configured index), with the
        model that built it (or `embedder`, which must be that model)."""
        path = Path(index_dir) if index_dir is not None else config.index_dir()
        embedder = embedder or load_embedder(read_manifest(path).model)
        return cls(load_index(path, embedder.name), embedder, settings)

    # ------------------------------------------------------------ retrieval

    def _query(self, text: str) -> Query:
        return self.retriever.query(text, self.embedder.embed([text], Role.QUERY)[0])

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
        return self._hits(self.retriever.rank(self._query(cleaned.text)), k)

    def evidence(self, question: str) -> Evidence:
        """What the confidence model sees for `question` (for calibration and debugging)."""
        query = self._query(clean_question(question, self.settings.max_question_chars).text)
        ranked = self.retriever.rank(query)
        return gather_evidence(query, ranked, self.index, self._judged(query, ranked))

    def _judged(self, query: Query, ranked: Ranked) -> list[Judged]:
        """The sentences of the top passages, best answer to `query` first."""
        found = candidates(query, ranked, self.index, self.settings.extraction)
        return judge(found, self.calibration.sentence)

    def sentence_candidates(self, question: str) -> list[Candidate]:
        """The sentences the sentence model judges for `question` (for calibration)."""
        query = self._query(clean_question(question, self.settings.max_question_chars).text)
        return candidates(query, self.retriever.rank(query), self.index, self.settings.extraction)

    # ------------------------------------------------------------ answering

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """A German answer to `question`; never raises for a string (`TypeError` otherwise).

        `history`: the conversation's earlier questions as typed, oldest first (the last
        `MAX_HISTORY_TURNS` count). A follow-up ("Was hat er gesagt?") is read with the
        previous turn's topic, and its answer says so (`Answer.context`); a question that
        stands on its own is answered exactly as without history.
        """
        max_chars = self.settings.max_question_chars
        cleaned = clean_question(question, max_chars)
        earlier = [q.text for q in clean_history(history, max_chars) if self._sets_topic(q)]
        notices = (wording.TRUNCATED_NOTICE.format(limit=max_chars),) if cleaned.truncated else ()
        if cleaned.is_empty:
            return Answer(wording.EMPTY_HINT, (), False, 0.0, AnswerKind.HINT)
        if cleaned.is_greeting:
            return self._greeting(cleaned)
        if earlier:
            reply = self._in_conversation(followup.resolve(cleaned.text, earlier))
        else:
            reply = self._answer(cleaned.text)
        if notices:
            return replace(reply, text=wording.with_notices(reply.text, notices), notices=notices)
        return reply

    @staticmethod
    def _sets_topic(earlier: Question) -> bool:
        """A greeting or an empty message between questions says nothing about the topic."""
        return not earlier.is_empty and not earlier.is_greeting

    def _in_conversation(self, resolution: followup.Resolution) -> Answer:
        """The first reading the sources answer, else the first reading's decline; a
        reading is only asked (and embedded) when the one before it was not answered."""
        first = self._read(resolution.readings[0])
        if first.answered:
            return first
        later = (self._read(reading) for reading in resolution.readings[1:])
        return next((reply for reply in later if reply.answered), first)

    def _read(self, reading: followup.Reading) -> Answer:
        """The answer to one reading. The earlier turn's topic finds the passages, but the
        sentences to quote are the ones that answer the reading's focus, the question as
        typed: with the topic in the query, the sentence that names the topic most would
        win over the one that answers ("Who leads it?" would quote what Arctic Sentry is)."""
        reply = self._answer(reading.query, reading.focus)
        if not reading.context:
            return reply
        return replace(
            reply, text=wording.in_context(reading.context, reply.text), context=reading.context
        )

    def _answer(self, text: str, sentences_for: str = "") -> Answer:
        """The answer to `text`; its sentences chosen for `sentences_for` if given."""
        query = self._query(text)
        ranked = self.retriever.rank(query)
        judged = self._judged(query, ranked)
        sure = confidence(self.calibration, gather_evidence(query, ranked, self.index, judged))
        faq_match = ranked.question_similarity[0] >= self.retriever.faq_match
        if faq_match:  # the user asked an FAQ question: that alone says the sources answer
            sure = max(sure, self.calibration.faq_same(float(ranked.question_similarity[0])))
        sure = round(sure, 4)
        if sure < self.settings.answer_threshold:
            suggestions = self.related_questions(query, ranked)
            return Answer(
                wording.decline(suggestions),
                (),
                False,
                sure,
                AnswerKind.DECLINED,
                suggestions,
            )
        best = int(ranked.rows[0])
        if faq_match:
            hit = hit_of(self.content.passages[best], ranked.fused[0])
            hit = replace(hit, quoted=((0, len(hit.text)),))
            reply = Answer(wording.quote([(hit.text, 1)]), (hit,), True, sure, AnswerKind.FAQ)
            return self._with_short(reply, sentences_for or text, hit.text)
        if sentences_for:
            judged = self._judged(self._query(sentences_for), ranked)
        return self._quoted(sentences_for or text, judged, ranked, sure)

    def _quoted(self, question: str, judged: list[Judged], ranked: Ranked, sure: float) -> Answer:
        """The answer that quotes the best of the `judged` sentences for `question`."""
        settings = self.settings.extraction
        chosen = quotes(select(judged, self.calibration.follow, settings), self.content.passages)
        score_of = dict(zip(ranked.rows.tolist(), ranked.fused.tolist(), strict=True))
        passages = self.content.passages
        hits = [hit_of(passages[q.row], score_of[q.row]) for q in chosen]
        markers = wording.cite(hits)
        quoted: dict[str, list[tuple[int, int]]] = {}
        for quote, hit in zip(chosen, hits, strict=True):
            quoted.setdefault(hit.passage_id, []).append(quote.span)
        citations = tuple(
            replace(hit, quoted=tuple(sorted(quoted[hit.passage_id])))
            for hit in {h.passage_id: h for h in hits}.values()
        )
        lines = [
            (hit.text[q.span[0] : q.span[1]], markers[hit.passage_id])
            for q, hit in zip(chosen, hits, strict=True)
        ]
        reply = Answer(wording.quote(lines), citations, True, sure, AnswerKind.ANSWER)
        if not chosen:
            return reply
        best, first = judged[0].candidate.span, chosen[0].span[0]  # the first quote holds it
        return self._with_short(reply, question, lines[0][0], (best[0] - first, best[1] - first))

    def _with_short(
        self, reply: Answer, question: str, quote: str, within: tuple[int, int] | None = None
    ) -> Answer:
        """`reply` with the phrase of its first `quote` that answers `question`, looked for
        in the sentence `within` the quote that was judged to answer (the whole quote if
        None) and never in more than a sentence's worth of text (`MAX_SENTENCE_CHARS`: the
        candidates of a long text take milliseconds each)."""
        start, end = within or (0, len(quote))
        model = self.calibration.short
        if model is None or end - start > limits.MAX_SENTENCE_CHARS:
            return reply
        found = short_answer(question, quote[start:end], model)
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
        return Answer(text, (), True, 1.0, AnswerKind.GREETING)
