"""What the server remembers of its conversations: bounded, and by id.

A conversation is a list of answer ids (`Conversations`) under an unguessable token,
which is all the browser keeps; the questions, the answers and their votes stay here
(`AnswerRegistry`), at most `capacity` answers, oldest forgotten first. So a visitor's
memory footprint does not grow with what they send, and a vote can only be cast on an
answer this server gave to this conversation.
"""

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from bot.answers import Answer

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

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_vote_changes: int = 5) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.max_vote_changes = max_vote_changes
        self._given: OrderedDict[str, Given] = OrderedDict()
        self._votes: dict[str, tuple[str | None, int]] = {}
        """The standing feedback per answer id, and how many changes were taken."""
        self._lock = threading.Lock()

    def remember(self, session: str, question: str, reply: Answer) -> str:
        answer_id = secrets.token_hex(8)
        with self._lock:
            self._given[answer_id] = Given(session, question, reply)
            while len(self._given) > self.capacity:
                forgotten, _ = self._given.popitem(last=False)
                self._votes.pop(forgotten, None)
        return answer_id

    def take_vote(self, session: str, answer_id: str, feedback: str | None) -> bool:
        """Whether `session`'s feedback on `answer_id` ("Like", "Dislike", a reason, or None
        for none) is to be logged: it changes the standing one and the answer has had fewer
        than `max_vote_changes`. Kept here, not in the page's session, so neither a new
        browser session nor a reload resets the count."""
        with self._lock:
            found = self._given.get(answer_id)
            if found is None or found.session != session:
                return False
            standing, changes = self._votes.get(answer_id, (None, 0))
            if feedback == standing or changes >= self.max_vote_changes:
                return False
            self._votes[answer_id] = (feedback, changes + 1)
            return True

    def feedback(self, session: str, answer_id: str) -> str | None:
        """The standing feedback of `session` on `answer_id`, to show it again after a reload."""
        with self._lock:
            found = self._given.get(answer_id)
            if found is None or found.session != session:
                return None
            return self._votes.get(answer_id, (None, 0))[0]

    def given(self, session: str, answer_id: str) -> Given | None:
        """The answer with this id if it was given to `session` and is still remembered."""
        with self._lock:
            found = self._given.get(answer_id)
        return found if found is not None and found.session == session else None

    def __len__(self) -> int:
        return len(self._given)


DEFAULT_CONVERSATIONS = 10_000
"""Conversations the server keeps: each is a list of at most `turns` answer ids (~1 KB)."""
TOKEN_CHARS = 22
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")


class Conversations:
    """Conversations by an unguessable token: the ids of their answers, oldest first.

    The browser keeps only the token (so a reload finds the conversation again) and the
    server everything else; a token the server does not know, or that is not a token at
    all, is simply no conversation. The oldest conversations and turns are forgotten first.
    """

    def __init__(self, capacity: int = DEFAULT_CONVERSATIONS, turns: int = 30) -> None:
        if capacity < 1 or turns < 1:
            raise ValueError(f"capacity and turns must be positive, got {capacity}, {turns}")
        self.capacity = capacity
        self.turns = turns
        self._answers: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def start(self) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._answers[token] = ()
            while len(self._answers) > self.capacity:
                self._answers.popitem(last=False)
        return token

    def known(self, token: object) -> bool:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return False
        with self._lock:
            return token in self._answers

    def add(self, token: str, answer_id: str) -> None:
        """Append an answer to a known conversation, which becomes the newest."""
        with self._lock:
            if token not in self._answers:
                raise KeyError(f"no conversation {token!r}")
            self._answers[token] = (*self._answers[token], answer_id)[-self.turns :]
            self._answers.move_to_end(token)

    def answer_ids(self, token: object) -> tuple[str, ...]:
        if not self.known(token):
            return ()
        with self._lock:
            return self._answers.get(token, ())

    def end(self, token: object) -> None:
        if self.known(token):
            with self._lock:
                self._answers.pop(token, None)

    def __len__(self) -> int:
        return len(self._answers)
