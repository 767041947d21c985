"""Web pages listed in `urls.txt`: the list checked, each page fetched politely, and its main
text extracted with trafilatura as simple HTML for the HTML walker of `index.loaders`.

Only the listed pages (and their redirects) are fetched, one request at a time, never a link
found on them: the editor chooses what is indexed, and a site sees one visitor reading a few
pages, not a crawler. Every failure is a `FileProblem` with a short reason for the build
summary; the build goes on with the next page.
"""

import codecs
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx
import trafilatura
from bs4.dammit import EncodingDetector

from index import limits
from index.documents import FileProblem, shortened

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
            "(index.web.MAX_URL_CHARS)"
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


class _Deadline:
    """The time one page may take in all (`PAGE_DEADLINE_SECONDS`)."""

    def __init__(self) -> None:
        self.seconds = PAGE_DEADLINE_SECONDS
        self.end = time.monotonic() + self.seconds

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


def _network_reason(error: httpx.HTTPError | httpx.InvalidURL, deadline: _Deadline) -> str:
    """A network error in a few words: "connection refused", not a traceback."""
    if isinstance(error, httpx.TimeoutException):
        if deadline.expired():
            return deadline.problem().reason
        return f"could not be fetched (timed out after {TIMEOUT_SECONDS:g} s)"
    message = _ERRNO_PREFIX.sub("", " ".join(str(error).split())) or type(error).__name__
    return f"could not be fetched ({shortened(message[:1].lower() + message[1:], 120)})"


@contextmanager
def _network_errors(deadline: _Deadline) -> Iterator[None]:
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FileProblem(_network_reason(error, deadline)) from error


def _read_body(response: httpx.Response, max_bytes: int, deadline: _Deadline) -> bytes:
    """The body, refused as soon as it grows beyond `max_bytes` or outlasts the deadline:
    the rest is never downloaded."""
    too_large = FileProblem(f"page larger than {_megabytes(max_bytes)}; not read")
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > max_bytes:
        raise too_large
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
        if deadline.expired():
            raise deadline.problem()
    return bytes(body)


def _redirect_target(response: httpx.Response) -> httpx.URL | None:
    """Where a redirect leads, refused unless it is a web address."""
    if not response.has_redirect_location:
        return None
    target = response.url.join(response.headers["location"])
    if target.scheme not in _WEB_SCHEMES:
        raise FileProblem(f"redirected to a non-web address ({target.scheme}:); not followed")
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
    robots.txt once. Use it as a context manager, so that its connections are closed."""

    def __init__(self) -> None:
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            max_redirects=MAX_REDIRECTS,
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
        """The page at `url`, following up to `MAX_REDIRECTS` redirects, each allowed by its
        host's robots.txt; any failure is a `FileProblem` with a short reason."""
        refusal = _url_refusal(url)
        if refusal is not None:
            raise FileProblem(refusal)
        deadline = _Deadline()
        with _network_errors(deadline):
            current = httpx.URL(url)
            for _ in range(MAX_REDIRECTS + 1):
                self._check_robots(current, deadline)
                with self._client.stream("GET", current, timeout=deadline.timeout()) as response:
                    target = _redirect_target(response)
                    if target is None:
                        return _page(url, response, max_bytes, deadline)
                current = target
        raise FileProblem(f"more than {MAX_REDIRECTS} redirects (a loop?); not followed")

    def _check_robots(self, url: httpx.URL, deadline: _Deadline) -> None:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin, deadline)
        rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(USER_AGENT, str(url)):
            raise FileProblem(f"robots.txt of {url.host} disallows it")

    def _read_robots(self, origin: str, deadline: _Deadline) -> RobotFileParser | None:
        """The host's robots.txt rules, or None (all allowed) if there is none we can read:
        missing (4xx, as RFC 9309 says), or unreachable, which does not stop the page."""
        try:
            with self._client.stream(
                "GET", f"{origin}/robots.txt", timeout=deadline.timeout(), follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    return None
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= ROBOTS_MAX_BYTES or deadline.expired():
                        break
        except (httpx.HTTPError, httpx.InvalidURL):
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
    """
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
