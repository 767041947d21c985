"""The base of the bundled models' sentence-transformers modules.

Both bundled engines take whole texts and return one vector per text (they tokenize and
pool inside), so each is a single input module that sets `sentence_embedding` itself;
what they share is how sentence-transformers asks for their size and saves them.
"""

from typing import Any

from sentence_transformers.base.modules.input_module import InputModule


class WholeTextModule(InputModule):
    """Subclasses set `dimension` and implement `preprocess` and `forward`."""

    config_keys: list[str] = []  # noqa: RUF012 -- the base class declares it as a list
    dimension: int

    def get_embedding_dimension(self) -> int:
        return self.dimension

    get_sentence_embedding_dimension = get_embedding_dimension

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.save_config(output_path)
