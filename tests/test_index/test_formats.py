"""PDF, Word and web pages through the whole build: the seed article made into a PDF by
chromium and into a Word file by pandoc (`tests/documents/make.py`) indexes like its text,
a citation from a PDF names its page and one from a web page links to the page."""

import json
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot import Bot
from conftest import REPO, SEED, write_file
from index import build
from index.corpus import load_corpus
from index.documents import BlockKind
from index.passages import ChunkSettings, split_corpus
from web.chat_messages import sources_html
from web.sources import source_label, source_page

DOCUMENTS = REPO / "tests" / "documents"
MADE_FROM_THE_SEED = ["seed.pdf", "two-columns.pdf", "seed.docx"]


def _corpus_of(tmp_path: Path, *files: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy(file, data / file.name)
    return data


def _passages(data: Path):
    corpus = load_corpus(data)
    return corpus, split_corpus(corpus, ChunkSettings()).passages


def _compared(passages) -> list[tuple[BlockKind, str, str, str]]:
    return [(p.kind, p.section, p.question, " ".join(p.text.split())) for p in passages]


@pytest.mark.parametrize("name", MADE_FROM_THE_SEED)
def test_the_seed_as_pdf_or_word_indexes_like_its_text(tmp_path, name):
    _, from_text = _passages(_corpus_of(tmp_path / "text", SEED))
    corpus, from_file = _passages(_corpus_of(tmp_path / "file", DOCUMENTS / name))
    assert corpus.skipped == ()
    assert _compared(from_file) == _compared(from_text)
    assert sum(p.kind is BlockKind.FAQ for p in from_file) == 5
    assert {p.title for p in from_file} == {p.title for p in from_text}


def test_pdf_passages_know_their_pages(tmp_path):
    corpus, passages = _passages(_corpus_of(tmp_path, DOCUMENTS / "seed.pdf"))
    pages = [(p.first_page, p.last_page) for p in passages]
    assert pages[0] == (1, 1)
    assert all(1 <= first <= last for first, last in pages)
    assert [first for first, _ in pages] == sorted(first for first, _ in pages)
    assert pages[-1][1] == len(corpus.documents[0].page_starts) >= 3
    by_question = {p.question: p for p in passages if p.question}
    assert by_question["Was ist Arctic Sentry?"].first_page == pages[-1][1]


@pytest.fixture
def pdf_bot(tmp_path, fake_embedder, fake_settings) -> Bot:
    data = _corpus_of(tmp_path, DOCUMENTS / "seed.pdf")
    build(data, tmp_path / "index", embedder=fake_embedder)
    return Bot.load(tmp_path / "index", embedder=fake_embedder, settings=fake_settings)


def test_a_citation_from_a_pdf_names_its_page(pdf_bot):
    reply = pdf_bot.answer("Was ist Arctic Sentry?")
    assert reply.answered and reply.citations
    cited = reply.citations[0]
    assert cited.first_page >= 3
    assert source_label(cited).endswith(f"S. {cited.first_page}")
    assert f"S. {cited.first_page}</a>" in sources_html(reply.citations)


def test_the_source_page_of_a_pdf_marks_where_each_page_begins(pdf_bot):
    reply = pdf_bot.answer("Was ist Arctic Sentry?")
    cited = reply.citations[0]
    page = source_page(pdf_bot.content, cited.doc_id, cited.passage_id, cited.quoted)
    marks = [int(n) for n in re.findall(r'<p class="seite">S\. (\d+)</p>', page)]
    # The page shows the cited section and its neighbours: consecutive pages around it.
    assert marks == list(range(marks[0], marks[0] + len(marks))) and cited.first_page in marks
    before_quote = page[: page.index('class="stelle ziel')]
    assert re.findall(r'class="seite">S\. (\d+)<', before_quote)[-1] == str(cited.first_page)


# ---------------------------------------------------------------- web pages

NEWS_PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Kantine am Hafen: neue Öffnungszeiten | Werkszeitung</title></head><body>
<header><nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav></header>
<div class="cookie-banner">Wir verwenden Cookies. <button>Akzeptieren</button></div>
<main><article>
<h1>Kantine am Hafen: neue Öffnungszeiten</h1>
<p>Die Kantine am Hafen öffnet ab dem 1. März bereits um 7 Uhr. Das Frühstück kostet
künftig 3,50 Euro, das Mittagessen bleibt bei 5,20 Euro.</p>
<p>Der Betriebsrat hatte längere Öffnungszeiten seit dem Herbst gefordert, weil die
Frühschicht bisher ohne warmes Frühstück auskommen musste.</p>
<h2>Häufige Fragen</h2>
<h3>Kann ich mit Karte zahlen?</h3>
<p>Ja, die Kantine nimmt den Werksausweis und alle gängigen Bankkarten an.</p>
<h3>Gibt es vegetarische Gerichte?</h3>
<p>Jeden Tag steht mindestens ein vegetarisches Gericht auf dem Speiseplan.</p>
</article></main>
<aside class="related"><h2>Das könnte Sie auch interessieren</h2>
<ul><li><a href="/a">Neue Parkplätze am Tor 3</a></li></ul></aside>
<footer>© Werkszeitung · Impressum · Datenschutz</footer>
</body></html>"""


class _Pages(BaseHTTPRequestHandler):
    served: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        page = self.served.get(self.path)
        body = (page or "nicht gefunden").encode("utf-8")
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """A web server on 127.0.0.1 with one news page (`/kantine`); anything else is a 404.
    The test may change the page in `_Pages.served`."""
    _Pages.served = {"/kantine": NEWS_PAGE}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_listed_web_pages_are_fetched_and_cited_with_their_address(
    tmp_path, site, fake_embedder, fake_settings
):
    data = tmp_path / "data"
    write_file(data / "urls.txt", f"# Seiten der Werkszeitung\n{site}/kantine\n\n{site}/fehlt\n")
    manifest = build(data, tmp_path / "index", embedder=fake_embedder)
    assert manifest.documents == 1 and manifest.faq_entries == 2
    assert [(s.source, s.line) for s in manifest.skipped] == [("urls.txt", 4)]
    assert "404" in manifest.skipped[0].reason
    bot = Bot.load(tmp_path / "index", embedder=fake_embedder, settings=fake_settings)
    reply = bot.answer("Kann ich in der Kantine mit Karte zahlen?")
    assert reply.answered, reply.text
    cited = reply.citations[0]
    assert (cited.doc_id, cited.url) == (f"{site}/kantine", f"{site}/kantine")
    assert f'href="{site}/kantine"' in sources_html(reply.citations)
    texts = " ".join(h.text for h in reply.citations)
    assert "Cookies" not in texts and "Parkplätze" not in texts
    page = source_page(bot.content, cited.doc_id, cited.passage_id, cited.quoted)
    assert "Webseite: 127.0.0.1" in page and f'href="{site}/kantine"' in page


def test_a_rebuild_fetches_again_and_embeds_only_what_changed(tmp_path, site, fake_embedder):
    data = tmp_path / "data"
    write_file(data / "urls.txt", f"{site}/kantine\n")
    build(data, tmp_path / "index", embedder=fake_embedder)
    changed = "Jeden Tag steht mindestens ein veganes Gericht auf dem Speiseplan."
    _Pages.served["/kantine"] = NEWS_PAGE.replace(
        "Jeden Tag steht mindestens ein vegetarisches Gericht auf dem Speiseplan.", changed
    )
    fake_embedder.embedded.clear()
    manifest = build(data, tmp_path / "index", embedder=fake_embedder)
    assert changed in fake_embedder.embedded
    assert manifest.embedded <= 2 < manifest.reused, fake_embedder.embedded


# ---------------------------------------------------------------- with the real model

SEED_QUESTIONS = json.loads((REPO / "tests" / "data" / "seed_questions.json").read_text())


def _seed_score(bot: Bot) -> tuple[list[str], list[str]]:
    """The seed set's in-scope questions answered with their fact, and the out-of-scope
    ones declined."""
    found = [
        item["question"]
        for item in SEED_QUESTIONS["in_scope"]
        if any(fact in bot.answer(item["question"]).text for fact in item["expected"])
    ]
    declined = [q for q in SEED_QUESTIONS["out_of_scope"] if not bot.answer(q).answered]
    return found, declined


@pytest.fixture(scope="module")
def seed_text_score(seed_index, real_embedder) -> tuple[list[str], list[str]]:
    return _seed_score(Bot.load(seed_index, embedder=real_embedder))


@pytest.mark.model
@pytest.mark.parametrize("name", ["seed.pdf", "seed.docx"])
def test_the_seed_questions_score_the_same_from_pdf_and_word(
    tmp_path, name, real_embedder, seed_text_score
):
    data = _corpus_of(tmp_path, DOCUMENTS / name)
    build(data, tmp_path / "index", embedder=real_embedder)
    assert _seed_score(Bot.load(tmp_path / "index", embedder=real_embedder)) == seed_text_score
