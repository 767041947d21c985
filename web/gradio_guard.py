"""Names a visitor sends to Gradio's queue, checked before Gradio looks them up.

Gradio trusts the session, event, function and component names in its requests: an unknown
session on `queue/data`, an unknown event on `call/<api>/<event>` or an unknown function
number on `queue/join` raises inside Gradio, and each such anonymous request wrote a
traceback of 5 to 9 KB into the operator's log (400 of them: 3.5 MB) and got a broken
stream or a plain-text 500. Here they get a German JSON 404 and leave no trace in the log:
they are a visitor's mistake or probing, not the server's failure.
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

import gradio as gr
from starlette.responses import JSONResponse

from web.security import ASGIApp, Receive, Scope, Send, replay

GONE = "Diese Sitzung ist abgelaufen oder unbekannt. Bitte laden Sie die Seite neu."
NO_SUCH_EVENT = "Diese Aktion gibt es auf dieser Seite nicht. Bitte laden Sie die Seite neu."
NAMED_IN_BODY = ("queue/join", "call/", "run/", "api/", "component_server")
"""Gradio's routes whose body (or path: `call/<api_name>`) names a function or a component."""


@dataclass(frozen=True, slots=True)
class QueueNames:
    """What one Gradio app knows at this moment, read from Gradio itself so that it is
    never stale."""

    blocks: gr.Blocks

    def sessions_known(self, query: bytes) -> bool:
        named = parse_qs(query.decode("latin-1")).get("session_hash", [])
        return all(name in self.blocks._queue.pending_messages_per_session for name in named)

    def event_known(self, event: str) -> bool:
        queue = self.blocks._queue
        return event in queue.event_ids_to_events or any(
            event in events for events in queue.pending_event_ids_session.values()
        )

    def body_known(self, body: bytes, api_name: str = "") -> bool:
        """Whether the component (`component_id`) and the function (`fn_index`, or the API
        name of a `call/<api_name>`) a request names exist, and the function gets a value
        for each of its inputs. A body that is no JSON object, or names them in the wrong
        type, Gradio refuses itself, cleanly."""
        try:
            request = json.loads(body)
        except ValueError:
            return True
        if not isinstance(request, dict):
            return True
        component = request.get("component_id")
        if isinstance(component, int) and component not in self.blocks.blocks:
            return False
        number = request.get("fn_index")
        if api_name:
            named = [fn for fn in self.blocks.fns.values() if fn.api_name == api_name]
            function = named[0] if named else None
        elif isinstance(number, int):
            function = self.blocks.fns.get(number)
        else:
            return True
        data = request.get("data")
        short = isinstance(data, list) and function is not None and len(data) < len(function.inputs)
        return function is not None and not short


class QueueGuard:
    """ASGI middleware: refuses requests to the Gradio app at `prefix` that name a session,
    event, function, API name or component it does not know."""

    def __init__(self, app: ASGIApp, blocks: gr.Blocks, prefix: str = "/") -> None:
        self.app = app
        self.names = QueueNames(blocks)
        self.base = f"{prefix.rstrip('/')}/gradio_api/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.base):
            await self.app(scope, receive, send)
            return
        route, method = path.removeprefix(self.base), scope["method"]
        if method == "POST" and route.startswith(NAMED_IN_BODY):
            body = await _body(receive)
            receive = replay(body, receive)
            api_name = route.removeprefix("call/") if route.startswith("call/") else ""
            known = self.names.body_known(body, api_name)
        elif method == "GET" and route == "queue/data":
            known = self.names.sessions_known(scope.get("query_string", b""))
        elif method == "GET" and route.startswith("call/"):
            known = self.names.event_known(route.rsplit("/", 1)[-1])
        else:
            known = True
        if not known:
            detail = GONE if route == "queue/data" else NO_SUCH_EVENT
            await JSONResponse({"detail": detail}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _body(receive: Receive) -> bytes:
    """The request body; the edge (`web.security.EdgeGuard`) has already bounded it."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)
