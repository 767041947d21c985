"""Builds take turns: one builds, at most one waits, any further one is refused at once.

One lock for threads and processes alike: two lock files beside the index link, the place
to wait (`.index.waiting.lock`) and the turn to build (`.index.lock`). The app's rebuilds,
`python -m index build` and Python callers all take the same turn (`build_turn`).
Every `build_turn` opens its own `FileLock`s, so each holds its own descriptor, and two
descriptors of one lock file exclude each other whether they belong to two threads or two
processes. (One `FileLock` object shared by threads would not: it counts re-entries, per
thread with `thread_local`, and a second thread would block only by luck of timing.)

A thread that holds the turn may enter it again: the app's rebuild holds it while its
builder calls `build`, which takes it too. A child process is handed the turn with the
lock's descriptor (`handing`, `taking_over`; `index.build_child`): the lock then holds for
as long as either process lives, so a build orphaned by a killed app still keeps the next
one out until it ends.

A queue of waiting builds would only rebuild the same data again and again: the one
waiting build already picks up every change made meanwhile.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import FaqbotError, IndexWriteError


class BuildBusyError(FaqbotError):
    """A build is running and another one is already waiting for its turn."""


NOT_HELD = "none"
"""`handing`'s argument for a child when the caller holds no turn: the child takes its own."""
HELD_WITHOUT_DESCRIPTOR = "held"
"""`handing`'s argument when the caller holds the turn by a lock without a descriptor (a
file system without `flock`, where filelock falls back to a lock file's existence)."""

_held = threading.local()
"""Per thread: the turns it holds, by `_key`, with the building lock's descriptor."""


def _turns() -> dict[str, int | None]:
    if not hasattr(_held, "turns"):
        _held.turns = {}
    return _held.turns


def _key(link: Path) -> str:
    """The link by its real directory: one index reached by two paths is one turn."""
    return os.path.join(os.path.realpath(link.parent), link.name)


def lock_path(link: Path) -> Path:
    """The lock file whose holder has the turn to build the index at `link`."""
    return link.parent / f".{link.name}.lock"


@contextmanager
def build_turn(link: Path) -> Iterator[None]:
    """The turn to build the index at `link`, among all threads and processes: wait for it
    if no one else is waiting, else raise `BuildBusyError` at once. A thread that holds the
    turn already enters at once.

    Where the lock files cannot even be made (read-only, no permission), nothing can be
    written: `IndexWriteError`, as from `index.store.write_index`.
    """
    key = _key(link)
    turns = _turns()
    if key in turns:  # this thread's turn: the part of a build inside a rebuild
        yield
        return
    descriptors: list[int] = []
    waiting = FileLock(str(link.parent / f".{link.name}.waiting.lock"))
    building = FileLock(str(lock_path(link)), on_acquired=descriptors.append)
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        _take(waiting, building, link)
    except OSError as error:
        raise IndexWriteError(
            f"cannot write the index to {link}: {error.strerror or error}"
        ) from error
    turns[key] = descriptors[-1] if descriptors else None
    try:
        yield
    finally:
        del turns[key]
        building.release()


def _take(waiting: FileLock, building: FileLock, link: Path) -> None:
    try:
        waiting.acquire(blocking=False)
    except Timeout:
        raise BuildBusyError(
            f"a build of {link} is running and another one is waiting; try again when it is done"
        ) from None
    try:
        building.acquire()
    finally:
        waiting.release()


def handing(link: Path) -> tuple[str, tuple[int, ...]]:
    """What a child process needs to build `link` within the turn this thread holds: the
    argument for its `taking_over`, and the descriptors to pass it (`NOT_HELD` and none if
    this thread does not hold the turn)."""
    turns = _turns()
    key = _key(link)
    if key not in turns:
        return NOT_HELD, ()
    descriptor = turns[key]
    if descriptor is None:
        return HELD_WITHOUT_DESCRIPTOR, ()
    return str(descriptor), (descriptor,)


@contextmanager
def taking_over(link: Path, handed: str) -> Iterator[None]:
    """In a child process: hold the turn its parent handed it (`handing`), so that its
    `build_turn(link)` enters at once instead of waiting for its own parent. The descriptor
    is checked to be the lock of `link`: a wrong one is a `ValueError`, never a build
    without the turn, nor one that waits forever."""
    if handed == NOT_HELD:
        yield
        return
    descriptor = None if handed == HELD_WITHOUT_DESCRIPTOR else int(handed)
    if descriptor is not None:
        held, expected = os.fstat(descriptor), os.stat(lock_path(link))
        if (held.st_dev, held.st_ino) != (expected.st_dev, expected.st_ino):
            raise ValueError(f"descriptor {descriptor} is not the build lock of {link}")
    turns = _turns()
    turns[_key(link)] = descriptor
    try:
        yield
    finally:
        turns.pop(_key(link), None)
