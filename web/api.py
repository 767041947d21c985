"""The plain REST API beside the chat, on the same server: `/api/…` and `/metrics`.

Scripts and other services ask questions here without speaking Gradio's queue protocol,
and a load balancer or monitoring reads health, readiness, status and metrics. Requests
and responses are pydantic models, so the OpenAPI schema at `/api/openapi.json` (browsable
at `/api/docs`) is exact; every refusal is JSON with a German `detail`, which a client can
show its users as it is. Bodies are bounded by the edge (`web.security`, 64 KiB) before any of
this reads them.

Answering is CPU-bound and synchronous: the endpoints are plain functions, which FastAPI
runs in its thread pool, so the event loop keeps serving the chat meanwhile.
"""

import logging
import os
import time
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.answers import Answer, AnswerKind, Hit
from bot.inputs import MAX_HISTORY_TURNS, MAX_INPUT_CHARS
from bot.pipeline import Bot
from web.security import ASGIApp, Message, Receive, Scope, Send
from web.service import BotService, Status

log = logging.getLogger("faqbot.api")

API_PREFIX = "/api"
VERSION_HEADER = "X-Index-Version"
"""On every answer and search: the index version it came from (the build id of `/api/status`),
so that a client behind several replicas can tell which version answered."""
METRICS_PATH = "/metrics"
MAX_HISTORY_ITEMS = 30
"""A client may send its whole conversation as the chat shows it (30 turns); only the
last `MAX_HISTORY_TURNS` (3) are read, so a longer history costs nothing more."""
MAX_SEARCH_HITS = 20

NO_INDEX = "Der Suchindex ist gerade nicht verfügbar. Bitte versuchen Sie es später noch einmal."
WARMING = "Der Dienst startet noch: das Sprachmodell wird vorbereitet."
FAILED = "Bei dieser Anfrage ist ein Fehler aufgetreten. Bitte versuchen Sie es noch einmal."
NOT_FOUND = "Diesen API-Endpunkt gibt es nicht; alle Endpunkte stehen unter /api/docs."
NOT_ALLOWED = "Diese Methode ist hier nicht erlaubt."
INVALID = "Die Anfrage ist ungültig"
NOT_JSON = "Die Anfrage ist kein lesbares JSON."

API_DOCUMENTATION: dict[str, Any] = {
    "title": "faqbot API",
    "summary": "Fragen zu den Dokumenten beantworten, mit Zitaten aus den Quellen.",
    "description": (
        "Answers German (or English) questions in German by quoting the indexed documents, "
        "with a citation for every quoted sentence. Errors are JSON with a German `detail` "
        "that may be shown to users as it is. Request bodies larger than 64 KiB are refused "
        "with 413. Prometheus metrics: `GET /metrics` (not part of this schema)."
    ),
    "docs_url": f"{API_PREFIX}/docs",
    "openapi_url": f"{API_PREFIX}/openapi.json",
    "redoc_url": None,
}
"""The server's FastAPI settings: the schema and its docs live under `/api`, beside the
endpoints they describe (Gradio and the source pages are not in the schema)."""
try:
    API_DOCUMENTATION["version"] = version("faqbot")
except PackageNotFoundError:  # run from a checkout that was never installed
    API_DOCUMENTATION["version"] = "0"


# ---------------------------------------------------------------- models

QuestionText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_INPUT_CHARS),
    Field(
        description="The question as typed (Die Frage, wie eingegeben).",
        examples=["Wer führt die Mission Arctic Sentry?"],
    ),
]
EarlierQuestion = Annotated[str, StringConstraints(max_length=MAX_INPUT_CHARS)]


class Strict(BaseModel):
    """Requests are taken as sent: no coercion ("5" is not 5) and no unknown fields, so a
    misspelt `histroy` is refused instead of silently ignored."""

    model_config = ConfigDict(strict=True, extra="forbid")


class AnswerRequest(Strict):
    question: QuestionText
    history: list[EarlierQuestion] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_ITEMS,
        description=(
            "The conversation's earlier questions as typed, oldest first, for follow-ups "
            f"(„Und wo liegt es?“). The last {MAX_HISTORY_TURNS} are read."
        ),
        examples=[["Wer führt die Mission Arctic Sentry?"]],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "Wer führt die Mission Arctic Sentry?"},
                {"question": "Und wo liegt es?", "history": ["Was ist Arctic Sentry?"]},
            ]
        }
    )


def _whole_float_as_int(value: object) -> object:
    """JSON has one kind of number: 12.0 is the integer 12 to JSON Schema (and so to the
    API's schema), and only a fraction makes it no whole number."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class SearchRequest(Strict):
    question: QuestionText
    k: Annotated[int, BeforeValidator(_whole_float_as_int)] = Field(
        5, ge=1, le=MAX_SEARCH_HITS, description="How many passages to return."
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "NATO Generalsekretär", "k": 3}]}
    )


class SearchResponse(BaseModel):
    hits: list[Hit] = Field(description="The best passages, best first.")


class IndexStatus(BaseModel):
    version: str = Field(description="The index version directory's name; empty if unknown.")
    built_at: str = Field(examples=["2026-03-01T12:00:00+00:00"])
    model: str = Field(description="The embedding model that built the index.")
    documents: int
    passages: int
    faq_entries: int
    skipped: int = Field(description="Files and items the build skipped.")
    build_seconds: float


class StatusResponse(BaseModel):
    ready: bool = Field(description="An index is loaded and the model is warm.")
    rebuilding: bool
    index: IndexStatus | None = Field(description="The index in use; null when there is none.")


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    status: Literal["ready"] = "ready"


class ErrorResponse(BaseModel):
    detail: str = Field(description="A German sentence that may be shown to users.")


class Problem(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "question"]])
    type: str = Field(examples=["missing"], description="pydantic's error type.")


class ValidationErrorResponse(ErrorResponse):
    errors: list[Problem]


# ---------------------------------------------------------------- German validation errors

_PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "fehlt",
    "string_type": lambda ctx: "muss ein Text sein",
    "string_too_short": lambda ctx: "darf nicht leer sein",
    "string_too_long": lambda ctx: f"ist zu lang (höchstens {ctx['max_length']} Zeichen)",
    "int_type": lambda ctx: "muss eine ganze Zahl sein",
    "greater_than_equal": lambda ctx: f"muss mindestens {ctx['ge']} sein",
    "less_than_equal": lambda ctx: f"darf höchstens {ctx['le']} sein",
    "list_type": lambda ctx: "muss eine Liste sein",
    "too_long": lambda ctx: f"hat zu viele Einträge (höchstens {ctx['max_length']})",
    "extra_forbidden": lambda ctx: "ist kein Feld dieser Anfrage",
}
_WHOLE_BODY: dict[str, str] = {
    "json_invalid": "Der Inhalt ist kein gültiges JSON.",
    "missing": "Sie enthält kein JSON-Objekt.",
}


def _field(loc: tuple[str | int, ...]) -> str:
    """`("body", "history", 2)` → `history[2]`: the field as the client wrote it."""
    named = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in loc[1:])
    return named.lstrip(".")


def german_problem(error: dict[str, Any]) -> str:
    """One validation error as a German phrase naming the field."""
    loc, kind = tuple(error.get("loc", ())), error.get("type", "")
    if len(loc) <= 1 or kind == "json_invalid":  # the body as a whole (or where JSON broke)
        return _WHOLE_BODY.get(kind, "Sie muss ein JSON-Objekt sein.")
    phrase = _PHRASES.get(kind, lambda ctx: "ist ungültig")(error.get("ctx") or {})
    return f"„{_field(loc)}“ {phrase}."


def validation_error_response(errors: list[dict[str, Any]]) -> JSONResponse:
    detail = f"{INVALID}: " + " ".join(german_problem(error) for error in errors)
    problems = [{"loc": list(error.get("loc", ())), "type": error.get("type")} for error in errors]
    return JSONResponse({"detail": detail, "errors": problems}, status_code=422)


async def german_bad_requests(request: Request, error: Exception) -> Response:
    """A body that is not JSON at all (or nested too deeply to parse): FastAPI answers 400
    "There was an error parsing the body"; the API says it in German."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and request.url.path.startswith(f"{API_PREFIX}/"):
        return JSONResponse({"detail": NOT_JSON}, status_code=400)
    return await http_exception_handler(request, error)


async def german_validation_errors(request: Request, error: Exception) -> Response:
    """422 for the API with a German `detail` and where the problems are; FastAPI's own
    answer (an English list) elsewhere. The input is never echoed: it may be large.

    A body that breaks off or is not JSON is FastAPI's 422 `json_invalid`; the API answers
    it with the 400 of a body nested too deeply to parse, so that every unreadable body
    gets one status, the one its schema and documentation name."""
    if not request.url.path.startswith(f"{API_PREFIX}/"):
        return await request_validation_exception_handler(request, error)  # type: ignore[arg-type]
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    if any(problem.get("type") == "json_invalid" for problem in errors):
        return JSONResponse({"detail": NOT_JSON}, status_code=400)
    return validation_error_response(errors)


# ---------------------------------------------------------------- metrics

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""Methods counted by name; any other a client invents is counted as "other", so that no
label takes values a client chooses."""


class ServiceCollector(Collector):
    """The index in use, read from the service at each scrape, so the figures can never
    be stale after a rebuild."""

    def __init__(self, service: BotService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        status = self.service.status()
        manifest = status.manifest
        for name, value, about in (
            ("ready", status.ready, "1 when an index is loaded and the model is warm."),
            ("index_available", manifest is not None, "1 when an index is loaded."),
            ("index_rebuilding", status.rebuilding, "1 while a rebuild runs."),
        ):
            yield GaugeMetricFamily(f"faqbot_{name}", about, value=float(value))
        if manifest is None:
            return
        info = InfoMetricFamily("faqbot_index", "The index in use (version, model, built_at).")
        model = public_model_name(manifest.model)
        info.add_metric(
            [], {"version": status.version, "model": model, "built_at": manifest.built_at}
        )
        yield info
        for name, value, about in (
            ("documents", manifest.documents, "Documents in the index."),
            ("passages", manifest.passages, "Passages in the index."),
            ("faq_entries", manifest.faq_entries, "FAQ entries in the index."),
            ("build_seconds", manifest.build_seconds, "How long the index's build took."),
        ):
            yield GaugeMetricFamily(f"faqbot_index_{name}", about, value=value)


class ApiMetrics:
    """The app's Prometheus metrics, in a registry of its own: several servers in one
    process (tests) must not share counters, and the process-wide registry's default
    collectors say nothing about faqbot."""

    def __init__(self, service: BotService) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "faqbot_api_requests", "REST requests, by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "faqbot_api_request_duration_seconds", "REST request latency, by route template.",
            ["route"], registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "faqbot_answers", "Answers given (REST and chat), by kind.", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        for kind in AnswerKind:  # every kind present from the start, at 0
            self.answers.labels(kind.value)
        self.registry.register(ServiceCollector(service))

    def count_answer(self, answer: Answer) -> None:
        self.answers.labels(answer.kind.value).inc()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: counts and times the requests that reach an API route or
    `/metrics`, labelled by the route's template (`/api/answer`), never by the raw path,
    whose values a client could make endless. Gradio's own traffic (page, queue, event
    streams that stay open) is not timed here; its answers are counted by kind."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception that escaped the app

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "")  # set by the router that matched
            if route.startswith(f"{API_PREFIX}/") or route == METRICS_PATH:
                elapsed = time.perf_counter() - started
                self.metrics.observe(route, scope["method"], status, elapsed)


def metrics_router(metrics: ApiMetrics) -> APIRouter:
    """`GET /metrics` in Prometheus' text format, outside the API's schema (it is for
    Prometheus, not for API clients)."""
    router = APIRouter()

    @router.get(METRICS_PATH, include_in_schema=False)
    def scrape() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


# ---------------------------------------------------------------- endpoints


def public_model_name(model: str) -> str:
    """The model's name, or only its directory's name if it was given as a local path:
    no response names a path of the server."""
    return os.path.basename(model.rstrip("/")) if os.path.isabs(model) else model


def index_status(status: Status) -> StatusResponse:
    manifest = status.manifest
    index = None
    if manifest is not None:
        index = IndexStatus(
            version=status.version, built_at=manifest.built_at,
            model=public_model_name(manifest.model), documents=manifest.documents,
            passages=manifest.passages, faq_entries=manifest.faq_entries,
            skipped=len(manifest.skipped), build_seconds=manifest.build_seconds,
        )  # fmt: skip
    return StatusResponse(ready=status.ready, rebuilding=status.rebuilding, index=index)


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": f"Body not readable as JSON ({NOT_JSON})"},
    413: {"model": ErrorResponse, "description": "Body over 64 KiB (Die Anfrage ist zu groß.)"},
    422: {"model": ValidationErrorResponse, "description": "Invalid request, German `detail`."},
    500: {"model": ErrorResponse, "description": "Answering failed; the log has the cause."},
    503: {"model": ErrorResponse, "description": f"No index loaded ({NO_INDEX})"},
}


def api_router(service: BotService) -> APIRouter:
    """The REST endpoints under `/api`, answered by the service's current bot.

    Without an index, `/api/answer` and `/api/search` refuse with 503 rather than answer
    as the chat does ("Ich kann gerade nicht antworten … Grund: …"): a script should see
    a failure it can retry, and the chat's reason names server paths.
    """
    router = APIRouter(prefix=API_PREFIX, tags=["faqbot"])
    _question_routes(router, service)
    _probe_routes(router, service)
    return router


def _question_routes(router: APIRouter, service: BotService) -> None:
    def current_bot() -> Bot:
        bot = service.bot
        if bot is None:
            raise HTTPException(503, NO_INDEX)
        return bot

    @router.post(
        "/answer", response_model=Answer, responses=REFUSALS,
        summary="Answer a question (Frage beantworten)",
    )  # fmt: skip
    def answer(request: AnswerRequest, response: Response) -> dict[str, Any]:
        """The answer the chat gives, with citations: the same JSON as the chat's Gradio
        endpoint `/answer`. Questions over 1,000 characters are answered from their
        first 1,000, with a note in `notices`; greetings and blank questions get a
        `kind` of `greeting` or `hint`. The header `X-Index-Version` names the index
        version that answered."""
        current_bot()
        try:
            reply, version = service.versioned_answer(request.question, request.history)
        except Exception:  # the client gets a German message, the operator the traceback
            log.exception("answering failed")
            raise HTTPException(500, FAILED) from None
        response.headers[VERSION_HEADER] = version
        return reply.to_json()

    @router.post(
        "/search", response_model=SearchResponse, responses=REFUSALS,
        summary="Find passages (Passagen suchen)",
    )  # fmt: skip
    def search(request: SearchRequest, response: Response) -> dict[str, Any]:
        """The `k` passages that best match the question, best first, without composing
        an answer (`X-Index-Version`: the index version searched)."""
        serving = service.serving
        if serving is None:
            raise HTTPException(503, NO_INDEX)
        try:
            hits = serving.bot.search(request.question, request.k)
        except Exception:
            log.exception("search failed")
            raise HTTPException(500, FAILED) from None
        response.headers[VERSION_HEADER] = serving.version
        return {"hits": [hit.to_json() for hit in hits]}


def _probe_routes(router: APIRouter, service: BotService) -> None:
    @router.get("/health", response_model=HealthResponse, summary="Alive (Läuft)")
    def health() -> HealthResponse:
        """200 as soon as the server runs, whatever the index."""
        return HealthResponse()

    @router.get(
        "/ready", response_model=ReadyResponse, summary="Ready for traffic (Bereit)",
        responses={503: {"model": ErrorResponse, "description": "Not ready; German reason."}},
    )  # fmt: skip
    def ready() -> ReadyResponse:
        """200 once an index is loaded and the bot has answered its warm-up question
        (`BotService.warm_up`); 503 before, and while there is no index. A rebuild keeps
        the server ready: the new index is warmed before it replaces the old."""
        if service.ready:
            return ReadyResponse()
        raise HTTPException(503, NO_INDEX if service.bot is None else WARMING)

    @router.get("/status", response_model=StatusResponse, summary="Index status (Indexstatus)")
    def status() -> StatusResponse:
        """The index in use (version, counts, build time, model), whether a rebuild runs
        and whether the server is ready."""
        return index_status(service.status())

    for path, probe in (("/health", health), ("/ready", ready)):  # load balancers probe with HEAD
        router.add_api_route(path, probe, methods=["HEAD"], include_in_schema=False)


class UnknownApiPaths:
    """The ASGI endpoint for every other path below the prefix and every other method,
    TRACE and invented ones included: a German 404 for an unknown path, 405 naming the
    allowed methods (`Allow`) for a known one, instead of the chat mounted at "/". An ASGI
    app, not a function: only such a route takes every method. FastAPI names only its own
    routes in the scope; this one names itself, so that `RequestMetrics` labels it by its
    template `path` too."""

    def __init__(self, router: APIRouter) -> None:
        self.path = f"{API_PREFIX}/{{path:path}}"
        self.known = [(route.path_regex, route.methods) for route in router.routes]  # type: ignore[attr-defined]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await self.refusal(scope["path"])(scope, receive, send)

    def refusal(self, path: str) -> Response:
        allowed = sorted({m for regex, methods in self.known if regex.match(path) for m in methods})
        if allowed:
            headers = {"Allow": ", ".join(allowed)}
            return JSONResponse({"detail": NOT_ALLOWED}, status_code=405, headers=headers)
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)


def install_api(server: FastAPI, service: BotService) -> ApiMetrics:
    """Add the REST API and `/metrics` to `server` (before the chat is mounted at "/",
    which would take every path): routes, German validation errors, request metrics, and
    answers counted by kind, the chat's included."""
    metrics = ApiMetrics(service)
    router = api_router(service)
    server.include_router(router)
    unknown = UnknownApiPaths(router)
    server.add_route(unknown.path, unknown, include_in_schema=False)
    server.include_router(metrics_router(metrics))
    server.add_exception_handler(RequestValidationError, german_validation_errors)
    server.add_exception_handler(StarletteHTTPException, german_bad_requests)
    server.add_middleware(RequestMetrics, metrics=metrics)
    service.answer_listeners.append(metrics.count_answer)
    return metrics
