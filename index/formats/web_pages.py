"""Web pages listed in `urls.txt`: the list checked, each page fetched politely, and its main
text extracted with trafilatura as simple HTML for the HTML walker of `index.formats.html`.

Only the listed pages (and their redirects) are fetched, one request at a time, never a link
found on them: the editor chooses what is indexed, and a site sees one visitor reading a few
pages, not a crawler. Every failure is a `FileProblem` with a short reason for the build
summary; the build goes on with the next page.
"""

import codecs
import ipaddress
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx
import trafilatura
from bs4.dammit import EncodingDetector

from index import limits
from index.documents import Document, Extracted, FileProblem, Skipped, content_hash, shortened
from index.formats import Loaded, corpus_full, decode, document
from index.formats.html import html_text

MAX_URL_CHARS = 2_000
"""A URL longer than 2,000 characters is refused.

Every citation shows the URL, and browsers, servers and proxies commonly refuse longer ones
(2,000 is the old, still quoted, Internet Explorer limit); an article's address has well
under 200 characters, so a longer line is a tracking link or garbage."""

USER_AGENT = "faqbot/0.1 (+document index; one request at a time)"
"""Names the bot to the sites (and their robots.txt rules) and says how it behaves."""

TIMEOUT_SECONDS = 15.0
"""Connecting, and each read, may take 15 s: a slow but live site answers well within that,
a dead one should not hold the build for minutes."""

PAGE_DEADLINE_SECONDS = 60.0
"""One page, with its robots.txt and redirects, may take 60 s in all.

`TIMEOUT_SECONDS` bounds each read, not their sum: a server that sends a byte every 10 s
would otherwise hold the build for as long as it likes. A page of a few MB arrives in
seconds even over a slow line."""

MAX_REDIRECTS = 5
"""Up to 5 redirects are followed (RFC 9110 once recommended 5; real chains, such as
http → https → www → trailing slash, have 1 to 3); more is a loop or a tracking chain."""

ROBOTS_MAX_BYTES = 500_000
"""Only the first 500 KB of a robots.txt are read: RFC 9309 asks crawlers to parse at least
500 KiB; real files have a few KB."""

INFLATE_STEP_BYTES = 65_536
"""A compressed body is inflated in pieces of at most 64 KB, each counted against the page's
cap before the next is made (64 KB is what one network read brings anyway)."""

_INFLATED_CODINGS = frozenset({"gzip", "x-gzip", "deflate"})
"""Content codings inflated with zlib, which can stop after any number of bytes. We ask for
none (Accept-Encoding: identity), but a server may compress anyway; brotli and zstd are
refused: their modules are no dependency of ours (brotli comes with gradio only), and a
server ignoring "identity" and sending them is rare."""

WEB_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
"""Content types read as web pages; PDF and other documents belong in the data directory."""

_WEB_SCHEMES = frozenset({"http", "https"})
_ERRNO_PREFIX = re.compile(r"^\[Errno -?\d+\]\s*")
_WHATWG_WINDOWS_1252 = frozenset({"ascii", "iso8859-1"})
"""Labels that browsers decode as windows-1252 (WHATWG Encoding): German pages declared as
ISO-8859-1 often hold its „typographic quotes“, which ISO-8859-1 reads as control codes."""


# ---------------------------------------------------------------- urls.txt


@dataclass(frozen=True, slots=True)
class UrlEntry:
    """A URL of `urls.txt` and its line, to report a problem of its page against the line."""

    line: int
    url: str


def _url_refusal(url: str) -> str | None:
    """Why `url` cannot be fetched and cited, or None."""
    if len(url) > MAX_URL_CHARS:
        return (
            f"URL of {len(url):,} characters is longer than the cap of {MAX_URL_CHARS:,} "
            "(index.formats.web_pages.MAX_URL_CHARS)"
        )
    if any(char.isspace() for char in url):
        return "not one URL (contains white space)"
    parts = urlsplit(url)
    if parts.scheme.lower() not in _WEB_SCHEMES:
        return "not a web address: only http:// and https:// URLs are fetched"
    if parts.username is not None or parts.password is not None:
        return "URL with a user name or password refused: it would be shown in every citation"
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port that is no number in range
    except ValueError:
        return "URL has an invalid port"
    if not parts.hostname:
        return "URL has no host"
    return None


def _normalised(url: str) -> str:
    """`url` as compared for duplicates: scheme and host are case-insensitive, and the
    #fragment is never sent to the server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


def url_list(text: str) -> tuple[tuple[UrlEntry, ...], tuple[FileProblem, ...]]:
    """The URLs of `urls.txt` (one per line; blank lines and lines starting with "#" are
    ignored), and a problem for each line that is refused."""
    entries: list[UrlEntry] = []
    problems: list[FileProblem] = []
    first_line_of: dict[str, int] = {}
    beyond_cap: list[int] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        url = raw.strip()
        if not url or url.startswith("#"):
            continue
        if len(entries) >= limits.MAX_URLS:
            beyond_cap.append(number)
            continue
        refusal = _url_refusal(url)
        key = _normalised(url) if refusal is None else ""
        if refusal is None and key in first_line_of:
            refusal = f"duplicate of line {first_line_of[key]}"
        if refusal is not None:
            problems.append(FileProblem(refusal, number))
            continue
        first_line_of[key] = number
        entries.append(UrlEntry(number, url))
    if beyond_cap:
        reason = (
            f"more than {limits.MAX_URLS:,} URLs (index.limits.MAX_URLS); "
            f"the {len(beyond_cap):,} from this line on are not fetched"
        )
        problems.append(FileProblem(reason, beyond_cap[0]))
    return tuple(entries), tuple(problems)


# ---------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A web page's bytes as served: `url` as listed, `final_url` after redirects, and the
    charset its Content-Type header names (None if it names none)."""

    url: str
    final_url: str
    content_type: str
    body: bytes
    charset: str | None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _shut(connection: socket.socket) -> None:
    with suppress(OSError):  # already closed by the server or by us: nothing left to cut
        connection.shutdown(socket.SHUT_RDWR)


class _Deadline:
    """The time one page may take in all (`PAGE_DEADLINE_SECONDS`), enforced by a watchdog.

    Timeouts bound each read, not the reads of the status line and headers together: a server
    trickling header bytes, or sending endless "100 Continue", keeps every read short. So when
    the deadline passes, a watchdog thread shuts down every connection the page opened, and
    the read blocked in any phase (TLS, headers, body) fails at once. It keeps a duplicate of
    each socket (httpx's `trace` extension reports each connection as it is made), as the
    socket object itself is replaced when TLS starts; and it shuts down rather than closes,
    since closing a socket does not wake a read blocked on it in another thread.

    Extraction after the download cannot be interrupted (trafilatura runs in C): the caps on
    a page's bytes and tags bound it (`limits.MAX_WEB_PAGE_BYTES`).
    """

    def __init__(self) -> None:
        self.seconds = PAGE_DEADLINE_SECONDS
        self.end = time.monotonic() + self.seconds
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._cut = False
        self._watchdog = threading.Timer(self.seconds, self._cut_connections)
        self._watchdog.daemon = True

    def __enter__(self) -> "_Deadline":
        self._watchdog.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._watchdog.cancel()
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's `trace` extension: keeps a duplicate of each new connection's socket (cut
        at once if the deadline has already passed)."""
        if event != "connection.connect_tcp.complete":
            return
        duplicate = info["return_value"].get_extra_info("socket").dup()
        with self._lock:
            self._connections.append(duplicate)
            if self._cut:
                _shut(duplicate)

    def _cut_connections(self) -> None:
        with self._lock:
            self._cut = True
            for connection in self._connections:
                _shut(connection)

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def problem(self) -> FileProblem:
        return FileProblem(f"could not be fetched (took longer than {self.seconds:g} s)")

    def timeout(self) -> httpx.Timeout:
        """Each request's timeouts, shortened so that none can outlast the deadline."""
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise self.problem()
        return httpx.Timeout(min(TIMEOUT_SECONDS, remaining))


def _error_message(error: Exception) -> str:
    """An error in a few words, "connection refused", not "[Errno 111] Connection refused"."""
    message = _ERRNO_PREFIX.sub("", " ".join(str(error).split())) or type(error).__name__
    return shortened(message[:1].lower() + message[1:], 120)


def _network_reason(error: httpx.HTTPError | httpx.InvalidURL, deadline: _Deadline) -> str:
    """A network error in a few words: "connection refused", not a traceback. Any error once
    the deadline has passed is the watchdog's cut (or a timeout shortened to the deadline)."""
    if deadline.expired():
        return deadline.problem().reason
    if isinstance(error, httpx.TimeoutException):
        return f"could not be fetched (timed out after {TIMEOUT_SECONDS:g} s)"
    return f"could not be fetched ({_error_message(error)})"


@contextmanager
def _network_errors(deadline: _Deadline) -> Iterator[None]:
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FileProblem(_network_reason(error, deadline)) from error


# ---------------------------------------------------------------- addresses

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Reach(IntEnum):
    """How far inside the network an address is. A listed URL may be at any address but the
    never-fetched ones (an intranet bot indexes the intranet pages its editor lists); a
    redirect may lead as far in as the listed URL's address, never further, so that a public
    page cannot send the bot to the intranet, nor an intranet page to the build machine's
    own services, and have their content indexed and quoted."""

    PUBLIC = 0
    PRIVATE = 1
    """Not globally reachable: RFC 1918, unique local, shared (carrier-grade NAT) addresses."""
    LOOPBACK = 2


def _addresses(host: str) -> list[IpAddress]:
    """The addresses `host` resolves to (a literal address: itself)."""
    found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in found]


def _never_fetched(address: IpAddress) -> str | None:
    """What kind of address `address` is if it is never fetched, else None: link-local holds
    the cloud metadata service (169.254.169.254), the unspecified address reaches the
    machine itself, and no web page lives at a multicast or reserved one."""
    kinds = {
        "a link-local": address.is_link_local,
        "an unspecified": address.is_unspecified,
        "a multicast": address.is_multicast,
        "a reserved": address.is_reserved,
    }
    return next((kind for kind, matches in kinds.items() if matches), None)


def _reach(address: IpAddress) -> Reach:
    if address.is_loopback:
        return Reach.LOOPBACK
    return Reach.PUBLIC if address.is_global else Reach.PRIVATE


def _unmapped(address: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class _Host:
    """A URL's host with its innermost address (`Reach`) among those its name resolves to:
    the connection may go to any of them."""

    name: str
    address: IpAddress
    reach: Reach

    def __str__(self) -> str:
        return self.name if self.name == str(self.address) else f"{self.name} ({self.address})"


def _host(url: httpx.URL) -> _Host:
    """`url`'s host, refused if any of its addresses is never fetched.

    The name is resolved here and again by httpx to connect: a name whose server answers
    differently the second time (DNS rebinding) reaches any address. That is out of scope,
    as is a proxy (httpx honours HTTP_PROXY), which reaches what it likes; the check keeps
    an ordinary public page's redirect from reaching internal addresses.
    """
    try:
        addresses = [_unmapped(address) for address in _addresses(url.raw_host.decode("ascii"))]
    except OSError as error:
        raise FileProblem(f"could not be fetched ({_error_message(error)})") from error
    hosts = [_Host(url.host, address, _reach(address)) for address in addresses]
    for host in hosts:
        kind = _never_fetched(host.address)
        if kind is not None:
            raise FileProblem(f"{host} is {kind} address; never fetched")
    return max(hosts, key=lambda host: host.reach)


# ---------------------------------------------------------------- bodies


def _coding(response: httpx.Response) -> str:
    """The body's content coding ("identity" if none), refused unless we inflate it."""
    header = response.headers.get("content-encoding", "")
    codings = [coding.strip().lower() for coding in header.split(",")]
    codings = [coding for coding in codings if coding not in ("", "identity")]
    if len(codings) > 1:
        layers = shortened(", ".join(codings), 80)
        raise FileProblem(f"compressed more than once ({layers}); not read")
    if codings and codings[0] not in _INFLATED_CODINGS:
        raise FileProblem(f"compressed with {shortened(codings[0], 40)}; not read")
    return codings[0] if codings else "identity"


def _body_pieces(response: httpx.Response) -> Iterator[bytes]:
    """The body in pieces of at most `INFLATE_STEP_BYTES` once inflated.

    We read the raw stream and inflate it ourselves: httpx inflates each network read whole,
    and 1.6 KB of brotli became 2 GB in memory before any cap could look at it.
    """
    if _coding(response) == "identity":
        yield from response.iter_raw()
        return
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)  # 32: a gzip or zlib header, as found
    try:
        for data in response.iter_raw():
            piece = inflater.decompress(data, INFLATE_STEP_BYTES)
            yield piece
            # input left over, or a full piece (zlib may hold more output): inflate on
            while inflater.unconsumed_tail or len(piece) == INFLATE_STEP_BYTES:
                piece = inflater.decompress(inflater.unconsumed_tail, INFLATE_STEP_BYTES)
                yield piece
    except zlib.error as error:
        raise FileProblem(f"could not be decompressed ({_error_message(error)})") from error
    if not inflater.eof:
        raise FileProblem("compressed body ends early; not read")


def _read_body(response: httpx.Response, max_bytes: int, deadline: _Deadline) -> bytes:
    """The body, refused as soon as it grows beyond `max_bytes`: the rest is never
    downloaded (or inflated)."""
    too_large = FileProblem(f"page larger than {_megabytes(max_bytes)}; not read")
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > max_bytes:
        raise too_large
    body = bytearray()
    for piece in _body_pieces(response):
        body += piece
        if len(body) > max_bytes:
            raise too_large
    if deadline.expired():  # the watchdog's cut ends a body without a length as if complete
        raise deadline.problem()
    return bytes(body)


def _redirect_target(response: httpx.Response, listed: Reach) -> httpx.URL | None:
    """Where a redirect leads, refused unless it is a web address without user-info (the
    final URL is cited), no further inside the network than the listed URL (`Reach`)."""
    if not response.has_redirect_location:
        return None
    target = response.url.join(response.headers["location"])
    if target.scheme not in _WEB_SCHEMES:
        raise FileProblem(f"redirected to a non-web address ({target.scheme}:); not followed")
    if target.userinfo:  # never named in the reason: it would show the password
        raise FileProblem(
            "redirected to a URL with a user name or password; not followed: it would be "
            "shown in every citation"
        )
    host = _host(target)
    if host.reach > listed:
        raise FileProblem(
            f"redirected to {host}, a {host.reach.name.lower()} address, from a "
            f"{listed.name.lower()} one; not followed"
        )
    return target


def _page(url: str, response: httpx.Response, max_bytes: int, deadline: _Deadline) -> FetchedPage:
    status = response.status_code
    if not 200 <= status < 300:
        phrase = shortened(response.reason_phrase, 80)
        raise FileProblem(f"HTTP {status} {phrase}" + ("" if status >= 400 else "; not a page"))
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in WEB_PAGE_TYPES:
        raise FileProblem(f"not a web page ({shortened(content_type, 80) or 'no content type'})")
    body = _read_body(response, max_bytes, deadline)
    return FetchedPage(url, str(response.url), content_type, body, response.charset_encoding)


def _robots_rules(text: str) -> RobotFileParser:
    rules = RobotFileParser()
    rules.parse(text.splitlines())
    return rules


class WebFetcher:
    """Fetches listed pages one at a time with one HTTP client, reading each host's
    robots.txt once. Use it as a context manager, so that its connections are closed.

    Connections are not kept alive between requests: each is opened within its page's
    `_Deadline`, whose watchdog can then cut it (a connection kept from an earlier page
    would be unknown to it). A bot reading one page at a time loses little by this.
    """

    def __init__(self) -> None:
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._robots: dict[str, RobotFileParser | None] = {}

    def __enter__(self) -> "WebFetcher":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, max_bytes: int) -> FetchedPage:
        """The page at `url`, at most `max_bytes` and `limits.MAX_WEB_PAGE_BYTES` large,
        following up to `MAX_REDIRECTS` redirects, each allowed by its host's robots.txt and
        by its address (`Reach`); any failure is a `FileProblem` with a short reason."""
        refusal = _url_refusal(url)
        if refusal is not None:
            raise FileProblem(refusal)
        max_bytes = min(max_bytes, limits.MAX_WEB_PAGE_BYTES)
        with _Deadline() as deadline, _network_errors(deadline):
            listed = httpx.URL(url)
            reach = _host(listed).reach
            with self._final_response(listed, reach, deadline, obey_robots=True) as response:
                return _page(url, response, max_bytes, deadline)

    @contextmanager
    def _final_response(
        self, url: httpx.URL, listed: Reach, deadline: _Deadline, obey_robots: bool
    ) -> Iterator[httpx.Response]:
        """The response at the end of `url`'s redirects, its body not yet read."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if obey_robots:
                self._check_robots(current, listed, deadline)
            with self._client.stream(
                "GET", current, timeout=deadline.timeout(), extensions={"trace": deadline.trace}
            ) as response:
                target = _redirect_target(response, listed)
                if target is None:
                    yield response
                    return
            current = target
        raise FileProblem(f"more than {MAX_REDIRECTS} redirects (a loop?); not followed")

    def _check_robots(self, url: httpx.URL, listed: Reach, deadline: _Deadline) -> None:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin, listed, deadline)
        rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(USER_AGENT, str(url)):
            raise FileProblem(f"robots.txt of {url.host} disallows it")

    def _read_robots(
        self, origin: str, listed: Reach, deadline: _Deadline
    ) -> RobotFileParser | None:
        """The host's robots.txt rules, or None (all allowed) if there is none we can read:
        missing (4xx, as RFC 9309 says), or unreachable, which does not stop the page. Its
        redirects are followed, as RFC 9309 asks, under the same rules as the page's."""
        body = bytearray()
        try:
            robots = httpx.URL(f"{origin}/robots.txt")
            with self._final_response(robots, listed, deadline, obey_robots=False) as response:
                if response.status_code != 200:
                    return None
                for piece in _body_pieces(response):
                    body += piece
                    if len(body) >= ROBOTS_MAX_BYTES:
                        break
        except (httpx.HTTPError, httpx.InvalidURL, FileProblem):
            return None
        return _robots_rules(bytes(body[:ROBOTS_MAX_BYTES]).decode("utf-8", errors="replace"))


# ---------------------------------------------------------------- main text


@dataclass(frozen=True, slots=True)
class MainContent:
    """A page's title and its main text as simple HTML (`<h1>`–`<h6>`, `<p>`, `<ul><li>`,
    `<table>`), navigation, teasers, banners and footer left out."""

    title: str
    html: str


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, as browsers read it; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return "cp1252" if name in _WHATWG_WINDOWS_1252 else name


def decoded(page: FetchedPage) -> str:
    """The page as text: the encoding its byte-order mark, its Content-Type header, or its
    `<meta charset>` names, the first that decodes it; else UTF-8; else windows-1252.

    trafilatura's own `decode_file` reads neither header nor `<meta>` and guesses with
    charset_normalizer, which reads a short German ISO-8859-1 page as cp1006 (Urdu).
    """
    body, bom_encoding = EncodingDetector.strip_byte_order_mark(page.body)
    declared = EncodingDetector.find_declared_encoding(body, is_html=True)
    for label in (bom_encoding, page.charset, declared, "utf-8"):
        codec = _codec(label)
        if codec is None:
            continue
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return body.decode("cp1252", errors="replace")


def main_content(page: FetchedPage) -> MainContent:
    """The page's main text and title as trafilatura finds them.

    The HTML has trafilatura's metadata as `<meta>` elements in its `<head>` (no `<title>`),
    which an HTML walker of the `<body>` does not see. The title is trafilatura's: the
    page's og:title or similar metadata, else its `<title>` without the site's name, else
    its first `<h1>`.

    A page with more tags than `limits.MAX_FILE_PARTS` is refused before trafilatura, whose
    time grows faster than the page (as a local .html file is refused by `index.corpus`).
    """
    tags = page.body.count(b"<")
    if tags > limits.MAX_FILE_PARTS:
        raise FileProblem(
            f"page has {tags:,} tags, more than the cap of {limits.MAX_FILE_PARTS:,} "
            "(index.limits.MAX_FILE_PARTS); not read"
        )
    extracted = trafilatura.extract_with_metadata(
        decoded(page),
        url=page.final_url,
        output_format="html",
        include_tables=True,
        include_links=False,
        include_comments=False,
        include_images=False,
    )
    if extracted is None or not (extracted.raw_text or "").strip() or not extracted.text:
        raise FileProblem("no main text found on the page")
    return MainContent(" ".join((extracted.title or "").split()), extracted.text)


URL_LIST = "urls.txt"
"""The name of the file (in any directory of the corpus) that lists web pages to index."""


def web_document(page: FetchedPage) -> Document:
    """A fetched page as a document: its main text, cited with its address and linked to
    the address it was finally served from. Its hash is that of the text, so a page whose
    ads or timestamps changed keeps its vectors."""
    content = main_content(page)
    title, text, elements = html_text(content.html)
    extracted = Extracted(text, tuple(elements), content.title or title)
    return document(page.url, extracted, content_hash(text), page.final_url, page.url)


def load_url_list(
    raw: bytes, rel: str, room: int, extract: Callable[[FetchedPage], Document]
) -> Loaded:
    """The web pages listed in `rel`, fetched now, at most `room` bytes in all, each made a
    document by `extract` (`index.corpus` extracts in the reading process); a page that
    cannot be fetched or read is skipped with its line and the reason."""
    entries, problems = url_list(decode(raw))
    skipped = [Skipped(rel, problem.reason, problem.line) for problem in problems]
    documents: list[Document] = []
    fetched = 0
    with WebFetcher() as fetcher:
        for entry in entries:
            left = min(limits.MAX_FILE_BYTES, room - fetched)
            try:
                if left <= 0:
                    raise FileProblem(corpus_full(entry.url))
                page = fetcher.fetch(entry.url, max_bytes=left)
                fetched += len(page.body)
                documents.append(extract(page))
            except FileProblem as problem:
                skipped.append(Skipped(rel, f"{entry.url}: {problem.reason}", entry.line))
    return documents, skipped
