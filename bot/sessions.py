"""What the server remembers of the answers it gave: bounded, and by id.

A chat session holds only answer ids (which message is which answer, and its vote); the
question and the answer stay here, at most `capacity` of them, oldest forgotten first. So
a visitor's memory footprint does not grow with what they send, and a vote can only be
cast on an answer this server gave to this session.
"""

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from bot.types import Answer

DEFAULT_CAPACITY = 5000
"""A question is at most 1,000 characters and an answer cites a few capped passages: 5,000
remembered answers take well under 100 MB, and votes come within minutes of an answer."""


@dataclass(frozen=True, slots=True)
class Given:
    """An answer as given: to which session, for which (already bounded) question."""

    session: str
    question: str
    reply: Answer


class AnswerRegistry:
    """Answers by id, the newest `capacity` of them; safe to share between threads."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self._given: OrderedDict[str, Given] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, session: str, question: str, reply: Answer) -> str:
        answer_id = secrets.token_hex(8)
        with self._lock:
            self._given[answer_id] = Given(session, question, reply)
            while len(self._given) > self.capacity:
                self._given.popitem(last=False)
        return answer_id

    def given(self, session: str, answer_id: str) -> Given | None:
        """The answer with this id if it was given to `session` and is still remembered."""
        with self._lock:
            found = self._given.get(answer_id)
        return found if found is not None and found.session == session else None

    def __len__(self) -> int:
        return len(self._given)
