"""Two runs of benchmarks/realtimeqa.py compared question by question (paired 95 % bootstrap intervals).

    python benchmarks/realtimeqa_paired.py BEFORE.json:new AFTER.json:new

Each argument is a realtimeqa*.json file and the pipeline name inside it. Prints after − before for
containment, false refusal, refusal, hit@5 and citation precision, and how many questions only one of
the two gets right (docs/answers.md reports these for model changes); then hit@1, hit@10 and MRR@10 the
same way (retrieval changes: the passage ranker).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.evals.realtimeqa import SEED, paired_differences  # noqa: E402


def rows(spec: str) -> list[dict]:
    path, _, name = spec.rpartition(":")
    return json.loads(Path(path).read_text())["rows"][name]


def retrieval_differences(before: list[dict], after: list[dict]) -> dict[str, tuple[float, ...]]:
    """after − before for hit@1, hit@10 and MRR@10 over the answerable questions both runs asked, with a 95 %
    paired bootstrap interval (1,000 resamples of questions, both runs together) and the questions only one
    side hits."""
    import numpy as np

    by_id = {(r["id"], r["question"]): r for r in before}  # ids repeat in the data (20230414_20 is two questions)
    pairs = [(by_id[r["id"], r["question"]], r) for r in after
             if (r["id"], r["question"]) in by_id and not r["unanswerable"]]
    rng = np.random.default_rng(SEED)
    out = {}
    for name, key in (("hit@1", "hit@1"), ("hit@10", "hit@10"), ("mrr@10", "rr@10")):
        diff = np.array([float(a[key]) - float(b[key]) for b, a in pairs])
        boot = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(1000)]
        only_after = sum(bool(a[key]) and not b[key] for b, a in pairs) if key != "rr@10" else None
        only_before = sum(bool(b[key]) and not a[key] for b, a in pairs) if key != "rr@10" else None
        out[name] = (float(diff.mean()), *np.percentile(boot, [2.5, 97.5]), only_after, only_before)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="FILE.json:PIPELINE")
    parser.add_argument("after", help="FILE.json:PIPELINE")
    args = parser.parse_args()
    diff = paired_differences(rows(args.before), rows(args.after))
    print("| metric | after − before [95 % paired interval] | only after | only before |")
    print("|---|---|---|---|")
    for name in ("containment", "citation_precision", "refusal", "false_refusal", "refusal_wrong_year", "hit@5"):
        v, lo, hi = diff[name]
        only = (f"{diff[name + '_only_after'][0]:.0f} | {diff[name + '_only_before'][0]:.0f}"
                if name + "_only_after" in diff else "— | —")
        print(f"| {name} | {v:+.3f} [{lo:+.3f}, {hi:+.3f}] | {only} |")
    for name, (v, lo, hi, only_after, only_before) in retrieval_differences(rows(args.before),
                                                                            rows(args.after)).items():
        only = f"{only_after} | {only_before}" if only_after is not None else "— | —"
        print(f"| {name} | {v:+.3f} [{lo:+.3f}, {hi:+.3f}] | {only} |")


if __name__ == "__main__":
    main()
