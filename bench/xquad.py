"""XQuAD-de as a corpus and a question set, read from ../shared/bench (never copied here).

The English XQuAD file can supply the questions instead: the same questions (same ids) asked in
English over the German corpus, for measuring cross-lingual retrieval.
"""

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.settings import BenchmarkSettings


def xquad_path() -> Path:
    """`$FAQBOT_XQUAD`, else ../shared/bench/xquad.de.json beside the repository."""
    return BenchmarkSettings().xquad


def xquad_en_path() -> Path:
    """`$FAQBOT_XQUAD_EN`, else ../shared/bench/xquad.en.json beside the repository."""
    return BenchmarkSettings().xquad_en


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


def _articles(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def load_xquad(path: Path | None = None, questions_path: Path | None = None) -> XQuad:
    """The German paragraphs and questions of `path`.

    With `questions_path` (another language's XQuAD file, e.g. `xquad_en_path()`), the questions
    are that file's, in its order, each pointed by its question id at the German paragraph and
    the German gold answers: the answers must be found in the German corpus, whatever language
    the question is asked in. Matching by id, not by position or title, keeps this right even
    if the files' titles or order differ.
    """
    paragraphs, questions = [], {}
    for article, entry in enumerate(_articles(path or xquad_path())):
        title = entry["title"].replace("_", " ")
        for number, paragraph in enumerate(entry["paragraphs"]):
            doc_id = f"{entry['title']}#{number}"
            paragraphs.append(Paragraph(doc_id, article, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions[qa["id"]] = XQuestion(qa["question"], doc_id, article, answers)
    if questions_path is not None:
        questions = _translated(questions, questions_path)
    return XQuad(tuple(paragraphs), tuple(questions.values()))


def _translated(german: dict[str, XQuestion], path: Path) -> dict[str, XQuestion]:
    """`path`'s question texts on the German questions of the same ids.

    Refuses files whose question ids differ: a question without its German twin has no German
    gold paragraph, and a silently shorter set would not be comparable with the German one.
    """
    texts = {
        qa["id"]: qa["question"]
        for entry in _articles(path)
        for paragraph in entry["paragraphs"]
        for qa in paragraph["qas"]
    }
    if texts.keys() != german.keys():
        missing, extra = len(german.keys() - texts.keys()), len(texts.keys() - german.keys())
        raise ValueError(
            f"{path}: question ids differ from the German file ({missing} missing, {extra} extra)"
        )
    return {qid: replace(german[qid], text=text) for qid, text in texts.items()}
