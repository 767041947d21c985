"""Headers that only a proxy in front may set: believed from the trusted proxies alone.

`X-Forwarded-For` names the client (the login limit counts per client), `X-Forwarded-Proto`
and `X-Forwarded-Host` the address the visitor used, from which Gradio builds its page's
root URL (seven times in the page). From anyone but a proxy named in
`$FAQBOT_TRUSTED_PROXIES`, these headers are removed before anything reads them: a visitor
who sent `X-Forwarded-Host: evil.example` got a page pointing elsewhere.
"""

from collections.abc import Container, Sequence

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from web.security import ASGIApp, Receive, Scope, Send

FORWARDED = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
    | {b"x-forwarded-port", b"x-forwarded-prefix", b"x-real-ip"}
)
"""Header names (lower case, as ASGI gives them) by which a proxy describes the client."""


def trusted_hosts(trusted: Sequence[str]) -> Container[str]:
    """Which peer addresses are the proxies in `trusted` (addresses, networks, "*"), read as
    uvicorn's `ProxyHeadersMiddleware` reads them: one meaning of "a trusted proxy" for the
    headers believed here and the connections counted in `web.connections`."""
    return ProxyHeadersMiddleware(None, trusted_hosts=list(trusted)).trusted_hosts  # type: ignore[arg-type]


class TrustedProxies:
    """ASGI middleware in front of everything: from a trusted proxy, the client's address
    and scheme are taken from its headers (uvicorn's `ProxyHeadersMiddleware`) and the
    forwarded host is left for Gradio; from anyone else, all of them are dropped."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str] = ()) -> None:
        self.app = ProxyHeadersMiddleware(app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
        self.trusted = trusted_hosts(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self._from_trusted(scope):
            headers = [(name, value) for name, value in scope["headers"] if name not in FORWARDED]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)  # type: ignore[arg-type]

    def _from_trusted(self, scope: Scope) -> bool:
        peer = (scope.get("client") or ("", 0))[0]
        return peer in self.trusted
