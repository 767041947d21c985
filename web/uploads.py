"""Documents an operator adds to or removes from the data directory from the operators'
page: what is accepted, and how it is written.

A file's name and size come from a browser and are hostile until checked (`check_uploads`,
pure): only the last part of the name is kept, and it must be a visible file name of a
format the index reads, within the size and count limits (`UploadLimits`, from
`$FAQBOT_UPLOAD_MAX_MB` and `$FAQBOT_UPLOAD_MAX_FILES`). A file goes into the top of the
data directory only, written to a hidden temporary file beside its place and renamed
over it (`save`), so that a build never reads half a file. A document of the same name
is replaced: that is what an editor who uploads a new version expects, and the page says
so for every file it replaces. Removing (`remove`) takes only a name the page listed,
and only a regular file inside the data directory.
"""

import os
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from index.corpus import LOADERS
from index.settings import DEFAULT_UPLOAD_MAX_FILES, DEFAULT_UPLOAD_MAX_MB, ServerSettings
from web.skip_reasons import unsupported_format

MAX_NAME_CHARS = 120
"""Longer names are refused: they are shown in every list and citation."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_bytes: int = DEFAULT_UPLOAD_MAX_MB * 10**6
    max_files: int = DEFAULT_UPLOAD_MAX_FILES

    @classmethod
    def of(cls, settings: ServerSettings) -> "UploadLimits":
        return cls(settings.upload_max_mb * 10**6, settings.upload_max_files)

    @property
    def max_request_bytes(self) -> int:
        """The largest upload request: every file at its limit, and room for the form."""
        return self.max_files * self.max_bytes + 2**20


@dataclass(frozen=True, slots=True)
class OfferedFile:
    """A file as the browser sent it: the name it gave, where Gradio stored it, its size."""

    name: str
    stored: Path
    size: int


@dataclass(frozen=True, slots=True)
class Accepted:
    name: str
    """The checked name it gets in the data directory."""
    stored: Path
    replaces: bool
    """A document of this name is there already and is replaced."""


@dataclass(frozen=True, slots=True)
class Refused:
    name: str
    """The name as sent, for the editor to recognise (shown as text, never used as a path)."""
    reason: str
    """Why, in German."""


@dataclass(frozen=True, slots=True)
class UploadPlan:
    accepted: tuple[Accepted, ...]
    refused: tuple[Refused, ...]


def file_name(sent: str) -> str | Refused:
    """The name a file sent as `sent` gets in the data directory: its last path part
    (a browser on Windows may send backslashes), NFC-normalised; or why it is refused."""
    name = unicodedata.normalize("NFC", sent.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    shown = name or sent
    if not name or name in (".", ".."):
        return Refused(shown, "Die Datei hat keinen Namen.")
    if name.startswith("."):
        return Refused(
            shown, "Versteckte Dateien (Name beginnt mit Punkt) werden nicht angenommen."
        )
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        return Refused(shown, "Der Dateiname enthält unsichtbare Zeichen – bitte umbenennen.")
    if len(name) > MAX_NAME_CHARS:
        return Refused(shown, f"Der Name ist länger als {MAX_NAME_CHARS} Zeichen – bitte kürzen.")
    if PurePosixPath(name).suffix.lower() not in LOADERS:
        return Refused(shown, unsupported_format(name))
    return name


def check_uploads(
    offered: Sequence[OfferedFile], limits: UploadLimits, existing: Collection[str]
) -> UploadPlan:
    """Which of the `offered` files go into the data directory, whose top-level file names
    are `existing`, and why each other one does not."""
    accepted: list[Accepted] = []
    refused: list[Refused] = []
    for file in offered:
        name = file_name(file.name)
        if isinstance(name, Refused):
            refused.append(name)
        elif len(accepted) >= limits.max_files:
            many = f"Höchstens {limits.max_files} Dateien auf einmal – bitte diese noch einmal."
            refused.append(Refused(name, many))
        elif file.size > limits.max_bytes:
            big = f"Die Datei ist größer als {limits.max_bytes // 10**6} MB – bitte teilen."
            refused.append(Refused(name, big))
        elif file.size == 0:
            refused.append(Refused(name, "Die Datei ist leer."))
        elif any(item.name == name for item in accepted):
            refused.append(Refused(name, "Zweimal ausgewählt; sie wird einmal übernommen."))
        else:
            accepted.append(Accepted(name, file.stored, name in existing))
    return UploadPlan(tuple(accepted), tuple(refused))


def top_level_names(data_dir: Path) -> set[str]:
    with os.scandir(data_dir) as entries:
        return {entry.name for entry in entries}


def save(file: Accepted, data_dir: Path, max_bytes: int) -> None:
    """Write `file` into `data_dir` under its name: copied to a hidden temporary file
    there, synced, then renamed over the place in one step. Refuses (ValueError) a place
    that is a directory, and a file that has grown beyond `max_bytes` since it was checked."""
    target = data_dir / file.name
    if target.parent != data_dir or (target.is_dir() and not target.is_symlink()):
        raise ValueError(f"{file.name} is no file name in the data directory")
    handle, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=data_dir)
    try:
        with os.fdopen(handle, "wb") as out, file.stored.open("rb") as source:
            shutil.copyfileobj(source, out)
            if out.tell() > max_bytes:
                raise ValueError(f"{file.name} has grown beyond the limit")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove(data_dir: Path, source: str, listed: Collection[str]) -> None:
    """Delete the document `source` (a path relative to `data_dir`, as the page listed it),
    only if the page listed it and it is a regular file inside `data_dir` (no link is
    followed). ValueError otherwise."""
    if source not in listed:
        raise ValueError(f"{source!r} was not listed")
    path = data_dir / source
    root = data_dir.resolve()
    if not path.parent.resolve().is_relative_to(root) or not stat.S_ISREG(path.lstat().st_mode):
        raise ValueError(f"{source!r} is no regular file inside the data directory")
    path.unlink()
