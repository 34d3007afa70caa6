"""Write training/checker_features.npz: the features the shipped checker's trees were fit on, with today's rows.

    python training/store_checker_features.py SHIPPED.npz NOW.npz [--out training/checker_features.npz]

SHIPPED.npz: ``train_checker.py --save-features`` run on the code that fit the shipped trees (1.4.0, commit
27ec615; 1.4.1 ships them); NOW.npz: the same run on today's code. The output stores SHIPPED's matrix (what
``train_checker.py --features`` fits on, so it rewrites the shipped file) and NOW's values of the rows that
differ (``--features-now`` fits on those: what a retrain from the data reads today). docs/faithfulness.md,
"Reproducing", gives the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_checker as tc  # noqa: E402

# The shipped model's meta.trees_from: a fit on the stored matrix with the default recipe writes it.
TREES_FROM = ("1.4.0 (sha256 07f664cdb219bb87): not retrained for 1.4.1, whose retrain measured worse "
              "(docs/faithfulness.md, 1.4.1)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shipped", type=Path, help="--save-features of the code that fit the shipped trees")
    parser.add_argument("now", type=Path, help="--save-features of today's code")
    parser.add_argument("--out", type=Path, default=tc.STORED_FEATURES)
    parser.add_argument("--trees-from", default=TREES_FROM, help="the label a fit on the stored matrix carries")
    args = parser.parse_args(argv)
    shipped, now = tc.load_features(args.shipped), tc.load_features(args.now)
    if not np.array_equal(shipped.keys, now.keys) or shipped.pairs != now.pairs:
        print("error: the two files hold other training pairs (or another order)", file=sys.stderr)
        return 1
    tc.save_features(args.out, shipped.pairs, shipped.x, now=now.x, trees_from=args.trees_from, keys=shipped.keys)
    rows = np.flatnonzero((shipped.x != now.x).any(axis=1))
    print(f"wrote {args.out}: {len(shipped.pairs)} pairs, {len(rows)} computed differently today:")
    for i in rows:
        changed = [tc.FEATURES[c] for c in np.flatnonzero(shipped.x[i] != now.x[i])]
        print(f"  row {i} {shipped.pairs[i].item} (key {shipped.keys[i]}): {', '.join(changed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
