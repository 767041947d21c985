"""Rebuilds take turns: one builds, at most one waits, any further one is refused at once.

Between processes the locks are files (`index.store.build_turn`), so the rule holds for
the app's rebuilds, `python -m index build` and Python callers alike; within the app they
are thread locks (`web.service`).
A queue of waiting builds would only rebuild the same data again and again: the one
waiting build already picks up every change made meanwhile.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from filelock import Timeout

from index.errors import FaqbotError


class BuildBusyError(FaqbotError):
    """A build is running and another one is already waiting for its turn."""


class Lock(Protocol):
    def acquire(self, blocking: bool = True) -> Any: ...
    def release(self) -> None: ...


@contextmanager
def turn(waiting: Lock, building: Lock, what: str) -> Iterator[None]:
    """Hold `building`, waiting for it only if no one else is waiting (`waiting` is the
    single waiting place); else raise `BuildBusyError` naming `what`."""
    try:
        got_the_place = waiting.acquire(blocking=False)
    except Timeout:  # a file lock says no by raising
        got_the_place = False
    if not got_the_place:
        raise BuildBusyError(
            f"a build of {what} is running and another one is waiting; try again when it is done"
        )
    try:
        building.acquire()
    finally:
        waiting.release()
    try:
        yield
    finally:
        building.release()
