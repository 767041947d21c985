"""Read the data directory: walk it, and hand each file to the module of its format
(`index.formats`), collecting documents and skips.

A bad file or line never stops a build: it becomes a `Skipped` with the file, the line and
the reason, and everything else is still indexed. The directory may hold hostile files
(links to secrets, FIFOs, huge or deeply nested files): only regular files inside it are
read, within the caps of `index.limits`, and an error in one file skips only that file.
"""

import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from index import limits
from index.documents import (
    Corpus,
    Document,
    FileProblem,
    Skipped,
    bounded,
    capped_report,
    described,
    escaped,
)
from index.errors import FaqbotError
from index.formats import Loaded, corpus_full, megabytes
from index.formats.csv_table import load_csv
from index.formats.html import load_html
from index.formats.jsonl import load_jsonl
from index.formats.markdown import load_markdown
from index.formats.pdf import load_pdf
from index.formats.text import load_plain_text
from index.formats.web_pages import URL_LIST, load_url_list, web_document
from index.formats.word import load_docx
from index.reading import ReadingWorker, ReadLimits, Runner


class DataDirError(FaqbotError):
    """The data directory does not exist or is not a directory."""


# ---------------------------------------------------------------- one file

LOADERS: dict[str, Callable[[bytes, str], Loaded]] = {
    ".txt": load_plain_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
_MARKUP = {".html", ".htm"}
_BINARY = {".pdf", ".docx"}
"""Formats whose parts are not lines: their own caps bound them (`index.formats.pdf`,
`index.formats.word`). They are read in the reading process (`index.reading`), like web
pages: their parsers inflate what the file only describes."""


@dataclass(frozen=True, slots=True)
class DataFile:
    """A regular file inside the data directory, as `walk` found it."""

    path: Path
    """Its real path: no symbolic link in it, inside the data directory."""
    source: str
    """Its path relative to the data directory, as cited, control characters escaped."""
    size: int

    @property
    def suffix(self) -> str:
        return Path(self.source).suffix.lower()

    @property
    def is_url_list(self) -> bool:
        return Path(self.source).name.lower() == URL_LIST


def _refusal(file: DataFile) -> Skipped | None:
    """Why `file` is not read at all: its type or its size."""
    if file.suffix not in LOADERS:
        return Skipped(file.source, f"unsupported file type; use one of {', '.join(LOADERS)}")
    if file.size > limits.MAX_FILE_BYTES:
        return Skipped(
            file.source,
            f"file of {megabytes(file.size)} is larger than the cap of "
            f"{megabytes(limits.MAX_FILE_BYTES)} (index.limits.MAX_FILE_BYTES); not read",
        )
    return None


def _read(file: DataFile) -> bytes:
    """The file's bytes, opened without following a link and without blocking, and refused
    if it has become something else than a regular file, or grown, since it was found."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    with os.fdopen(os.open(file.path, flags), "rb") as opened:
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            raise FileProblem("no longer a regular file; not read")
        raw = opened.read(limits.MAX_FILE_BYTES + 1)
    if len(raw) > limits.MAX_FILE_BYTES:
        raise FileProblem(f"grew beyond the cap of {megabytes(limits.MAX_FILE_BYTES)}; not read")
    return raw


def _check_parts(raw: bytes, suffix: str) -> None:
    """Refuse a file with more lines (or HTML tags) than `limits.MAX_FILE_PARTS`."""
    if suffix in _BINARY:
        return
    parts, what = (raw.count(b"<"), "tags") if suffix in _MARKUP else (raw.count(b"\n"), "lines")
    if parts > limits.MAX_FILE_PARTS:
        raise FileProblem(
            f"has {parts:,} {what}, more than the cap of {limits.MAX_FILE_PARTS:,} "
            "(index.limits.MAX_FILE_PARTS); split the file"
        )


def _no_text(document: Document) -> str:
    named = document.doc_id != document.source
    return "no text to index" + (f" in document {document.doc_id!r}" if named else "")


def _parsed(file: DataFile, raw: bytes, room: int, run: Runner) -> Loaded:
    """The file's documents: PDF and Word parsed by `run` (in the reading process), web
    pages fetched here and their text extracted by `run`, text formats parsed here."""
    if file.is_url_list:
        return load_url_list(raw, file.source, room, lambda page: run(web_document, page))
    if file.suffix in _BINARY:
        return run(LOADERS[file.suffix], raw, file.source)
    return LOADERS[file.suffix](raw, file.source)


def load_file(file: DataFile, run: Runner, room: int = limits.MAX_CORPUS_BYTES) -> Loaded:
    """Documents from one file, or the reason it yields none. Any error in reading or
    parsing the file skips the file, never the build; only `MemoryError` in this process
    stops it, as the caps of `index.limits` leave it to a build whose memory was set too low
    (or is spent), and skipping the file would index a corpus with holes. In the reading
    process (`run`), a file that passes its limits is skipped with the reason.

    A list of web pages (`URL_LIST`) fetches at most `room` bytes: what is left of the
    corpus cap."""
    refusal = _refusal(file)
    if refusal is not None:
        return [], [refusal]
    try:
        raw = _read(file)
        if not raw.strip():
            return [], [Skipped(file.source, "empty file")]
        _check_parts(raw, file.suffix)
        documents, skipped = _parsed(file, raw, room, run)
    except FileProblem as problem:
        return [], [Skipped(file.source, problem.reason, problem.line)]
    except OSError as error:
        return [], [Skipped(file.source, f"unreadable ({error.strerror or error})")]
    except MemoryError:  # the build's memory is spent, not this file's: the build must stop
        raise
    except Exception as error:  # a parser's bug or limit on hostile input: skip this file only
        return [], [Skipped(file.source, f"could not be read ({described(error)})")]
    capped = capped_report(file.source, [item for d in documents for item in d.capped])
    empty = [Skipped(file.source, _no_text(d)) for d in documents if not d.blocks]
    return [d for d in documents if d.blocks], skipped + capped + empty


# ---------------------------------------------------------------- the directory

_FILE_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
_ESCAPED_NAME = (
    "file name holds control or invisible characters; indexed and cited with them escaped "
    "(rename the file)"
)


def _listing(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _regular(path: Path, source: str, status: os.stat_result) -> DataFile | Skipped:
    if not stat.S_ISREG(status.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
        return Skipped(source, f"{kind}, not a regular file; not read")
    return DataFile(path, source, status.st_size)


def _link(path: Path, source: str, root: Path) -> DataFile | Skipped:
    """A symbolic link is read only if it names a regular file inside the data directory."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as error:  # a loop: RuntimeError before Python 3.13
        return Skipped(source, f"symbolic link that cannot be resolved ({error}); not read")
    if not real.is_relative_to(root):
        return Skipped(source, f"symbolic link to {real}, outside the data directory; not read")
    try:
        status = real.stat()
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    if stat.S_ISDIR(status.st_mode):
        return Skipped(source, "symbolic link to a directory; not followed")
    return _regular(real, source, status)


def _entry(entry: os.DirEntry[str], source: str, root: Path) -> Path | DataFile | Skipped:
    """A directory to walk into, a file to read, or why the entry is not read."""
    path = Path(entry.path)
    if entry.name.startswith("."):
        hidden_directory = entry.is_dir(follow_symlinks=False)
        return Skipped(source, "hidden directory; not read" if hidden_directory else "hidden file")
    if entry.is_symlink():
        return _link(path, source, root)
    try:
        status = entry.stat(follow_symlinks=False)
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    return path if stat.S_ISDIR(status.st_mode) else _regular(path, source, status)


def walk(root: Path) -> Iterator[DataFile | Skipped]:
    """The regular files below `root` (a resolved path) in sorted order, and every entry
    that is not read, with the reason.

    Iterative, and no symbolic link is followed while walking: a link to a directory is
    reported, not followed (no loop, no way out); a link to a file is read only if its real
    path lies inside `root`, so that a link to `/proc/self/environ` cannot put secrets into
    answers. A hard link is read only if all its names are inside `root` (a hard link needs
    no symbolic link to reach a secret). Hidden entries are reported, a hidden directory once.

    A file whose name holds control characters (a line break, an escape) is indexed under
    its name with those characters escaped, and reported: its text is as good as any other,
    and the escaped name is safe in every summary, log and answer that cites it, where the
    raw name could forge lines or recolour a terminal; renaming the file is left to its
    editor, whom the report tells.
    """
    names_inside: Counter[tuple[int, int]] = Counter()
    found_in_order: list[DataFile | Skipped] = []
    stack = [iter(_listing(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        names_inside.update(_file_identity(entry))
        name = Path(entry.path).relative_to(root).as_posix()
        found = _entry(entry, escaped(name), root)
        if isinstance(found, Path):
            try:
                stack.append(iter(_listing(found)))
            except OSError as error:
                reason = f"unreadable directory ({error.strerror or error}); not read"
                found_in_order.append(Skipped(escaped(name) + "/", reason))
            continue
        if isinstance(found, DataFile) and found.source != name:
            found_in_order.append(Skipped(found.source, _ESCAPED_NAME))
        found_in_order.append(found)
    for found in found_in_order:
        yield _hard_link_refusal(found, names_inside) if isinstance(found, DataFile) else found


def _file_identity(entry: os.DirEntry[str]) -> list[tuple[int, int]]:
    """The (device, inode) of a regular file's name, to count its names inside the data
    directory; none for anything else."""
    try:
        if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
            return []
        status = entry.stat(follow_symlinks=False)
    except OSError:
        return []
    return [(status.st_dev, status.st_ino)]


def _hard_link_refusal(
    file: DataFile, names_inside: Counter[tuple[int, int]]
) -> DataFile | Skipped:
    """A file with more hard links than the walk saw names for inside the data directory
    has a name outside it: like a symbolic link out, it may be a secret put there on
    purpose (`ln /etc/shadow data/x.txt` needs no permission on the directory it leaves)."""
    try:
        status = file.path.stat()
    except OSError as error:
        return Skipped(file.source, f"unreadable ({error.strerror or error})")
    inside = names_inside[(status.st_dev, status.st_ino)]
    if status.st_nlink <= max(inside, 1):
        return file
    outside = status.st_nlink - inside
    return Skipped(
        file.source,
        f"hard link with {outside} of its {status.st_nlink} names outside the data directory "
        "(or in a hidden folder); not read",
    )


class _CorpusReader:
    """The documents read so far, the items skipped, the first file of each document id,
    and the bytes read, which `limits.MAX_CORPUS_BYTES` caps; PDF, Word and web pages are
    read by `run`."""

    def __init__(self, run: Runner) -> None:
        self.run = run
        self.documents: list[Document] = []
        self.skipped: list[Skipped] = []
        self.first_of_id: dict[str, str] = {}
        self.bytes_read = 0

    def read(self, file: DataFile) -> None:
        if _refusal(file) is None:
            if self.bytes_read + file.size > limits.MAX_CORPUS_BYTES:
                reason = corpus_full(f"file of {megabytes(file.size)}")
                self.skipped.append(Skipped(file.source, reason))
                return
            self.bytes_read += file.size
        loaded, problems = load_file(file, self.run, limits.MAX_CORPUS_BYTES - self.bytes_read)
        if file.is_url_list:  # the pages' text is what the build holds
            self.bytes_read += sum(len(d.text.encode("utf-8")) for d in loaded)
        self.skipped.extend(problems)
        for document in loaded:
            first = self.first_of_id.get(document.doc_id)
            if first is not None:
                reason = f"duplicate document id {document.doc_id!r} ({first})"
                self.skipped.append(Skipped(file.source, reason))
                continue
            self.first_of_id[document.doc_id] = file.source
            self.documents.append(document)


def progress_bar(progress: bool, total: int, unit: str, desc: str) -> tqdm:
    """A progress bar on stderr, shown if `progress` and stderr is a terminal: in a log a bar
    is noise, and the error of a failed build stays one line."""
    return tqdm(
        total=total, unit=unit, unit_scale=True, desc=desc, disable=None if progress else True
    )


def _root(data_dir: Path) -> Path:
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist or is not a directory")
    return data_dir.resolve()


def load_corpus(
    data_dir: Path,
    progress: bool = False,
    on_file: Callable[[int, int], None] | None = None,
    read_limits: ReadLimits | None = None,
) -> Corpus:
    """Every supported file below `data_dir`, in a stable order (see `walk`), and every
    item not indexed, at most `limits.MAX_REPORTED_PER_FILE` per file.

    With `progress`, a bar on stderr counts the bytes read; `on_file` is told (files read,
    files in all) after each file, for a caller that reports progress itself. PDF, Word and
    web pages are read in a reading process within `read_limits` (default: `ReadLimits()`),
    started when the first of them comes and ended before this returns.
    """
    root = _root(data_dir)
    try:
        found = list(walk(root))
    except OSError as error:
        raise DataDirError(
            f"data directory {data_dir} cannot be read ({error.strerror or error})"
        ) from error
    files = [item for item in found if isinstance(item, DataFile)]
    total = sum(file.size for file in files)
    read = 0
    with (
        ReadingWorker(read_limits or ReadLimits()) as worker,
        progress_bar(progress, total, "B", "Reading files") as bar,
    ):
        reader = _CorpusReader(worker.run)
        for item in found:
            if isinstance(item, Skipped):
                reader.skipped.append(item)
                continue
            reader.read(item)
            bar.update(item.size)
            read += 1
            if on_file is not None:
                on_file(read, len(files))
    return Corpus(tuple(reader.documents), bounded(reader.skipped))
