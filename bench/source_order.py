"""How answers quoted before the sentence model (faqbot of November 2026), so that the
benchmark shows today's answers beside them in the same run, on the same retrieval.

Each sentence of the top 3 passages scored 0.5 × similarity + 0.5 × rare-word coverage −
0.1 per passage rank (+ 0.2 for a number when the question asked "wann", "wie viele" …);
the best and up to two more scoring at least 40 % of it were quoted in source order.
"""

import re

from bot import Answer, AnswerKind, Bot
from bot.extraction import Candidate

_ASKS_FOR_NUMBER = re.compile(
    r"\b(?:wann|wie\s+(?:viele?|hoch|alt|lange|groß|weit|schwer|teuer|oft|spät|früh)|"
    r"in\s+welchem\s+jahr|wie\s+viel\s+prozent|um\s+wie\s+viel|"
    r"when|how\s+(?:many|much|old|long|far|high)|what\s+year)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(
    r"\d|\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
    r"hundert|tausend|million(?:en)?|milliarde(?:n)?|januar|februar|märz|april|mai|juni|juli|"
    r"august|september|oktober|november|dezember)",
    re.IGNORECASE,
)


def _score(candidate: Candidate, text: str, wants_number: bool) -> float:
    evidence = candidate.evidence
    score = 0.5 * evidence.similarity + 0.5 * evidence.coverage - 0.1 * evidence.passage_rank
    return score + (0.2 if wants_number and _HAS_NUMBER.search(text) else 0.0)


def source_order_text(bot: Bot, question: str, reply: Answer) -> str:
    """The text `reply` would have had with the former choice of sentences (a decline, a
    greeting or an FAQ answer is unchanged)."""
    if reply.kind is not AnswerKind.ANSWER:
        return reply.text
    passages = bot.content.passages
    wants_number = _ASKS_FOR_NUMBER.search(question) is not None
    scored = []
    for candidate in bot.sentence_candidates(question):
        text = passages[candidate.row].text[candidate.span[0] : candidate.span[1]]
        scored.append((_score(candidate, text, wants_number), candidate, text))
    scored.sort(key=lambda item: -item[0])
    chosen = [item for item in scored[:3] if item[0] >= 0.4 * scored[0][0]]
    document_rank: dict[str, float] = {}
    for _, candidate, _ in sorted(chosen, key=lambda item: item[1].evidence.passage_rank):
        document_rank.setdefault(candidate.doc_id, candidate.evidence.passage_rank)
    chosen.sort(key=lambda item: (document_rank[item[1].doc_id], item[1].position))
    markers: dict[int, int] = {}
    for _, candidate, _ in chosen:
        markers.setdefault(candidate.row, len(markers) + 1)
    return " ".join(f"{text} [{markers[candidate.row]}]" for _, candidate, text in chosen)
