"""Make the committed test documents of `tests/documents/` with real producers.

    python tests/documents/make.py        (needs chromium and pandoc: apt-get install pandoc)

The seed article (`data/nato-krise-2026.txt`) is rendered as an HTML page with its
structure (title, teaser, headings, lists, the FAQ's questions as sub-headings, the
sources), and that page is turned into the documents a newsroom or an office would have:

- `seed.pdf`: printed by headless chromium (`--print-to-pdf`), with Chromium's running
  header (date, title) and footer (address, "1/4") on every page, and soft hyphens in the
  long compounds, so that Chromium hyphenates them at line ends ("Verteidi-" + "gungs…").
- `seed.docx`: converted by pandoc (headings as Word heading styles, lists as Word lists).
- `two-columns.pdf`: the same article set in two columns by CSS, printed by chromium.

The documents are committed (a few KB each), so tests need neither program; run this again
only when the seed article changes.
"""

import html
import itertools
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from index.documents import ElementKind  # noqa: E402
from index.formats.text import plain_text_elements  # noqa: E402
from index.structure import FAQ_HEADING, SOURCES_HEADING, is_furniture  # noqa: E402

SEED = ROOT / "data" / "nato-krise-2026.txt"
_LONG_WORD = re.compile(r"\w{14,}")

_STYLE = """
body { font-family: "DejaVu Serif", serif; font-size: 11pt; line-height: 1.4;
       margin: 0 auto; max-width: 42em; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; } h3 { font-size: 12pt; }
p.lead { font-style: italic; }
"""
_CHROMIUM = ("chromium", "--headless", "--no-sandbox", "--disable-gpu")
_TWO_COLUMNS = "article { column-count: 2; column-gap: 2em; } body { max-width: none; }"


def _soft_hyphens(text: str) -> str:
    """Soft hyphens inside long words (every 6th letter, at least 4 from the end), so that
    Chromium may break them at a line end and print a hyphen there."""

    def breakable(match: re.Match[str]) -> str:
        word = match.group()
        cuts = [0, *range(6, len(word) - 4, 6), len(word)]
        return "\u00ad".join(word[i:j] for i, j in itertools.pairwise(cuts))

    return _LONG_WORD.sub(breakable, text)


def _tag(kind: ElementKind, content: str, section: str, first: bool) -> str:
    """The tag an element of the seed's plain text becomes on the page."""
    if kind is ElementKind.HEADING and first:
        return "h1"
    if kind is ElementKind.HEADING and SOURCES_HEADING.fullmatch(section):
        return "p"  # the plain text's short source lines look like headings; they are items
    if kind is ElementKind.HEADING:
        return "h3" if FAQ_HEADING.search(section) and content.endswith("?") else "h2"
    return "li" if kind is ElementKind.LIST_ITEM else "p"


def seed_html(text: str, extra_style: str = "", hyphenate: bool = True) -> str:
    """The seed article as an HTML page: what a CMS would print or export."""
    title = section = ""
    body: list[str] = []
    for element in plain_text_elements(text):
        content = text[element.start : element.end]
        if title and all(is_furniture(line, title) for line in content.splitlines()):
            continue
        tag = _tag(element.kind, content, section, first=not title)
        title = title or content
        section = content if tag == "h2" else section
        shown = html.escape(content.lstrip("•").strip())
        shown = _soft_hyphens(shown) if hyphenate else shown
        if tag == "li" and not body[-1].startswith("<li>"):
            body.append("<ul>")
        elif tag != "li" and body and body[-1].startswith("<li>"):
            body.append("</ul>")
        lead = ' class="lead"' if tag == "p" and len(body) == 1 else ""
        body.append(f"<{tag}{lead}>{shown}</{tag}>")
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}{extra_style}</style></head>\n"
        "<body><article>\n" + "\n".join(body) + "\n</article></body></html>\n"
    )


def print_to_pdf(page: Path, out: Path) -> None:
    """Chromium's own print: header and footer on (its default), A4 from the page's size."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [*_CHROMIUM, f"--user-data-dir={profile}", f"--print-to-pdf={out}", page.as_uri()],
            check=True,
            capture_output=True,
        )


def main() -> None:
    text = SEED.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        page = work_dir / "seed.html"
        page.write_text(seed_html(text), encoding="utf-8")
        print_to_pdf(page, HERE / "seed.pdf")
        columns = work_dir / "two-columns.html"
        columns.write_text(seed_html(text, _TWO_COLUMNS), encoding="utf-8")
        print_to_pdf(columns, HERE / "two-columns.pdf")
        plain = work_dir / "plain.html"
        plain.write_text(seed_html(text, hyphenate=False), encoding="utf-8")
        pandoc = shutil.which("pandoc")
        if pandoc is None:
            raise SystemExit("pandoc is missing: apt-get install pandoc")
        subprocess.run(
            [pandoc, str(plain), "--from", "html", "--to", "docx", "-o", str(HERE / "seed.docx")],
            check=True,
        )
    for made in sorted(HERE.glob("*.*")):
        if made.suffix in (".pdf", ".docx"):
            print(f"{made.relative_to(ROOT)}: {made.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
