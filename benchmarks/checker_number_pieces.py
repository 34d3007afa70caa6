"""Where the number-piece cap fires (app/answer/support.py, NUMBER_PIECE_CAP) on the checker's labelled pairs.

    python benchmarks/checker_number_pieces.py [--out benchmarks/results/checker_number_pieces.json]

The cap scores a claim at most NUMBER_PIECE_CAP when one of its numbers is, in the evidence, only a piece of a longer
number ("5" of "1.5", "100" of "3,100"). It fires on the pairs where that holds; for each, the shipped checker's score
without the cap says whether the cap changes the decision at the shipped threshold. A cap that fired on supported
pairs, or turned right decisions wrong, would cost; one that fires only on unsupported pairs cannot.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

import train_checker as tc  # noqa: E402

from app.answer.alignment import NUMBER_PIECES, missing_number_pieces, number_pieces, stated_numbers  # noqa: E402
from app.answer.support import SupportChecker  # noqa: E402


def fires(claim: str, evidence: str) -> bool:
    """What the aligner counts as NUMBER_PIECES, from the text alone (cheap: no alignment)."""
    return bool(missing_number_pieces(claim, stated_numbers(evidence), number_pieces(evidence)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=tc.shared_dir())
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "checker_number_pieces.json")
    args = parser.parse_args(argv)
    pairs = tc.load_pairs(args.data, cache=REPO / "training" / ".cache")
    checker = SupportChecker()
    counts: Counter = Counter()
    rows = []
    for pair in pairs:
        if not fires(pair.claim, pair.evidence):
            continue
        values, window = checker.features(pair.claim, [pair.evidence])
        assert values.get(NUMBER_PIECES, 0) > 0, pair.claim
        uncapped = checker.score({k: v for k, v in values.items() if k != NUMBER_PIECES}) if window else 0.0
        capped = checker.score(values) if window else 0.0
        changed = (uncapped >= checker.threshold) != (capped >= checker.threshold)
        split = "held-out" if tc.held_out(pair) else "training"
        counts[f"{pair.source}/{split}/{'supported' if pair.label else 'unsupported'}"] += 1
        counts["decisions_changed"] += changed
        counts["decisions_changed_to_wrong"] += changed and pair.label
        rows.append({"source": pair.source, "item": pair.item, "label": pair.label, "uncapped": round(uncapped, 4),
                     "capped": round(capped, 4), "claim": pair.claim[:200]})
    result = {"checker": f"{checker.name} {checker.version}", "threshold": checker.threshold, "pairs": len(pairs),
              "fires": len(rows), "counts": dict(sorted(counts.items())), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{len(rows)} of {len(pairs)} labelled pairs fire the cap")
    print("| where | pairs |\n|---|---|")
    for key, value in sorted(counts.items()):
        print(f"| {key} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
