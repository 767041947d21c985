"""What is fitted to one embedding model: the confidence model and the FAQ-match threshold.

Similarities mean different things under different models (e5's cosines crowd between
0.7 and 0.9, USE's spread from 0 to 1), so every number fitted on them belongs to the
model. `python -m bench.calibrate --model NAME` fits them on XQuAD-de and writes them to
`calibrations.json` beside this file; a build records the entry of its model in the
index's manifest, and the bot reads it from there.
"""

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("index")

CALIBRATIONS = Path(__file__).with_name("calibrations.json")


@dataclass(frozen=True, slots=True)
class Logistic:
    """A fitted logistic model: named features, their weights, and the probability from
    which its answer is "yes" (fitted with it)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if len(self.features) != len(self.weights):
            raise ValueError(f"{len(self.weights)} weights for {len(self.features)} features")

    def probability(self, values: Sequence[float]) -> float:
        logit = self.bias + sum(w * x for w, x in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(logit, 500.0), -500.0)))

    def probability_of(self, features: Mapping[str, float]) -> float:
        """`probability` of features given by name; a name the model does not know weighs
        nothing (features that exist only for some inputs, `bot.short_answer`)."""
        return self.probability([features.get(name, 0.0) for name in self.features])

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """`probability` of each row of a (candidates × features) array."""
        logits = rows @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -500.0, 500.0)))


@dataclass(frozen=True, slots=True)
class Calibration:
    """A logistic model from retrieval evidence to "the sources answer this", and the
    similarity from which an FAQ question counts as the user's question."""

    features: tuple[str, ...]
    """Names of the evidence the weights belong to, in order (checked by the bot)."""
    weights: tuple[float, ...]
    bias: float
    faq_match: float
    """From this similarity on, an FAQ question is taken for the user's: as likely the same
    question as not."""
    faq_slope: float
    """How fast that likelihood rises with the similarity (logistic), see `faq_same`."""
    fitted_on: str
    """What it was fitted on, and how well it separated (for the manifest's reader)."""
    sentence: Logistic | None = None
    """ "Does this sentence answer this question?" (`bot.extraction`)."""
    follow: Logistic | None = None
    """ "Does this further sentence add the answer?" (`bot.extraction.select`)."""
    short: Logistic | None = None
    """ "Is this phrase the short answer?" (`bot.short_answer`)."""

    def __post_init__(self) -> None:
        if len(self.features) != len(self.weights):
            raise ValueError(f"{len(self.weights)} weights for {len(self.features)} features")

    def faq_same(self, similarity: float) -> float:
        """Probability that an FAQ question this similar is the user's question restated."""
        return 1.0 / (1.0 + math.exp(-self.faq_slope * (similarity - self.faq_match)))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Calibration":
        return cls(
            features=tuple(data["features"]),
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            faq_match=float(data["faq_match"]),
            faq_slope=float(data["faq_slope"]),
            fitted_on=str(data["fitted_on"]),
            **{
                part: Logistic(
                    features=tuple(data[part]["features"]),
                    weights=tuple(float(w) for w in data[part]["weights"]),
                    bias=float(data[part]["bias"]),
                    threshold=float(data[part]["threshold"]),
                )
                for part in ("sentence", "follow", "short")
                if data.get(part) is not None
            },
        )


def read_calibrations(path: Path | None = None) -> dict[str, Calibration]:
    """Every model's calibration, from `path` (default: `CALIBRATIONS`)."""
    path = path or CALIBRATIONS
    if not path.is_file():
        return {}
    calibrations = {}
    for model, entry in json.loads(path.read_text(encoding="utf-8")).items():
        try:
            calibrations[model] = Calibration.from_json(entry)
        except (KeyError, TypeError, ValueError) as error:  # fitted by an older faqbot
            log.warning("ignoring the calibration of %s in %s (%r): refit it", model, path, error)
    return calibrations


def calibration_for(model: str, path: Path | None = None) -> Calibration | None:
    """The calibration fitted for `model`, or None if none was."""
    return read_calibrations(path).get(model)


def save_calibration(model: str, calibration: Calibration, path: Path | None = None) -> None:
    """Add or replace the entry of `model`; the other models' entries stay as they are."""
    path = path or CALIBRATIONS
    entries = {name: c.to_json() for name, c in read_calibrations(path).items()}
    entries[model] = calibration.to_json()
    path.write_text(
        json.dumps(dict(sorted(entries.items())), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )


def fit_hint(model: str) -> str:
    return (
        f"no calibration is fitted for the embedding model {model!r}; fit one with: "
        f"python -m bench.calibrate --model {model} (needs ../shared/bench/xquad.de.json), "
        "then rebuild the index"
    )
