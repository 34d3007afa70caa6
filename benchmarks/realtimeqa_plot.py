"""Issue 8's targets against what each pipeline reaches on 2024, as one picture (docs/answers-targets.png).

    python benchmarks/realtimeqa.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index --out OUT
    python benchmarks/realtimeqa_plot.py OUT/realtimeqa.json --out docs/answers-targets.png

One panel per target metric: a bar per pipeline with its 95 % bootstrap interval, and the target as a line
(false refusal: at most; the others: at least). Reads the merged realtimeqa.json (or one realtimeqa-<name>.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# metric -> (label, target, the target is a ceiling)
TARGETS = {
    "hit@5": ("hit@5", 0.85, False),
    "containment": ("containment (no LLM)", 0.65, False),
    "citation_precision": ("citation precision", 0.90, False),
    "refusal": ("unanswerables refused", 0.85, False),
    "false_refusal": ("answerable refused", 0.05, True),
}
COLOURS = {"old": "#9e9e9e", "rerank": "#90caf9", "new": "#1565c0"}


def plot(results: dict[str, dict[str, list[float]]], title: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pipelines = [p for p in ("old", "rerank", "new") if p in results] or sorted(results)
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(3.0 * len(TARGETS), 3.8))
    for ax, (metric, (label, target, ceiling)) in zip(axes, TARGETS.items()):
        # a ceiling near 0 on a 0-1 axis is unreadable: that panel gets its own scale
        top = min(1.0, max(0.25, 2.5 * max(results[n][metric][2] for n in pipelines))) if ceiling else 1.0
        for i, name in enumerate(pipelines):
            value, low, high = results[name][metric]
            ax.bar(i, value, color=COLOURS.get(name, "#607d8b"), width=0.7)
            ax.errorbar(i, value, yerr=[[value - low], [high - value]], color="black", capsize=4, linewidth=1)
            ax.text(i, high + top * 0.02, f"{value:.2f}", ha="center", fontsize=8)
        ax.axhline(target, color="#c62828", linestyle="--", linewidth=1.5)
        ax.text(-0.45, target + top * 0.015, f"target {'≤' if ceiling else '≥'} {target:.2f}", ha="left",
                color="#c62828", fontsize=8)
        ax.set_xticks(range(len(pipelines)), pipelines)
        ax.set_title(label, fontsize=10)
        ax.set_ylim(0, top)
    axes[0].set_ylabel("2024 split, 95 % bootstrap interval")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="realtimeqa.json from benchmarks/realtimeqa.py")
    parser.add_argument("--out", type=Path, default=Path("docs/answers-targets.png"))
    args = parser.parse_args(argv)
    try:
        payload = json.loads(args.results.read_text())
        results = payload["results"]
        missing = [m for m in TARGETS for r in results.values() if m not in r]
    except (OSError, ValueError, KeyError, AttributeError) as error:
        print(f"error: {args.results} is not a realtimeqa.json ({error})", file=sys.stderr)
        return 2
    if missing or not results:
        print(f"error: {args.results} lacks {sorted(set(missing)) or 'results'}", file=sys.stderr)
        return 2
    title = (f"RealTimeQA 2024 (never tuned on): {payload.get('questions', '?')} answerable + "
             f"{payload.get('unanswerable', '?')} constructed unanswerable questions, {payload.get('scope', '')}")
    plot(results, title, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
