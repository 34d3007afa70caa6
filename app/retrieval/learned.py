"""The shipped models: small files in app/models/, written by training/train_answers.py (fixed seed).

Two LightGBM text models (passage ranker, answer-sentence selector) and one logistic answerability
model stored as JSON (means, scales, coefficients, and the refusal threshold chosen on 2022–2023
questions). Loaded once per process; nothing is downloaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PASSAGE_MODEL = "passage_ranker.txt"
SENTENCE_MODEL = "sentence_selector.txt"
ANSWERABILITY_MODEL = "answerability.json"


class BoostedModel:
    """A LightGBM model read from its text dump; ``score`` returns raw margins (higher is better)."""

    def __init__(self, path: Path) -> None:
        import lightgbm

        self.booster = lightgbm.Booster(model_str=path.read_text())
        self.features = self.booster.feature_name()

    def score(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return np.asarray(self.booster.predict(np.asarray(rows, dtype=np.float64), raw_score=True, num_threads=1))


@dataclass(slots=True)
class LogisticModel:
    """P(answerable) = sigmoid(intercept + coef · (x - mean) / scale); refuse below ``threshold``."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float

    @classmethod
    def load(cls, path: Path) -> LogisticModel:
        raw = json.loads(path.read_text())
        return cls(raw["features"], raw["mean"], raw["scale"], raw["coef"], raw["intercept"], raw["threshold"])

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(c * (values[f] - m) / s for f, m, s, c in
                                 zip(self.features, self.mean, self.scale, self.coef))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(slots=True)
class AnswerModels:
    passages: BoostedModel
    sentences: BoostedModel
    answerability: LogisticModel


@lru_cache(maxsize=4)
def load_models(folder: Path = MODELS_DIR) -> AnswerModels | None:
    """None when the files are missing (then the hand-set heuristics of earlier releases answer)."""
    paths = [folder / PASSAGE_MODEL, folder / SENTENCE_MODEL, folder / ANSWERABILITY_MODEL]
    if not all(p.exists() for p in paths):
        return None
    return AnswerModels(BoostedModel(paths[0]), BoostedModel(paths[1]), LogisticModel.load(paths[2]))
