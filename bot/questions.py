"""What kind of answer a question asks for, from its question word (German or English).

"Welche" with a noun of time or amount asks for a time or a quantity ("In welchem Jahr",
"Welcher Prozentsatz", "which year"), like "wann" and "wie viele": the answering sentence
then holds a date or a number, and the short answer is one. Measured on XQuAD-de (18
German and 24 English questions change kind; sentence and short-answer models fitted
without the question's article, 4 folds, the short answer looked for in the sentence
judged best): on those questions a short answer is offered for 6 → 11 of the German (F1
0.39 → 0.59) and 2 → 16 of the English (F1 0.50 → 0.64); of all German questions that
ask for one 0.281 → 0.302 (F1 0.636 → 0.631: the refitted threshold offers a few more
elsewhere), of the English 0.182 → 0.212 (F1 0.509 → 0.501); gold in the first quote
0.856 → 0.857 (German), 0.787 both (English). A noun of place ("In welcher Stadt") is
left as "which": a place is named, not always put after "in", so the place evidence
misleads there (short-answer F1 on those questions fell 0.59 → 0.44).

Used to keep an FAQ entry from answering a question of another kind: "Wer hat das Treffen
verpasst?" asks for a person, and "Warum versäumen die USA NATO-Treffen?" answers a
reason, however similar the two are in wording.
"""

import re
from enum import StrEnum


class QuestionKind(StrEnum):
    DEFINITION = "definition"
    """ "Was ist X?": what a thing is, not who runs it or how many take part."""
    ENTITY = "entity"
    """ "Welche X …?": which thing; open enough to be answered by most kinds, not by a
    definition."""
    PERSON = "person"
    REASON = "reason"
    TIME = "time"
    PLACE = "place"
    QUANTITY = "quantity"
    MANNER = "manner"


_WHICH = r"welche[rsnm]?\s+"
_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        # Quantity before manner: "wie viele" is not "wie".
        (QuestionKind.QUANTITY, rf"\b(?:wie\s*viele?|wie\s+hoch|how\s+(?:many|much)|"
                                rf"{_WHICH}(?:prozentsatz(?:es)?|anteils?|anzahl|summe|betrags?|"
                                r"höhe)|what\s+(?:percentage|proportion|share|amount|number))\b"),
        (QuestionKind.TIME, rf"\b(?:wann|seit\s+wann|bis\s+wann|when|{_WHICH}(?:jahr(?:e|en|es)?|"
                            r"jahrzehnts?|jahrhunderts?|monats?|tag(?:e|en|es)?|datum|zeitpunkt|"
                            r"uhrzeit)|(?:what|which)\s+(?:years?|decades?|century|centuries|"
                            r"months?|days?|dates?))\b"),
        (QuestionKind.PERSON, r"\b(?:wer|wen|wem|wessen|who|whom|whose)\b"),
        (QuestionKind.REASON, r"\b(?:warum|weshalb|wieso|weswegen|why)\b"),
        (QuestionKind.PLACE, r"\b(?:wo|woher|wohin|where)\b"),
        (QuestionKind.DEFINITION, r"\b(?:was\s+(?:ist|sind|bedeutet|bedeuten|heißt|meint)|"
                                  r"was\s+versteht\s+man|what\s+(?:is|are|does))\b"),
        (QuestionKind.ENTITY, r"\b(?:welche[rsnm]?|which|what)\b"),
        (QuestionKind.MANNER, r"\b(?:wie|how)\b"),
    )
)  # fmt: skip


def question_kind(question: str) -> QuestionKind | None:
    """The kind named by the question's first question word; None for open questions
    ("Was sagte …?", keywords), which are compatible with any answer."""
    found = [
        (match.start(), order, kind)
        for order, (kind, pattern) in enumerate(_KINDS)
        if (match := pattern.search(question))
    ]
    return min(found)[2] if found else None


def kinds_clash(asked: QuestionKind | None, answered: QuestionKind | None) -> bool:
    """Both questions name what they ask for, and it differs ("which" differs only from
    "what is")."""
    if asked is None or answered is None or asked is answered:
        return False
    if QuestionKind.ENTITY in (asked, answered):
        return QuestionKind.DEFINITION in (asked, answered)
    return True
