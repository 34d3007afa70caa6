"""Two runs of benchmarks/realtimeqa.py compared question by question (paired 95 % bootstrap intervals).

    python benchmarks/realtimeqa_paired.py BEFORE.json:new AFTER.json:new

Each argument is a realtimeqa*.json file and the pipeline name inside it. Prints after − before for
containment, false refusal, refusal, hit@5 and citation precision, and how many questions only one of
the two gets right (docs/answers.md reports these for model changes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.evals.realtimeqa import paired_differences  # noqa: E402


def rows(spec: str) -> list[dict]:
    path, _, name = spec.rpartition(":")
    return json.loads(Path(path).read_text())["rows"][name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="FILE.json:PIPELINE")
    parser.add_argument("after", help="FILE.json:PIPELINE")
    args = parser.parse_args()
    diff = paired_differences(rows(args.before), rows(args.after))
    print("| metric | after − before [95 % paired interval] | only after | only before |")
    print("|---|---|---|---|")
    for name in ("containment", "citation_precision", "refusal", "false_refusal", "hit@5"):
        v, lo, hi = diff[name]
        only = (f"{diff[name + '_only_after'][0]:.0f} | {diff[name + '_only_before'][0]:.0f}"
                if name + "_only_after" in diff else "— | —")
        print(f"| {name} | {v:+.3f} [{lo:+.3f}, {hi:+.3f}] | {only} |")


if __name__ == "__main__":
    main()
