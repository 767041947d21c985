"""The operators' page in words an editor understands: counts with the right noun, German
dates in local time, the stages of a rebuild, and why one failed.

Pure functions of data (`BuildProgress`, `Manifest`, exceptions); `web.admin_page` shows
what they return. No server path, model name or English text reaches an editor from here;
the technical details stay in the manifest and the app's log.
"""

from datetime import datetime

from index.build_child import BuildFailedError
from index.build_lock import BuildBusyError
from index.corpus import DataDirError
from index.errors import FaqbotError, IndexWriteError, NoPassagesError
from index.progress import BuildProgress, Stage
from index.store import Manifest

STAGE_NAMES = {
    Stage.READ: "Dokumente lesen",
    Stage.SPLIT: "Abschnitte bilden",
    Stage.LOAD_MODEL: "Sprachmodell laden",
    Stage.EMBED: "Abschnitte einbetten",
    Stage.SEARCH_INDEX: "Suchverzeichnis anlegen",
    Stage.WRITE: "Index speichern",
    Stage.SWITCH: "Neuen Stand übernehmen",
}
"""Every stage, named as the editor sees it, in the order `Stage` lists them."""

_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip


def number(value: int) -> str:
    """`value` as German writes it: 1.234."""
    return f"{value:,}".replace(",", ".")


def counted(value: int, singular: str, plural: str) -> str:
    """ "1 Dokument", "2 Dokumente", "0 Dokumente"."""
    return f"{number(value)} {singular if value == 1 else plural}"


def german_date(moment: datetime) -> str:
    """ "6. Dezember 2026, 14:03" in the server's local time."""
    local = moment.astimezone()
    return f"{local.day}. {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def in_service(documents: int, built_at: str) -> str:
    """The one status line: how many documents answer, and since when."""
    built = german_date(datetime.fromisoformat(built_at))
    documents_in_words = counted(documents, "Dokument", "Dokumente")
    return f"Im Einsatz: {documents_in_words}, zuletzt aktualisiert am {built}"


def progress_text(progress: BuildProgress) -> str:
    """The stage under way with its count: "Dokumente lesen 3/5", "Abschnitte einbetten
    45 %", "Index speichern"."""
    name = STAGE_NAMES[progress.stage]
    fraction = progress.fraction
    if fraction is None:
        return name
    if progress.stage is Stage.READ:
        return f"{name} {number(progress.done)}/{number(progress.total)}"
    return f"{name} {int(fraction * 100)}\u00a0%"


def progress_steps(progress: BuildProgress | None) -> list[tuple[str, str]]:
    """Each stage with its state, "fertig", "läuft" or "offen", the running one with its
    count (`progress_text`); before the first report every stage is open."""
    current = list(Stage).index(progress.stage) if progress is not None else -1
    steps = []
    for position, stage in enumerate(Stage):
        if position < current:
            steps.append((STAGE_NAMES[stage], "fertig"))
        elif position == current and progress is not None:
            steps.append((progress_text(progress), "läuft"))
        else:
            steps.append((STAGE_NAMES[stage], "offen"))
    return steps


def rebuilt(manifest: Manifest) -> str:
    """The German summary of a finished rebuild: what is in service now, and how many
    files were not taken (their reasons are in the list of documents)."""
    passages = manifest.passages - manifest.faq_entries
    summary = (
        f"Fertig: {counted(manifest.documents, 'Dokument ist', 'Dokumente sind')} jetzt im "
        f"Einsatz, mit {counted(passages, 'Textabschnitt', 'Textabschnitten')}"
    )
    if manifest.faq_entries:
        summary += f" und {counted(manifest.faq_entries, 'Frage', 'Fragen')} mit Antwort"
    indexed = {record.source for record in manifest.sources}
    skipped = len({item.source for item in manifest.skipped} - indexed)
    if skipped:
        summary += (
            f". {counted(skipped, 'Datei wurde', 'Dateien wurden')} nicht übernommen – die "
            "Gründe stehen in der Liste der Dokumente"
        )
    return summary + "."


def failure(error: Exception) -> str:
    """Why a rebuild failed, and that the documents in service still answer."""
    kept = "Die Antworten kommen weiter aus dem bisherigen Stand."
    if isinstance(error, BuildBusyError):
        return (
            "Es läuft schon ein Neuaufbau und ein weiterer wartet. Bitte in ein paar Minuten "
            "noch einmal versuchen."
        )
    if isinstance(error, NoPassagesError):
        reason = "Im Ordner ist kein Dokument, das gelesen werden kann."
    elif isinstance(error, DataDirError):
        reason = "Der Dokumentenordner fehlt oder kann nicht gelesen werden."
    elif isinstance(error, IndexWriteError):
        reason = "Der neue Stand konnte nicht gespeichert werden (Speicherplatz voll?)."
    elif isinstance(error, BuildFailedError) and "memory" in str(error):
        reason = "Der Neuaufbau brauchte mehr Arbeitsspeicher, als ihm erlaubt ist."
    elif isinstance(error, FaqbotError):
        reason = "Der Neuaufbau ist fehlgeschlagen."
    else:
        reason = "Der Neuaufbau ist an einem unerwarteten Fehler gescheitert."
    return f"{reason} {kept} Die technischen Einzelheiten stehen im Protokoll des Servers."
