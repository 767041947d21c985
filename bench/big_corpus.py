"""`python -m bench.big_corpus`: peak memory of building a 50 MB corpus of one-paragraph
files, in a child process, so that the caps' bound on memory is measured, not assumed.

The files are one paragraph each, made offline from the seed article's sentences in a
random order (so no two passages repeat), and without paragraph breaks, the case the
caps were made for. The model is replaced by a hashing embedder of the default model's
dimension: the default model embeds about 3.5 KB per second on two cores, four hours for
50 MB, while what the build holds besides the model (text, passages, sentence vectors,
BM25) is the same. The model's own memory is measured by the seed build (`system`).
"""

import argparse
import hashlib
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.serve import REPO
from index.embedding import Role

SEED = REPO / "data" / "nato-krise-2026.txt"


class HashingEmbedder:
    """Words hashed into `dimension` buckets: vectors of the model's size at numpy speed."""

    name = "hashing-384"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def embed(self, texts: Sequence[str], role: Role, progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or [""]:
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest())
                vectors[row, bucket % self.dimension] += 1.0
            vectors[row] /= np.linalg.norm(vectors[row]) or 1.0
        return vectors


def write_corpus(directory: Path, files: int, file_bytes: int, seed: int = 7) -> int:
    """`files` one-paragraph files of about `file_bytes` each; returns the bytes written."""
    sentences = re.findall(r"[^.!?\n]+[.!?]", SEED.read_text(encoding="utf-8"))
    generator = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for number in range(files):
        parts, size = [], 0
        while size < file_bytes:
            sentence = f"{generator.choice(sentences).strip()} ({generator.randrange(10**6)})"
            parts.append(sentence)
            size += len(sentence.encode()) + 1
        text = " ".join(parts)
        (directory / f"absatz-{number:03}.txt").write_text(text, encoding="utf-8")
        written += len(text.encode())
    return written


@dataclass(frozen=True, slots=True)
class BigBuild:
    corpus_mb: float
    files: int
    seconds: float
    peak_rss_mib: float
    summary: str


CHILD = """
import sys, time
from pathlib import Path
from bench.big_corpus import HashingEmbedder
from index.build import build
from index.__main__ import summary
manifest = build(Path(sys.argv[1]), Path(sys.argv[2]), embedder=HashingEmbedder(), progress=True)
print(summary(manifest))
"""


def measure(files: int = 50, file_bytes: int = 1_000_000) -> BigBuild:
    with tempfile.TemporaryDirectory() as workdir:
        data, out = Path(workdir) / "data", Path(workdir) / "index"
        written = write_corpus(data, files, file_bytes)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(data), str(out)],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return BigBuild(written / 1e6, files, seconds, peak, done.stdout.strip())


def big_corpus_section(files: int = 50) -> str:
    result = measure(files)
    first = result.summary.splitlines()[0]
    return (
        f"A corpus of {result.files} one-paragraph files, {result.corpus_mb:.0f} MB, built in a "
        "child process with a hashing embedder in place of the model (see "
        "`bench/big_corpus.py`): "
        f"**peak RSS {result.peak_rss_mib:,.0f} MiB**, {result.seconds:.0f} s. {first}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.big_corpus", description=__doc__)
    parser.add_argument("--files", type=int, default=50, help="files of 1 MB each")
    args = parser.parse_args(argv)
    print(big_corpus_section(args.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
