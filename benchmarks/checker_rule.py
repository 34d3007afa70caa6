"""The full-sentence rule on the labelled training pairs: how often it fires and how often it is right, and
what the 1.4.0 conditions remove (a missing relation word; names in reversed order around the claim's verb).

    python benchmarks/checker_rule.py [--out benchmarks/results/checker_rule_1.4.0.json]

Features come from training/.cache (run training/train_checker.py first); the mutual swap check is not a
model feature, so it is recomputed here for the pairs it can matter for (QAGS, synthetic, and SummEdits
pairs where the rule's other conditions hold), with and without the reversed-order check.
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

import app.answer.alignment as alignment  # noqa: E402
from app.answer.alignment import FEATURES, MUTUAL_ROLE_SWAPS, Aligner  # noqa: E402


def mutual_swaps(pairs, rows, reversed_check: bool) -> np.ndarray:
    from app.embed.wordllama import WordLlamaEmbedder

    original = alignment._reversed_roles
    if not reversed_check:
        alignment._reversed_roles = lambda *args: set()
    try:
        aligner = Aligner(WordLlamaEmbedder.shared(), cache_size=32)
        out = np.zeros(len(pairs))
        for i in rows:
            out[i] = aligner.features(pairs[i].claim, [pairs[i].evidence])[0].get(MUTUAL_ROLE_SWAPS, 0)
        return out
    finally:
        alignment._reversed_roles = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "checker_rule_1.4.0.json")
    args = parser.parse_args(argv)
    cache = REPO / "training" / ".cache"
    pairs = tc.load_pairs(tc.shared_dir(), cache=cache)
    x = tc.feature_matrix(pairs, cache, progress=False)
    f = {name: x[:, i] for i, name in enumerate(FEATURES)}
    y = np.array([p.label for p in pairs])
    source = np.array([p.source for p in pairs])
    kind = np.array([p.domain for p in pairs])
    stated = ((f["sentence_coverage"] >= 1) & (f["unaligned_number"] == 0) & (f["unaligned_name"] == 0)
              & (f["unaligned_date"] == 0) & (f["sentence_negation_mismatch"] == 0))
    rows = np.flatnonzero(stated | (source != "summedits"))
    before = mutual_swaps(pairs, rows, reversed_check=False)
    after = mutual_swaps(pairs, rows, reversed_check=True)
    relation = f["unaligned_relation"] > 0
    newly = (after > 0) & (before == 0)

    def split(mask: np.ndarray) -> dict:
        return {"n": int(mask.sum()), "supported": int(y[mask].sum()),
                "by_type": {d: [int((mask & (kind == d)).sum()), int(y[mask & (kind == d)].sum())]
                            for d in sorted(set(kind[mask]))}}

    out = {}
    for name in ("qags", "synthetic", "summedits"):
        m = source == name
        fires_13 = stated & m & (before == 0)
        fires_14 = stated & m & (after == 0) & ~relation
        out[name] = {
            "fires_1.3.0_rule": int(fires_13.sum()), "right_1.3.0_rule": float(y[fires_13].mean()),
            "fires_1.4.0_rule": int(fires_14.sum()), "right_1.4.0_rule": float(y[fires_14].mean()),
            "removed_by_relation_condition": split(fires_13 & relation),
            "removed_by_reversed_order_check": split(fires_13 & ~relation & newly),
            "all_pairs_newly_mutual": split(m & newly) if name != "summedits" else None,
        }
    print(json.dumps(out, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
