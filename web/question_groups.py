"""What the sources lack, in a few lines: the questions the bot declined or answered
badly (a 👎), with paraphrases of one question gathered into one group.

Pure: `group_questions` takes the questions and their vectors (the bot's own embedder
makes them, `web.admin_page`), and clusters them by average linkage on cosine similarity
(scipy). Why vectors and not words: on German paraphrases ("Wann öffnet die Kantine?" /
"Ab wie viel Uhr hat die Kantine offen?" / "Öffnungszeiten der Kantine") against
unrelated questions, e5's vectors grouped every paraphrase set bar one synonym
(Mensa/Kantine) and merged nothing unrelated at any threshold from 0.84 to 0.90; character
n-gram TF-IDF either merged unrelated questions or split paraphrases at every threshold
(`tests/test_web/test_question_groups.py` keeps the measurement).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

SAME_QUESTION = 0.87
"""Cosine similarity (average over a group) above which questions count as one: the middle
of the range 0.84–0.90 where e5 grouped the test paraphrases and kept the rest apart."""


class Why(StrEnum):
    DECLINED = "declined"
    """The bot found no answer."""
    DOWN_VOTED = "down_voted"
    """The asker marked the answer as not helpful."""


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    text: str
    asked_at: datetime
    why: Why


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    typical: str
    """The question most like the others in the group (its medoid)."""
    count: int
    declined: int
    last_asked: datetime
    questions: tuple[str, ...]
    """The distinct wordings, most typical first."""

    @property
    def down_voted(self) -> int:
        return self.count - self.declined


def group_questions(
    asked: Sequence[AskedQuestion], vectors: np.ndarray, threshold: float = SAME_QUESTION
) -> list[QuestionGroup]:
    """`asked` grouped by meaning (`vectors`: one L2-normalised row per question), largest
    group first, then the most recently asked."""
    if len(asked) == 0:
        return []
    similarity = np.clip(vectors @ vectors.T, -1.0, 1.0)
    labels = _clusters(similarity, threshold)
    groups = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        groups.append(_group([asked[i] for i in members], similarity[np.ix_(members, members)]))
    return sorted(groups, key=lambda group: (-group.count, -group.last_asked.timestamp()))


def _clusters(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters whose mean pairwise similarity stays above `threshold`."""
    if len(similarity) == 1:
        return np.zeros(1, dtype=int)
    distance = 1.0 - similarity
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return fcluster(tree, t=1.0 - threshold, criterion="distance")


def _group(members: list[AskedQuestion], similarity: np.ndarray) -> QuestionGroup:
    typicality = similarity.mean(axis=1)
    order = sorted(range(len(members)), key=lambda i: -typicality[i])
    wordings = dict.fromkeys(members[i].text for i in order)
    return QuestionGroup(
        typical=members[order[0]].text,
        count=len(members),
        declined=sum(member.why is Why.DECLINED for member in members),
        last_asked=max(member.asked_at for member in members),
        questions=tuple(wordings),
    )
