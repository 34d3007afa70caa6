"""The trained checker's model: gradient-boosted trees read from JSON (no pickle, no LightGBM at run time).

`training/train_checker.py` fits LightGBM and writes its trees, the Platt calibration and the
threshold into `checker_model.json`; this module only walks the trees.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("checker_model.json")


@dataclass(frozen=True, slots=True)
class Tree:
    feature: tuple[int, ...]  # per internal node
    threshold: tuple[float, ...]
    left: tuple[int, ...]  # child index: >= 0 internal node, < 0 leaf ~index
    right: tuple[int, ...]
    value: tuple[float, ...]  # per leaf

    def predict(self, row: list[float]) -> float:
        if not self.feature:
            return self.value[0]
        node = 0
        while node >= 0:
            node = self.left[node] if row[self.feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[~node]


@dataclass(frozen=True, slots=True)
class CheckerModel:
    name: str
    version: str
    features: tuple[str, ...]
    trees: tuple[Tree, ...]
    platt: tuple[float, float]  # calibrated P = sigmoid(a * margin + b)
    threshold: float
    meta: dict
    scale: float = 1.0  # margin = scale * sum of tree outputs (1/K: the average of K models' trees)

    @property
    def reads(self) -> frozenset[str]:
        """The features some tree splits on: the only ones whose values can change a score."""
        return frozenset(self.features[i] for tree in self.trees for i in tree.feature)

    def margin(self, row: list[float]) -> float:
        return self.scale * sum(tree.predict(row) for tree in self.trees)

    def probability(self, values: dict[str, float]) -> float:
        row = [round(float(values[f]), 4) for f in self.features]  # training rounds features the same way
        z = self.platt[0] * self.margin(row) + self.platt[1]
        return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


def trees_from_lightgbm(dump: dict) -> list[dict]:
    """LightGBM's ``dump_model()`` trees as flat arrays (what the JSON file stores)."""
    out = []
    for info in dump["tree_info"]:
        feature, threshold, left, right, value = [], [], [], [], []

        def walk(node: dict) -> int:
            if "leaf_value" in node:
                value.append(node["leaf_value"])
                return ~(len(value) - 1)
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numerical splits are supported")
            index = len(feature)
            feature.append(node["split_feature"])
            threshold.append(node["threshold"])
            left.append(0)
            right.append(0)
            left[index] = walk(node["left_child"])
            right[index] = walk(node["right_child"])
            return index

        walk(info["tree_structure"])
        out.append({"f": feature, "t": threshold, "l": left, "r": right, "v": value})
    return out


def parse(payload: dict) -> CheckerModel:
    trees = tuple(Tree(tuple(t["f"]), tuple(t["t"]), tuple(t["l"]), tuple(t["r"]), tuple(t["v"]))
                  for t in payload["trees"])
    return CheckerModel(payload["name"], payload["version"], tuple(payload["features"]), trees,
                        tuple(payload["platt"]), float(payload["threshold"]), payload.get("meta", {}),
                        float(payload.get("scale", 1.0)))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> CheckerModel:
    return parse(json.loads(Path(path).read_text()))
