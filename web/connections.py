"""The connections the app holds open, bounded: no client can hold the server.

uvicorn closes neither a connection whose request never finishes (its keep-alive timeout
covers only the pause between two requests, and every byte received cancels it) nor one
that never sends anything, and it accepts connections until the process runs out of file
descriptors. One client with 1,030 half-sent requests took all of a service's 1,024: health
checks timed out for as long as it held them, and the app could not have opened an index
file or a log either ("Too many open files").

So the server speaks HTTP through `bounded_protocol`, uvicorn's h11 protocol with three
limits (`ConnectionLimits`, from `ServerSettings`):
- a request must arrive in time: its header within `request_seconds` of the connection
  (or of its first byte, on a kept-alive one), its body with no pause longer than that;
  otherwise the connection is closed. A response being sent is never timed out (the
  chat's event streams stay open as long as they answer).
- one client address holds at most `per_client` connections at once; a proxy in front
  (`$FAQBOT_TRUSTED_PROXIES`) is exempt, because it carries every visitor and limits
  each of them itself (nginx's `limit_conn`).
- all clients together hold at most `max_open` connections: the open-file limit less a
  reserve, which stays free for the index, the logs and a build's pipes, and less room for
  the connections accepted but not yet refused (`ACCEPTING_FILES`).
A connection beyond a limit gets a 429 (its address) or 503 (the server) and is closed at
once, before anything reads from it (a client that has already sent its request may see
a reset instead). What is dropped is logged, summed up once a minute.
"""

import asyncio
import logging
import resource
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from index.settings import ServerSettings, SettingsError
from web.proxies import trusted_hosts

log = logging.getLogger("faqbot.connections")

SUMMARY_SECONDS = 60.0
"""Dropped connections are logged at most once a minute, summed up: an attacker's thousand
refused connections a second must not become a thousand log lines a second."""
BACKLOG = 128
"""Connections waiting to be accepted (the listening socket's queue), which is also how many
asyncio accepts in one turn of its loop, before any of them is admitted or refused. With
uvicorn's 2,048, a client reconnecting its 1,068 refused connections at once had them all
accepted in one turn, and the app ran out of files before it could close them (3,702 times
"Too many open files" in 25 s)."""
ACCEPTING_FILES = 3 * BACKLOG
"""Descriptors kept for connections accepted but not yet refused: asyncio admits a
connection a turn after accepting it and closes a refused one a turn later still, so up to
about three turns' worth are open at once. Measured while one client reconnected 1,068
refused connections every 3 s: at most 214 open besides the admitted ones."""
TOO_MANY_FROM_CLIENT = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
)
SERVER_FULL = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How many connections the server holds, from whom, and how long a request may take."""

    max_open: int
    """Connections at once, all clients together."""
    per_client: int
    """Connections at once from one address, unless it is a trusted proxy."""
    request_seconds: float
    """The longest a request's header may take, and the longest pause in its body."""
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: ServerSettings, open_files: int) -> "ConnectionLimits":
        """The limits for a process that may open `open_files` files (`open_file_limit`);
        a `SettingsError` if the reserve leaves no room for a visitor's connections."""
        room = open_files - settings.reserved_files - ACCEPTING_FILES
        if room < settings.connections_per_client:
            raise SettingsError(
                f"this process may open only {open_files} files: after the "
                f"{settings.reserved_files} kept free ($FAQBOT_RESERVED_FILES) and "
                f"{ACCEPTING_FILES} for connections being accepted, no room is left for "
                f"{settings.connections_per_client} connections of one client; raise the "
                "open-file limit (systemd: LimitNOFILE=, a shell: ulimit -n)"
            )
        return cls(
            max_open=room,
            per_client=settings.connections_per_client,
            request_seconds=settings.request_timeout_seconds,
            trusted_proxies=settings.trusted_proxies,
        )


def open_file_limit() -> int:
    """The number of files this process may open (its soft RLIMIT_NOFILE)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 2**20


class ConnectionCounts:
    """The connections each client address holds open, against `limits`. Only the event
    loop's thread touches it, so it needs no lock."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: Counter[str] = Counter()
        self.total = 0
        self._trusted = trusted_hosts(limits.trusted_proxies)

    def admit(self, address: str) -> bytes | None:
        """None, and the connection counted, if `address` may open one more; else the
        response that refuses it."""
        if self.total >= self.limits.max_open:
            return SERVER_FULL
        if self.open[address] >= self.limits.per_client and address not in self._trusted:
            return TOO_MANY_FROM_CLIENT
        self.open[address] += 1
        self.total += 1
        return None

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if not self.open[address]:
            del self.open[address]
        self.total -= 1


class DropLog:
    """Counts dropped connections by reason and client address; the first is logged at
    once, the rest summed up `SUMMARY_SECONDS` later."""

    def __init__(self) -> None:
        self.dropped: Counter[tuple[str, str]] = Counter()
        self._summary: asyncio.TimerHandle | None = None

    def note(self, reason: str, address: str, loop: asyncio.AbstractEventLoop) -> None:
        if self._summary is None:
            log.warning("closed a connection of %s: %s", address, reason)
            self._summary = loop.call_later(SUMMARY_SECONDS, self._log_summary)
            return
        self.dropped[reason, address] += 1

    def _log_summary(self) -> None:
        self._summary = None
        if not self.dropped:
            return
        most = ", ".join(
            f"{count} from {address} ({reason})"
            for (reason, address), count in self.dropped.most_common(5)
        )
        log.warning(
            "closed %d more connections in the last %.0f s: %s",
            self.dropped.total(), SUMMARY_SECONDS, most,
        )  # fmt: skip
        self.dropped.clear()


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that counts its connection against the limits and times out
    an unfinished request; `bounded_protocol` makes the class of one server."""

    limits: ClassVar[ConnectionLimits]
    counts: ClassVar[ConnectionCounts]
    drops: ClassVar[DropLog]
    address = ""
    admitted = False
    header_timer: asyncio.TimerHandle | None = None
    body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = self.client[0] if self.client else ""
        refusal = self.counts.admit(self.address)
        if refusal is not None:
            full = refusal == SERVER_FULL
            reason = "the server holds its most connections" if full else "over its limit"
            self.drops.note(reason, self.address, self.loop)
            transport.write(refusal)
            transport.close()
            return
        self.admitted = True
        self._watch_request()  # a connection that sends nothing is closed as well

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timers()
        if self.admitted:
            self.admitted = False
            self.counts.release(self.address)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_request()

    def _watch_request(self) -> None:
        """The header's deadline runs from its first byte (from the connection, for the
        first request) to its end; the body's starts again with every piece."""
        if self.transport.is_closing():
            self._stop_timers()
        elif self.conn.their_state is h11.IDLE:
            if self.header_timer is None:
                self.header_timer = self.loop.call_later(
                    self.limits.request_seconds, self._time_out
                )
        elif self.conn.their_state is h11.SEND_BODY:
            self._stop_timers()
            self.body_timer = self.loop.call_later(self.limits.request_seconds, self._time_out)
        else:
            self._stop_timers()

    def _stop_timers(self) -> None:
        for timer in (self.header_timer, self.body_timer):
            if timer is not None:
                timer.cancel()
        self.header_timer = self.body_timer = None

    def _time_out(self) -> None:
        self.header_timer = self.body_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the app, not the client, is behind: wait for it
            self.body_timer = self.loop.call_later(self.limits.request_seconds, self._time_out)
            return
        reason = f"request not complete within {self.limits.request_seconds:g} s"
        self.drops.note(reason, self.address, self.loop)
        self.transport.close()


def bounded_protocol(limits: ConnectionLimits) -> type[BoundedH11Protocol]:
    """The protocol class of one server within `limits`, for `uvicorn.run(http=…)`: its
    connections share one count."""
    shared = {"limits": limits, "counts": ConnectionCounts(limits), "drops": DropLog()}
    return type("BoundedH11Protocol", (BoundedH11Protocol,), shared)
