"""Web pages: urls.txt checked, pages fetched from a local server, main text extracted.

Every page is served by a `ThreadingHTTPServer` on 127.0.0.1: nothing reaches the internet.
"""

import gzip
import ipaddress
import socket
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index import limits
from index.documents import BlockKind, FileProblem
from index.formats import web_pages
from index.formats.html import html_text
from index.formats.web_pages import (
    FetchedPage,
    UrlEntry,
    WebFetcher,
    decoded,
    main_content,
    url_list,
)
from index.structure import structure

HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Page:
    """What the test server answers for one path: `body` is sent `repeat` times, with
    `pause` seconds after each, once `delay` seconds have passed; `raw`: without a status
    line and headers (the body is them)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: HTML)
    body: bytes = b""
    repeat: int = 1
    pause: float = 0.0
    delay: float = 0.0
    raw: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, Page]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = pages
        self.requests: list[tuple[str, str]] = []
        """(path, User-Agent) of every request, in order."""
        self.accepted: set[str] = set()
        """The Accept-Encoding headers of all requests."""
        self.sent: Counter[str] = Counter()
        """Body bytes written per path before the client went away."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("User-Agent", "")))
        self.server.accepted.add(self.headers.get("Accept-Encoding", ""))
        page = self.server.pages.get(self.path)
        try:
            if page is None:
                self.send_error(404)
                return
            time.sleep(page.delay)
            if not page.raw:
                self.send_response(page.status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
            for _ in range(page.repeat):
                self.wfile.write(page.body)
                self.server.sent[self.path] += len(page.body)
                time.sleep(page.pause)
        except OSError:  # the client closed the connection, as the size and time tests want
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Site:
    base: str
    server: _Server

    def url(self, path: str) -> str:
        return self.base + path

    def named(self, path: str) -> str:
        """The URL of `path` with the host name localhost, not its address."""
        return f"http://localhost:{self.server.server_address[1]}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.server.requests]


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Page]], Site]]:
    """Start a local server for a dict of pages (any other path: 404)."""
    servers: list[_Server] = []

    def start(pages: dict[str, Page]) -> Site:
        server = _Server(pages)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return Site(f"http://127.0.0.1:{server.server_address[1]}", server)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def fetch(url: str, max_bytes: int = 5_000_000) -> FetchedPage:
    with WebFetcher() as fetcher:
        return fetcher.fetch(url, max_bytes)


def refusal(url: str, max_bytes: int = 5_000_000) -> str:
    with pytest.raises(FileProblem) as caught:
        fetch(url, max_bytes)
    return caught.value.reason


def html_page(title: str, paragraphs: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


ARTICLE = "".join(
    f"<p>Absatz {n}: Die Gewerkschaft fordert eine kürzere Wochenarbeitszeit bei vollem "
    "Lohnausgleich, die Bahn lehnt das bislang ab und verweist auf den Fachkräftemangel.</p>"
    for n in range(1, 4)
)

# ---------------------------------------------------------------- the news page

NEWS_TITLE = "Bahnstreik im März: Was Pendler jetzt wissen müssen"
FAQ = {
    "Bekomme ich mein Geld zurück, wenn mein Zug ausfällt?": (
        "Ja. Bei einem Zugausfall können Fahrgäste den vollen Fahrpreis zurückverlangen, "
        "auch bei Sparpreisen."
    ),
    "Gilt mein Deutschlandticket in Fernbussen?": (
        "Nein. Das Deutschlandticket gilt nur im Nahverkehr und nicht in Fernbussen oder Fernzügen."
    ),
    "Muss ich trotz Streik zur Arbeit erscheinen?": (
        "Ja. Das Risiko, pünktlich zur Arbeit zu kommen, tragen Arbeitnehmer selbst; sie "
        "sollten früh mit dem Arbeitgeber sprechen."
    ),
}
FAQ_HTML = "".join(f"<h3>{q}</h3>\n<p>{a}</p>\n" for q, a in FAQ.items())
NEWS = f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>{NEWS_TITLE} | Rheinpost</title>
<meta property="og:title" content="{NEWS_TITLE}">
<script>window.dataLayer = [];</script>
<style>.overlay {{ position: fixed }}</style>
</head>
<body>
<div class="overlay">
  <p>Wir verwenden Cookies, um Ihnen ein optimales Nutzererlebnis zu bieten. Mit Klick auf
  „Alle akzeptieren“ stimmen Sie der Verarbeitung Ihrer Daten zu.</p>
  <button>Alle akzeptieren</button> <a href="/datenschutz">Datenschutzerklärung</a>
</div>
<header class="site-header">
  <a href="/" class="logo">Rheinpost</a>
  <nav><ul>
    <li><a href="/politik">Politik</a></li><li><a href="/wirtschaft">Wirtschaft</a></li>
    <li><a href="/sport">Sport</a></li><li><a href="/kultur">Kultur</a></li>
  </ul></nav>
</header>
<main>
<article>
  <h1>{NEWS_TITLE}</h1>
  <p class="byline">Von Anna Schmidt, 3. März 2026, 08:15 Uhr</p>
  <p><strong>Die Gewerkschaft Deutscher Lokomotivführer hat für Donnerstag und Freitag zu
  einem bundesweiten Streik aufgerufen. Millionen Pendler müssen sich auf massive
  Einschränkungen im Fern- und Regionalverkehr einstellen.</strong></p>
  <p>Der Ausstand soll am Donnerstag um 2 Uhr morgens beginnen und bis Samstag um 6 Uhr
  dauern. Betroffen ist nach Angaben der Deutschen Bahn nahezu der gesamte Fernverkehr; im
  Regionalverkehr will das Unternehmen einen Notfahrplan anbieten.</p>
  <h2>Worum geht es im Tarifstreit?</h2>
  <p>Die Gewerkschaft fordert eine Absenkung der Wochenarbeitszeit von 38 auf 35 Stunden bei
  vollem Lohnausgleich. Die Bahn hatte zuletzt ein Angebot mit einer Erhöhung um elf Prozent
  in mehreren Stufen vorgelegt, die Arbeitszeitverkürzung aber abgelehnt.</p>
  <div class="box">
    <h3>Das könnte Sie auch interessieren</h3>
    <ul>
      <li><a href="/a1">Warnstreik legt Flughäfen lahm</a></li>
      <li><a href="/a2">Deutschlandticket wird teurer</a></li>
    </ul>
  </div>
  <h2>Welche Alternativen haben Reisende?</h2>
  <p>Fahrgäste, die ihre Reise wegen des Streiks verschieben wollen, können ihr Ticket
  flexibel nutzen:</p>
  <ul>
    <li>Fahrkarten für den Streikzeitraum gelten bis eine Woche nach Streikende.</li>
    <li>Sitzplatzreservierungen können kostenfrei storniert werden.</li>
  </ul>
  <section>
    <h2>Häufige Fragen</h2>
    {FAQ_HTML}
  </section>
  <div class="share-buttons"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">E-Mail</a></div>
</article>
<aside>
  <h3>Meistgelesen</h3>
  <ol><li><a href="/m1">Lottozahlen vom Samstag</a></li>
  <li><a href="/m2">Sturm zieht auf</a></li></ol>
</aside>
</main>
<footer>
  <p>© 2026 Rheinpost Medien GmbH</p>
  <ul><li><a href="/impressum">Impressum</a></li><li><a href="/agb">AGB</a></li></ul>
</footer>
</body>
</html>
""".encode()
FURNITURE = [
    "Cookies", "akzeptieren", "Politik", "Wirtschaft", "Anna Schmidt", "Warnstreik",
    "Deutschlandticket wird teurer", "Facebook", "Meistgelesen", "Lottozahlen", "Impressum",
    "Rheinpost",
]  # fmt: skip


def test_news_page_keeps_the_article_and_its_faq(serve):
    site = serve({"/bahnstreik": Page(body=NEWS)})
    content = main_content(fetch(site.url("/bahnstreik")))
    _, text, elements = html_text(content.html)
    found = structure(text, elements, content.title)

    assert content.title == found.title == NEWS_TITLE
    sections = list(dict.fromkeys(block.section for block in found.blocks))
    assert sections == [
        NEWS_TITLE,
        "Worum geht es im Tarifstreit?",
        "Welche Alternativen haben Reisende?",
        "Häufige Fragen",
    ]
    faq = {b.question: b.text for b in found.blocks if b.kind is BlockKind.FAQ}
    assert faq == FAQ
    body = "\n".join(block.text for block in found.blocks)
    assert "Der Ausstand soll am Donnerstag um 2 Uhr morgens beginnen" in body
    assert "Sitzplatzreservierungen können kostenfrei storniert werden." in body
    assert [word for word in FURNITURE if word in body] == []


def test_one_robots_txt_per_host_and_our_user_agent(serve):
    site = serve(
        {"/a": Page(body=html_page("A", ARTICLE)), "/b": Page(body=html_page("B", ARTICLE))}
    )
    with WebFetcher() as fetcher:
        for path in ("/a", "/b"):
            fetcher.fetch(site.url(path), 1_000_000)
    assert site.paths() == ["/robots.txt", "/a", "/b"]
    assert {agent for _, agent in site.server.requests} == {web_pages.USER_AGENT}


ROBOTS = Page(
    headers={"Content-Type": "text/plain"},
    body=b"User-agent: otherbot\nDisallow: /\n\nUser-agent: faqbot\nDisallow: /intern/\n",
)


@pytest.mark.parametrize("path", ["/intern/seite", "/umleitung"])
def test_robots_txt_disallows_a_page_or_its_redirect_target(serve, path):
    site = serve(
        {
            "/robots.txt": ROBOTS,
            "/intern/seite": Page(body=html_page("Intern", ARTICLE)),
            "/umleitung": Page(status=302, headers={"Location": "/intern/seite"}),
            "/offen": Page(body=html_page("Offen", ARTICLE)),
        }
    )
    assert refusal(site.url(path)) == "robots.txt of 127.0.0.1 disallows it"
    assert "/intern/seite" not in site.paths()
    assert fetch(site.url("/offen")).final_url == site.url("/offen")


@pytest.mark.parametrize(
    "robots",
    [
        Page(status=500, body=b"User-agent: *\nDisallow: /\n"),
        Page(status=403, body=b"User-agent: *\nDisallow: /\n"),
        Page(status=200, headers={"Content-Type": "text/plain"}, delay=1.0),
    ],
    ids=["server-error", "forbidden", "timed-out"],
)
def test_a_robots_txt_that_cannot_be_read_allows(serve, monkeypatch, robots):
    monkeypatch.setattr(web_pages, "TIMEOUT_SECONDS", 0.3)
    site = serve({"/robots.txt": robots, "/seite": Page(body=html_page("Seite", ARTICLE))})
    assert fetch(site.url("/seite")).body == html_page("Seite", ARTICLE)


# ---------------------------------------------------------------- encodings


def test_charset_from_the_header(serve):
    body = html_page("Grüße", ARTICLE).decode().encode("iso-8859-1")
    site = serve(
        {"/l1": Page(headers={"Content-Type": "text/html; charset=ISO-8859-1"}, body=body)}
    )
    page = fetch(site.url("/l1"))
    assert page.charset == "iso-8859-1"
    content = main_content(page)
    assert content.title == "Grüße"
    assert "kürzere Wochenarbeitszeit" in content.html


def test_charset_from_meta_only(serve):
    markup = (
        '<html><head><meta charset="iso-8859-1"><title>Streik in Köln</title></head><body>'
        f"<article><p>„Wir streiken“, sagt der Sprecher.</p>{ARTICLE}</article></body></html>"
    )
    site = serve(
        {"/meta": Page(headers={"Content-Type": "text/html"}, body=markup.encode("cp1252"))}
    )
    page = fetch(site.url("/meta"))
    assert page.charset is None
    content = main_content(page)
    assert content.title == "Streik in Köln"
    assert "„Wir streiken“" in content.html and "kürzere" in content.html


@pytest.mark.parametrize(
    ("body", "charset", "want"),
    [
        ("Grüße".encode("utf-8-sig"), "iso-8859-1", "Grüße"),  # a byte-order mark wins
        ('<meta charset="cp1252">Grüße'.encode(), "utf-8", "Grüße"),  # the header wins
        ('<meta charset="cp1252">Grüße'.encode("cp1252"), "no-such-codec", "Grüße"),
        ('<meta charset="iso-8859-1">„x“'.encode("cp1252"), None, "„x“"),  # as browsers read
        ('<meta charset="utf-8">Grüße'.encode("cp1252"), None, "Grüße"),  # meta lies
        ("Grüße".encode("cp1252"), None, "Grüße"),  # nothing declared, not UTF-8
    ],
)
def test_decoded(body, charset, want):
    page = FetchedPage("http://x.de/", "http://x.de/", "text/html", body, charset)
    assert decoded(page).endswith(want)


# ---------------------------------------------------------------- refusals


def test_http_error_status(serve):
    site = serve({})
    assert refusal(site.url("/fehlt")) == "HTTP 404 Not Found"


def test_redirect_chain_reports_the_final_url(serve):
    site = serve({})
    site.server.pages.update(
        {
            "/alt": Page(status=301, headers={"Location": site.url("/aelter")}),
            "/aelter": Page(status=302, headers={"Location": "neu?x=1"}),
            "/neu?x=1": Page(body=html_page("Neu", ARTICLE)),
        }
    )
    page = fetch(site.url("/alt"))
    assert (page.url, page.final_url) == (site.url("/alt"), site.url("/neu?x=1"))
    assert site.paths() == ["/robots.txt", "/alt", "/aelter", "/neu?x=1"]


def test_redirect_loop_is_refused_after_five(serve):
    site = serve({"/kreis": Page(status=302, headers={"Location": "/kreis"})})
    assert refusal(site.url("/kreis")) == "more than 5 redirects (a loop?); not followed"
    assert site.paths().count("/kreis") == 6


def test_redirect_to_another_scheme_is_refused(serve):
    site = serve({"/ftp": Page(status=301, headers={"Location": "ftp://127.0.0.1/datei"})})
    assert refusal(site.url("/ftp")) == "redirected to a non-web address (ftp:); not followed"


@pytest.mark.parametrize("hop", [1, 2], ids=["first-redirect", "second-redirect"])
def test_redirect_to_a_url_with_user_info_is_refused_at_every_hop(serve, hop):
    site = serve({})
    secret = site.url("/seite").replace("http://", "http://nutzer:geheim@")
    chain = {"/start": Page(status=302, headers={"Location": "/weiter"})} if hop == 2 else {}
    first = "/weiter" if hop == 2 else "/start"
    site.server.pages.update(
        {
            **chain,
            first: Page(status=301, headers={"Location": secret}),
            "/seite": Page(body=html_page("Seite", ARTICLE)),
        }
    )
    reason = refusal(site.url("/start"))
    assert reason == (
        "redirected to a URL with a user name or password; not followed: it would be shown "
        "in every citation"
    )
    assert "geheim" not in reason
    assert "/seite" not in site.paths()


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_page_larger_than_max_bytes_is_not_downloaded(serve, announced):
    chunk, repeat = b"<p>" + b"x" * 65_530 + b"</p>", 400  # 26 MB
    headers = {**HTML, "Content-Length": str(len(chunk) * repeat)} if announced else HTML
    site = serve({"/gross": Page(headers=headers, body=chunk, repeat=repeat)})
    assert refusal(site.url("/gross"), max_bytes=200_000) == "page larger than 0.2 MB; not read"
    time.sleep(0.2)  # let the server notice that the client has gone
    assert site.server.sent["/gross"] < len(chunk) * repeat / 2


def test_slow_server_times_out(serve, monkeypatch):
    monkeypatch.setattr(web_pages, "TIMEOUT_SECONDS", 0.3)
    site = serve({"/langsam": Page(body=html_page("Langsam", ARTICLE), delay=2.0)})
    assert refusal(site.url("/langsam")) == "could not be fetched (timed out after 0.3 s)"


@pytest.mark.parametrize(
    "page",
    [
        Page(body=b"<p>x</p>", repeat=1_000, pause=0.1),
        Page(body=b"<p>x</p>", delay=3.0),
        Page(raw=True, body=b"H", repeat=100, pause=0.05),
        Page(raw=True, body=b"HTTP/1.1 100 Continue\r\n\r\n", repeat=100, pause=0.05),
    ],
    ids=["drip", "late-headers", "trickled-headers", "endless-1xx"],
)
def test_slow_server_is_cut_at_the_page_deadline(serve, monkeypatch, page):
    monkeypatch.setattr(web_pages, "PAGE_DEADLINE_SECONDS", 1.0)
    site = serve({"/tropf": page, "/danach": Page(body=html_page("Danach", ARTICLE))})
    with WebFetcher() as fetcher:
        started = time.monotonic()
        with pytest.raises(FileProblem) as caught:
            fetcher.fetch(site.url("/tropf"), 1_000_000)
        assert caught.value.reason == "could not be fetched (took longer than 1 s)"
        assert time.monotonic() - started < 2.0
        assert fetcher.fetch(site.url("/danach"), 1_000_000).body == html_page("Danach", ARTICLE)


def test_connection_refused():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert refusal(f"http://127.0.0.1:{port}/") == "could not be fetched (connection refused)"


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"Content-Type": "application/pdf"}, "not a web page (application/pdf)"),
        ({}, "not a web page (no content type)"),
    ],
)
def test_not_a_web_page(serve, headers, want):
    site = serve({"/datei": Page(headers=headers, body=b"%PDF-1.7")})
    assert refusal(site.url("/datei")) == want


def test_xhtml_is_a_web_page(serve):
    site = serve({"/x": Page(headers={"Content-Type": "application/xhtml+xml"}, body=b"<p/>")})
    assert fetch(site.url("/x")).content_type == "application/xhtml+xml"


def test_page_without_main_text(serve):
    app = b'<html><head><title>App</title></head><body><div id="root"></div>'
    app += b'<script src="/app.js"></script></body></html>'
    site = serve({"/app": Page(body=app)})
    with pytest.raises(FileProblem) as caught:
        main_content(fetch(site.url("/app")))
    assert caught.value.reason == "no main text found on the page"


def test_page_larger_than_the_web_page_cap_is_not_read(serve, monkeypatch):
    monkeypatch.setattr(limits, "MAX_WEB_PAGE_BYTES", 100_000)
    site = serve({"/gross": Page(body=b"<p>" + b"x" * 200_000 + b"</p>")})
    assert refusal(site.url("/gross"), max_bytes=5_000_000) == "page larger than 0.1 MB; not read"


def test_page_with_more_tags_than_the_cap_is_not_extracted(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_PARTS", 100)
    body = html_page("Viele", "<p>Wort Satz.</p>" * 50)
    page = FetchedPage("http://x.de/", "http://x.de/", "text/html", body, "utf-8")
    with pytest.raises(FileProblem) as caught:
        main_content(page)
    assert caught.value.reason == (
        "page has 113 tags, more than the cap of 100 (index.limits.MAX_FILE_PARTS); not read"
    )


# ---------------------------------------------------------------- compressed bodies


def deflated(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


def gzip_bomb(zeros: int) -> bytes:
    """A gzip body of a page followed by `zeros` zero bytes (100 MB: some 100 KB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(html_page("Bombe", ARTICLE))]
    parts += [compressor.compress(bytes(1_000_000)) for _ in range(zeros // 1_000_000)]
    return b"".join(parts) + compressor.flush()


def compressed(body: bytes, coding: str) -> Page:
    return Page(headers={**HTML, "Content-Encoding": coding}, body=body)


def test_we_ask_for_no_compression_and_inflate_gzip_or_deflate_anyway(serve):
    page = html_page("Gepackt", ARTICLE)
    site = serve(
        {
            "/gzip": compressed(gzip.compress(page), "gzip"),
            "/deflate": compressed(deflated(page, zlib.MAX_WBITS), "deflate"),
        }
    )
    assert fetch(site.url("/gzip")).body == fetch(site.url("/deflate")).body == page
    assert site.server.accepted == {"identity"}


@pytest.mark.parametrize(
    ("coding", "body", "want"),
    [
        ("gzip, gzip", gzip.compress(gzip.compress(b"<p>x</p>")), "compressed more than once"),
        ("br", b"\x0b\x03\x80<p>x</p>\x03", "compressed with br; not read"),
        ("gzip", gzip.compress(b"<p>x</p>" * 1_000)[:-20], "compressed body ends early"),
        ("gzip", b"<p>not gzip</p>", "could not be decompressed (error -3 while"),
    ],
    ids=["twice", "brotli", "truncated", "not-gzip"],
)
def test_compressed_body_refused(serve, coding, body, want):
    site = serve({"/gepackt": compressed(body, coding)})
    assert refusal(site.url("/gepackt")).startswith(want)


@pytest.mark.parametrize("bombed", ["/seite", "/robots.txt"])
def test_gzip_bomb_is_inflated_only_up_to_the_cap(serve, bombed):
    """100 MB of zeros in 100 KB: httpx would inflate each 64 KB read to 64 MB at once."""
    site = serve({"/seite": Page(body=html_page("Seite", ARTICLE))})
    site.server.pages[bombed] = compressed(gzip_bomb(100_000_000), "gzip")
    tracemalloc.start()
    try:
        if bombed == "/seite":
            assert refusal(site.url("/seite"), 1_000_000) == "page larger than 1.0 MB; not read"
        else:
            assert fetch(site.url("/seite")).body == html_page("Seite", ARTICLE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


# ---------------------------------------------------------------- addresses


def resolving(monkeypatch: pytest.MonkeyPatch, name: str, address: str) -> None:
    """Let `name` resolve to `address` in the redirect check (httpx still connects to the
    real one), as DNS would for a public or intranet host."""
    real = web_pages._addresses
    fake = [ipaddress.ip_address(address)]
    monkeypatch.setattr(web_pages, "_addresses", lambda host: fake if host == name else real(host))


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://0.0.0.0:1/", "0.0.0.0 is an unspecified address"),
        (
            "http://[::ffff:169.254.169.254]/",
            "::ffff:169.254.169.254 (169.254.169.254) is a link-local",
        ),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ],
)
def test_listed_url_at_a_never_fetched_address(url, want):
    assert refusal(url).startswith(want)


def test_listed_url_at_a_name_resolving_to_metadata(monkeypatch):
    resolving(monkeypatch, "metadata.intern", "169.254.169.254")
    assert refusal("http://metadata.intern/") == (
        "metadata.intern (169.254.169.254) is a link-local address; never fetched"
    )


def test_redirect_to_link_local_is_refused(serve):
    site = serve({"/meta": Page(status=302, headers={"Location": "http://169.254.169.254/"})})
    assert refusal(site.url("/meta")) == "169.254.169.254 is a link-local address; never fetched"


def test_redirect_within_the_same_reach_is_followed(serve):
    site = serve({"/geheim": Page(body=html_page("Intern", ARTICLE))})
    site.server.pages["/weiter"] = Page(status=302, headers={"Location": site.url("/geheim")})
    assert fetch(site.named("/weiter")).final_url == site.url("/geheim")


@pytest.mark.parametrize(
    ("address", "reach"), [("93.184.216.34", "public"), ("10.1.2.3", "private")]
)
def test_redirect_further_inside_is_refused(serve, monkeypatch, address, reach):
    resolving(monkeypatch, "localhost", address)
    site = serve({"/geheim": Page(body=html_page("Intern", ARTICLE))})
    site.server.pages["/weiter"] = Page(status=302, headers={"Location": site.url("/geheim")})
    assert refusal(site.named("/weiter")) == (
        f"redirected to 127.0.0.1, a loopback address, from a {reach} one; not followed"
    )
    assert "/geheim" not in site.paths()


def test_robots_txt_redirect_further_inside_is_not_followed(serve, monkeypatch):
    resolving(monkeypatch, "localhost", "93.184.216.34")
    site = serve({"/seite": Page(body=html_page("Seite", ARTICLE)), "/intern/robots.txt": ROBOTS})
    site.server.pages["/robots.txt"] = Page(
        status=301, headers={"Location": site.url("/intern/robots.txt")}
    )
    assert fetch(site.named("/seite")).body == html_page("Seite", ARTICLE)
    assert "/intern/robots.txt" not in site.paths()


# ---------------------------------------------------------------- urls.txt

LONG = "https://a.de/" + "x" * 2_000


@pytest.mark.parametrize(
    ("text", "entries", "problems"),
    [
        (
            "# Quellen der Redaktion\n\n  https://a.de/x  \r\nhttp://b.de\n",
            [(3, "https://a.de/x"), (4, "http://b.de")],
            [],
        ),
        (
            "ftp://a.de/x\na.de/x\nmailto:r@a.de\n",
            [],
            [(n, "not a web address") for n in (1, 2, 3)],
        ),
        ("https:///pfad", [], [(1, "URL has no host")]),
        ("https://a.de:99999/", [], [(1, "URL has an invalid port")]),
        ("https://a.de/x y", [], [(1, "not one URL (contains white space)")]),
        ("https://nutzer:geheim@a.de/", [], [(1, "user name or password refused")]),
        ("https://nutzer@a.de/", [], [(1, "user name or password refused")]),
        (LONG, [], [(1, "URL of 2,013 characters is longer than the cap of 2,000")]),
        (
            "https://a.de/x\nHTTPS://A.DE/x#oben\nhttps://a.de/X\n",
            [(1, "https://a.de/x"), (3, "https://a.de/X")],
            [(2, "duplicate of line 1")],
        ),
    ],
    ids=["comments", "scheme", "host", "port", "space", "password", "user", "long", "duplicate"],
)
def test_url_list(text, entries, problems):
    got_entries, got_problems = url_list(text)
    assert got_entries == tuple(UrlEntry(line, url) for line, url in entries)
    assert len(got_problems) == len(problems)
    for problem, (line, reason) in zip(got_problems, problems, strict=True):
        assert problem.line == line and reason in problem.reason


def test_url_list_cap(monkeypatch):
    monkeypatch.setattr(limits, "MAX_URLS", 2)
    text = "https://a.de/1\n# Kommentar\nhttps://a.de/2\nhttps://a.de/3\n\nftp://falsch\n"
    entries, problems = url_list(text)
    assert [entry.line for entry in entries] == [1, 3]
    assert [(p.line, p.reason) for p in problems] == [
        (4, "more than 2 URLs (index.limits.MAX_URLS); the 2 from this line on are not fetched")
    ]


def test_fetch_refuses_what_url_list_refuses():
    assert refusal("file:///etc/passwd").startswith("not a web address")
