"""XQuAD-de as a corpus and a question set, read from ../shared/bench (never copied here)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

XQUAD_ENV = "FAQBOT_XQUAD"
DEFAULT_XQUAD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad.de.json"


def xquad_path() -> Path:
    """`$FAQBOT_XQUAD`, else ../shared/bench/xquad.de.json beside the repository."""
    return Path(os.environ.get(XQUAD_ENV) or DEFAULT_XQUAD)


@dataclass(frozen=True, slots=True)
class Paragraph:
    doc_id: str
    article: int
    """Position of its article in the file (0–47)."""
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class XQuestion:
    text: str
    doc_id: str
    """The paragraph that answers it."""
    article: int
    answers: tuple[str, ...]


@dataclass(frozen=True)
class XQuad:
    paragraphs: tuple[Paragraph, ...]
    questions: tuple[XQuestion, ...]

    @property
    def articles(self) -> int:
        return 1 + max(p.article for p in self.paragraphs)

    def write_jsonl(self, directory: Path, articles: range | None = None) -> Path:
        """The paragraphs (of some articles) as a JSONL corpus, one document per paragraph."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "xquad.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for p in self.paragraphs:
                if articles is None or p.article in articles:
                    record = {"id": p.doc_id, "title": p.title, "text": p.text}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path


def load_xquad(path: Path | None = None) -> XQuad:
    data = json.loads((path or xquad_path()).read_text(encoding="utf-8"))
    paragraphs, questions = [], []
    for article, entry in enumerate(data["data"]):
        title = entry["title"].replace("_", " ")
        for number, paragraph in enumerate(entry["paragraphs"]):
            doc_id = f"{entry['title']}#{number}"
            paragraphs.append(Paragraph(doc_id, article, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(XQuestion(qa["question"], doc_id, article, answers))
    return XQuad(tuple(paragraphs), tuple(questions))
