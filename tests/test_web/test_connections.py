"""The bounded protocol (`web.connections`) served by uvicorn on 127.0.0.1 in this process,
over a stand-in app: unfinished requests are closed, responses are not, and connections
are counted per client address and in all. Clients on 127.0.0.2 to .5 are other clients
(Linux routes all of 127.0.0.0/8 to the loopback)."""

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import uvicorn

from bench.serve import free_port, serve_app
from conftest import REPO
from held_connections import HELD, VISITORS, visit_while_held
from index.settings import ServerSettings, SettingsError
from web.connections import (
    ACCEPTING_FILES,
    BACKLOG,
    ConnectionLimits,
    DropLog,
    bounded_protocol,
)

QUICK = ConnectionLimits(max_open=16, per_client=3, request_seconds=0.5)
CLOSED_WITHIN = 10.0
"""A connection the server should close is given this long; a closed one reads as empty."""
GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
POST_HEADER = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n"


async def stand_in(scope, receive, send) -> None:
    """Reads the whole body, then answers `ok`; `/slow` sends its answer in three parts
    over 1.2 s, longer than `QUICK.request_seconds`."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    parts = 3 if scope["path"] == "/slow" else 1
    for part in range(parts):
        if part:
            await asyncio.sleep(0.4)
        await send({"type": "http.response.body", "body": b"ok", "more_body": part < parts - 1})


@contextmanager
def served(limits: ConnectionLimits) -> Iterator[int]:
    """The stand-in app behind the bounded protocol on a free port, as `web.server` runs it."""
    config = uvicorn.Config(
        stand_in, host="127.0.0.1", port=free_port(), http=bounded_protocol(limits), ws="none",
        backlog=BACKLOG, log_level="error", lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    try:
        yield config.port
    finally:
        server.should_exit = True
        thread.join(10)


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    connection = socket.socket()
    connection.bind((source, 0))
    connection.settimeout(CLOSED_WITHIN)
    connection.connect(("127.0.0.1", port))
    return connection


def reply_of(connection: socket.socket) -> bytes:
    """One answer: what the server sends until its last chunk (the stand-in's answers are
    chunked; the connection stays open), until it closes or resets (a refusal), or for at
    most `CLOSED_WITHIN`."""
    received = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while not received.endswith(b"\r\n0\r\n\r\n") and (chunk := connection.recv(65536)):
            received += chunk
    return received


def closed_by_server(connection: socket.socket) -> bool:
    try:
        return connection.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def eventually(check: Callable[[], bool]) -> bool:
    """`check` true within `CLOSED_WITHIN`: the server counts a connection in its own turn."""
    deadline = time.monotonic() + CLOSED_WITHIN
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def asks(port: int, source: str = "127.0.0.1") -> bytes:
    with connect(port, source) as connection:
        connection.sendall(GET)
        return reply_of(connection)


def refusal(port: int, source: str) -> bytes:
    """What the server says to a new connection from `source` before it sends anything (a
    refused one is closed at once: a request already sent would turn it into a reset)."""
    with connect(port, source) as connection:
        return reply_of(connection)


def trickled_header(connection: socket.socket) -> None:
    """A header line every 0.2 s, each pause shorter than the timeout, until closed."""
    connection.sendall(b"GET / HTTP/1.1\r\n")
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        for _ in range(int(CLOSED_WITHIN / 0.2)):
            time.sleep(0.2)
            connection.sendall(b"X-Halten: ja\r\n")


def paused_body(connection: socket.socket) -> None:
    connection.sendall(POST_HEADER + b"ab")


@pytest.mark.parametrize(
    "unfinished",
    [lambda connection: None, trickled_header, paused_body],
    ids=["nothing-sent", "header-trickled", "body-paused"],
)
def test_an_unfinished_request_is_closed(unfinished):
    with served(QUICK) as port, connect(port) as connection:
        unfinished(connection)
        assert closed_by_server(connection)
        assert asks(port).startswith(b"HTTP/1.1 200")


def test_a_body_that_keeps_coming_and_a_long_answer_are_not_timed_out():
    with served(QUICK) as port, connect(port) as connection:
        connection.sendall(POST_HEADER)
        for byte in b"abcde":  # 1 s in all, each pause shorter than the timeout
            time.sleep(0.2)
            connection.sendall(bytes([byte]))
        assert reply_of(connection).startswith(b"HTTP/1.1 200")
        connection.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        slow = reply_of(connection)  # chunked: "2 ok" three times, then the last chunk
        assert slow.count(b"ok") == 3 and slow.endswith(b"0\r\n\r\n")


def test_one_address_holds_at_most_its_share_and_others_are_served():
    limits = ConnectionLimits(max_open=16, per_client=3, request_seconds=30)
    with served(limits) as port, ExitStack() as held:
        holding = [held.enter_context(connect(port, "127.0.0.2")) for _ in range(3)]
        assert refusal(port, "127.0.0.2").startswith(b"HTTP/1.1 429")
        assert asks(port).startswith(b"HTTP/1.1 200")
        holding.pop().close()
        assert eventually(lambda: asks(port, "127.0.0.2").startswith(b"HTTP/1.1 200"))


def test_a_trusted_proxy_carries_more_than_one_client_s_share():
    limits = ConnectionLimits(16, per_client=2, request_seconds=30, trusted_proxies=("127.0.0.2",))
    with served(limits) as port, ExitStack() as held:
        for _ in range(4):
            held.enter_context(connect(port, "127.0.0.2"))
        assert asks(port, "127.0.0.2").startswith(b"HTTP/1.1 200")


def test_beyond_its_most_connections_the_server_refuses_every_client():
    limits = ConnectionLimits(max_open=4, per_client=2, request_seconds=30)
    with served(limits) as port, ExitStack() as held:
        for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
            held.enter_context(connect(port, source))
        assert eventually(lambda: refusal(port, "127.0.0.5").startswith(b"HTTP/1.1 503"))


def test_the_open_file_limit_less_the_reserves_is_left_for_connections():
    settings = ServerSettings(reserved_files=128, connections_per_client=32)
    assert ConnectionLimits.of(settings, 1024).max_open == 1024 - 128 - ACCEPTING_FILES == 512
    with pytest.raises(SettingsError, match="LimitNOFILE"):
        ConnectionLimits.of(settings, 128 + ACCEPTING_FILES + 31)


def test_dropped_connections_are_logged_once_then_summed_up(caplog):
    drops, loop = DropLog(), asyncio.new_event_loop()
    try:
        for number in range(1000):
            drops.note("over its limit", f"127.0.0.{2 + number % 2}", loop)
        assert len(caplog.records) == 1 and "127.0.0.2: over its limit" in caplog.text
        drops._log_summary()
    finally:
        loop.close()
    assert len(caplog.records) == 2
    assert "999 more" in caplog.text and "500 from 127.0.0.3 (over its limit)" in caplog.text


# ---------------------------------------------------------------- the app under the attack

SERVICE_OPEN_FILES = 1024
"""What a service usually may open (systemd's soft limit), and what the attack exhausted."""


@pytest.fixture(scope="module")
def app_with_few_files(seed_index, tmp_path_factory):
    """`python app.py` over the seed index, allowed `SERVICE_OPEN_FILES` open files."""
    env = {
        "FAQBOT_INDEX_DIR": str(seed_index),
        "FAQBOT_DATA_DIR": str(REPO / "data"),
        "FAQBOT_LOG_DIR": str(tmp_path_factory.mktemp("logs")),
    }
    with serve_app(env, open_files=SERVICE_OPEN_FILES) as app:
        yield app


@pytest.mark.model
@pytest.mark.parametrize("mode", ["header", "body"])
def test_twenty_visitors_are_served_while_one_client_holds_1100_connections(
    app_with_few_files, mode
):
    """Before: 1,030 half-sent requests took every file the app may open; `/api/health`
    timed out for as long as they were held, and the log said "Too many open files"."""
    url = app_with_few_files.url.rstrip("/")
    holder, visitors = visit_while_held(url, int(url.rsplit(":", 1)[1]), mode)
    assert visitors.errors == []
    assert holder.opened >= HELD and holder.closed_by_server > 0
    assert visitors.answers >= VISITORS and visitors.health_checks >= VISITORS
    assert "Too many open files" not in app_with_few_files.log.read_text()
