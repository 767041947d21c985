"""Why a file was not used, in German an editor understands and can act on.

The index reports each skipped item with an English reason written for engineers
(`index.documents.Skipped`, the command line's summary). The operators' page shows editors
a German sentence instead: what is wrong and what to do. The English reason is matched by
its wording (`_PATTERNS`, checked against every reason the index produces by
`tests/test_web/test_skip_reasons.py`); one that matches no pattern gets a general
sentence, never the English text, which stays in the manifest for engineers.
"""

import re
from pathlib import PurePosixPath

from index import limits
from index.documents import Skipped

READABLE_FORMATS = (
    "PDF, Word (.docx), Text (.txt), Markdown (.md), Webseiten (.html) "
    "und Frage-Antwort-Tabellen (.csv, .jsonl)"
)
"""The formats of `index.corpus.LOADERS`, as an editor knows them."""

_SAVE_AS = {
    ".doc": "Das Format .doc (altes Word) wird nicht gelesen – bitte als .docx oder PDF speichern.",
    ".rtf": "Das Format .rtf wird nicht gelesen – bitte als .docx oder PDF speichern.",
    ".odt": "Das Format .odt wird nicht gelesen – bitte als .docx oder PDF speichern.",
    ".pages": "Das Format .pages wird nicht gelesen – bitte als .docx oder PDF speichern.",
    ".xls": "Tabellen (.xls) werden nicht gelesen – Fragen und Antworten bitte als .csv speichern.",
    ".xlsx": "Tabellen (.xlsx) werden nicht gelesen – Fragen und Antworten bitte als .csv "
    "speichern.",
    ".ods": "Tabellen (.ods) werden nicht gelesen – Fragen und Antworten bitte als .csv speichern.",
    ".ppt": "Präsentationen (.ppt) werden nicht gelesen – bitte als PDF speichern.",
    ".pptx": "Präsentationen (.pptx) werden nicht gelesen – bitte als PDF speichern.",
    ".odp": "Präsentationen (.odp) werden nicht gelesen – bitte als PDF speichern.",
}
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".bmp", ".webp", ".heic"}

_FILE_CAP = f"{limits.MAX_FILE_BYTES // 1_000_000} MB"
_CORPUS_CAP = f"{limits.MAX_CORPUS_BYTES // 1_000_000} MB"
_UNREADABLE = "Die Datei konnte nicht gelesen werden."
_TOO_BIG = "Die Datei ist zu umfangreich, um gelesen zu werden – bitte in kleinere Dateien teilen."

_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^empty file", "Die Datei ist leer."),
    (
        r"^not valid UTF-8",
        "Die Textdatei ist nicht als UTF-8 gespeichert – bitte im Editor "
        "„UTF-8“ als Kodierung wählen und neu speichern.",
    ),
    (
        r"^file of .* larger than the cap",
        f"Die Datei ist größer als {_FILE_CAP} und wird nicht gelesen – bitte in kleinere Dateien "
        "teilen.",
    ),
    (
        r"would take the corpus beyond the cap",
        f"Alle Dokumente zusammen wären größer als {_CORPUS_CAP} – diese Datei wurde deshalb "
        "nicht mehr gelesen.",
    ),
    (r"^grew beyond the cap", f"Die Datei wurde während des Lesens größer als {_FILE_CAP}."),
    (
        r"^(has .* more than the cap|has more than .* the cap|unpacks to|its text is longer"
        r"|its pages' content decodes|page \d+'s content decodes|page \d+ (draws|paints))",
        _TOO_BIG,
    ),
    (
        r"^encrypted PDF",
        "Die PDF ist mit einem Passwort geschützt – bitte eine Kopie ohne Passwort speichern.",
    ),
    (
        r"^no text layer",
        "Die PDF enthält nur Bilder, keinen Text (eingescannt?) – bitte zuerst "
        "eine Texterkennung (OCR) laufen lassen.",
    ),
    (
        r"^a PDF stream .* decodes to more than",
        "Die PDF enthält Daten, die entpackt viel zu groß werden (beschädigt oder absichtlich "
        "so gebaut) – bitte neu als PDF exportieren.",
    ),
    (
        r"^(reading needed more than|the reading process was stopped)",
        "Die Datei brauchte beim Lesen zu viel Speicher und wurde ausgelassen – bitte neu "
        "speichern oder in kleinere Dateien teilen.",
    ),
    (
        r"^reading took longer than",
        "Das Lesen der Datei dauerte zu lange und wurde abgebrochen – bitte neu speichern oder "
        "in kleinere Dateien teilen.",
    ),
    (r"^reading it gave", _TOO_BIG),
    (
        r"^(could not be read as PDF|a page's content is encoded|a PDF stream .* is encoded)",
        "Die PDF ist beschädigt oder "
        "anders aufgebaut als üblich und konnte nicht gelesen werden – bitte neu als PDF "
        "exportieren.",
    ),
    (r"^a Word 97", _SAVE_AS[".doc"]),
    (
        r"^an encrypted \(password-protected\) Word",
        "Das Word-Dokument ist mit einem Passwort geschützt – bitte ohne Passwort speichern.",
    ),
    (
        r"^(an encrypted Word file or an old Office format|could not be read as a Word)",
        "Die Datei ist kein lesbares Word-Dokument (.docx) – bitte in Word öffnen und als .docx "
        "speichern.",
    ),
    (r"^hidden file", "Versteckte Datei (der Name beginnt mit einem Punkt) – wird nicht gelesen."),
    (r"^hidden directory", "Versteckter Ordner – wird nicht gelesen."),
    (
        r"^symbolic link",
        "Eine Verknüpfung, die nicht gelesen wird (sie zeigt aus dem Ordner "
        "hinaus oder auf einen Ordner).",
    ),
    (
        r"^hard link",
        "Die Datei hat weitere Namen außerhalb des Ordners (ein fester Link) – wird nicht gelesen.",
    ),
    (
        r"(not a regular file|no longer a regular file)",
        "Keine gewöhnliche Datei – wird nicht gelesen.",
    ),
    (r"^unreadable", "Die Datei lässt sich nicht öffnen (fehlt die Leseberechtigung?)."),
    (r"^no text to index", "Die Datei enthält keinen Text, der sich verwenden lässt."),
    (
        r"^duplicate document id",
        "Ein Dokument mit derselben Kennung gibt es schon in einer "
        "anderen Datei; dieses wurde ausgelassen.",
    ),
    (
        r"^file name holds control",
        "Der Dateiname enthält unsichtbare Zeichen – die Datei wurde gelesen, bitte umbenennen.",
    ),
    (r"duplicate (passage|FAQ entr)", "Doppelte Abschnitte wurden nur einmal aufgenommen."),
    (
        r"characters? (split|cut|shortened)|shortened to",
        "Sehr lange Absätze oder Sätze wurden gekürzt oder geteilt.",
    ),
    (
        r"^header needs a column",
        "Die Tabelle braucht die Spalten „frage“ und „antwort“ (oder „question“ und „answer“).",
    ),
    (r"^empty question or answer", "Frage oder Antwort fehlt; die Zeile wurde ausgelassen."),
    (r"^malformed CSV", "Die Tabelle ist ab hier fehlerhaft; der Rest wurde ausgelassen."),
    (
        r"^(malformed JSON|a line must be a JSON object|needs a non-empty|JSON nested|holds an "
        r"unpaired|id of)",
        "Die Zeile ist fehlerhaft und wurde ausgelassen.",
    ),
    (r"^https?://", "Eine Webseite aus der Liste konnte nicht abgerufen werden."),
)
_MORE = re.compile(r"^… and ([\d,]+) more problems")
_COMPILED = tuple((re.compile(pattern), german) for pattern, german in _PATTERNS)


def unsupported_format(name: str) -> str:
    """Why a file of this name is not read: its format, and what to save it as instead."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _SAVE_AS:
        return _SAVE_AS[suffix]
    if suffix in _IMAGES:
        return (
            f"Bilder ({suffix}) werden nicht gelesen – der Text muss als Text vorliegen, "
            "z. B. als PDF mit Textebene."
        )
    shown = f"Das Format {suffix}" if suffix else "Eine Datei ohne Endung"
    return f"{shown} wird nicht gelesen. Lesbar sind {READABLE_FORMATS}."


def german_reason(item: Skipped) -> str:
    """The German sentence for a skipped item, with its line where it has one."""
    if item.reason.startswith("unsupported file type"):
        return unsupported_format(item.source)
    more = _MORE.match(item.reason)
    if more:
        return f"… und {more.group(1).replace(',', '.')} weitere Hinweise zu dieser Datei."
    sentence = next(
        (german for pattern, german in _COMPILED if pattern.search(item.reason)), _UNREADABLE
    )
    return f"Zeile {item.line}: {sentence}" if item.line is not None else sentence
