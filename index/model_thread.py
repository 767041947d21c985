"""One long-lived thread on which every call into the embedding models runs.

The bundled engines parallelise with OpenMP (GNU libgomp), which keeps one pool of worker
threads for each thread that calls into it. Once a process holds more of those threads than
it has cores, libgomp stops spin-waiting between parallel regions (its "throttled" spin
count) and every one of the engine's ~200 regions per question sleeps and wakes on a futex.
A server answers on many worker threads, so it soon held several pools: measured on 2
cores, e5 then embedded a question in 22–30 ms with 426 futex sleeps, against 10–12 ms with
a handful when the only pool was the main thread's. Calling the models from one thread
keeps one pool in the process, whichever thread asks.
"""

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")

_Job = tuple[Callable[[], object], Future]


class ModelThread:
    """Runs calls one at a time on its own thread, started on the first call.

    A call's result or exception goes back to its caller; calls handed over concurrently
    each get their own. A call made from the thread itself (a model loading and then
    warming itself up) runs at once instead of waiting behind itself. The thread is a
    daemon, so it never holds up the interpreter's exit.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()  # starting and stopping never interleave with a hand-over
        self._thread: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()

    def run(self, call: Callable[[], T]) -> T:
        """`call()` on the thread; waits for it and returns or raises what it did."""
        if threading.current_thread() is self._thread:
            return call()
        done: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_serve, args=(self._jobs,), name=self.name, daemon=True
                )
                self._thread.start()
            self._jobs.put((call, done))
        return done.result()

    def stop(self) -> None:
        """Finish the calls already handed over, then end the thread (and with it the
        OpenMP pool it owns); the next call starts a new one."""
        with self._lock:
            thread, jobs = self._thread, self._jobs
            self._thread, self._jobs = None, queue.SimpleQueue()
        if thread is None:
            return
        jobs.put(None)
        if thread is not threading.current_thread():
            thread.join()

    def forget_after_fork(self) -> None:
        """A forked child has no copy of the thread: a call handed to it would wait for
        ever, so the child starts its own."""
        self._lock = threading.Lock()
        self._thread, self._jobs = None, queue.SimpleQueue()


def _serve(jobs: "queue.SimpleQueue[_Job | None]") -> None:
    while (job := jobs.get()) is not None:
        call, done = job
        try:
            result = call()
        except BaseException as error:  # the caller's to handle, with its traceback
            done.set_exception(error)
        else:
            done.set_result(result)


MODEL_THREAD = ModelThread("faqbot-model")
"""The process's one thread for the embedding models (`index.embedding`)."""
os.register_at_fork(after_in_child=MODEL_THREAD.forget_after_fork)
