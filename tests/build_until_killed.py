"""Helper for test_crash: runs a build that stops at a named point until it is killed.

Usage: python tests/build_until_killed.py DATA OUT POINT MARKER
POINT is one of: embed, write, switch, cleanup. At that point the script creates MARKER
and sleeps, so that the test can send SIGKILL there and nowhere else.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import index.store
from conftest import FakeEmbedder
from index import build


def pause_here(marker: Path) -> None:
    marker.write_text("paused")
    time.sleep(60)


def main() -> None:
    data, out, point, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    embedder = FakeEmbedder()
    hooks = {"write": "_fsync_tree", "switch": "_switch_link", "cleanup": "_remove_unlinked"}
    if point == "embed":
        real_embed = embedder.embed

        def embed(texts, role, progress=False):
            pause_here(marker)
            return real_embed(texts, role, progress)

        embedder.embed = embed
    else:
        real = getattr(index.store, hooks[point])

        def paused(*args, **kwargs):
            pause_here(marker)
            return real(*args, **kwargs)

        setattr(index.store, hooks[point], paused)
    build(data, out, embedder=embedder)


if __name__ == "__main__":
    main()
