"""Faithfulness checker quality: old checker vs new, on data the new one was not tuned on.

    python benchmarks/checker_quality.py [--out benchmarks/results/checker_quality.json]

- SummEdits-dev, leave one domain out: the model, its calibration and its threshold are fit on the
  other six domains + QAGS + synthetic training pairs; the held-out domain is scored per summary
  (its weakest sentence). Balanced accuracy with a 95% bootstrap interval, and AUROC.
- QAGS, 5-fold cross-validated by article (the other folds + SummEdits + synthetic train).
- Synthetic held-out: pairs from RealTimeQA articles that training never sees, per perturbation type.
- Old checker (the logistic model over nine lexical features that shipped before, kept in
  benchmarks/checker_baseline.py) at its shipped threshold 0.5 and at the threshold that is best on
  the training domains.
Features come from training/.cache (the training run writes them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))
sys.path.insert(0, str(REPO / "benchmarks"))

import train_checker as tc  # noqa: E402
from checker_data import SUMMEDITS_DOMAINS  # noqa: E402

from app.evals.qags import auroc  # noqa: E402


def bootstrap_ba(scores: np.ndarray, labels: np.ndarray, threshold: float, rounds: int = 1000) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    values = []
    for _ in range(rounds):
        i = rng.integers(0, len(scores), len(scores))
        values.append(tc.balanced_accuracy(scores[i], labels[i], threshold))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def summarise(items: dict, threshold: float) -> dict:
    scores = np.array([v[0] for v in items.values()])
    labels = np.array([v[1] for v in items.values()])
    low, high = bootstrap_ba(scores, labels, threshold)
    return {"balanced_accuracy": tc.balanced_accuracy(scores, labels, threshold), "ci95": [low, high],
            "auroc": auroc(scores, labels), "n": int(len(labels)), "unsupported": int((~labels).sum()),
            "threshold": threshold}


def calibrated(model: dict, x: np.ndarray) -> np.ndarray:
    a, b = model["platt"]
    return 1 / (1 + np.exp(-(a * model["booster"].predict(x, raw_score=True) + b)))


def old_scores(pairs: list[tc.Pair]) -> np.ndarray:
    """The previous checker, exactly as it shipped (sentence splits cached: it re-split every call)."""
    import checker_baseline as old

    from app.embed.wordllama import WordLlamaEmbedder

    original = old._single_sentences
    cached = lru_cache(maxsize=64)(lambda evidence: original(list(evidence)))
    old._single_sentences = lambda evidence: list(cached(tuple(evidence)))
    checker = old.SupportChecker(WordLlamaEmbedder.shared())
    return np.array([checker.check(p.claim, [p.evidence]).score for p in pairs])


def evaluate_new(args, pairs, x, usable, source, domain, held, results) -> None:
    qags = source == "qags"
    qags_pairs = [pairs[i] for i in np.flatnonzero(qags)]
    synth = held
    synth_pairs = [pairs[i] for i in np.flatnonzero(synth)]
    scored = (source == "summedits") | qags | synth

    def train_on(mask: np.ndarray) -> dict:
        idx = np.flatnonzero(mask & usable & ~held)
        return tc.train([pairs[i] for i in idx], x[idx])

    # SummEdits, leave one domain out.
    new_scores = np.zeros(len(pairs))
    lodo_thresholds = {}
    for d in SUMMEDITS_DOMAINS:
        test = (source == "summedits") & (domain == d)
        model = train_on(~test)
        lodo_thresholds[d] = model["threshold"]
        new_scores[test] = calibrated(model, x[test])
        test_pairs = [pairs[i] for i in np.flatnonzero(test)]
        results["new"][f"summedits/{d}"] = summarise(tc.item_scores(test_pairs, new_scores[test]), model["threshold"])
        print(d, results["new"][f"summedits/{d}"], flush=True)
    # QAGS, 5 folds by article.
    folds = np.array([tc.fold_of(p) for p in pairs])
    news_thresholds = []
    for k in range(tc.FOLDS):
        test = qags & (folds == k)
        model = train_on(~test)
        new_scores[test] = calibrated(model, x[test])
        lodo_thresholds[f"qags-fold{k}"] = model["threshold"]
        news_thresholds.append(model["guard_threshold"])
    qags_items = tc.item_scores(qags_pairs, new_scores[qags])
    # each fold has its own threshold: score each fold's items at its own threshold via shifted scores
    shifted = new_scores.copy()
    for k in range(tc.FOLDS):
        m = qags & (folds == k)
        shifted[m] = new_scores[m] - lodo_thresholds[f"qags-fold{k}"] + 0.5
    results["new"]["qags"] = summarise(tc.item_scores(qags_pairs, shifted[qags]), 0.5)
    results["new"]["qags"]["auroc"] = summarise(qags_items, 0.5)["auroc"]
    for subset in ("cnndm", "xsum"):
        m = qags & (domain == subset)
        sub = [pairs[i] for i in np.flatnonzero(m)]
        results["new"][f"qags/{subset}"] = summarise(tc.item_scores(sub, shifted[m]), 0.5)
    # The same folds at each fold's news threshold (what ships: chosen on QAGS' other folds + synthetic).
    for k in range(tc.FOLDS):
        m = qags & (folds == k)
        shifted[m] = new_scores[m] - news_thresholds[k] + 0.5
    results["new"]["qags_news_threshold"] = summarise(tc.item_scores(qags_pairs, shifted[qags]), 0.5)
    results["new"]["qags_news_threshold"]["fold_thresholds"] = news_thresholds
    for subset in ("cnndm", "xsum"):
        m = qags & (domain == subset)
        sub = [pairs[i] for i in np.flatnonzero(m)]
        results["new"][f"qags_news_threshold/{subset}"] = summarise(tc.item_scores(sub, shifted[m]), 0.5)
    # Synthetic held-out: the shipped training recipe (everything but held-out articles).
    model = train_on(np.ones(len(pairs), bool))
    new_scores[synth] = calibrated(model, x[synth])
    results["new"]["synthetic"] = summarise(tc.item_scores(synth_pairs, new_scores[synth]), model["threshold"])
    shipped = model["guard_threshold"]
    results["new"]["synthetic_shipped_threshold"] = summarise(tc.item_scores(synth_pairs, new_scores[synth]), shipped)
    per_type, per_type_shipped = defaultdict(list), defaultdict(list)
    for p, s in zip(synth_pairs, new_scores[synth]):
        per_type[p.domain].append(bool(s >= model["threshold"]) == p.label)
        per_type_shipped[p.domain].append(bool(s >= shipped) == p.label)
    results["new"]["synthetic_accuracy_by_type"] = {k: float(np.mean(v)) for k, v in sorted(per_type.items())}
    results["new"]["synthetic_accuracy_by_type_shipped_threshold"] = {
        k: float(np.mean(v)) for k, v in sorted(per_type_shipped.items())}
    results["thresholds"] = lodo_thresholds | {"shipped_recipe_all_domains": model["threshold"],
                                               "shipped_recipe_news": shipped}
    results["new"]["summedits_mean_balanced_accuracy"] = float(np.mean(
        [results["new"][f"summedits/{d}"]["balanced_accuracy"] for d in SUMMEDITS_DOMAINS]))
    # The judge band: how often held-out scores fall in it and how good the checker is there.
    band = {}
    for low, high in ((0.2, 0.8), (0.3, 0.7), (0.1, 0.9)):
        items = tc.item_scores([pairs[i] for i in np.flatnonzero(scored)], new_scores[scored])
        inside = {k: v for k, v in items.items() if low <= v[0] <= high}
        outside = {k: v for k, v in items.items() if not low <= v[0] <= high}
        band[f"{low}-{high}"] = {"share_inside": len(inside) / len(items),
                                 "balanced_accuracy_inside": summarise(inside, 0.5)["balanced_accuracy"],
                                 "balanced_accuracy_outside": summarise(outside, 0.5)["balanced_accuracy"]}
    results["new"]["judge_band"] = band
    print("new", json.dumps(results["new"], indent=1), flush=True)
    # Held-out scores per pair, for benchmarks/checker_judge.py (the judge is compared on the same pairs).
    held_scores = {str(i): round(float(new_scores[i]), 4) for i in np.flatnonzero(scored)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    (args.out.parent / "checker_heldout_scores.json").write_text(json.dumps(held_scores))



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=tc.shared_dir())
    parser.add_argument("--out", type=Path, default=None,
                        help="default benchmarks/results/checker_quality[_new|_old].json")
    parser.add_argument("--skip-old", action="store_true")
    parser.add_argument("--skip-new", action="store_true", help="old checker only (run both halves in parallel)")
    parser.add_argument("--lgb-seed", type=int, default=None,
                        help="LightGBM's seed only (bagging, feature fraction; the pairs stay those of SEED): "
                             "how much the numbers move between equally good trainings")
    parser.add_argument("--ensemble", type=int, default=tc.ENSEMBLE,
                        help="models averaged per training (training/train_checker.py --ensemble)")
    parser.add_argument("--smooth", type=float, default=tc.SMOOTH,
                        help="threshold curve smoothing (training/train_checker.py --smooth)")
    args = parser.parse_args(argv)
    if args.lgb_seed is not None:
        tc.PARAMS["seed"] = args.lgb_seed
    tc.ENSEMBLE, tc.SMOOTH = args.ensemble, args.smooth
    part = "_old" if args.skip_new else "_new" if args.skip_old else ""
    args.out = args.out or REPO / "benchmarks" / "results" / f"checker_quality{part}.json"
    started = time.time()
    pairs = tc.load_pairs(args.data, cache=REPO / "training" / ".cache")
    x = None if args.skip_new else tc.feature_matrix(pairs, REPO / "training" / ".cache")
    usable = np.array([p.trainable for p in pairs])
    source = np.array([p.source for p in pairs])
    domain = np.array([p.domain for p in pairs])
    held = np.array([tc.held_out(p) for p in pairs])
    results: dict = {"new": {}, "old": {}}
    qags = source == "qags"
    qags_pairs = [pairs[i] for i in np.flatnonzero(qags)]
    synth = held
    synth_pairs = [pairs[i] for i in np.flatnonzero(synth)]
    if not args.skip_new:
        evaluate_new(args, pairs, x, usable, source, domain, held, results)

    if not args.skip_old:
        scores = old_scores(pairs)
        for d in SUMMEDITS_DOMAINS:
            test = (source == "summedits") & (domain == d)
            test_pairs = [pairs[i] for i in np.flatnonzero(test)]
            train_items = {}
            for other in SUMMEDITS_DOMAINS:
                if other != d:
                    m = (source == "summedits") & (domain == other)
                    train_items |= tc.item_scores([pairs[i] for i in np.flatnonzero(m)], scores[m])
            train_items |= tc.item_scores(qags_pairs, scores[qags])
            tuned = tc.choose_threshold(train_items)
            items = tc.item_scores(test_pairs, scores[test])
            results["old"][f"summedits/{d}"] = summarise(items, 0.5)
            results["old"][f"summedits/{d}"]["balanced_accuracy_tuned_threshold"] = summarise(items, tuned)[
                "balanced_accuracy"]
        results["old"]["qags"] = summarise(tc.item_scores(qags_pairs, scores[qags]), 0.5)
        results["old"]["synthetic"] = summarise(tc.item_scores(synth_pairs, scores[synth]), 0.5)
        per_type = defaultdict(list)
        for p, s in zip(synth_pairs, scores[synth]):
            per_type[p.domain].append(bool(s >= 0.5) == p.label)
        results["old"]["synthetic_accuracy_by_type"] = {k: float(np.mean(v)) for k, v in sorted(per_type.items())}
        results["old"]["summedits_mean_balanced_accuracy"] = float(np.mean(
            [results["old"][f"summedits/{d}"]["balanced_accuracy"] for d in SUMMEDITS_DOMAINS]))
        print("old", json.dumps(results["old"], indent=1), flush=True)
    results["seconds"] = round(time.time() - started, 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
