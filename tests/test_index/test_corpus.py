"""Loaders by file type, on small synthetic files, bad ones included."""

import json
from pathlib import Path

import pytest

from conftest import write_file
from index.corpus import DataDirError, load_corpus
from index.documents import BlockKind


def write(directory: Path, name: str, content: str | bytes) -> Path:
    return write_file(directory / name, content)


def only_document(directory: Path):
    corpus = load_corpus(directory)
    assert len(corpus.documents) == 1, corpus
    return corpus.documents[0]


def test_every_block_quotes_its_document_verbatim(small_corpus):
    corpus = load_corpus(small_corpus)
    assert {d.doc_id for d in corpus.documents} == {"nato.txt", "bahn.md", "wetter-1"}
    for document in corpus.documents:
        for block in document.blocks:
            assert document.text[block.start : block.end] == block.text


def test_markdown_headings_sections_lists_and_faq(tmp_path):
    write(
        tmp_path,
        "guide.md",
        "# Reiseführer\n\nEinleitung zum **Thema**.\n\n## Anreise\n\nSo kommen Sie hin:\n\n"
        "- mit dem Zug\n- mit dem Auto\n\n## Häufige Fragen\n\n### Gibt es Parkplätze?\n\n"
        "Ja, am Bahnhof.\n\n### Ist der Eintritt frei?\n\nNein, er kostet 5 Euro.\n",
    )
    document = only_document(tmp_path)
    assert document.title == "Reiseführer"
    blocks = [(b.kind, b.section, b.question, b.text) for b in document.blocks]
    assert blocks == [
        (BlockKind.TEXT, "Reiseführer", "", "Einleitung zum **Thema**."),
        (BlockKind.TEXT, "Anreise", "", "So kommen Sie hin:\n\n- mit dem Zug\n- mit dem Auto"),
        (BlockKind.FAQ, "Häufige Fragen", "Gibt es Parkplätze?", "Ja, am Bahnhof."),
        (BlockKind.FAQ, "Häufige Fragen", "Ist der Eintritt frei?", "Nein, er kostet 5 Euro."),
    ]


def test_html_keeps_article_text_and_drops_scripts_styles_navigation(tmp_path):
    write(
        tmp_path,
        "seite.html",
        "<html><head><title>Hafen Hamburg</title><style>p{color:red}</style></head><body>"
        "<nav><a href='/'>Startseite</a> <a href='/x'>Politik</a></nav>"
        "<div class='share-buttons'>Facebook X LinkedIn</div>"
        "<article><h1>Hafen Hamburg</h1><p>Der Hafen wächst <b>stark</b>.<br>Jedes Jahr.</p>"
        "<script>alert('x')</script><h2>Zahlen</h2><ul><li>8 Mio. Container</li>"
        "<li>3 Terminals</li></ul><h2>FAQ</h2><dl><dt>Wie groß ist der Hafen?</dt>"
        "<dd>Er ist der größte Hafen Deutschlands.</dd></dl></article>"
        "<footer>Impressum</footer></body></html>",
    )
    document = only_document(tmp_path)
    assert document.title == "Hafen Hamburg"
    for dropped in ("alert", "color:red", "Startseite", "Impressum", "LinkedIn"):
        assert dropped not in document.text
    blocks = [(b.kind, b.section, b.question, b.text) for b in document.blocks]
    assert blocks == [
        (BlockKind.TEXT, "Hafen Hamburg", "", "Der Hafen wächst stark. Jedes Jahr."),
        (BlockKind.TEXT, "Zahlen", "", "8 Mio. Container\n\n3 Terminals"),
        (BlockKind.FAQ, "FAQ", "Wie groß ist der Hafen?", "Er ist der größte Hafen Deutschlands."),
    ]


def test_jsonl_documents_faq_lines_and_a_malformed_line(tmp_path):
    lines = [
        json.dumps(
            {"id": "a1", "title": "Rhein", "text": "Der Rhein ist lang.", "url": "https://x"}
        ),
        json.dumps({"title": "Ohne Id", "text": "Ein Text ohne Kennung."}),
        "{kaputt",
        json.dumps({"question": "Wie lang ist der Rhein?", "answer": "Etwa 1.230 km."}),
        json.dumps({"foo": 1}),
        json.dumps(["keine", "Zeile"]),
    ]
    write(tmp_path, "mix.jsonl", "\n".join(lines) + "\n")
    corpus = load_corpus(tmp_path)
    by_id = {d.doc_id: d for d in corpus.documents}
    assert set(by_id) == {"a1", "mix.jsonl#2", "mix.jsonl"}
    assert by_id["a1"].url == "https://x" and by_id["a1"].source == "mix.jsonl"
    assert by_id["mix.jsonl#2"].title == "Ohne Id"
    faq = by_id["mix.jsonl"].blocks
    assert [(b.kind, b.question, b.text) for b in faq] == [
        (BlockKind.FAQ, "Wie lang ist der Rhein?", "Etwa 1.230 km.")
    ]
    assert [(s.source, s.line) for s in corpus.skipped] == [
        ("mix.jsonl", 3),
        ("mix.jsonl", 5),
        ("mix.jsonl", 6),
    ]
    assert "malformed JSON" in corpus.skipped[0].reason


def test_csv_faq_and_malformed_rows(tmp_path):
    write(
        tmp_path,
        "faq.csv",
        'Frage,Antwort\n"Wann öffnet das Amt?","Um 8 Uhr, werktags."\nnur eine Spalte\n'
        ',"Antwort ohne Frage"\n"Wo ist das Amt?","Am Markt 1."\n',
    )
    corpus = load_corpus(tmp_path)
    (document,) = corpus.documents
    assert [(b.question, b.text) for b in document.blocks] == [
        ("Wann öffnet das Amt?", "Um 8 Uhr, werktags."),
        ("Wo ist das Amt?", "Am Markt 1."),
    ]
    assert [(s.line, s.reason) for s in corpus.skipped] == [
        (3, "row has 1 fields, the header 2"),
        (4, "empty question or answer"),
    ]


def test_csv_without_question_answer_columns_is_skipped(tmp_path):
    write(tmp_path, "faq.csv", "a,b\n1,2\n")
    corpus = load_corpus(tmp_path)
    assert corpus.documents == ()
    assert "header needs a column" in corpus.skipped[0].reason


@pytest.mark.parametrize(
    ("name", "content", "reason", "line"),
    [
        ("leer.txt", "  \n\n", "empty file", None),
        (
            "latin1.txt",
            "Zeile eins\nGr\xfc\xdfe aus K\xf6ln\n".encode("latin-1"),
            "not valid UTF-8",
            2,
        ),
        ("bild.png", b"\x89PNG", "unsupported file type", None),
        ("nur-titel.txt", "Nur eine Überschrift", "no text to index", None),
    ],
)
def test_bad_files_are_reported_and_the_rest_is_indexed(
    tmp_path, small_corpus, name, content, reason, line
):
    write(small_corpus, name, content)
    corpus = load_corpus(small_corpus)
    assert len(corpus.documents) == 3
    (skipped,) = corpus.skipped
    assert skipped.source == name and reason in skipped.reason and skipped.line == line


def test_unreadable_file_is_reported(small_corpus):
    (small_corpus / "weg.txt").symlink_to(small_corpus / "gibt-es-nicht.txt")
    corpus = load_corpus(small_corpus)
    assert len(corpus.documents) == 3
    assert [(s.source, s.reason.split(" (")[0]) for s in corpus.skipped] == [
        ("weg.txt", "unreadable")
    ]


def test_hidden_files_and_duplicate_ids_are_reported(small_corpus):
    write(small_corpus, ".DS_Store", "x")
    write(small_corpus, "zweites.jsonl", json.dumps({"id": "wetter-1", "text": "Doppelt."}))
    corpus = load_corpus(small_corpus)
    assert len(corpus.documents) == 3
    reasons = sorted(s.reason for s in corpus.skipped)
    assert reasons == ["duplicate document id 'wetter-1' (wetter.jsonl)", "hidden file"]


def test_missing_data_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DataDirError, match="does not exist"):
        load_corpus(tmp_path / "nirgends")
