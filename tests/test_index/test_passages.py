"""Passages: verbatim, traceable, sentence-aligned, with stable content-hash ids."""

from dataclasses import replace
from itertools import pairwise

import pytest

from index.corpus import load_corpus
from index.documents import Block, BlockKind, Document
from index.passages import ChunkSettings, sentence_windows, split_document


def spans(lengths: list[int]) -> tuple[tuple[int, int], ...]:
    """Sentences of the given lengths, one space apart."""
    result, position = [], 0
    for length in lengths:
        result.append((position, position + length))
        position += length + 1
    return tuple(result)


@pytest.mark.parametrize(
    ("lengths", "max_chars", "overlap", "expected"),
    [
        ([100, 100, 100], 1000, 1, [(0, 3)]),
        ([100, 100, 100, 100], 210, 1, [(0, 2), (1, 3), (2, 4)]),
        ([100, 100, 100, 100], 210, 0, [(0, 2), (2, 4)]),
        ([500, 100, 100], 210, 1, [(0, 1), (1, 3)]),  # a long sentence stands alone, uncut
        ([100, 100, 100], 50, 1, [(0, 1), (1, 2), (2, 3)]),
        ([100, 100, 100, 100, 100], 320, 2, [(0, 3), (1, 4), (2, 5)]),
    ],
)
def test_sentence_windows(lengths, max_chars, overlap, expected):
    settings = ChunkSettings(max_chars=max_chars, overlap_sentences=overlap)
    assert sentence_windows(spans(lengths), settings) == expected


@pytest.mark.parametrize("settings", [ChunkSettings(), ChunkSettings(max_chars=200)])
def test_passages_quote_their_document_and_sentences_their_passage(small_corpus, settings):
    for document in load_corpus(small_corpus).documents:
        for passage in split_document(document, settings).passages:
            assert document.text[passage.start : passage.end] == passage.text
            assert passage.sentences[0][0] == 0 and passage.sentences[-1][1] == len(passage.text)
            assert all(passage.text[s:e].strip() == passage.text[s:e] for s, e in passage.sentences)
            assert (passage.doc_id, passage.source, passage.title) == (
                document.doc_id,
                document.source,
                document.title,
            )


def test_long_paragraph_is_split_by_sentences_with_overlap():
    sentences = [f"Satz Nummer {n} erzählt etwas über das Thema Bahnreform." for n in range(12)]
    text = " ".join(sentences)
    block = Block(BlockKind.TEXT, text, 0, len(text), section="Reform")
    document = Document("d", "d.txt", "Titel", text, (block,), "h")
    passages = split_document(document, ChunkSettings(max_chars=200, overlap_sentences=1)).passages
    assert len(passages) > 3
    for before, after in pairwise(passages):
        assert len(before.text) <= 200
        last_sentence = before.text[before.sentences[-1][0] :]
        assert after.text.startswith(last_sentence)
    assert {p.section for p in passages} == {"Reform"}


def test_every_passage_carries_its_heading_for_retrieval_and_citation(small_corpus):
    document = next(d for d in load_corpus(small_corpus).documents if d.doc_id == "nato.txt")
    passages = split_document(document, ChunkSettings()).passages
    arctic = [p for p in passages if "Joint Force Command Norfolk" in p.text]
    assert [p.section for p in arctic] == ["Arctic Sentry: Eine neue strategische Mission"]
    assert arctic[0].search_text.startswith(document.title + "\nArctic Sentry: Eine neue")
    faq = [p for p in passages if p.kind is BlockKind.FAQ]
    assert len(faq) == 5
    assert all(p.question and p.question in p.search_text for p in faq)


def test_ids_are_stable_content_hashes_and_unique(small_corpus):
    documents = load_corpus(small_corpus).documents
    first = [p.passage_id for d in documents for p in split_document(d, ChunkSettings()).passages]
    again = [
        p.passage_id
        for d in load_corpus(small_corpus).documents
        for p in split_document(d, ChunkSettings()).passages
    ]
    assert first == again
    assert len(set(first)) == len(first)


def test_identical_paragraphs_get_distinct_ids():
    text = "Gleicher Absatz.\n\nGleicher Absatz."
    blocks = (
        Block(BlockKind.TEXT, "Gleicher Absatz.", 0, 16, "S"),
        Block(BlockKind.TEXT, "Gleicher Absatz.", 18, 34, "S"),
    )
    document = Document("d", "d.txt", "T", text, blocks, "h")
    first, second = split_document(document, ChunkSettings()).passages
    assert first.passage_id != second.passage_id
    assert replace(first, passage_id="", start=0, end=0) == replace(
        second, passage_id="", start=0, end=0
    )
