"""Building, persisting and loading the index, with the fake embedder."""

import json

import numpy as np
import pytest

import index.store
from conftest import OLDER_PARTS, as_if_older
from index import (
    BlockKind,
    ChunkSettings,
    FaqbotError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    NoPassagesError,
    VectorSettings,
    build,
    load_index,
)
from index.embedding import Role
from index.search import SearchIndex
from index.vectors import build_vector_index, search_vectors


@pytest.fixture
def out(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def built(small_corpus, out, fake_embedder):
    manifest = build(small_corpus, out, embedder=fake_embedder)
    return manifest, load_index(out, fake_embedder.name)


def leftovers(out):
    return sorted(p.name for p in out.parent.iterdir() if ".building-" in p.name)


def test_build_persists_everything_the_manifest_promises(built, fake_embedder):
    manifest, loaded = built
    assert (manifest.documents, manifest.faq_entries) == (3, 5)
    assert manifest.passages == len(loaded.passages) == loaded.vectors.ntotal
    assert (manifest.model, manifest.dimension) == (fake_embedder.name, 64)
    distinct_texts = set(fake_embedder.embedded)
    assert len(fake_embedder.embedded) == len(distinct_texts) == manifest.embedded
    assert manifest.reused == 0
    assert {r.doc_id for r in manifest.sources} == {"nato.txt", "bahn.md", "wetter-1"}
    assert loaded.manifest == manifest
    question_rows = loaded.question_rows
    assert [loaded.passages[row].kind for row in question_rows] == [BlockKind.FAQ] * 5
    questions = [loaded.passages[row].question for row in question_rows]
    expected = fake_embedder.embed(questions, Role.DOCUMENT)
    np.testing.assert_allclose(loaded.question_embeddings, expected, atol=1e-6)
    assert set(fake_embedder.roles) == {Role.DOCUMENT}  # queries are only what users ask
    offsets = loaded.sentence_offsets
    for row in (0, len(loaded.passages) - 1):
        passage = loaded.passages[row]
        sentences = [passage.text[s:e] for s, e in passage.sentences]
        np.testing.assert_allclose(
            loaded.sentence_embeddings[offsets[row] : offsets[row + 1]],
            fake_embedder.embed(sentences, Role.DOCUMENT),
            atol=1e-6,
        )


def test_passage_vectors_pool_context_and_sentences_by_length(built, fake_embedder):
    _, loaded = built
    for row in (0, len(loaded.passages) // 2, len(loaded.passages) - 1):
        passage = loaded.passages[row]
        parts = [passage.context] + [passage.text[s:e] for s, e in passage.sentences]
        weights = np.array([len(part) for part in parts], dtype=np.float32)
        pooled = weights @ fake_embedder.embed(parts, Role.DOCUMENT)
        np.testing.assert_allclose(
            loaded.embeddings[row], pooled / np.linalg.norm(pooled), atol=1e-5
        )


def test_rebuild_of_unchanged_documents_embeds_nothing(small_corpus, out, built, fake_embedder):
    fake_embedder.embedded.clear()
    manifest = build(small_corpus, out, embedder=fake_embedder)
    assert fake_embedder.embedded == []
    assert manifest.embedded == 0 and manifest.reused > manifest.passages + manifest.faq_entries


def test_changing_one_document_embeds_only_its_passages(small_corpus, out, built, fake_embedder):
    (small_corpus / "bahn.md").write_text(
        "# Bahnreform 2027\n\nDie Bahn plant neue Strecken zwischen Köln und Bonn.\n",
        encoding="utf-8",
    )
    fake_embedder.embedded.clear()
    manifest = build(small_corpus, out, embedder=fake_embedder)
    (changed,) = [p for p in load_index(out).passages if p.doc_id == "bahn.md"]
    # Only its one new sentence: its heading is unchanged, and passage vectors are pooled.
    assert fake_embedder.embedded == [changed.text]
    assert manifest.embedded == 1


def test_an_index_built_with_another_model_is_refused_with_a_rebuild_hint(built, out):
    with pytest.raises(IndexMismatchError, match=r"python -m index build --model other-model"):
        load_index(out, "other-model")


def test_an_index_of_another_format_version_is_refused(built, out):
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format_version": 999}))
    with pytest.raises(IndexMismatchError, match=r"format version 999.*python -m index build"):
        load_index(out)


@pytest.mark.parametrize("part", OLDER_PARTS)
def test_an_index_an_older_faqbot_built_is_refused_but_its_rebuild_embeds_nothing(
    small_corpus, out, built, fake_embedder, part
):
    as_if_older(out, part)
    with pytest.raises(IndexMismatchError, match=rf"{OLDER_PARTS[part]}.*python -m index build"):
        load_index(out)
    fake_embedder.embedded.clear()
    manifest = build(small_corpus, out, embedder=fake_embedder)
    assert fake_embedder.embedded == []  # the passage vectors are the model's alone
    assert manifest.embedded == 0 and load_index(out).manifest == manifest


def test_missing_index_is_a_clear_error(out):
    with pytest.raises(IndexMissingError, match="python -m index build"):
        load_index(out)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda d: (d / "passages.faiss").write_bytes((d / "passages.faiss").read_bytes()[:100]),
            "bytes",
        ),
        (lambda d: (d / "bm25" / "vocab.index.json").unlink(), "missing"),
        (lambda d: (d / "passages.jsonl").write_text(""), "bytes"),
        (lambda d: (d / "manifest.json").write_text("{"), "unreadable"),
        (lambda d: (d / "words.npy").write_bytes((d / "words.npy").read_bytes()[:100]), "bytes"),
    ],
)
def test_damaged_index_files_are_detected(built, out, damage, message):
    damage(out.resolve())
    with pytest.raises(IndexCorruptError, match=message):
        load_index(out)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (lambda words: words[1:], "words but"),
        (lambda words: {"nicht": "eine Liste"}, "list of words"),
    ],
)
def test_word_vectors_that_disagree_with_their_words_are_detected(built, out, words, message):
    directory = out.resolve()
    path = directory / "words.json"
    path.write_text(json.dumps(words(json.loads(path.read_text()))))
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["words.json"] = path.stat().st_size
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match=message):
        load_index(out)


def test_a_passage_count_that_disagrees_is_detected(built, out):
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "passages": data["passages"] + 1}))
    with pytest.raises(IndexCorruptError, match="counts"):
        load_index(out)


def test_a_failed_build_leaves_the_index_in_use_intact(
    small_corpus, out, built, fake_embedder, monkeypatch
):
    _, before = built
    (small_corpus / "neu.txt").write_text("Titel\n\nEin neuer Absatz über Wale.", encoding="utf-8")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.store, "write_vector_index", disk_full)
    with pytest.raises(FaqbotError, match=r"cannot write the index to .*: No space"):
        build(small_corpus, out, embedder=fake_embedder)
    after = load_index(out)
    assert after.passages == before.passages and after.manifest == before.manifest
    assert leftovers(out) == []


def test_a_build_replaces_the_old_version_and_cleans_up(small_corpus, out, built, fake_embedder):
    first_target = out.resolve()
    (small_corpus / "neu.txt").write_text("Titel\n\nEin neuer Absatz über Wale.", encoding="utf-8")
    (out.parent / ".index.building-killed").mkdir()  # what a killed build leaves behind
    manifest = build(small_corpus, out, embedder=fake_embedder)
    assert manifest.documents == 4
    assert not first_target.exists()
    assert leftovers(out) == []
    assert any("Wale" in p.text for p in load_index(out).passages)


def test_zero_passages_fail_with_a_clear_error(tmp_path, out, fake_embedder):
    data = tmp_path / "data"
    data.mkdir()
    (data / "leer.txt").write_text("")
    with pytest.raises(NoPassagesError, match=r"leer\.txt: empty file"):
        build(data, out, embedder=fake_embedder)
    assert not out.exists()


def test_an_existing_foreign_directory_is_not_overwritten(small_corpus, out, fake_embedder):
    out.mkdir()
    (out / "wichtig.txt").write_text("nicht löschen")
    with pytest.raises(FaqbotError, match="not an index link"):
        build(small_corpus, out, embedder=fake_embedder)
    assert (out / "wichtig.txt").read_text() == "nicht löschen"


@pytest.mark.parametrize("approximate_above", [10_000, 0], ids=["exact", "hnsw"])
def test_faiss_matches_brute_force_numpy(approximate_above):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(400, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vector_index = build_vector_index(vectors, VectorSettings(approximate_above=approximate_above))
    for query in rng.normal(size=(20, 32)).astype(np.float32):
        query /= np.linalg.norm(query)
        scores, rows = search_vectors(vector_index, query, 10)
        oracle = np.argsort(-(vectors @ query))[:10]
        assert rows.tolist() == oracle.tolist()
        np.testing.assert_allclose(scores, (vectors @ query)[oracle], rtol=1e-5)


def test_built_index_searches_like_brute_force(built, fake_embedder):
    _, loaded = built
    query = fake_embedder.embed(["Was ist Arctic Sentry?"], Role.QUERY)[0]
    _, rows = SearchIndex(loaded).dense_search(query, 5)
    oracle = np.argsort(-(loaded.embeddings @ query))[:5]
    assert rows.tolist() == oracle.tolist()


def test_chunk_settings_are_recorded_and_applied(small_corpus, out, fake_embedder):
    manifest = build(
        small_corpus, out, embedder=fake_embedder, chunking=ChunkSettings(max_chars=150)
    )
    assert manifest.chunking == ChunkSettings(max_chars=150)
    assert all(
        len(p.text) <= 150 or len(p.sentences) == 1
        for p in load_index(out).passages
        if p.kind is BlockKind.TEXT
    )
