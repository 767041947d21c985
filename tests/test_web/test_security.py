"""The edge in front of the app (`web.security`): uploads, body sizes and login attempts are
refused before the app sees them; everything else passes unchanged."""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web.security import EdgeGuard, EdgeLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    request.app.state.calls += 1
    status = 401 if b"fail" in body else 200
    return JSONResponse({"bytes": len(body), "path": request.url.path}, status_code=status)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def guarded(clock):
    inner = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    inner.state.calls = 0
    limits = EdgeLimits(max_body_bytes=1000, login_attempts=3, login_window_seconds=60)
    client = TestClient(EdgeGuard(inner, limits, clock))
    client.inner = inner
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/upload",
        "/gradio_api/upload/",
        "/admin/gradio_api/upload",
        "/gradio_api/process_recording",
    ],
)
def test_uploads_are_refused_before_the_app_reads_them(guarded, path):
    response = guarded.post(path, files={"files": ("x.bin", b"\0" * 500)})
    assert response.status_code == 403
    assert response.json() == {"detail": "Hochladen ist hier nicht möglich."}
    assert guarded.inner.state.calls == 0


def test_a_body_over_the_limit_is_refused_by_its_declared_length(guarded):
    response = guarded.post("/gradio_api/queue/join", content=b"x" * 1001)
    assert response.status_code == 413 and response.json()["detail"] == "Die Anfrage ist zu groß."
    assert guarded.inner.state.calls == 0


def test_a_streamed_body_over_the_limit_is_refused_without_a_declared_length(guarded):
    def chunks():
        for _ in range(20):
            yield b"x" * 100

    response = guarded.post("/gradio_api/queue/join", content=chunks())
    assert response.status_code == 413 and guarded.inner.state.calls == 0


@pytest.mark.parametrize("size", [0, 1, 1000])
def test_bodies_within_the_limit_reach_the_app_whole(guarded, size):
    response = guarded.post("/gradio_api/queue/join", content=b"y" * size)
    assert response.status_code == 200 and response.json()["bytes"] == size


def test_failed_logins_are_limited_per_client_and_window(guarded, clock):
    for _ in range(5):  # a successful login does not count
        assert guarded.post("/admin/login", data={"username": "a"}).status_code == 200
    codes = [guarded.post("/admin/login", data={"fail": "1"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert guarded.get("/admin/config").status_code == 200  # only logins are counted
    clock.now += 61
    assert guarded.post("/admin/login/", data={"username": "a"}).status_code == 200


@pytest.fixture
def with_uploads(clock):
    inner = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    inner.state.calls = 0
    limits = EdgeLimits(
        max_body_bytes=1000, upload_path="/admin/gradio_api/upload", max_upload_bytes=5000
    )
    client = TestClient(EdgeGuard(inner, limits, clock))
    client.inner = inner
    return client


def test_the_operators_upload_route_alone_takes_files_within_its_bound(with_uploads):
    accepted = with_uploads.post("/admin/gradio_api/upload", content=b"x" * 4000)
    assert accepted.status_code == 200 and accepted.json()["bytes"] == 4000
    for path in (
        "/gradio_api/upload",
        "/x/admin/gradio_api/upload",
        "/admin/gradio_api/process_recording",
    ):
        assert with_uploads.post(path, content=b"x" * 10).status_code == 403
    assert with_uploads.inner.state.calls == 1


def test_an_upload_over_its_bound_or_without_a_length_is_refused_unread(with_uploads):
    def chunks():
        yield b"x" * 100

    too_big = with_uploads.post("/admin/gradio_api/upload", content=b"x" * 5001)
    unknown = with_uploads.post("/admin/gradio_api/upload", content=chunks())
    assert too_big.status_code == unknown.status_code == 413
    assert too_big.json() == {"detail": "Die Dateien sind zusammen zu groß."}
    assert with_uploads.inner.state.calls == 0


def test_an_upload_longer_than_it_said_is_cut_off_as_a_client_gone():
    """A body that grows past its declared length never reaches the app whole."""
    from web.security import _counted

    messages = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 3

    async def receive():
        return messages.pop(0)

    async def two_reads():
        counted = _counted(receive, 100)
        return [(await counted())["type"], (await counted())["type"]]

    assert asyncio.run(two_reads()) == ["http.request", "http.disconnect"]
