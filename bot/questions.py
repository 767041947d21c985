"""What kind of answer a question asks for, from its question word (German or English).

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


_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        # Quantity before manner: "wie viele" is not "wie".
        (QuestionKind.QUANTITY, r"\b(?:wie\s*viele?|wie\s+hoch|how\s+(?:many|much))\b"),
        (QuestionKind.TIME, r"\b(?:wann|seit\s+wann|bis\s+wann|in\s+welchem\s+jahr|when|"
                            r"what\s+year)\b"),
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
