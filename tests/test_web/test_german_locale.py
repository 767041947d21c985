"""The chat page served German: Gradio's pages rewritten, nothing else touched."""

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web.german_locale import PAGE_SCRIPT, GermanPage, german_page

GRADIO_PAGE = (
    b'<!doctype html>\n<html lang="en"\n\tstyle="margin: 0">\n<head><meta charset="utf-8">'
    b"<script>window.gradio_config = {};</script></head><body></body></html>"
)


def test_a_gradio_page_is_declared_german_and_its_script_comes_first():
    page = german_page(GRADIO_PAGE)
    assert b'<html lang="de"' in page and b'lang="en"' not in page
    assert page.index(PAGE_SCRIPT) < page.index(b"window.gradio_config")
    assert page.count(PAGE_SCRIPT) == 1


@pytest.mark.parametrize(
    "page", [b"<html><head></head><body>Quelle</body></html>", b"", b"<p>gradio</p>"]
)
def test_other_pages_are_left_as_they_are(page):
    assert german_page(page) == page


@pytest.fixture
def client():
    def gradio(request):
        return HTMLResponse(GRADIO_PAGE)

    def text(request):
        return PlainTextResponse("window.gradio_config")

    routes = [
        Route("/", gradio),
        Route("/admin/", gradio),
        Route("/quelle/x", gradio),
        Route("/api", text),
    ]
    return TestClient(GermanPage(Starlette(routes=routes)))


@pytest.mark.parametrize(
    ("path", "rewritten"), [("/", True), ("/admin/", True), ("/quelle/x", False)]
)
def test_only_gradio_pages_are_rewritten_with_the_right_length(client, path, rewritten):
    response = client.get(path, headers={"accept-encoding": "br, gzip"})
    assert (PAGE_SCRIPT in response.content) is rewritten
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_head_of_a_page_gives_the_length_of_its_get(client):
    head = client.head("/")
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(client.get("/").content)


def test_other_responses_pass_untouched(client):
    assert client.get("/api").text == "window.gradio_config"
    assert client.post("/").status_code == 405
