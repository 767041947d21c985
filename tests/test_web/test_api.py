"""The REST API (`web.api`) through httpx against the served app: uvicorn in a thread on
127.0.0.1, the whole server of `web.server.make_server` (edge, API, chat), the fake model."""

import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from bench.serve import free_port, serve_app
from bot import BotSettings
from bot.answers import Answer, Hit
from bot.inputs import MAX_INPUT_CHARS
from bot.pipeline import WARM_UP_QUESTION
from conftest import FAKE_CALIBRATION, REPO, SEED, FakeEmbedder
from index import build
from index.embedding import Role
from web.api import (
    FAILED,
    MAX_SEARCH_HITS,
    NO_INDEX,
    NOT_JSON,
    WARMING,
    api_router,
)
from web.feedback import FeedbackLog
from web.security import EdgeLimits
from web.server import make_server
from web.service import BotService

QUESTION = "Was ist Arctic Sentry?"


class WarmingEmbedder(FakeEmbedder):
    """The fake model whose queries wait at `gate` while it is closed: a model that has
    not finished its slow first query. Documents (the build) never wait."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        """Set when a query has reached the closed gate."""

    def embed(self, texts, role, progress=False):
        if role is Role.QUERY and not self.gate.is_set():
            self.waiting.set()
            assert self.gate.wait(30), "the gate was never opened"
        return super().embed(texts, role, progress)


@contextmanager
def served(service: BotService, root: Path, trusted_proxies: tuple[str, ...] = ()) -> Iterator[str]:
    """`web.server.make_server(service)` served by uvicorn in a thread; yields its base URL."""
    server = make_server(service, FeedbackLog(root / "logs"), trusted_proxies=trusted_proxies)
    port = free_port()
    config = uvicorn.Config(
        server, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        thread.join(15)


def make_service(root: Path, embedder: FakeEmbedder, builder=None) -> BotService:
    """A service over the seed article in `root/data`, indexed with `embedder`."""
    data = root / "data"
    data.mkdir(exist_ok=True)
    (data / "nato.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    build(data, root / "index", embedder=embedder)
    settings = BotSettings(calibration=FAKE_CALIBRATION)
    extra = {"builder": builder} if builder else {}
    return BotService(root / "index", data, embedder=embedder, settings=settings, **extra)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="module")
def service(root) -> BotService:
    service = make_service(root, FakeEmbedder())
    assert service.warm_up()
    return service


@pytest.fixture(scope="module")
def url(service, root) -> Iterator[str]:
    with served(service, root) as base:
        yield base


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def metric_samples(http: httpx.Client, url: str) -> dict[tuple[str, frozenset], float]:
    """`/metrics`, parsed by prometheus-client: (sample name, labels) → value."""
    response = http.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labels(**named: str) -> frozenset:
    return frozenset(named.items())


def no_server_paths(text: str, root: Path) -> None:
    for path in (root, REPO, Path.home()):
        assert str(path) not in text


# ---------------------------------------------------------------- answering and searching


def test_answer_is_the_chat_answer_as_json(url, http, service):
    response = http.post(f"{url}/api/answer", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    in_process = json.loads(json.dumps(service.answer(QUESTION).to_json()))
    assert body == in_process  # the same JSON as the chat's /answer
    assert body["answered"] and body["kind"] in {"answer", "faq"} and "[1]" in body["text"]
    assert set(body["citations"][0]) == {field.name for field in dataclasses.fields(Hit)}
    version = service.status().version
    assert version and response.headers["X-Index-Version"] == version


def test_answer_reads_a_follow_up_against_its_history(url, http):
    body = {"question": "Was hat er gesagt?", "history": ["Wer ist Mark Rutte?"]}
    reply = http.post(f"{url}/api/answer", json=body).json()
    assert reply["context"] == "Bezogen auf Mark Rutte"


def test_a_long_question_is_answered_from_its_first_thousand_characters(url, http):
    question = QUESTION + " " + "x" * (MAX_INPUT_CHARS - len(QUESTION) - 1)
    reply = http.post(f"{url}/api/answer", json={"question": question}).json()
    assert reply["notices"] and "1000" in reply["notices"][0].replace(".", "")


def test_search_returns_k_hits_best_first(url, http):
    hits = http.post(f"{url}/api/search", json={"question": "Arctic Sentry", "k": 3}).json()
    assert len(hits["hits"]) == 3
    scores = [hit["score"] for hit in hits["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert any("Arctic Sentry" in hit["section"] for hit in hits["hits"])
    default = http.post(f"{url}/api/search", json={"question": "Arctic Sentry"}).json()
    assert len(default["hits"]) == 5
    whole = http.post(f"{url}/api/search", json={"question": "Arctic Sentry", "k": 2.0})
    assert len(whole.json()["hits"]) == 2  # JSON's 2.0 is the integer 2 to its schema


def test_a_failure_while_answering_is_a_german_500(url, http, service, monkeypatch):
    def broken(question, history=()):
        raise RuntimeError("/secret/path broke")

    monkeypatch.setattr(service, "versioned_answer", broken)
    response = http.post(f"{url}/api/answer", json={"question": QUESTION})
    assert response.status_code == 500
    assert response.json() == {"detail": FAILED}


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("route", "body", "loc", "german"),
    [
        ("answer", {}, ["body", "question"], "„question“ fehlt"),
        ("answer", {"question": 5}, ["body", "question"], "muss ein Text sein"),
        ("answer", {"question": ""}, ["body", "question"], "darf nicht leer sein"),
        ("answer", {"question": "x" * 2001}, ["body", "question"], "höchstens 2000 Zeichen"),
        ("answer", {"question": "a", "history": "b"}, ["body", "history"], "eine Liste"),
        ("answer", {"question": "a", "history": [1]}, ["body", "history", 0], "„history[0]“"),
        ("answer", {"question": "a", "history": ["b"] * 31}, ["body", "history"], "höchstens 30"),
        ("answer", {"question": "a", "histroy": []}, ["body", "histroy"], "kein Feld"),
        ("search", {"question": "a", "k": 0}, ["body", "k"], "mindestens 1"),
        ("search", {"question": "a", "k": MAX_SEARCH_HITS + 1}, ["body", "k"], "höchstens 20"),
        ("search", {"question": "a", "k": "5"}, ["body", "k"], "ganze Zahl"),
        ("search", {"question": "a", "k": 2.5}, ["body", "k"], "ganze Zahl"),
        ("search", [], ["body"], "JSON-Objekt"),
    ],
)
def test_invalid_requests_get_a_german_422_naming_the_field(url, http, route, body, loc, german):
    response = http.post(f"{url}/api/{route}", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert (
        problem["detail"].startswith("Die Anfrage ist ungültig: ") and german in problem["detail"]
    )
    assert loc in [error["loc"] for error in problem["errors"]]


@pytest.mark.parametrize("route", ["answer", "search"])
@pytest.mark.parametrize(
    "body",
    [b'{"question": ', b"\xff\xfe", b"Frage?", b"[" * 20_000 + b"]" * 20_000],
    ids=["broken off", "not UTF-8", "not JSON", "nested too deeply to parse"],
)
def test_a_body_that_is_not_readable_json_is_a_german_400(url, http, route, body):
    response = http.post(
        f"{url}/api/{route}", content=body, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"detail": NOT_JSON})


@pytest.mark.parametrize("path", ["/api/health", "/api/ready"])
def test_load_balancers_may_probe_with_head(url, http, service, path):
    assert service.warm_up()
    response = http.head(f"{url}{path}")
    assert response.status_code == 200 and response.content == b""


def test_an_oversized_body_is_refused_at_the_edge(url, http, service):
    limit = EdgeLimits().max_body_bytes
    for question in ("x" * limit, "ä" * (limit // 2)):  # over the limit as sent, in bytes
        response = http.post(f"{url}/api/answer", json={"question": question})
        assert response.status_code == 413
        assert response.json() == {"detail": "Die Anfrage ist zu groß."}


def test_unknown_api_paths_are_a_german_404(url, http):
    missing = http.get(f"{url}/api/antwort")
    assert missing.status_code == 404 and "gibt es nicht" in missing.json()["detail"]


ALLOWED = {
    "answer": "POST", "search": "POST", "status": "GET", "health": "GET, HEAD", "ready": "GET, HEAD"
}  # fmt: skip


@pytest.mark.parametrize(
    ("route", "method"),
    [
        (route, method)
        for route, allowed in ALLOWED.items()
        for method in ("GET", "TRACE", "PUT", "DELETE", "OPTIONS", "FROBNICATE")
        if method not in allowed.split(", ")
    ],
)
def test_other_methods_on_api_routes_are_a_german_405_naming_the_allowed(url, http, route, method):
    wrong = http.request(method, f"{url}/api/{route}")
    assert wrong.status_code == 405 and wrong.headers["allow"] == ALLOWED[route]
    assert wrong.json() == {"detail": "Diese Methode ist hier nicht erlaubt."}


# ---------------------------------------------------------------- health, readiness, status


def test_health_and_readiness_before_and_after_the_warm_up(tmp_path, http):
    embedder = WarmingEmbedder()
    service = make_service(tmp_path, embedder)
    embedder.gate.clear()  # the model's first query is still running
    warming = threading.Thread(target=service.warm_up)
    with served(service, tmp_path) as url:
        warming.start()
        assert embedder.waiting.wait(10)
        assert http.get(f"{url}/api/health").json() == {"status": "ok"}
        ready = http.get(f"{url}/api/ready")
        assert ready.status_code == 503 and ready.json() == {"detail": WARMING}
        assert http.get(f"{url}/api/status").json()["ready"] is False
        assert metric_samples(http, url)[("faqbot_ready", frozenset())] == 0
        embedder.gate.set()
        warming.join(10)
        assert http.get(f"{url}/api/ready").json() == {"status": "ready"}
        assert http.get(f"{url}/api/status").json()["ready"] is True
        assert metric_samples(http, url)[("faqbot_ready", frozenset())] == 1
        assert WARM_UP_QUESTION in embedder.embedded  # warmed by a whole answer


def test_without_an_index_the_server_is_alive_but_not_ready(tmp_path, http):
    service = BotService(tmp_path / "none", tmp_path, embedder=FakeEmbedder())
    assert not service.warm_up()
    with served(service, tmp_path) as url:
        assert http.get(f"{url}/api/health").status_code == 200
        for response in (
            http.get(f"{url}/api/ready"),
            http.post(f"{url}/api/answer", json={"question": QUESTION}),
            http.post(f"{url}/api/search", json={"question": QUESTION}),
        ):
            assert response.status_code == 503 and response.json() == {"detail": NO_INDEX}
        status = http.get(f"{url}/api/status")
        assert status.json() == {"ready": False, "rebuilding": False, "index": None}
        samples = metric_samples(http, url)
        assert samples[("faqbot_index_available", frozenset())] == 0
        no_server_paths(status.text + http.get(f"{url}/metrics").text, tmp_path)


def test_a_rebuild_stays_ready_and_warms_the_new_index_before_the_swap(tmp_path, http):
    embedder = WarmingEmbedder()

    def builder(data_dir, index_dir, model, on_progress, **settings):
        return build(data_dir, index_dir, embedder=embedder, **settings)

    service = make_service(tmp_path, embedder, builder)
    assert service.warm_up()
    with served(service, tmp_path) as url:
        before = http.get(f"{url}/api/status").json()["index"]["version"]
        embedder.gate.clear()  # the new bot's warm-up query will wait
        rebuilding = threading.Thread(target=service.rebuild)
        rebuilding.start()
        assert embedder.waiting.wait(30)
        status = http.get(f"{url}/api/status").json()
        assert status["rebuilding"] and status["index"]["version"] == before
        assert http.get(f"{url}/api/ready").status_code == 200  # the old bot serves, warm
        embedder.gate.set()
        rebuilding.join(30)
        status = http.get(f"{url}/api/status").json()
        assert not status["rebuilding"] and status["ready"]
        assert status["index"]["version"] not in ("", before)


def test_status_names_the_index_in_use_and_no_server_path(url, http, service, root):
    status = http.get(f"{url}/api/status")
    manifest = service.status().manifest
    link = os.readlink(root / "index")
    assert status.json() == {
        "ready": True,
        "rebuilding": False,
        "index": {
            "version": Path(link).name.removeprefix(".index.version-"),
            "built_at": manifest.built_at,
            "model": "fake-hashed-words",
            "documents": 1,
            "passages": manifest.passages,
            "faq_entries": 5,
            "skipped": 0,
            "build_seconds": manifest.build_seconds,
        },
    }
    assert status.json()["index"]["version"] in link
    no_server_paths(status.text, root)


# ---------------------------------------------------------------- metrics


def test_metrics_count_requests_by_route_template_and_answers_by_kind(url, http, root):
    before = metric_samples(http, url)
    answered = (
        "faqbot_api_requests_total",
        labels(route="/api/answer", method="POST", status="200"),
    )
    refused = (
        "faqbot_api_requests_total",
        labels(route="/api/search", method="POST", status="422"),
    )
    timed = ("faqbot_api_request_duration_seconds_count", labels(route="/api/answer"))
    declined = ("faqbot_answers_total", labels(kind="declined"))
    reply = http.post(f"{url}/api/answer", json={"question": "Wie backe ich Apfelkuchen?"})
    assert reply.json()["kind"] == "declined"
    http.post(f"{url}/api/search", json={"question": "a", "k": 0})
    http.get(f"{url}/api/unbekannt-7f3a9c")  # a path a client chose: never a label
    after = metric_samples(http, url)
    for key in (answered, refused, timed, declined):
        assert after[key] == before.get(key, 0) + 1, key
    exposition = http.get(f"{url}/metrics").text
    assert "unbekannt-7f3a9c" not in exposition and 'route="/api/{path:path}"' in exposition
    no_server_paths(exposition, root)


def test_metrics_describe_the_index_in_use(url, http, service):
    samples = metric_samples(http, url)
    manifest = service.status().manifest
    (info,) = [labels for name, labels in samples if name == "faqbot_index_info"]
    assert dict(info) == {
        "version": service.status().version,
        "model": manifest.model,
        "built_at": manifest.built_at,
    }
    for name, value in (
        ("faqbot_index_passages", manifest.passages),
        ("faqbot_index_faq_entries", manifest.faq_entries),
        ("faqbot_index_documents", manifest.documents),
        ("faqbot_index_build_seconds", manifest.build_seconds),
        ("faqbot_index_rebuilding", 0),
        ("faqbot_ready", 1),
    ):
        assert samples[(name, frozenset())] == pytest.approx(value), name
    kinds = {dict(labels)["kind"] for name, labels in samples if name == "faqbot_answers_total"}
    assert kinds == {"answer", "faq", "declined", "greeting", "hint", "unavailable"}


# ---------------------------------------------------------------- OpenAPI


def test_the_openapi_schema_is_valid_and_lists_exactly_the_rest_routes(url, http, service):
    schema = http.get(f"{url}/api/openapi.json").json()
    validate(schema)  # OpenAPI 3.1, every $ref resolvable
    routes = [r for r in api_router(service).routes if r.include_in_schema]  # type: ignore[attr-defined]
    expected = {route.path: {m.lower() for m in route.methods} for route in routes}
    assert {path: set(item) for path, item in schema["paths"].items()} == expected
    assert set(expected) == {
        f"/api/{name}" for name in ("answer", "search", "health", "ready", "status")
    }
    answer = schema["paths"]["/api/answer"]["post"]
    assert answer["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/AnswerRequest"
    )
    for operation in (answer, schema["paths"]["/api/search"]["post"]):
        assert {"200", "400", "413", "422", "503"} <= set(operation["responses"])
    components = schema["components"]["schemas"]
    answered = answer["responses"]["200"]["content"]["application/json"]["schema"]
    assert answered["$ref"].endswith("/Answer")  # the library's own shape, defined once
    assert set(components["Answer"]["properties"]) == set(Answer("", (), False, 0.0).to_json())
    assert set(components["Hit"]["properties"]) == {field.name for field in dataclasses.fields(Hit)}
    docs = http.get(f"{url}/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.text)
    assert len(assets) == 2 and all(a.startswith("/api/docs-assets/") for a in assets), assets
    for asset in assets:  # served here: an intranet may reach no CDN
        assert http.get(f"{url}{asset}").status_code == 200


def test_schemathesis_finds_nothing_against_the_served_schema(url, service, tmp_path):
    """Every check schemathesis has (undocumented statuses, unsupported methods, invalid
    data accepted, valid data refused, responses off their schema) against the served
    `/api/openapi.json`, bounded in examples and time; its report is the failure message."""
    assert service.warm_up()
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{url}/api/openapi.json",
        "--checks", "all", "--max-examples", "50", "--seed", "1",
        "--workers", "1", "--request-timeout", "20", "--no-color",
    ]  # fmt: skip
    # In a directory of its own: hypothesis keeps its example database in the working one.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]


# ---------------------------------------------------------------- proxies


@pytest.mark.parametrize(("trusted", "believed"), [((), False), (("127.0.0.1",), True)])
def test_forwarded_host_and_proto_are_believed_from_a_trusted_proxy_only(
    service, root, http, trusted, believed
):
    forwarded = {"X-Forwarded-Host": "faq.intranet.example", "X-Forwarded-Proto": "https"}
    with served(service, root, trusted) as base:
        page = http.get(f"{base}/", headers=forwarded).text
    assert ("https://faq.intranet.example" in page) is believed


# ---------------------------------------------------------------- the chat beside the API


def test_the_chats_gradio_answer_endpoint_still_works_and_is_counted(url, http):
    from gradio_client import Client

    before = metric_samples(http, url)
    reply = Client(f"{url}/", verbose=False).predict(QUESTION, api_name="/answer")
    assert reply["answered"] and reply["citations"]
    after = metric_samples(http, url)
    kind = ("faqbot_answers_total", labels(kind=reply["kind"]))
    assert after[kind] == before[kind] + 1


@pytest.mark.model
def test_the_app_becomes_ready_after_its_warm_up(seed_index, tmp_path, http):
    """`python app.py` with the real model: alive at once, ready after the warm-up; the
    operator's hand-over line follows a decline."""
    handover = "Weiter hilft Ihnen das Servicebüro, Tel. 0711 123-456."
    env = {
        "FAQBOT_INDEX_DIR": str(seed_index), "FAQBOT_LOG_DIR": str(tmp_path / "logs"),
        "FAQBOT_HANDOVER": handover,
    }  # fmt: skip
    with serve_app(env) as app:
        base = app.url.rstrip("/")
        assert http.get(f"{base}/api/health").status_code == 200
        deadline = time.monotonic() + 60
        while (ready := http.get(f"{base}/api/ready")).status_code != 200:
            assert ready.json() == {"detail": WARMING} and time.monotonic() < deadline
            time.sleep(0.1)
        reply = http.post(f"{base}/api/answer", json={"question": "Wer führt Arctic Sentry?"})
        assert reply.json()["answered"] and "Norfolk" in reply.json()["text"]
        assert handover not in reply.json()["text"]
        declined = http.post(f"{base}/api/answer", json={"question": "Wie backe ich Brot?"})
        assert declined.json()["kind"] == "declined"
        assert declined.json()["text"].endswith(handover)
        assert "ready after a warm-up" in app.log.read_text()
