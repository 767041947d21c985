"""CSV: a table of questions and answers (columns question/frage, answer/antwort)."""

import csv
import io

from index import limits
from index.documents import FileProblem, Skipped, shortened
from index.formats import Loaded, decode, faq_document

_QUESTION_COLUMNS = ("question", "frage")
_ANSWER_COLUMNS = ("answer", "antwort")


def _column(header: list[str], names: tuple[str, ...]) -> int:
    lowered = [name.strip().lower() for name in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    found = shortened(str(header), limits.MAX_HEADING_CHARS)
    raise FileProblem(f"header needs a column {' or '.join(names)}; found {found}", 1)


def load_csv(raw: bytes, rel: str) -> Loaded:
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    header = next(reader, None)
    if not header:
        raise FileProblem("empty file")
    question_at, answer_at = _column(header, _QUESTION_COLUMNS), _column(header, _ANSWER_COLUMNS)
    pairs: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                reason = f"row has {len(row)} fields, the header {len(header)}"
                skipped.append(Skipped(rel, reason, reader.line_num))
            elif not (row[question_at].strip() and row[answer_at].strip()):
                skipped.append(Skipped(rel, "empty question or answer", reader.line_num))
            else:
                pairs.append((row[question_at].strip(), row[answer_at].strip()))
    except csv.Error as error:
        skipped.append(Skipped(rel, f"malformed CSV ({error}); rest of file", reader.line_num))
    return ([faq_document(rel, pairs)] if pairs else []), skipped
