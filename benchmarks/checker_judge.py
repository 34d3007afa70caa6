"""The LLM yes/no judge on the checker's uncertain band: accuracy and latency, next to the checker.

    CITEWIRE_LOCAL_MODEL=qwen python benchmarks/checker_judge.py [--per-class 30] [--max-seconds 900]

Pairs are drawn from those benchmarks/checker_quality.py scored held out (SummEdits leave-one-domain-
out, QAGS cross-validated, synthetic held-out) whose checker score lies in the judge band, balanced
between supported and unsupported, fixed seed. The judge reads what it reads in the guard: the
checker's best 1-3-sentence evidence window. Stops early at --max-seconds and reports how many ran.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

import train_checker as tc  # noqa: E402

from app.answer.guard import JUDGE_BAND  # noqa: E402
from app.answer.support import SupportChecker  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals.qags import auroc  # noqa: E402
from app.llm.judge import LLMJudge  # noqa: E402
from app.prompts import load_prompt  # noqa: E402
from app.services import make_llm_client  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "checker_judge.json")
    args = parser.parse_args(argv)
    pairs = tc.load_pairs(tc.shared_dir(), cache=REPO / "training" / ".cache")
    held = json.loads((REPO / "benchmarks" / "results" / "checker_heldout_scores.json").read_text())
    low, high = JUDGE_BAND
    # Sentence-level labels only (a SummEdits sentence is labelled when its summary's original is known).
    in_band = [(int(i), s) for i, s in held.items() if low <= s <= high and pairs[int(i)].trainable]
    rng = random.Random(0)
    chosen = []
    for label in (True, False):
        group = [(i, s) for i, s in in_band if pairs[i].label == label]
        chosen += rng.sample(group, min(args.per_class, len(group)))
    rng.shuffle(chosen)
    settings = Settings()
    client, local = make_llm_client(settings)
    if client is None:
        print("error: no LLM configured (set CITEWIRE_LOCAL_MODEL=qwen or CITEWIRE_LLM_BASE_URL)", file=sys.stderr)
        return 1
    judge = LLMJudge(client, load_prompt(settings.prompts_dir, "judge"))
    checker = SupportChecker()
    rows, started = [], time.time()
    for i, score in chosen:
        if time.time() - started > args.max_seconds:
            break
        window = checker.check(pairs[i].claim, [pairs[i].evidence]).best_window
        t0 = time.perf_counter()
        p_yes = judge.p_supported(pairs[i].claim, [window])
        rows.append({"source": pairs[i].source, "label": pairs[i].label, "checker": score, "judge": p_yes,
                     "seconds": time.perf_counter() - t0})
    labels = np.array([r["label"] for r in rows])
    judge_scores = np.array([r["judge"] for r in rows])
    checker_scores = np.array([r["checker"] for r in rows])
    seconds = [r["seconds"] for r in rows]
    report = {
        "model": judge.model, "prompt": judge.prompt.id,
        "band": JUDGE_BAND, "pairs": len(rows), "in_band_available": len(in_band),
        "judge_balanced_accuracy": tc.balanced_accuracy(judge_scores, labels, 0.5),
        "judge_auroc": auroc(judge_scores, labels),
        "checker_balanced_accuracy_same_pairs": tc.balanced_accuracy(checker_scores, labels, checker.threshold),
        "checker_auroc_same_pairs": auroc(checker_scores, labels),
        "latency_p50_s": statistics.median(seconds) if seconds else None,
        "latency_p95_s": float(np.percentile(seconds, 95)) if seconds else None,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    if local is not None:
        local.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
