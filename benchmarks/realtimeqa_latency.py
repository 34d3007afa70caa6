"""Ask latency, old vs new pipeline, interleaved question by question in one process (same load for both).

    python benchmarks/realtimeqa_latency.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index --n 60
    python benchmarks/realtimeqa_latency.py ... --pipelines new --cold   # the default pipeline alone, no memo

Pipelines in one process share app/text.py's memos (sentence offsets of the same passages), so the
default pipeline's own latency is ``--pipelines new``; ``--cold`` clears those memos before every
question (nothing reused across questions: the worst case for a server).

The quality benchmark (benchmarks/realtimeqa.py) may run the pipelines at different times on a
shared machine; only this interleaved run compares their latency fairly.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import text  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.services import build_services  # noqa: E402


def clear_all_memos() -> None:
    """A cold question: app.text's memos and the ranker features' (passage terms, stems, WordNet pairs), where
    the code under test has them (this script also times older commits)."""
    getattr(text, "clear_caches", lambda: None)()
    from app.retrieval import features

    for name in ("text_terms", "cached_stem", "_stems", "_senses", "_related_stems"):
        if hasattr(getattr(features, name, None), "cache_clear"):
            getattr(features, name).cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--pipelines", help="comma-separated subset of old,new,rerank (default: all)")
    parser.add_argument("--cold", action="store_true", help="clear app.text's memos before every question")
    args = parser.parse_args()
    services = build_services(Settings(data_dir=args.data_dir))
    pipelines = rtqa.make_pipelines(services)
    _, test = rtqa.split(rtqa.load_questions(args.data))
    questions = rtqa.sample(test, args.n, rtqa.SEED + 2)
    names = args.pipelines.split(",") if args.pipelines else list(pipelines)
    if unknown := [n for n in names if n not in pipelines]:
        parser.error(f"unknown pipeline(s) {', '.join(unknown)}; this index and models offer {', '.join(pipelines)}")
    clear = clear_all_memos if args.cold else (lambda: None)
    for name in names:  # warm every pipeline (models, caches) outside the timing
        pipelines[name](questions[0], 10)
    times = {name: [] for name in names}
    for i, q in enumerate(questions):
        for name in names[i % len(names):] + names[: i % len(names)]:  # rotate who goes first
            clear()
            start = time.perf_counter()
            pipelines[name](q, 10)
            times[name].append((time.perf_counter() - start) * 1000)
    rng = np.random.default_rng(rtqa.SEED)
    print(f"{len(questions)} 2024 questions, full index, interleaved{', cold memos' if args.cold else ''}; "
          f"load average {os.getloadavg()[0]:.2f}\n")
    print("| pipeline | p50 ms | p95 ms |\n|---|---|---|")
    for name, values in times.items():
        a = np.array(values)
        p50 = rtqa._interval(a, lambda x: np.percentile(x, 50), rng)
        p95 = rtqa._interval(a, lambda x: np.percentile(x, 95), rng)
        print(f"| {name} | {p50[0]:.0f} [{p50[1]:.0f}, {p50[2]:.0f}] | {p95[0]:.0f} [{p95[1]:.0f}, {p95[2]:.0f}] |")
    services.close()


if __name__ == "__main__":
    main()
