"""Source pages: labels, links, the page of a cited document, and its route."""

import html
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from bot import Bot, BotSettings, Hit
from bot.pipeline import hit_of as cited
from conftest import FAKE_CALIBRATION, FakeEmbedder, write_file
from index import ChunkSettings, build, load_index
from web.sources import (
    HEADERS,
    MAX_PAGE_CHARS,
    MAX_SPANS,
    SourceError,
    document_id,
    document_key,
    source_label,
    source_link,
    source_page,
    source_routes,
    web_url,
)

ARTICLE = (
    "# Bahnreform 2027\n\nDie Bahn plant neue Strecken zwischen Köln und Berlin.\n\n"
    "## Kosten\n\nDie Reform kostet rund 12 Milliarden Euro bis 2030. "
    "Der Bund zahlt davon die Hälfte.\n\n"
    "## Zeitplan\n\nDie ersten Züge fahren 2028.\n"
)
LONG_SENTENCES = [
    f"Im Jahr {2000 + n} wurde die Strecke Nummer {n} zwischen zwei Städten eröffnet."
    for n in range(1, 9)
]
FAQ_CSV = (
    "frage,antwort\n"
    'Wann hat die Kantine offen?,"Die Kantine hat von 11 bis 14 Uhr offen. '
    'Am Freitag schließt sie um 13 Uhr."\n'
    "Gibt es vegetarisches Essen?,Ja. Jeden Tag gibt es ein vegetarisches Gericht.\n"
)
HOSTILE_DOCUMENTS = [
    {
        "id": "../../etc/passwd",
        "title": "<script>alert(1)</script>",
        "text": "Ein Satz mit <img src=x onerror=alert(1)> darin. "
        "Noch ein \"zitierter\" Satz mit 'Apostroph' & Ampersand.",
        "url": "javascript:alert(1)",
    },
    {
        "id": "a/b?c#d%2F e\n<x>",
        "title": 'Titel " onmouseover="alert(1)',
        "text": "Der Text steht hier. </p><script>alert(2)</script><style>*{display:none}</style>",
        "url": 'https://example.org/a"onmouseover="alert(1)',
    },
    {"id": "..", "title": "Punkte", "text": "Zwei Punkte als Kennung sind erlaubt."},
    {
        "id": "ü€😀 %25 ?",
        "title": "Unicode",
        "text": "Umlaute und Emoji gehen auch.",
        "url": "https://beispiel.example/seite?x=1&y=2",
    },
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("sources") / "data"
    write_file(data / "bahn.md", ARTICLE)
    write_file(data / "strecken.md", "# Strecken\n\n" + " ".join(LONG_SENTENCES) + "\n")
    write_file(data / "kantine-faq.csv", FAQ_CSV)
    lines = [json.dumps(record, ensure_ascii=False) for record in HOSTILE_DOCUMENTS]
    write_file(data / "hostile.jsonl", "\n".join(lines) + "\n")
    out = data.parent / "index"
    build(data, out, embedder=FakeEmbedder(), chunking=ChunkSettings(max_chars=220))
    return out


@pytest.fixture(scope="module")
def content(index_dir):
    return load_index(index_dir)


@pytest.fixture(scope="module")
def client(content):
    server = FastAPI()
    server.include_router(source_routes(lambda: content))
    return TestClient(server)


def passages_of(content, doc_id):
    return [p for p in content.passages if p.doc_id == doc_id]


def hit_of(passage, quoted=()):
    return replace(cited(passage, 1.0), quoted=quoted)


def get(client, link, base="http://testserver/"):
    """Follow a relative link as a browser on `base` would (the fragment stays local)."""
    return client.get(urljoin(base, link).split("#")[0])


class Elements(HTMLParser):
    """Every start tag with its attributes, to check what markup a page really holds."""

    def __init__(self, page):
        super().__init__()
        self.tags = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def marked(page):
    return re.findall(r"<mark>(.*?)</mark>", page, re.S)


# ---------------------------------------------------------------- labels and links


@pytest.mark.parametrize(
    ("title", "section", "source", "label"),
    [
        pytest.param("kantine-faq", "kantine-faq", "kantine-faq.csv", "kantine-faq", id="csv-faq"),
        pytest.param("Bahnreform", "Kosten", "bahn.md", "Bahnreform · Kosten · bahn.md", id="all"),
        pytest.param("Bahnreform", "Bahnreform", "bahn.md", "Bahnreform · bahn.md", id="same"),
        pytest.param("Bahnreform", "", "bahn.md", "Bahnreform · bahn.md", id="no-section"),
        pytest.param("Wetter", "WETTER", "wetter.jsonl", "Wetter", id="case-and-stem"),
        pytest.param("Kantine FAQ", "", "sub/kantine_faq.csv", "Kantine FAQ", id="separators"),
        pytest.param(
            "NATO-Krise 2026: US-Abwesenheit",
            "Quellen",
            "nato-krise-2026.txt",
            "NATO-Krise 2026: US-Abwesenheit · Quellen",
            id="title-names-file",
        ),
        pytest.param("Krise", "Alles", "a.txt", "Krise · Alles · a.txt", id="short-stem"),
        pytest.param("<b>x</b>", "", "x.txt", "<b>x</b>", id="plain-text-not-escaped"),
    ],
)
def test_source_label_names_each_thing_once(title, section, source, label):
    hit = Hit("id", "Text.", title, section, source, 1.0)
    assert source_label(hit) == label


@pytest.mark.parametrize(
    "doc_id",
    ["bahn.md", "../../etc/passwd", "a/b?c#d%2F e\n<x>", "..", ".", "ü€😀", "\ud800", " ", "=="],
)
def test_document_keys_are_one_safe_path_segment_and_round_trip(doc_id):
    key = document_key(doc_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", key)
    assert document_id(key) == doc_id


@pytest.mark.parametrize("key", ["", "YQ=", "YR", "!!", "a/b", "..", "%2F", "YQ\n"])
def test_document_id_refuses_anything_but_a_canonical_key(key):
    assert document_key("a") == "YQ"
    assert document_id(key) is None


def test_source_link_is_relative_and_carries_passage_spans_and_fragment(content):
    passage = passages_of(content, "bahn.md")[1]
    link = source_link(hit_of(passage, quoted=((40, 70), (0, 10), (5, 20))))
    parts = urlsplit(link)
    assert not link.startswith("/") and not parts.scheme and not parts.netloc
    assert parts.path == f"quelle/{document_key('bahn.md')}"
    assert parse_qs(parts.query) == {"passage": [passage.passage_id], "zitat": ["0-20,40-70"]}
    assert parts.fragment == f"passage-{passage.passage_id}"


def test_source_link_without_passage_names_the_document():
    hit = Hit("a/b", "Text.", "T", "", "b.txt", 1.0)
    assert source_link(hit) == f"quelle/{document_key('a/b')}"


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=1", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.org/x", False),
        ("https://", False),
        ("http://[::1", False),
        ("https://example.org/\x00", False),
        ("", False),
    ],
)
def test_only_http_urls_become_links(url, linked):
    assert (web_url(url) == url) is linked


# ---------------------------------------------------------------- pages


def test_page_shows_the_whole_document_in_order_with_the_citation_marked(content, client):
    passages = passages_of(content, "bahn.md")
    cited = next(p for p in passages if p.section == "Kosten")
    quoted = cited.sentences[1]
    response = get(client, source_link(hit_of(cited, quoted=(quoted,))))
    assert response.status_code == 200
    page = response.text
    assert page.startswith("<!DOCTYPE html>") and '<html lang="de">' in page
    assert "<title>Bahnreform 2027 – Quelle – faqbot</title>" in page
    assert 'name="viewport"' in page and "<main>" in page and "<h1>Bahnreform 2027</h1>" in page
    assert "<h2>Kosten</h2>" in page and "<h2>Zeitplan</h2>" in page
    positions = [page.index(p.text.split(".")[0]) for p in passages]
    assert positions == sorted(positions) and len(passages) == 3
    assert page.count(f'id="passage-{cited.passage_id}"') == 1
    assert page.count('class="stelle ziel') == 1
    assert marked(page) == ["Der Bund zahlt davon die Hälfte."]
    assert f'href="#passage-{cited.passage_id}"' in page  # the jump link
    assert 'href="../"' in page  # back to the chat, relative like the link
    assert "Datei: bahn.md" in page and "Originalquelle" not in page


def test_document_without_passage_is_shown_unmarked(content):
    page = source_page(content, "bahn.md", "", ())
    assert "<mark>" not in page and "ziel" not in page.split("</style>")[1]
    assert "Die ersten Züge fahren 2028." in page


def test_faq_entries_are_shown_as_question_and_answer(content, client):
    first, second = passages_of(content, "kantine-faq.csv")
    response = get(client, source_link(hit_of(second, quoted=((0, len(second.text)),))))
    page = response.text
    assert "<h1>kantine-faq</h1>" in page and "<h2>kantine-faq</h2>" not in page
    assert "<h2>Wann hat die Kantine offen?</h2><p>Die Kantine hat von 11 bis 14 Uhr" in page
    assert f'<section class="stelle ziel faq" id="passage-{second.passage_id}"' in page
    assert marked(page) == ["Ja. Jeden Tag gibt es ein vegetarisches Gericht."]
    assert page.index(first.question) < page.index(second.question)


def test_overlapping_windows_of_a_long_paragraph_are_shown_once(content, client):
    windows = passages_of(content, "strecken.md")
    assert len(windows) > 2 and windows[1].start < windows[0].end  # the build overlapped them
    cited = windows[1]
    response = get(client, source_link(hit_of(cited, quoted=(cited.sentences[-1],))))
    page = response.text
    for sentence in LONG_SENTENCES:
        assert page.count(sentence) == 1
    zitiert = re.search(r'<span class="zitiert">(.*?)</span>', page, re.S)[1]
    assert zitiert.replace("<mark>", "").replace("</mark>", "") == cited.text
    assert marked(page) == [cited.text[slice(*cited.sentences[-1])]]
    assert page.count('id="passage-') == 1


def test_hostile_documents_are_text_and_their_ids_round_trip(content, client):
    for record in HOSTILE_DOCUMENTS:
        passage = passages_of(content, record["id"])[0]
        response = get(client, source_link(hit_of(passage, quoted=(passage.sentences[0],))))
        assert response.status_code == 200, record["id"]
        page = response.text
        tags = Elements(page).tags
        names = [tag for tag, _ in tags]
        assert names.count("style") == 1  # the page's own, in <head>
        assert not {"script", "img", "iframe", "x"} & set(names)
        assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
        assert "javascript:" not in page
        assert f"<h1>{html.escape(record['title'])}</h1>" in page
        links = [attrs["href"] for tag, attrs in tags if tag == "a"]
        url = record.get("url", "")
        if url.startswith("https://"):
            assert url in links  # the parser unescapes: the exact URL, quotes and all
        else:
            assert links == ["../", f"#passage-{passage.passage_id}"]
    page = source_page(content, "../../etc/passwd", "", ())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Noch ein &quot;zitierter&quot; Satz mit &#x27;Apostroph&#x27; &amp; Ampersand." in page


# ---------------------------------------------------------------- errors and headers


def expect_error(response, status, words):
    assert response.status_code == status
    page = response.text
    assert '<html lang="de">' in page and words in page
    assert "Traceback" not in page and "/tmp" not in page and "passages.jsonl" not in page
    for name, value in HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(
    "zitat",
    [
        "abc",
        "5-3",
        "3-3",
        "0-99999",
        "-1-5",
        "٣-5",
        "1-2;3-4",
        "1-2,",
        "99999999999-1",
        ",".join(["0-1"] * (MAX_SPANS + 1)),
    ],
)
def test_malformed_or_misplaced_spans_are_400(content, client, zitat):
    passage = passages_of(content, "bahn.md")[0]
    params = {"passage": passage.passage_id, "zitat": zitat}
    response = client.get(f"/quelle/{document_key('bahn.md')}", params=params)
    expect_error(response, 400, "Ungültiger Link")


def test_spans_without_passage_are_400(client):
    response = client.get(f"/quelle/{document_key('bahn.md')}", params={"zitat": "0-5"})
    expect_error(response, 400, "brauchen die Angabe der Passage")


def test_as_many_spans_as_allowed_are_marked(content):
    passage = passages_of(content, "strecken.md")[0]
    spans = [(n, n + 1) for n in range(0, 2 * MAX_SPANS, 2)]
    assert len(marked(source_page(content, "strecken.md", passage.passage_id, spans))) == MAX_SPANS
    with pytest.raises(SourceError) as refused:
        source_page(content, "strecken.md", passage.passage_id, [*spans, (40, 41)])
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "path",
    [
        f"/quelle/{document_key('gibt-es-nicht.md')}",
        "/quelle/!!",
        "/quelle/YR",
        f"/quelle/{document_key('bahn.md')}=",
    ],
)
def test_unknown_documents_are_404(client, path):
    expect_error(client.get(path), 404, "Dieses Dokument gibt es im aktuellen Index nicht.")


def test_unknown_passage_is_404_with_a_link_to_the_document(content, client):
    other = passages_of(content, "kantine-faq.csv")[0]  # a passage of another document
    key = document_key("bahn.md")
    response = client.get(f"/quelle/{key}", params={"passage": other.passage_id})
    expect_error(response, 404, "Die zitierte Stelle gibt es im aktuellen Index nicht mehr.")
    link = next(
        a["href"] for tag, a in Elements(response.text).tags if tag == "a" and a["href"] != "../"
    )
    assert get(client, link, base=str(response.url)).status_code == 200


def test_no_index_is_503(client):
    server = FastAPI()
    server.include_router(source_routes(lambda: None))
    response = TestClient(server).get(f"/quelle/{document_key('bahn.md')}")
    expect_error(response, 503, "Der Suchindex ist gerade nicht verfügbar.")


def test_a_failing_page_is_a_german_500_without_details(caplog):
    def broken():
        raise RuntimeError("/srv/geheim/index kaputt")

    server = FastAPI()
    server.include_router(source_routes(broken))
    response = TestClient(server).get(f"/quelle/{document_key('bahn.md')}")
    expect_error(response, 500, "Diese Seite konnte nicht erstellt werden.")
    assert "geheim" not in response.text and "geheim" in caplog.text


def test_pages_are_served_with_strict_headers(content, client):
    passage = passages_of(content, "bahn.md")[0]
    response = get(client, source_link(hit_of(passage)))
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "img-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------- from an answer


@pytest.mark.parametrize("prefix", ["", "/faq"])
def test_a_real_answers_citations_open_their_quoted_sentences(index_dir, prefix):
    embedder = FakeEmbedder()
    settings = BotSettings(answer_threshold=0.0, calibration=FAKE_CALIBRATION)
    bot = Bot.load(index_dir, embedder=embedder, settings=settings)
    reply = bot.answer("Wie viel kostet die Bahnreform?")
    assert reply.answered and reply.citations
    server = FastAPI()
    server.include_router(source_routes(lambda: bot.content), prefix=prefix)
    client = TestClient(server)
    for hit in reply.citations:
        link = source_link(hit)
        response = get(client, link, base=f"http://testserver{prefix}/")
        assert response.status_code == 200
        assert urlsplit(str(response.url)).path.startswith(f"{prefix}/quelle/")
        assert f'id="{urlsplit(link).fragment}"' in response.text
        quoted = [html.escape(hit.text[start:end]) for start, end in hit.quoted]
        assert quoted and marked(response.text) == quoted
        back = urljoin(str(response.url), "../")
        assert urlsplit(back).path == f"{prefix}/"


# ---------------------------------------------------------------- long documents

PARAGRAPHS = [
    f"Absatz {n}: Die Kommission prüfte im Jahr {1900 + n} den Abschnitt {n} der Strecke. "
    + "Sie fand dort Schienen, Schwellen und Signale in gutem Zustand vor. " * 5
    for n in range(300)
]


@pytest.fixture(scope="module")
def long_content(tmp_path_factory):
    """One document of 300 paragraphs (some 120 KB), a passage each."""
    data = tmp_path_factory.mktemp("long") / "data"
    write_file(data / "chronik.md", "# Chronik\n\n" + "\n\n".join(PARAGRAPHS) + "\n")
    build(data, data.parent / "index", embedder=FakeEmbedder())
    return load_index(data.parent / "index")


@pytest.fixture(scope="module")
def long_client(long_content):
    server = FastAPI()
    server.include_router(source_routes(lambda: long_content))
    return TestClient(server)


def shown_paragraphs(page):
    return [int(n) for n in re.findall(r"Absatz (\d+):", page)]


def test_a_long_documents_page_shows_the_cited_passage_and_its_neighbours(
    long_content, long_client
):
    """Before: the whole document (here 120 KB; 1.14 MB for a 1.1 MB one) on every page."""
    cited = next(p for p in passages_of(long_content, "chronik.md") if "Absatz 150:" in p.text)
    response = get(long_client, source_link(hit_of(cited, quoted=(cited.sentences[0],))))
    assert response.status_code == 200
    page = response.text
    assert len(page) < MAX_PAGE_CHARS + 6_000  # the text, its markup and the page around it
    assert page.count(f'id="passage-{cited.passage_id}"') == 1
    assert marked(page) == [cited.text[slice(*cited.sentences[0])]]
    shown = shown_paragraphs(page)
    assert 150 in shown and shown == list(range(shown[0], shown[-1] + 1)) and len(shown) > 3
    links = {a["rel"]: a["href"] for tag, a in Elements(page).tags if tag == "a" and "rel" in a}
    assert set(links) == {"prev", "next"}
    assert "Vorheriger Abschnitt" in page and "Nächster Abschnitt" in page
    onward = get(
        long_client, urljoin(f"http://testserver/{source_link(hit_of(cited))}", links["next"])
    )
    assert shown_paragraphs(onward.text)[0] == shown[-1] + 1
    assert "<mark>" not in onward.text  # the citation is marked on its own page only


@pytest.mark.parametrize("rel", ["next", "prev"])
def test_the_page_links_reach_every_passage_in_order(long_content, long_client, rel):
    link = source_link(hit_of(passages_of(long_content, "chronik.md")[0]))
    url = urljoin("http://testserver/", link)
    if rel == "prev":  # start from the last page
        url = urljoin(url, f"?ab={len(passages_of(long_content, 'chronik.md')) - 1}")
    seen = []
    while url:
        page = long_client.get(url.split("#")[0]).text
        seen.append(shown_paragraphs(page))
        links = {a["rel"]: a["href"] for tag, a in Elements(page).tags if tag == "a" and "rel" in a}
        url = urljoin(url, html.unescape(links[rel])) if rel in links else ""
    pages = seen if rel == "next" else seen[::-1]
    assert all(shown == list(range(shown[0], shown[-1] + 1)) for shown in pages)
    assert [shown[0] for shown in pages] == sorted({shown[0] for shown in pages})
    assert sorted({n for shown in pages for n in shown}) == list(range(300))


@pytest.mark.parametrize(("ab", "status"), [("x", 400), ("-1", 400), ("1" * 10, 400), ("300", 404)])
def test_a_page_position_that_is_no_number_or_beyond_the_document_is_refused(
    long_content, long_client, ab, status
):
    link = source_link(hit_of(passages_of(long_content, "chronik.md")[0])).split("?")[0]
    assert get(long_client, f"{link}?ab={ab}").status_code == status
