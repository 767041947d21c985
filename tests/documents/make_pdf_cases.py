"""Make the PDF test cases beyond `make.py`'s with the same real producer, headless chromium.

    python tests/documents/make_pdf_cases.py        (needs chromium)

- `running-header.pdf`: the seed article with a running header and footer of its own, set
  in the page's margin boxes by CSS (`@page { @top-left … @bottom-center … }`) instead of
  Chromium's date/title/address/"1/4": "Bundesamt für Beispiele – Jahresbericht 2026",
  "Stand: 28.11.2026" and "Seite 2 von 4", so that furniture is found without knowing the
  producer.
- `scanned.pdf`: a page that holds only an image of text, as a scanner makes it: no text
  layer at all.

The documents are committed (a few KB each), so tests need no chromium; run this again only
when the seed article changes.
"""

import base64
import io
import subprocess
import tempfile
from pathlib import Path

from make import _CHROMIUM, HERE, SEED, seed_html
from PIL import Image, ImageDraw

_RUNNING = """
@page { size: A4; margin: 22mm 20mm;
  @top-left { content: "Bundesamt für Beispiele – Jahresbericht 2026"; font: 8pt sans-serif; }
  @top-right { content: "Stand: 28.11.2026"; font: 8pt sans-serif; }
  @bottom-center { content: "Seite " counter(page) " von " counter(pages); font: 8pt sans-serif; }
}
"""


def _print(markup: str, out: Path) -> None:
    """Chromium's print without its own header and footer: the page's CSS sets them."""
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "page.html"
        page.write_text(markup, encoding="utf-8")
        subprocess.run(
            [
                *_CHROMIUM,
                f"--user-data-dir={work}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def _scan_html() -> str:
    """A page with one grey image of a few dark bars, as a scanned letter looks to a PDF
    reader without OCR."""
    image = Image.new("L", (600, 300), 235)
    draw = ImageDraw.Draw(image)
    for row in range(6):
        draw.rectangle((40, 40 + row * 40, 560 - (row % 3) * 90, 58 + row * 40), fill=40)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<!DOCTYPE html><html><body><img src="data:image/png;base64,{data}"></body></html>'


def main() -> None:
    text = SEED.read_text(encoding="utf-8")
    _print(seed_html(text, _RUNNING), HERE / "running-header.pdf")
    _print(_scan_html(), HERE / "scanned.pdf")
    for name in ("running-header.pdf", "scanned.pdf"):
        print(f"tests/documents/{name}: {(HERE / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
