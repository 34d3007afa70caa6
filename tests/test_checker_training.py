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
    booster = train_checker.fit(x, y, np.ones(400), rounds=30, models=1).boosters[0]
    model = parse({"name": "t", "version": "0", "features": list(FEATURES), "platt": [1.0, 0.0], "threshold": 0.5,
                   "trees": trees_from_lightgbm(booster.dump_model())})
    expected = booster.predict(x, raw_score=True)
    walked = np.array([model.margin(list(row)) for row in x])
    assert np.allclose(walked, expected, atol=1e-9)


def test_tree_walker_averages_an_ensemble_as_training_does(train_checker):
    """--ensemble K: K seeds' trees in one file with scale 1/K walk to the mean of the K boosters' margins."""
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    from app.answer.alignment import FEATURES
    from app.answer.checker_model import parse, trees_from_lightgbm

    rng = np.random.default_rng(0)
    x = rng.random((400, len(FEATURES))).round(4)
    y = (x[:, 1] + 0.3 * x[:, 5] - 0.2 * x[:, 8] + 0.1 * rng.standard_normal(400)) > 0.6
    ensemble = train_checker.fit(x, y, np.ones(400), rounds=30, models=3)
    boosters = ensemble.boosters
    model = parse({"name": "t", "version": "0", "features": list(FEATURES), "platt": [1.0, 0.0], "threshold": 0.5,
                   "scale": 1 / 3, "trees": [t for b in boosters for t in trees_from_lightgbm(b.dump_model())]})
    margins = [b.predict(x, raw_score=True) for b in boosters]
    assert not np.allclose(margins[0], margins[1])  # other seeds, other trees: the average is not one model
    expected = np.mean(margins, axis=0)
    walked = np.array([model.margin(list(row)) for row in x])
    assert np.allclose(walked, expected, atol=1e-9)
    assert np.allclose(ensemble.predict(x, raw_score=True), expected, atol=1e-12)


def test_smoothed_threshold_stays_off_the_edge_of_a_plateau(train_checker):
    """Every threshold between the classes (.305-.5) is perfect: the raw argmax takes the plateau's lowest
    point, where one unsupported item scored a little higher would cost accuracy; the smoothed curve (--smooth W)
    the lowest whose whole +-W neighbourhood is on the plateau."""
    supported = np.linspace(0.5, 1.0, 60)
    unsupported = np.linspace(0.0, 0.3, 60)
    items = {f"s{i}": (float(s), True, "news") for i, s in enumerate(supported)}
    items |= {f"u{i}": (float(s), False, "news") for i, s in enumerate(unsupported)}
    assert train_checker.choose_threshold(items, 0.0) == pytest.approx(0.305)
    assert train_checker.choose_threshold(items, 0.05) == pytest.approx(0.355)
    curve = np.array([0.0, 0.0, 3.0, 0.0, 0.0])
    assert np.allclose(train_checker.smoothed(curve, 1), [0.0, 1.0, 1.0, 1.0, 0.0])
    assert np.allclose(train_checker.smoothed(curve, 0), curve)


@needs_data
def test_training_is_deterministic_on_a_small_subset(train_checker, tmp_path, monkeypatch):
    """Two runs of the quick recipe write byte-identical files (fixed seed, one thread, rounded features)."""
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert train_checker.main(["--quick", "--no-cache", "--out", str(first)]) == 0
    assert train_checker.main(["--quick", "--cache", str(tmp_path / "cache"), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = json.loads(first.read_text())
    assert model["version"].endswith("-quick") and len(model["trees"]) == 40
    # without --out a retrain from the data writes beside the cache, never over the shipped model
    from app.answer.checker_model import MODEL_PATH

    shipped = MODEL_PATH.read_bytes()
    retrained = tmp_path / "retrained.json"
    monkeypatch.setattr(train_checker, "RETRAINED_PATH", retrained)
    assert train_checker.main(["--quick", "--cache", str(tmp_path / "cache")]) == 0
    assert MODEL_PATH.read_bytes() == shipped
    assert retrained.read_bytes() == first.read_bytes()
    assert "scale" not in model and "ensemble" not in model["meta"]  # one model: the 1.4.x file, unchanged
    third = tmp_path / "c.json"
    assert train_checker.main(["--quick", "--cache", str(tmp_path / "cache"), "--out", str(third),
                               "--ensemble", "2", "--smooth", "0.05"]) == 0
    averaged = json.loads(third.read_text())
    assert len(averaged["trees"]) == 80 and averaged["scale"] == 0.5 and averaged["meta"]["ensemble"] == 2
    assert averaged["meta"]["threshold_smooth"] == 0.05 and averaged["trees"][:40] == model["trees"]


# The training rows whose features 1.4.1's antecedent fix (app/answer/voice.py, leading_name) changed: the stored
# matrix keeps 1.4.0's values there (the shipped trees were fit on them) and today's values beside them (now_x).
# QAGS cnndm:164, the Garnet ghost-town article: 1.4.0 read "it was devastated by fire" as Garnet and "It is said to
# be haunted by ..." as "Ghost" (the first word of "Ghost town coming back to life : ..."); 1.4.1 reads neither, as
# "garnet" and "ghost" are words the text never capitalises inside a sentence (docs/faithfulness.md, Reproducing).
CHANGED_BY_1_4_1 = {
    "affe9e4ccabdcc6b": ("window_pairs",),  # qags:cnndm:164:0 "Tiny montana outpost was established in the 1860s ..."
    "1e0854ae89a36aa4": ("window_order", "window_pairs", "window_negation", "negation_mismatch", "cosine"),
    # qags:cnndm:164:2 "Garnet is said to be haunted by some of its former residents."
}


@pytest.fixture(scope="module")
def stored(train_checker):
    if not train_checker.STORED_FEATURES.exists():
        pytest.skip("training/checker_features.npz not stored")
    return train_checker.load_features(train_checker.STORED_FEATURES)


@needs_data
def test_stored_features_are_what_the_aligner_computes(train_checker, stored):
    """training/checker_features.npz follows app/answer/alignment.py: a sample of its QAGS and SummEdits rows
    recomputed equals the stored matrix, except the rows 1.4.1 changed, which equal the stored today's values and
    differ from the fitted-on ones in the documented columns only (a feature change means re-storing the file:
    training/store_checker_features.py)."""
    from checker_data import load_qags, load_summedits

    from app.answer.alignment import FEATURES

    # (key, item): SummEdits repeats a sentence with its transcript under several summaries (same features)
    row_of = {(key, pair.item): i for i, (key, pair) in enumerate(zip(stored.keys.tolist(), stored.pairs))}
    assert sorted(stored.keys[stored.now_rows].tolist()) == sorted(CHANGED_BY_1_4_1)

    def row(p) -> int | None:
        return row_of.get((train_checker.pair_key(p), p.item))

    qags = [p for p in load_qags(SHARED / "data" / "qags") if row(p) is not None]
    summedits = [p for p in load_summedits(SHARED / "data" / "summedits-dev") if row(p) is not None]
    sample = [p for p in qags[::40][:24] + summedits[::600] if train_checker.pair_key(p) not in CHANGED_BY_1_4_1]
    changed = [p for p in qags if train_checker.pair_key(p) in CHANGED_BY_1_4_1]
    assert len(sample) >= 30 and len(changed) == 2
    rows = [row(p) for p in sample + changed]
    assert all(stored.pairs[i].source == p.source and stored.pairs[i].item == p.item and stored.pairs[i].label == p.label
               for i, p in zip(rows, sample + changed))
    recomputed = np.round(np.array(train_checker._feature_rows(sample + changed)), 4)
    assert np.array_equal(recomputed[: len(sample)], stored.x[rows[: len(sample)]])
    today = train_checker.load_features(train_checker.STORED_FEATURES, now=True).x
    for i, values, pair in zip(rows[len(sample):], recomputed[len(sample):], changed):
        assert np.array_equal(values, today[i])
        differs = tuple(f for f, old, new in zip(FEATURES, stored.x[i], values) if old != new)
        assert differs == CHANGED_BY_1_4_1[train_checker.pair_key(pair)]


def test_the_command_writes_the_shipped_file(train_checker, stored, tmp_path):
    """`python training/train_checker.py --features training/checker_features.npz` refits the shipped file byte for
    byte (trees, calibration, thresholds and labels); fit on today's values of the two changed rows (what a retrain
    from the data reads) the same recipe writes other trees, the seed-7 retrain that measured worse."""
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    from app.answer.checker_model import MODEL_PATH

    out, now = tmp_path / "m.json", tmp_path / "now.json"
    assert train_checker.main(["--features", str(train_checker.STORED_FEATURES), "--out", str(out)]) == 0
    written, shipped = json.loads(out.read_text()), json.loads(MODEL_PATH.read_text())
    assert len(written["trees"]) == 250 and written["trees"] == shipped["trees"]
    assert (written["platt"], written["threshold"], written["meta"]) == (shipped["platt"], shipped["threshold"],
                                                                         shipped["meta"])
    assert out.read_bytes() == MODEL_PATH.read_bytes()
    assert train_checker.main(["--features", str(train_checker.STORED_FEATURES), "--features-now", "--out", str(now)]) == 0
    retrained = json.loads(now.read_text())
    assert retrained["trees"] != shipped["trees"] and retrained["threshold"] != shipped["threshold"]
    assert "trees_from" not in retrained["meta"]  # not the shipped trees: no label saying so


def test_only_the_shipped_recipe_writes_the_shipped_file_by_default(train_checker, tmp_path, monkeypatch):
    """Without --out, a fit that is not the shipped recipe on the shipped features (today's rows, another
    recipe, the quick subset) writes beside the cache, never over app/answer/checker_model.json."""
    pytest.importorskip("lightgbm", reason="lightgbm (the [test] extra) needs libgomp1")
    from app.answer.checker_model import MODEL_PATH

    shipped = MODEL_PATH.read_bytes()
    stand_in = tmp_path / "checker_model.json"  # where the script writes "the shipped file" (never the real one here)
    stand_in.write_bytes(shipped)
    monkeypatch.setattr(train_checker, "MODEL_PATH", stand_in)
    features = str(train_checker.STORED_FEATURES)
    for n, extra in enumerate((["--features-now"], ["--quick"], ["--ensemble", "2"])):
        retrained = tmp_path / f"r{n}.json"
        monkeypatch.setattr(train_checker, "RETRAINED_PATH", retrained)
        assert train_checker.main(["--features", features, *extra]) == 0
        assert stand_in.read_bytes() == shipped
        written = json.loads(retrained.read_text())
        assert written["trees"] != json.loads(shipped)["trees"]
        assert "trees_from" not in written["meta"]  # only the shipped fit carries the shipped trees' label
    with pytest.raises(SystemExit):
        train_checker.main(["--features", str(tmp_path / "missing.npz")])
