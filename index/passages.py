"""Split documents into passages: by section and paragraph, then by sentences.

A passage is the unit that is retrieved, quoted and cited; it carries everything a
citation needs (document, source, section, offsets) and its sentence boundaries, so that
answers can quote single sentences without splitting again at question time.
"""

from collections import Counter
from dataclasses import dataclass, replace

from index.documents import Block, BlockKind, Document, content_hash
from index.sentences import Span, split_sentences


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
    no sentence loses its neighbour; a sentence longer than the limit stands alone, uncut.
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


def _block_passages(document: Document, block: Block, settings: ChunkSettings) -> list[Passage]:
    sentences = split_sentences(block.text, block.hard_breaks) or ((0, len(block.text)),)
    if len(block.text) <= settings.max_chars:
        windows = [(0, len(sentences))]
    else:
        windows = sentence_windows(sentences, settings)
    passages = []
    for first, last in windows:
        begin, finish = sentences[first][0], sentences[last - 1][1]
        if first == 0 and last == len(sentences):
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
                sentences=tuple((s - begin, e - begin) for s, e in sentences[first:last]),
                question=block.question,
                url=document.url,
            )
        )
    return passages


def split_document(document: Document, settings: ChunkSettings) -> list[Passage]:
    """The passages of one document, each with an id derived from its content.

    Identical passages within a document get an occurrence number, so ids stay unique.
    """
    passages = [p for block in document.blocks for p in _block_passages(document, block, settings)]
    seen: Counter[str] = Counter()
    identified = []
    for passage in passages:
        base = content_hash(passage.doc_id, passage.search_text)
        seen[base] += 1
        passage_id = base if seen[base] == 1 else content_hash(base, str(seen[base]))
        identified.append(replace(passage, passage_id=passage_id))
    return identified
