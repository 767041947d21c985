"""The web server's edge: what every request passes before Gradio sees it.

Uploads are refused (the chat has no upload field, so any upload is an attack on the
disk), except on the one route of the operators' page that takes documents
(`EdgeLimits.upload_path`), where Gradio's login check refuses anyone not logged in before
the body is read, and the body is bounded by its declared length and counted as it
streams, never held in memory here. Every other request body is bounded before it is
read into memory, and the operator's login is rate-limited per client, so that a password
cannot be guessed at speed.
Refusals are JSON with a German `detail`, like FastAPI's own errors.
"""

import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REFUSED_SUFFIXES = ("/gradio_api/upload", "/gradio_api/process_recording")
"""Gradio's routes that write a visitor's files to the server's disk."""


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    max_body_bytes: int = 65_536
    """The largest request the chat makes is a question: 2,000 characters read
    (`bot.inputs.MAX_INPUT_CHARS`), at most 12 KB as JSON even if every character is
    escaped; 64 KiB leaves room to spare."""
    login_attempts: int = 10
    """Failed operator logins per client address and minute: enough for typing errors,
    far too few to guess a password of the required length."""
    login_window_seconds: float = 60.0
    tracked_clients: int = 10_000
    """Login attempts are remembered for at most this many addresses."""
    upload_path: str | None = None
    """The operators' upload route (`/admin/gradio_api/upload`), the one place an upload
    is let through; None: no uploads at all."""
    max_upload_bytes: int = 0
    """The largest upload request there (`web.uploads.UploadLimits.max_request_bytes`)."""


class EdgeGuard:
    """ASGI middleware enforcing `EdgeLimits` in front of the whole app."""

    def __init__(
        self,
        app: ASGIApp,
        limits: EdgeLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limits = limits or EdgeLimits()
        self.clock = clock
        self._logins: dict[str, deque[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/")
        if path == self.limits.upload_path and scope["method"] == "POST":
            declared = dict(scope.get("headers") or []).get(b"content-length", b"")
            if not declared.isdigit() or int(declared) > self.limits.max_upload_bytes:
                await _refuse(send, 413, "Die Dateien sind zusammen zu groß.")
                return
            await self.app(scope, _counted(receive, int(declared)), send)
            return
        if path.endswith(REFUSED_SUFFIXES):
            await _refuse(send, 403, "Hochladen ist hier nicht möglich.")
            return
        if scope["method"] == "POST" and path.endswith("/login"):
            attempt = self._login_attempt(scope)
            if attempt is None:
                await _refuse(send, 429, "Zu viele Anmeldeversuche. Bitte warten Sie eine Minute.")
                return
            send = self._forgetting_success(send, *attempt)
        if scope["method"] in ("POST", "PUT", "PATCH"):
            body = await self._bounded_body(scope, receive)
            if body is None:
                await _refuse(send, 413, "Die Anfrage ist zu groß.")
                return
            receive = replay(body, receive)
        await self.app(scope, receive, send)

    def _login_attempt(self, scope: Scope) -> tuple[deque[float], float] | None:
        """Count a login attempt of the client: its attempts and this one's time, or None
        if it has used up its attempts in the window."""
        client = (scope.get("client") or ("unknown", 0))[0]
        now = self.clock()
        window = self.limits.login_window_seconds
        attempts = self._logins.setdefault(client, deque())
        while attempts and attempts[0] <= now - window:
            attempts.popleft()
        if len(attempts) >= self.limits.login_attempts:
            return None
        attempts.append(now)
        while len(self._logins) > self.limits.tracked_clients:  # the longest-known go first
            del self._logins[next(iter(self._logins))]
        return attempts, now

    @staticmethod
    def _forgetting_success(send: Send, attempts: deque[float], at: float) -> Send:
        """A `send` that takes a successful login back off the count: only failed attempts
        (and those still running) use up a client's attempts."""

        async def forgetting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                with contextlib.suppress(ValueError):
                    attempts.remove(at)
            await send(message)

        return forgetting

    async def _bounded_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole request body, or None as soon as it is known to exceed the limit."""
        limit = self.limits.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _counted(receive: Receive, limit: int) -> Receive:
    """A `receive` that ends the request as if the client had left once more than `limit`
    bytes arrived: a body longer than it said it was."""
    size = 0

    async def counting() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                return {"type": "http.disconnect"}
        return message

    return counting


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then the client's messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


NO_FRAMING = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
)
"""Forbid every page to frame these responses: CSP for today's browsers, X-Frame-Options
for older ones."""


class NoFraming:
    """ASGI middleware: responses under `prefix` may not be shown in another page's frame.

    The operators' page changes the index with a click, so a page elsewhere on the intranet
    must not lay it, invisible, under its own buttons (clickjacking); the chat stays
    framable, since it is meant to be embedded (`?embed=1`)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (
            path == self.prefix or path.startswith(self.prefix + "/")
        ):
            await self.app(scope, receive, send)
            return

        async def framing_refused(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in dict(NO_FRAMING)
                ]
                message["headers"] = [*kept, *NO_FRAMING]
            await send(message)

        await self.app(scope, receive, framing_refused)
