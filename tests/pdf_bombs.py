"""PDFs whose decompression bombs lie outside the page content, written synthetically: each
is a one-page PDF with a line of text, and one stream that inflates to far more than the file.

- `to_unicode_bomb`: a font's ToUnicode CMap of one mapping repeated over and over (pdfminer
  parsed it whole: a 1.5 MB file took 13 s and 3.1 GB, and was indexed);
- `font_file_bomb`: a Type 1 font without /Encoding, whose embedded font program (/FontFile)
  pdfminer inflates whole to read the encoding from its first bytes (44 s, 3.1 GB);
- `object_stream_bomb`: a broken cross-reference table, so that pdfminer scans the file for
  objects and parses every object stream it finds (48 s, 3.1 GB);
- `zero_tokens_bomb`: a ToUnicode CMap of nothing but "0 " tokens, each pushed onto the
  parser's stack (a 205 KB file: 145 s and 3.6 GB, then a `MemoryError`).

`python tests/pdf_bombs.py DIR` writes the four at the sizes of the files that broke the
build (`FULL_SIZES`), for the measurement in docs/benchmarks.md; tests write small ones, a
few times the stream cap.
"""

import sys
import zlib
from collections.abc import Callable
from pathlib import Path

_CHUNK = 1 << 20
_TEXT = b"BT /F1 12 Tf 72 720 Td (Ein Satz ueber Wale und Delfine.) Tj ET"
_CMAP_HEAD = (
    b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
    b"/CMapName /Bomb def 1 begincodespacerange <00> <FF> endcodespacerange\n"
)


def _deflated(head: bytes, unit: bytes, inflated_bytes: int) -> bytes:
    """`head`, then `unit` repeated up to `inflated_bytes`, Flate-compressed a piece at a
    time: the inflated stream is never held, however large."""
    packer = zlib.compressobj(9)
    per_piece = _CHUNK // len(unit)
    pieces, rest = divmod(max(0, inflated_bytes - len(head)) // len(unit), per_piece)
    parts = [packer.compress(head)]
    piece = unit * per_piece
    parts.extend(packer.compress(piece) for _ in range(pieces))
    parts.append(packer.compress(unit * rest))
    return b"".join(parts) + packer.flush()


def _stream(attrs: bytes, packed: bytes) -> bytes:
    head = b"<< %s /Length %d /Filter /FlateDecode >>" % (attrs, len(packed))
    return head + b"\nstream\n" + packed + b"\nendstream"


def _pdf(font: bytes, extra: list[bytes], xref_offset: int | None = None) -> bytes:
    """A one-page PDF drawing `_TEXT` in `font` (object 5); `extra` are objects 6, 7, …
    `xref_offset` replaces the true offset of the cross-reference table (a broken one)."""
    content = zlib.compress(_TEXT)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(b"", content),
        font,
        *extra,
    ]
    body, offsets = b"%PDF-1.5\n", []
    for number, item in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, item)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    return body + b"startxref\n%d\n%%%%EOF\n" % (xref if xref_offset is None else xref_offset)


def to_unicode_bomb(inflated_bytes: int) -> bytes:
    """Helvetica with a ToUnicode CMap of `inflated_bytes`: one mapping, repeated."""
    cmap = _deflated(_CMAP_HEAD, b"1 beginbfchar <41> <0041> endbfchar\n", inflated_bytes)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>"
    return _pdf(font, [_stream(b"", cmap)])


def _encoding() -> bytes:
    """A Type 1 encoding of the letters, the space and the full stop, as a font program's
    header states it: pdfminer reads it from the font file when the font has no /Encoding."""
    names = {ord(" "): b"space", ord("."): b"period"}
    names |= {code: bytes([code]) for code in range(ord("A"), ord("z") + 1) if chr(code).isalpha()}
    return b"\n".join(b"dup %d /%s put" % (code, name) for code, name in sorted(names.items()))


def font_file_bomb(inflated_bytes: int) -> bytes:
    """A Type 1 font without /Encoding whose font program inflates to `inflated_bytes`."""
    head = b"%%!PS-AdobeFont-1.0: Bomb 001\n/Encoding 256 array\n%s readonly def\n" % _encoding()
    program = _deflated(head, b"\x00" * 4096, inflated_bytes)
    font = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Bomb /FirstChar 32 /LastChar 126 "
        b"/Widths [%s] /FontDescriptor 6 0 R >>" % b" ".join([b"500"] * 95)
    )
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontBBox [0 0 1000 1000] "
        b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile 7 0 R >>"
    )
    attrs = b"/Length1 %d /Length2 0 /Length3 0" % len(head)
    return _pdf(font, [descriptor, _stream(attrs, program)])


def object_stream_bomb(inflated_bytes: int) -> bytes:
    """A broken cross-reference table, and an object stream of `inflated_bytes`, which the
    scan for objects that repairs the table parses whole."""
    objects = _deflated(b"8 0 ", b"<< /Wal 1 >> ", inflated_bytes)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    stream = _stream(b"/Type /ObjStm /N 1 /First 4", objects)
    return _pdf(font, [stream], xref_offset=17)


def zero_tokens_bomb(inflated_bytes: int) -> bytes:
    """Helvetica with a ToUnicode CMap of `inflated_bytes` of "0 " tokens."""
    cmap = _deflated(_CMAP_HEAD, b"0 ", inflated_bytes)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>"
    return _pdf(font, [_stream(b"", cmap)])


BOMBS: dict[str, Callable[[int], bytes]] = {
    "tounicode-bomb.pdf": to_unicode_bomb,
    "fontfile-bomb.pdf": font_file_bomb,
    "objstm-bomb.pdf": object_stream_bomb,
    "zero-tokens-bomb.pdf": zero_tokens_bomb,
}
FULL_SIZES = {
    "tounicode-bomb.pdf": 500_000_000,
    "fontfile-bomb.pdf": 1_500_000_000,
    "objstm-bomb.pdf": 500_000_000,
    "zero-tokens-bomb.pdf": 200_000_000,
}
"""Inflated sizes that give files of the sizes that broke the build: 1.4, 1.5, 1.0 MB and
200 KB."""


def write_bombs(directory: Path, inflated_bytes: dict[str, int]) -> list[Path]:
    """The four bombs in `directory`, each inflating to its size in `inflated_bytes`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in BOMBS.items():
        path = directory / name
        path.write_bytes(make(inflated_bytes[name]))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_bombs(Path(sys.argv[1]), FULL_SIZES):
        print(f"{path}: {path.stat().st_size:,} bytes")
