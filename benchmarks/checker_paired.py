"""Two checker versions on the same held-out items: the balanced-accuracy difference per set, paired.

    python benchmarks/checker_paired.py OLD_SCORES OLD_QUALITY NEW_SCORES NEW_QUALITY [--out FILE]

SCORES: a checker_heldout_scores.json that benchmarks/checker_quality.py wrote; QUALITY: the
checker_quality json of the same run (its thresholds: the held-out domain's for SummEdits, each QAGS
fold's news threshold, the shipped threshold for synthetic pairs). The difference new - old gets a 95%
bootstrap interval from resampling the same items for both, so it is tighter than comparing two
separate intervals.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

import train_checker as tc  # noqa: E402


def held_out_threshold(p: tc.Pair, quality: dict) -> tuple[float, str]:
    """The threshold a pair is judged at in checker_quality.py's run (never fit on its own set) and the set's name:
    its held-out domain's for SummEdits, its fold's for QAGS, the shipped recipe's for synthetic pairs."""
    if p.source == "summedits":
        return quality["thresholds"][p.domain], f"summedits/{p.domain}"
    if p.source == "qags":
        return quality["new"]["qags_news_threshold"]["fold_thresholds"][tc.fold_of(p)], "qags"
    return quality["thresholds"]["shipped_recipe_news"], "synthetic"


def decisions(pairs, scores: dict, quality: dict) -> dict[str, tuple[bool, bool, str]]:
    """Per item: (predicted supported, label, set)."""
    worst: dict[str, list] = {}
    for key, score in scores.items():
        p = pairs[int(key)]
        threshold, name = held_out_threshold(p, quality)
        entry = worst.setdefault(p.item, [score - threshold, p.item_label, name])
        entry[0] = min(entry[0], score - threshold)
    return {k: (v[0] >= 0, v[1], v[2]) for k, v in worst.items()}


def ba(pred: np.ndarray, label: np.ndarray) -> float:
    return float(((pred & label).sum() / max(label.sum(), 1) + (~pred & ~label).sum() / max((~label).sum(), 1)) / 2)


REWORDINGS = ("reorder", "synonym", "paraphrase", "compression")  # faithful rewordings the guard should keep


def synthetic_by_type(pairs, old: dict, new: dict) -> dict:
    """Synthetic held-out accuracy per perturbation type, paired, and pooled over the faithful rewordings
    (the share of them kept: what a higher threshold costs)."""
    kind = {p.item: p.domain for p in pairs if p.source == "synthetic"}
    rows = defaultdict(list)
    for item in sorted(old.keys() & new.keys()):
        if old[item][2] == "synthetic":
            right = (old[item][0] == old[item][1], new[item][0] == new[item][1])
            rows[kind[item]].append(right)
            if kind[item] in REWORDINGS:
                rows["rewordings_kept"].append(right)
    rng = np.random.default_rng(1)
    out = {}
    for name, values in sorted(rows.items()):
        o, n = (np.array(c, dtype=float) for c in zip(*values))
        diffs = [n[i].mean() - o[i].mean() for i in (rng.integers(0, len(o), len(o)) for _ in range(2000))]
        out[name] = {"n": len(o), "old": float(o.mean()), "new": float(n.mean()),
                     "difference": float(n.mean() - o.mean()),
                     "difference_ci95": [float(v) for v in np.percentile(diffs, [2.5, 97.5])],
                     "changed_decisions": int((o != n).sum())}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs=4, type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    pairs = tc.load_pairs(tc.shared_dir(), cache=REPO / "training" / ".cache")
    old_scores, old_quality, new_scores, new_quality = (json.loads(p.read_text()) for p in args.paths)
    old, new = decisions(pairs, old_scores, old_quality), decisions(pairs, new_scores, new_quality)
    by_set = defaultdict(list)
    for item in sorted(old.keys() & new.keys()):
        by_set[old[item][2]].append((old[item][0], new[item][0], old[item][1]))
    rng = np.random.default_rng(0)
    report = {}
    replicates = {}
    for name, rows in sorted(by_set.items()):
        o, n, y = (np.array(c) for c in zip(*rows))
        diffs = []
        for _ in range(2000):
            i = rng.integers(0, len(y), len(y))
            diffs.append(ba(n[i], y[i]) - ba(o[i], y[i]))
        replicates[name] = np.array(diffs)
        report[name] = {"n": len(y), "old": ba(o, y), "new": ba(n, y), "difference": ba(n, y) - ba(o, y),
                        "difference_ci95": [float(v) for v in np.percentile(diffs, [2.5, 97.5])],
                        "changed_decisions": int((o != n).sum())}
    summedits = [k for k in report if k.startswith("summedits/")]
    report["summedits_mean"] = {k: float(np.mean([report[s][k] for s in summedits])) for k in ("old", "new")}
    # The mean's difference: each domain resampled on its own, the replicates' differences averaged.
    mean_diffs = np.mean([replicates[s] for s in summedits], axis=0)
    report["summedits_mean"]["difference"] = report["summedits_mean"]["new"] - report["summedits_mean"]["old"]
    report["summedits_mean"]["difference_ci95"] = [float(v) for v in np.percentile(mean_diffs, [2.5, 97.5])]
    report["synthetic_by_type"] = synthetic_by_type(pairs, old, new)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
