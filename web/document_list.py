"""The documents of the data directory as an editor sees them: in service (with title and
size in plain words), not taken (with the German reason), or waiting for the next rebuild.

`folder_files` reads the directory (the one function here that touches the disk);
`document_rows` joins it with what the index in service holds, and is pure.
"""

import os
import stat
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from index.documents import BlockKind, Skipped, escaped
from index.passages import Passage
from web.admin_wording import counted
from web.skip_reasons import german_reason

_STAMP = timedelta(seconds=1)
"""A build's time is stamped to the second, after it read the files: a file counts as
changed only if it is newer by more than that."""
MAX_LISTED_FILES = 2_000
"""The page lists at most this many files of the folder: a list an editor can read."""


class DocumentState(StrEnum):
    IN_SERVICE = "Im Einsatz"
    SKIPPED = "Nicht übernommen"
    WAITING = "Noch nicht im Einsatz"
    """In the folder, but new or changed since the index in service was built."""
    REMOVED = "Entfernt"
    """No longer in the folder, but still answered from until the next rebuild."""


@dataclass(frozen=True, slots=True)
class FolderFile:
    source: str
    """The path relative to the data directory, as the index names it."""
    modified: datetime


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """What the index in service holds of one file."""

    source: str
    titles: tuple[str, ...]
    passages: int
    faq_entries: int


@dataclass(frozen=True, slots=True)
class DocumentRow:
    source: str
    state: DocumentState
    summary: str
    """Title and size in words, or why it is not taken, or what happens next."""
    notes: tuple[str, ...] = ()
    """German remarks on a file in service (lines left out, parts shortened)."""
    removable: bool = True


def indexed_documents(passages: Iterable[Passage]) -> list[IndexedDocument]:
    """Per source file: its titles, passages and FAQ entries."""
    titles: defaultdict[str, dict[str, None]] = defaultdict(dict)
    counts: Counter[str] = Counter()
    faq: Counter[str] = Counter()
    for passage in passages:
        titles[passage.source][passage.title] = None
        counts[passage.source] += 1
        faq[passage.source] += passage.kind is BlockKind.FAQ
    return [
        IndexedDocument(source, tuple(names), counts[source], faq[source])
        for source, names in titles.items()
    ]


def folder_files(data_dir: Path, limit: int = MAX_LISTED_FILES) -> list[FolderFile]:
    """The regular files below `data_dir` (no link followed), at most `limit`, sorted;
    hidden ones too, since the index reports them as not read."""
    found: list[FolderFile] = []
    for directory, subdirectories, names in os.walk(data_dir):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory, name)
            status = path.lstat()
            if stat.S_ISREG(status.st_mode) and not name.startswith(".upload-"):
                source = path.relative_to(data_dir).as_posix()
                found.append(FolderFile(source, datetime.fromtimestamp(status.st_mtime, UTC)))
            if len(found) >= limit:
                return found
    return found


_GOES = "Wird beim nächsten Neuaufbau aus dem Index genommen."
_CHANGED = "Neu oder geändert – wird beim nächsten Neuaufbau übernommen."
_COMES = "Wird beim nächsten Neuaufbau übernommen."


def in_words(document: IndexedDocument) -> str:
    """ "„Title“ – 12 Textabschnitte und 5 Fragen mit Antwort"."""
    title = "; ".join(document.titles[:3]) + (" …" if len(document.titles) > 3 else "")
    passages = document.passages - document.faq_entries
    parts = [counted(passages, "Textabschnitt", "Textabschnitte")] if passages else []
    if document.faq_entries:
        parts.append(counted(document.faq_entries, "Frage", "Fragen") + " mit Antwort")
    return f"„{title}“ – " + " und ".join(parts)


def document_rows(
    files: Sequence[FolderFile],
    indexed: Sequence[IndexedDocument],
    skipped: Sequence[Skipped],
    built_at: datetime | None,
) -> list[DocumentRow]:
    """One row per file of the folder, per file the index still holds and per item it
    skipped (a link, a FIFO: not removable here), in name order.

    A file is in service if the index holds passages of it and it has not changed since
    `built_at`; not taken if the index skipped it (each reason in German); otherwise it
    waits for the next rebuild. Remarks on files in service (a line left out) are notes."""
    by_source = {document.source: document for document in indexed}
    reasons: defaultdict[str, list[str]] = defaultdict(list)
    for item in skipped:
        reasons[item.source].append(german_reason(item))
    rows = []
    in_folder = {escaped(file.source): file for file in files}  # named as the index names them
    for shown in sorted(set(in_folder) | set(by_source) | set(reasons)):
        file, document = in_folder.get(shown), by_source.get(shown)
        source = file.source if file is not None else shown
        changed = file is not None and (built_at is None or file.modified > built_at + _STAMP)
        if file is None and document is not None:
            rows.append(DocumentRow(source, DocumentState.REMOVED, _GOES, removable=False))
        elif changed:
            rows.append(DocumentRow(source, DocumentState.WAITING, _CHANGED))
        elif document is not None:
            notes = tuple(reasons[shown])
            rows.append(DocumentRow(source, DocumentState.IN_SERVICE, in_words(document), notes))
        elif reasons[shown]:
            first, *more = reasons[shown]
            rows.append(
                DocumentRow(source, DocumentState.SKIPPED, first, tuple(more), file is not None)
            )
        else:
            rows.append(DocumentRow(source, DocumentState.WAITING, _COMES))
    return rows
