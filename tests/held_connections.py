"""One client holding a thousand connections while twenty others ask: the attack of issue 21,
shared by the tests of the app alone and of the replicas behind nginx.

The holder connects from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback), so
that the server can tell it from the visitors on 127.0.0.1, as it tells clients apart on
a network."""

import resource
import select
import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

HOLDER_ADDRESS = "127.0.0.2"
HELD = 1_100
"""More than nginx's 1,024 worker connections and the app's 1,024 open files of before."""
TRICKLE_SECONDS = 3.0
"""A header line (or a body byte) every 3 s: inside every timeout between two reads."""
FILL_SECONDS = 15.0
"""The visitors start once every connection was opened, or after this long: a busy server's
queue of connections to accept fills, and the holder's fill then goes on while they ask."""
VISITORS = 20
VISIT_SECONDS = 25.0
"""Long enough for held connections to be timed out and opened again (10 s each)."""
VISIT_TIMEOUT = 20.0
"""A visitor's request that takes longer counts as an error; answers take well under a
second, and an attack that holds the server makes them wait without end."""
QUESTIONS = ("Wer führt die Mission Arctic Sentry?", "Was ist NATO 3.0?")
UNFINISHED = {
    "header": (b"GET /api/health HTTP/1.1\r\nHost: faqbot\r\n", b"X-Halten: ja\r\n"),
    "body": (
        b"POST /api/answer HTTP/1.1\r\nHost: faqbot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 60000\r\n\r\n{",
        b" ",
    ),
}
"""What each held connection sends first, and then every `TRICKLE_SECONDS`: a header that
never ends, or a body (within nginx's and the app's 64 KiB) that never ends."""


def enough_open_files(needed: int = HELD + 200) -> None:
    """This process holds `HELD` sockets besides its own files: raise its soft open-file
    limit as far as its hard limit allows, or skip the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the test must hold {needed} sockets; the hard open-file limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@dataclass
class Holder:
    """`count` connections from `HOLDER_ADDRESS` to `port`, each an unfinished request that
    gets a little more every `TRICKLE_SECONDS`; one the server closes is opened again."""

    port: int
    count: int = HELD
    mode: str = "header"
    opened: int = 0
    closed_by_server: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def _open(self) -> socket.socket | None:
        connection = socket.socket()
        try:
            connection.bind((HOLDER_ADDRESS, 0))
            connection.settimeout(1.0)
            connection.connect(("127.0.0.1", self.port))
            connection.sendall(UNFINISHED[self.mode][0])
        except OSError:  # the server's queue is full: try again next round
            connection.close()
            return None
        connection.setblocking(False)
        self.opened += 1
        return connection

    def _hold(self) -> None:
        held: dict[int, socket.socket] = {}
        poll = select.poll()  # not select(): descriptors above 1,024
        try:
            while not self.stop.is_set():
                while len(held) < self.count and not self.stop.is_set():
                    connection = self._open()
                    if connection is None:
                        break
                    held[connection.fileno()] = connection
                    poll.register(connection, select.POLLIN)
                self.stop.wait(TRICKLE_SECONDS)
                for descriptor, _ in poll.poll(0):  # answered or closed: the server let go
                    self.closed_by_server += 1
                    poll.unregister(descriptor)
                    held.pop(descriptor).close()
                for descriptor, connection in list(held.items()):
                    try:
                        connection.send(UNFINISHED[self.mode][1])
                    except OSError:
                        self.closed_by_server += 1
                        poll.unregister(descriptor)
                        held.pop(descriptor).close()
        finally:
            for connection in held.values():
                connection.close()

    def __enter__(self) -> "Holder":
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + FILL_SECONDS
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(30)


@dataclass
class Visitors:
    """`VISITORS` clients on 127.0.0.1, each asking `/api/answer` and then `/api/health`
    over a new connection each time (as new visitors do: a connection opened before an
    attack would not show that the server still accepts), for `VISIT_SECONDS`."""

    url: str
    answers: int = 0
    health_checks: int = 0
    errors: list[str] = field(default_factory=list)

    def _visit(self, number: int) -> None:
        deadline = time.monotonic() + VISIT_SECONDS
        while time.monotonic() < deadline:
            question = QUESTIONS[number % len(QUESTIONS)]
            number += 1
            try:
                answer = httpx.post(
                    f"{self.url}/api/answer", json={"question": question}, timeout=VISIT_TIMEOUT
                )
                health = httpx.get(f"{self.url}/api/health", timeout=VISIT_TIMEOUT)
            except httpx.HTTPError as error:
                self.errors.append(repr(error))
                continue
            for reply in (answer, health):
                if reply.status_code != 200:
                    self.errors.append(f"{reply.request.url.path}: {reply.status_code}")
            self.answers += answer.status_code == 200
            self.health_checks += health.status_code == 200

    def run(self) -> "Visitors":
        threads = [threading.Thread(target=self._visit, args=(n,)) for n in range(VISITORS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(VISIT_SECONDS + 2 * VISIT_TIMEOUT + 10)
        return self


def visit_while_held(url: str, port: int, mode: str = "header") -> tuple[Holder, Visitors]:
    """The visitors' run while `HELD` connections are held on `port`."""
    enough_open_files()
    with Holder(port, mode=mode) as holder:
        visitors = Visitors(url).run()
    return holder, visitors
