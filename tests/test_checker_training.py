"""The checker's model is what training/train_checker.py makes: same recipe, deterministic output,
and the JSON tree walker predicts exactly what LightGBM does."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tests.conftest import REPO, SHARED

needs_data = pytest.mark.skipif(not (SHARED / "data" / "summedits-dev").exists(),
                                reason="../shared/data is not beside the repository")


@pytest.fixture(scope="module")
def train_checker():
    sys.path.insert(0, str(REPO / "training"))
    import train_checker

    return train_checker


def test_shipped_model_was_made_by_the_current_recipe(train_checker):
    from app.answer.alignment import FEATURES
    from app.answer.checker_model import MODEL_PATH

    shipped = json.loads(MODEL_PATH.read_text())
    assert shipped["features"] == list(FEATURES)
    assert shipped["meta"]["params"] == train_checker.PARAMS
    assert shipped["meta"]["rounds"] == train_checker.ROUNDS and len(shipped["trees"]) == train_checker.ROUNDS
    assert shipped["meta"]["seed"] == train_checker.SEED
    assert shipped["version"] == train_checker.VERSION
    assert 0.0 < shipped["threshold"] < 1.0 and shipped["platt"][0] > 0  # higher margin, higher probability


def test_tree_walker_matches_lightgbm(train_checker):
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    from app.answer.alignment import FEATURES
    from app.answer.checker_model import parse, trees_from_lightgbm

    rng = np.random.default_rng(0)
    x = rng.random((400, len(FEATURES))).round(4)
    y = (x[:, 1] + 0.3 * x[:, 5] - 0.2 * x[:, 8] + 0.1 * rng.standard_normal(400)) > 0.6
    booster = train_checker.fit(x, y, np.ones(400), rounds=30)
    model = parse({"name": "t", "version": "0", "features": list(FEATURES), "platt": [1.0, 0.0], "threshold": 0.5,
                   "trees": trees_from_lightgbm(booster.dump_model())})
    expected = booster.predict(x, raw_score=True)
    walked = np.array([model.margin(list(row)) for row in x])
    assert np.allclose(walked, expected, atol=1e-9)


@needs_data
def test_training_is_deterministic_on_a_small_subset(train_checker, tmp_path):
    """Two runs of the quick recipe write byte-identical files (fixed seed, one thread, rounded features)."""
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert train_checker.main(["--quick", "--no-cache", "--out", str(first)]) == 0
    assert train_checker.main(["--quick", "--cache", str(tmp_path / "cache"), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = json.loads(first.read_text())
    assert model["version"].endswith("-quick") and len(model["trees"]) == 40
