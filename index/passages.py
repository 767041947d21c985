"""Split documents into passages: by section and paragraph, then by sentences.

A passage is the unit that is retrieved, quoted and cited; it carries everything a
citation needs (document, source, section, offsets) and its sentence boundaries, so that
answers can quote single sentences without splitting again at question time.

Content that occurs more than once in the corpus is indexed once (see `_FirstSeen`).
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from index.corpus import progress_bar
from index.documents import (
    Block,
    BlockKind,
    Capped,
    Corpus,
    Document,
    Skipped,
    capped_report,
    content_hash,
    described,
    shortened,
)
from index.sentences import Span, sentences


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    """How long a passage may grow, and how many sentences neighbouring windows share."""

    max_chars: int = 1000
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be positive, got {self.max_chars}")
        if self.overlap_sentences < 0:
            raise ValueError(f"overlap_sentences must be 0 or more, got {self.overlap_sentences}")


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrievable, citable piece of a document.

    `start`/`end` locate `text` in its document's text; `sentences` are spans within `text`.
    An FAQ entry is a passage whose `question` is set and whose text is the answer.
    """

    passage_id: str
    doc_id: str
    source: str
    title: str
    section: str
    kind: BlockKind
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]
    question: str = ""
    url: str = ""
    first_page: int = 0
    """The page where the passage begins and where it ends (PDF); 0 without pages."""
    last_page: int = 0

    @property
    def context(self) -> str:
        """The title and heading (and an FAQ entry's question): what the text is about."""
        headings = (self.title, self.section) if self.title != self.section else (self.section,)
        return "\n".join(part for part in (*headings, self.question) if part)

    @property
    def search_text(self) -> str:
        """What retrieval sees: the text in its context."""
        return "\n".join(part for part in (self.context, self.text) if part)


def sentence_windows(sentences: tuple[Span, ...], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Consecutive runs of sentences (as index ranges) of at most `max_chars` each.

    Each run after the first repeats the last `overlap_sentences` of the one before, so that
    no sentence loses its neighbour; a sentence longer than the limit stands alone (it is at
    most `limits.MAX_SENTENCE_CHARS` long).
    """
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first + 1
        while (
            last < len(sentences) and sentences[last][1] - sentences[first][0] <= settings.max_chars
        ):
            last += 1
        windows.append((first, last))
        if last == len(sentences):
            break
        first = max(first + 1, last - settings.overlap_sentences)
    return windows


@dataclass(frozen=True, slots=True)
class Split:
    """A document's passages, and what the caps of `index.limits` changed to make them."""

    passages: tuple[Passage, ...]
    capped: tuple[Capped, ...] = ()


def _block_passages(document: Document, block: Block, settings: ChunkSettings) -> Split:
    found = sentences(block.text, block.hard_breaks)
    spans = found.spans
    if len(block.text) <= settings.max_chars:
        windows = [(0, len(spans))]
    else:
        windows = sentence_windows(spans, settings)
    passages = []
    for first, last in windows:
        begin, finish = spans[first][0], spans[last - 1][1]
        if first == 0 and last == len(spans):
            begin, finish = 0, len(block.text)
        text = block.text[begin:finish]
        passages.append(
            Passage(
                passage_id="",
                doc_id=document.doc_id,
                source=document.source,
                title=document.title,
                section=block.section,
                kind=block.kind,
                text=text,
                start=block.start + begin,
                end=block.start + finish,
                sentences=tuple((s - begin, e - begin) for s, e in spans[first:last]),
                question=block.question,
                url=document.url,
                first_page=document.page_at(block.start + begin),
                last_page=document.page_at(block.start + finish - 1),
            )
        )
    return Split(tuple(passages), found.capped)


def split_document(
    document: Document, settings: ChunkSettings, advance: Callable[[int], object] | None = None
) -> Split:
    """The passages of one document, each with an id derived from its content.

    Identical passages within a document get an occurrence number, so ids stay unique.
    `advance` is told the length of each block split, for a progress bar.
    """
    passages: list[Passage] = []
    capped: list[Capped] = []
    for block in document.blocks:
        split = _block_passages(document, block, settings)
        passages.extend(split.passages)
        capped.extend(split.capped)
        if advance is not None:
            advance(len(block.text))
    seen: Counter[str] = Counter()
    identified = []
    for passage in passages:
        base = content_hash(passage.doc_id, passage.search_text)
        seen[base] += 1
        passage_id = base if seen[base] == 1 else content_hash(base, str(seen[base]))
        identified.append(replace(passage, passage_id=passage_id))
    return Split(tuple(identified), tuple(capped))


def _normalized(text: str) -> str:
    return " ".join(text.split())


@dataclass(slots=True)
class _Duplicates:
    """How many FAQ entries (or other blocks) of one file were dropped as duplicates, and
    where the first of them was seen before."""

    count: int = 0
    first: str = ""


@dataclass(slots=True)
class _FirstSeen:
    """The blocks indexed so far, by content, to index each only once.

    An FAQ entry is a duplicate if its question and answer are (white space aside) those of
    an entry seen before, wherever it stood: a question asked twice gets one answer. Any other
    block is one if its kind, document title, section and text are: exactly what makes two
    passages' `search_text` equal, so retrieval could not tell them apart anyway, while the
    same paragraph under another title or heading is kept, as it means something else there.
    """

    first: dict[str, str] = field(default_factory=dict)
    """Where each content was seen first, by the hash of its content."""
    duplicates: dict[tuple[str, bool], _Duplicates] = field(default_factory=dict)
    """By file, and whether they are FAQ entries."""

    def unique(self, document: Document) -> Document:
        """`document` without the blocks seen before (in it or in an earlier one)."""
        kept = []
        for block in document.blocks:
            key = self._key(document, block)
            if key not in self.first:
                self.first[key] = self._where(document, block)
                kept.append(block)
                continue
            is_faq = block.kind is BlockKind.FAQ
            dropped = self.duplicates.setdefault((document.source, is_faq), _Duplicates())
            dropped.count += 1
            dropped.first = dropped.first or self.first[key]
        return replace(document, blocks=tuple(kept))

    def report(self) -> list[Skipped]:
        """One line per file and kind: never one per duplicate."""
        report = []
        for (source, is_faq), dropped in self.duplicates.items():
            one, many = ("FAQ entry", "FAQ entries") if is_faq else ("passage", "passages")
            what = f"{dropped.count:,} duplicate {one if dropped.count == 1 else many}"
            report.append(Skipped(source, f"{what} indexed once; first at {dropped.first}"))
        return report

    @staticmethod
    def _key(document: Document, block: Block) -> str:
        if block.kind is BlockKind.FAQ:
            return content_hash("faq", _normalized(block.question), _normalized(block.text))
        parts = (block.kind, document.title, block.section, _normalized(block.text))
        return content_hash(*parts)

    @staticmethod
    def _where(document: Document, block: Block) -> str:
        quoted = block.question if block.kind is BlockKind.FAQ else block.text
        return f"{document.source} ({shortened(_normalized(quoted), 80)!r})"


@dataclass(frozen=True, slots=True)
class CorpusPassages:
    """The passages of a corpus, and what was reported while making them."""

    passages: tuple[Passage, ...]
    skipped: tuple[Skipped, ...]


def _chars(document: Document) -> int:
    return sum(len(block.text) for block in document.blocks)


def split_corpus(corpus: Corpus, settings: ChunkSettings, progress: bool = False) -> CorpusPassages:
    """The passages of every document, duplicates indexed once (see `_FirstSeen`).

    Reports one line per file for duplicates and one per cap that changed something. A
    document whose splitting fails is skipped with the reason, and the build goes on. With
    `progress`, a bar on stderr counts the characters split.
    """
    seen = _FirstSeen()
    passages: list[Passage] = []
    capped: defaultdict[str, list[Capped]] = defaultdict(list)
    failed: list[Skipped] = []
    total = sum(_chars(document) for document in corpus.documents)
    with progress_bar(progress, total, "char", "Splitting into sentences") as bar:
        for document in corpus.documents:
            unique = seen.unique(document)
            bar.update(_chars(document) - _chars(unique))
            try:
                split = split_document(unique, settings, bar.update)
            except MemoryError:  # see `load_file`: the build stops
                raise
            except Exception as error:  # a tokenizer's bug on hostile text: skip this document
                reason = f"could not be split into sentences ({described(error)})"
                failed.append(Skipped(document.source, reason))
                continue
            passages.extend(split.passages)
            capped[document.source].extend(split.capped)
    reports = [item for source, items in capped.items() for item in capped_report(source, items)]
    return CorpusPassages(tuple(passages), tuple(failed + reports + seen.report()))
