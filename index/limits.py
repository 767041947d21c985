"""Every cap on what a build reads, in one place, each with the reason for its value.

A corpus is written by people and can be damaged or hostile: one file of 50 MB, one line
of 2 MB, 100,000 copies of one FAQ entry. The caps keep the time and memory of a build
bounded by these values instead of by the input; whatever a cap changes or leaves out is
reported in the build summary and the manifest, never dropped silently.

The code reads them as `limits.NAME` at call time, so that tests can lower them.
"""

MAX_FILE_BYTES = 20_000_000
"""A file larger than 20 MB is not read.

The largest real corpus files are article exports and FAQ tables of a few MB. A build needs
some 15 times the size of ordinary text in memory (measured: 2 MB of German news text raise
the peak by 30 MB with the tests' 64-dimensional vectors; the default model's 384 dimensions
add about 10 MB per MB of text), so a file at the cap costs a few hundred MB, and the default
model, embedding about 3.5 KB of text per second on two cores, needs more than an hour for
it: a larger file is far more likely a dump or a mistake than an article."""

MAX_CORPUS_BYTES = 100_000_000
"""The files read add up to at most 100 MB; a file that would go beyond is not read.

A build holds every passage, its sentences, vectors and BM25 tokens in memory at once: at
some 25 times the text (see `MAX_FILE_BYTES`), 100 MB need about 2.5 GB of RAM, and the
default model embeds them in about eight hours on two cores. A larger corpus needs another
design (streaming, sharding), not a larger cap."""

MAX_FILE_PARTS = 200_000
"""A file with more than 200,000 lines (an HTML file: more than 200,000 `<`) is not read.

Memory follows the number of parts more than the bytes: markdown-it makes three tokens of
some 400 bytes of a one-word list item, BeautifulSoup some 1 KB of a tag (1 MB of `<p>x`:
180 MB), and each FAQ row becomes a passage with its vectors. Measured at the cap with the
tests' embedder, the worst files (one word per line or tag) take 0.4 to 0.9 GB and 50 to
80 s; real files have a few thousand paragraphs, and a JSONL or CSV table of up to 200,000
rows still fits. A text hard-wrapped at 72 characters reaches the cap at 14 MB: split it."""

MAX_BLOCK_CHARS = 10_000
"""A paragraph (or a line of a list) longer than 10,000 characters goes to sentence
splitting in pieces of at most this length: cut at a line break, else after a sentence end,
else at a space.

SoMaJo tokenizes a paragraph as a whole and needs some 650 bytes of memory per character of
it (measured: 200,000 characters, 128 MB; a paragraph of 1.1 MB, 640 MB), so this keeps one
call near 6 MB. Long German paragraphs have 1,000 to 3,000 characters, and an FAQ answer of
several paragraphs rarely more than 10,000, so real text is hardly ever cut; where it is,
the cut falls between paragraphs or sentences, and the sentences come out as without it."""

MAX_SENTENCE_CHARS = 2_000
"""A "sentence" longer than 2,000 characters is cut at word boundaries into pieces of at
most this length.

A sentence is what answers quote and what is embedded, and the embedding models read about
512 tokens, some 2,000 German characters: the rest of a longer one is not seen by the dense
search, and only a list or table without full stops, or garbage, gets there. Real sentences
come close: XQuAD-de has an enumeration of 1,341 characters, and cutting it at 1,000 cost
answers (the English XQuAD questions answered fell below their 0.85 target, to 0.8496)."""

MAX_HEADING_CHARS = 300
"""A title, heading, FAQ question or document id longer than 300 characters is not used as
one: a heading or question is indexed as text, a title is shortened at a word boundary, and
a JSONL line with such an id is skipped.

Real headings and questions have well under 150 characters. Title, heading and question
together are embedded as a passage's context and repeated with every passage of their
section, so each must stay short for the context to stay within `MAX_SENTENCE_CHARS`."""

MAX_REPORTED_PER_FILE = 20
"""At most 20 problems are reported per file, then one line "… and N more".

Twenty lines show what is wrong with a file; a file with 100,000 bad lines would otherwise
put 100,000 lines into the summary and the manifest."""

MAX_PDF_PAGES = 2_000
"""A PDF of more than 2,000 pages is not read.

Reading costs 0.06 to 0.17 s a page on one core (measured: a 36-page TeX manual 0.07 s,
the seed PDF's dense article pages 0.15 s, 400 copies of them 70 s with a peak of 200 MB),
so 2,000 pages take up to 6 minutes, less than embedding their text (some 4 MB, over
20 minutes). A book has a few hundred pages; a longer PDF is more likely an archive of
scans or a dump than a document to answer questions from: split it."""

MAX_DOCX_UNPACKED_BYTES = 50_000_000
"""A .docx whose parts add up to more than 50 MB unpacked is not read.

A .docx is a zip archive, and a file within `limits.MAX_FILE_BYTES` can unpack to
gigabytes of XML (300 MB of zeros compress to 300 KB). python-docx reads every part into
memory and lxml holds the parsed XML at several times its size: measured peaks of 8 times
the size of `word/document.xml` for ordinary paragraphs (13.7 MB: 114 MB, 8 s) and 17.5
times for one-letter runs, the worst case (23 MB: 403 MB, 18 s). So the sizes the archive
declares are checked before anything is unpacked (Python's zipfile never returns more than
a member's declared size, so a member cannot lie its way past the check), and at the cap
a file needs at most some 0.9 GB and 40 s, like the worst files at `limits.MAX_FILE_PARTS`.
Real documents unpack to a few MB of XML; their images count with their own size, so a
20 MB file of photos still fits."""

MAX_URLS = 1_000
"""At most 1,000 URLs are read from `urls.txt`; the rest are reported once and not fetched.

Pages are fetched one after another: a real news page takes some 0.2 to 2 s to fetch and
extract, so 1,000 pages add up to half an hour of a build, and a list of slow sites up to
`index.formats.web_pages.PAGE_DEADLINE_SECONDS` each. A longer list is more likely a pasted
sitemap than pages an editor chose (and `MAX_CORPUS_BYTES` caps their text anyway)."""

MAX_WEB_PAGE_BYTES = 5_000_000
"""A web page larger than 5 MB (as served, or once inflated) is not read.

trafilatura's time grows faster than the page, and extraction cannot be interrupted by the
page's deadline. Measured on article-like HTML (nested divs, paragraphs with links, lists,
tables) with the HTML walker after it, on a busy two-core machine: 1 MB 1.9 s and 150 MB,
2 MB 4.3 s, 3 MB 13 s, 5 MB 25 s and 340 MB. Real article pages have 50 KB to 1 MB of HTML,
more with inline scripts, which cost little. The worst page within this cap is one at
`MAX_FILE_PARTS` tags, which a web page must keep too: 1.7 MB of `<p>Wort Satz.</p>`, 60 s
and 410 MB, like the worst local files at that cap."""

MAX_PDF_PAGE_CONTENT_BYTES = 2_000_000
"""A PDF page whose content streams decode to more than 2 MB (counting a form each time the
page draws it) is not read, and the file is refused.

pdfminer parses content at some 0.25 MB a second and holds state per operator: 3 MB of `q`
(save the graphics state, never restored) took 13 s and 650 MB, so at this cap a page costs
at most some 9 s and 450 MB. Real pages are far smaller: the densest Chromium text page
measured has 90 KB (2,500 glyphs, 26 bytes each), a page of 5,000 glyphs some 150 KB; only
a huge vector drawing (a detailed map) comes near. Streams are measured with a bounded
decoder, so a Flate bomb (1,000 times its size) is not inflated beyond the cap."""

MAX_PDF_CONTENT_BYTES = 100_000_000
"""A PDF whose pages' content adds up to more than 100 MB decoded is refused.

Pages within `MAX_PDF_PAGE_CONTENT_BYTES` each still add up: 2,000 pages at that cap would
take hours to parse. 100 MB are some 7 minutes of parsing at worst, like `MAX_PDF_PAGES` of
ordinary pages, and hold 1,100 dense Chromium pages or several thousand TeX or Word pages."""

MAX_PDF_PAGE_CHARS = 50_000
"""A PDF page that draws more than 50,000 glyphs is refused, while pdfminer draws them.

pdfminer and pdfplumber keep some 2 KB per glyph (measured: 1 million glyphs from a 28 KB
file, 2.1 GB and 28 s), so a page at the cap costs about 100 MB and 2 s. A dense A4 page
has some 5,000 glyphs, a newspaper page in small print 30,000; a form drawn over and over
can multiply glyphs without making the content longer, so they are counted as drawn."""

MAX_PDF_PAGE_GRAPHICS = 50_000
"""A PDF page that paints more than 50,000 paths, images or forms is refused.

Each becomes a layout object of some 4 KB (measured: 300,000 one-point rectangles from an
8 KB file, 1.3 GB and 48 s), so a page at the cap costs about 220 MB and 8 s. Text pages
paint a few lines and bullets, charts a few thousand paths; only maps and technical
drawings paint more, and their text is not what faqbot answers from."""

MAX_PDF_STREAM_BYTES = 4_000_000
"""A PDF stream that pdfminer decodes to more than 4 MB (a font, a character map, an object
stream, a page's content) refuses the file; it is measured with bounded decoders first, so
that a bomb is not inflated beyond the cap.

pdfminer inflates every stream it needs whole, and parses character maps and object streams
token by token into Python objects: a 1.4 MB file whose ToUnicode map inflated to 500 MB of
one mapping took minutes, a 200 KB map of "0 " tokens 3.6 GB, an object stream found while
repairing a broken cross-reference table 48 s and 3.1 GB. Real streams are far smaller:
content is capped per page at `MAX_PDF_PAGE_CONTENT_BYTES` already, object streams hold a
few hundred objects (some 100 KB), a ToUnicode map of a subset font has a few KB and of a
whole CJK font some 500 KB, and embedded fonts are subsets of 20 to 500 KB. Only a whole
CJK font embedded unsubset (10 to 20 MB) exceeds the cap: such a PDF is refused (export it
with embedded font subsets, every producer's default). At the cap, the worst stream measured,
a character map of 2 million "0 " tokens, costs 8 s and 170 MB; a file of many such streams
is left to the reading worker's limits (`index.reading`)."""
