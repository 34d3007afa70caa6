"""The shipped models: small files in app/models/, written by training/train_answers.py (fixed seed).

Two LightGBM text models (passage ranker, answer-sentence selector) and one logistic answerability
model stored as JSON (means, scales, coefficients, and the refusal threshold chosen on 2022–2023
questions). Loaded once per process; nothing is downloaded.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import math
import platform
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PASSAGE_MODEL = "passage_ranker.txt"
SENTENCE_MODEL = "sentence_selector.txt"
ANSWERABILITY_MODEL = "answerability.json"
# The refusal threshold by index size (training/fit_size_thresholds.py): anchors of (chunks, threshold).
SIZE_THRESHOLDS = "answerability_by_size.json"


@lru_cache(maxsize=1)
def _lightgbm_library() -> ctypes.CDLL:
    """LightGBM's own shared library, found where the ``lightgbm`` package keeps it (the same search order as
    its ``libpath``) without importing the package: ``import lightgbm`` also imports scikit-learn and SciPy
    when installed, ~60 MB of a server's memory that prediction does not use (docs/performance.md *Memory*)."""
    spec = importlib.util.find_spec("lightgbm")
    if spec is None or spec.origin is None:
        raise ImportError("lightgbm is not installed")
    package = Path(spec.origin).resolve().parent
    suffix = {"Windows": "dll", "Darwin": "dylib"}.get(platform.system(), "so")
    for folder in (package.parent, package / "bin", package / "lib"):
        if (folder / f"lib_lightgbm.{suffix}").is_file():
            lib = ctypes.cdll.LoadLibrary(str(folder / f"lib_lightgbm.{suffix}"))
            lib.LGBM_GetLastError.restype = ctypes.c_char_p
            return lib
    raise ImportError(f"lib_lightgbm.{suffix} not found beside {package}")


def _check(status: int) -> None:
    if status != 0:
        raise RuntimeError(_lightgbm_library().LGBM_GetLastError().decode("utf-8"))


class _NativeBooster:
    """A booster loaded through LightGBM's C API: the calls ``lightgbm.Booster.predict`` makes for a float64
    matrix (raw scores, all iterations, ``num_threads=1``), so the scores are the same to the bit
    (tests/test_learned_answers.py compares them)."""

    _RAW_SCORE = 1  # C_API_PREDICT_RAW_SCORE
    _FLOAT64 = 1  # C_API_DTYPE_FLOAT64
    _ROW_MAJOR = 1

    def __init__(self, model_text: str) -> None:
        self._lib = _lightgbm_library()
        self._handle = ctypes.c_void_p()
        iterations = ctypes.c_int(0)
        _check(self._lib.LGBM_BoosterLoadModelFromString(model_text.encode("utf-8"), ctypes.byref(iterations),
                                                         ctypes.byref(self._handle)))

    def predict(self, data: np.ndarray) -> np.ndarray:
        data = np.ascontiguousarray(data, dtype=np.float64)
        rows, cols = data.shape
        if rows >= 2**31:
            raise ValueError("LightGBM's C API takes at most 2**31 - 1 rows per call")
        expected = ctypes.c_int64(0)
        _check(self._lib.LGBM_BoosterCalcNumPredict(self._handle, ctypes.c_int(rows), ctypes.c_int(self._RAW_SCORE),
                                                    ctypes.c_int(0), ctypes.c_int(-1), ctypes.byref(expected)))
        out = np.empty(expected.value, dtype=np.float64)
        written = ctypes.c_int64(0)
        _check(self._lib.LGBM_BoosterPredictForMat(
            self._handle, data.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(self._FLOAT64), ctypes.c_int32(rows),
            ctypes.c_int32(cols), ctypes.c_int(self._ROW_MAJOR), ctypes.c_int(self._RAW_SCORE), ctypes.c_int(0),
            ctypes.c_int(-1), b"num_threads=1", ctypes.byref(written), out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
        if written.value != expected.value:
            raise RuntimeError("LightGBM wrote an unexpected number of predictions")
        return out

    def __del__(self) -> None:
        if getattr(self, "_handle", None) and self._handle.value:
            self._lib.LGBM_BoosterFree(self._handle)


class BoostedModel:
    """A LightGBM model read from its text dump; ``score`` returns raw margins (higher is better)."""

    booster = None  # a ``lightgbm.Booster`` when training wraps a freshly trained model (training/train_answers.py)

    def __init__(self, path: Path) -> None:
        text = path.read_text()
        try:
            self._native = _NativeBooster(text)
        except ImportError:  # a conda or system LightGBM keeps its library elsewhere: use the package itself
            import lightgbm

            self.booster = lightgbm.Booster(model_str=text)
        self.features = next((line.split("=", 1)[1].split(" ") for line in text.splitlines()
                              if line.startswith("feature_names=")), [])

    def score(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        data = np.asarray(rows, dtype=np.float64)
        if self.booster is not None:
            return np.asarray(self.booster.predict(data, raw_score=True, num_threads=1))
        return self._native.predict(data)


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


class ModelFileError(RuntimeError):
    """A shipped model file that cannot be read: one line naming it (CLI and ``serve``), never a trace."""


@dataclass(slots=True)
class SizeThresholds:
    """The answerability threshold for an index of ``chunks`` chunks: the same rule as the shipped threshold
    (strictest with false refusal <= 5 %) measured over indexes of several sizes, interpolated in log(chunks)
    between them and the nearest one's outside (docs/answers.md, *Small indexes: a threshold that follows the
    index's size*)."""

    anchors: list[tuple[int, float]]

    @classmethod
    def load(cls, path: Path) -> SizeThresholds:
        """Refuses, naming the file, anchors that are missing, not increasing in size, or not thresholds."""
        try:
            anchors = [(int(c), float(t)) for c, t in json.loads(path.read_text())["anchors"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"{path} is damaged ({exc}): restore it from the package or rerun "
                             "training/fit_size_thresholds.py fit") from exc
        sizes = [c for c, _ in anchors]
        if not anchors or sizes != sorted(set(sizes)) or sizes[0] < 1 or not all(0 <= t <= 1 for _, t in anchors):
            raise ModelFileError(f"{path} is damaged (anchors must be (chunks, threshold) pairs with chunks >= 1 "
                             "increasing and thresholds in [0, 1]): restore it from the package or rerun "
                             "training/fit_size_thresholds.py fit")
        return cls(anchors)

    def at(self, chunks: int) -> float:
        points = self.anchors
        if chunks <= points[0][0]:
            return points[0][1]
        for (c0, t0), (c1, t1) in zip(points, points[1:]):
            if chunks <= c1:
                share = (math.log(chunks) - math.log(c0)) / (math.log(c1) - math.log(c0))
                return round(t0 + share * (t1 - t0), 4)
        return points[-1][1]


@dataclass(slots=True)
class AnswerModels:
    passages: BoostedModel
    sentences: BoostedModel
    answerability: LogisticModel
    size_thresholds: SizeThresholds | None = None

    def threshold(self, chunks: int | None) -> float:
        """The refusal threshold for an index of ``chunks`` chunks (None: unknown, the full-index threshold)."""
        if chunks is None or self.size_thresholds is None:
            return self.answerability.threshold
        return min(self.size_thresholds.at(chunks), self.answerability.threshold)


@lru_cache(maxsize=4)
def load_models(folder: Path = MODELS_DIR) -> AnswerModels | None:
    """None when the files are missing (then the hand-set heuristics of earlier releases answer)."""
    paths = [folder / PASSAGE_MODEL, folder / SENTENCE_MODEL, folder / ANSWERABILITY_MODEL]
    if not all(p.exists() for p in paths):
        return None
    sizes = folder / SIZE_THRESHOLDS
    return AnswerModels(BoostedModel(paths[0]), BoostedModel(paths[1]), LogisticModel.load(paths[2]),
                        SizeThresholds.load(sizes) if sizes.exists() else None)
