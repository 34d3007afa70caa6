"""How far the checker's thresholds move with LightGBM's seed, on training data only (no held-out set read).

    python benchmarks/checker_threshold_spread.py [--seeds 16 --ensemble 4 --smooth 0.05]

Out-of-fold margins of single seeds SEED, SEED+1, ... (the recipe's folds and parameters); a K-model average
is the mean of K consecutive seeds' margins (disjoint groups), as training/train_checker.py --ensemble K fits
it. Each is calibrated (Platt) and thresholded as the recipe does: the news threshold (QAGS + synthetic, one
vote each) and the all-domains one, at the raw curve's argmax and on the curve smoothed over +-W. Reads the
stored training features (training/checker_features.npz) so it needs neither ../shared nor the feature cache: as
today's code computes them (``load_features(now=True)``, 1.4.1's features, which the study measured), not the
1.4.0 features the shipped trees were fit on (they differ in two QAGS pairs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

import train_checker as tc  # noqa: E402


def thresholds(pairs, margins: np.ndarray, smooth: float) -> dict[str, float]:
    y = np.array([p.label for p in pairs])
    a, b = tc.platt(margins, y)
    items = tc.item_scores(pairs, 1 / (1 + np.exp(-(a * margins + b))))
    news = {k: v for k, v in items.items() if v[2] in tc.NEWS_DOMAINS}
    return {"news_raw": tc.choose_threshold(news, 0.0), "news_smoothed": tc.choose_threshold(news, smooth),
            "all_raw": tc.choose_threshold(items, 0.0), "all_smoothed": tc.choose_threshold(items, smooth)}


def spread(rows: list[dict]) -> dict:
    return {k: {"min": min(r[k] for r in rows), "max": max(r[k] for r in rows),
                "range": round(max(r[k] for r in rows) - min(r[k] for r in rows), 3),
                "sd": round(float(np.std([r[k] for r in rows])), 4)} for k in rows[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=tc.STORED_FEATURES)
    parser.add_argument("--seeds", type=int, default=16, help="single seeds; groups of --ensemble make the averages")
    parser.add_argument("--ensemble", type=int, default=4, help="models per average")
    parser.add_argument("--smooth", type=float, default=0.05, help="half-width of the moving average")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "checker_threshold_spread.json")
    args = parser.parse_args(argv)
    stored = tc.load_features(args.features, now=True)
    pairs, x = stored.pairs, stored.x
    per_seed = {}
    for k in range(args.seeds):
        tc.PARAMS["seed"] = tc.SEED + k
        per_seed[tc.SEED + k] = _single(pairs, x)
        print("seed", tc.SEED + k, thresholds(pairs, per_seed[tc.SEED + k], args.smooth), flush=True)
    seeds = sorted(per_seed)
    single = [{"seeds": [s]} | thresholds(pairs, per_seed[s], args.smooth) for s in seeds]
    k = args.ensemble
    groups = [seeds[i : i + k] for i in range(0, len(seeds) - k + 1, k)]
    average = [{"seeds": g} | thresholds(pairs, np.mean([per_seed[s] for s in g], axis=0), args.smooth)
               for g in groups]
    keys = ("news_raw", "news_smoothed", "all_raw", "all_smoothed")
    report = {"smooth": args.smooth, "ensemble": k, "single_seeds": single, "averages": average,
              "spread_single": spread([{k: r[k] for k in keys} for r in single]),
              "spread_average": spread([{k: r[k] for k in keys} for r in average])}
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("spread_single", "spread_average")}, indent=1))
    return 0


def _single(pairs, x) -> np.ndarray:
    """Out-of-fold margins of one LightGBM model (the seed in PARAMS)."""
    return tc.out_of_fold_margins(pairs, x, models=1)


if __name__ == "__main__":
    raise SystemExit(main())
