"""Checker alone vs checker + LLM judge, per set (SummEdits domains, QAGS, synthetic), as the guard decides.

    CITEWIRE_LOCAL_MODEL=/path/model.gguf python benchmarks/checker_judge_sets.py [--per-class 10] [--max-seconds 1800]

Uses the held-out checker scores benchmarks/checker_quality.py wrote (SummEdits leave-one-domain-out, QAGS
cross-validated, synthetic held-out) and each item's threshold from that run (the held-out domain's
threshold for SummEdits, each QAGS fold's news threshold, the shipped threshold for synthetic pairs).
An item (a SummEdits summary; otherwise one sentence) is supported when every sentence passes: a
sentence whose score lies in the judge band is decided by the judge (P(yes) >= 0.5), at most
JUDGE_BUDGET per item, as in the guard; any other sentence by the checker's threshold.

Items whose decision the judge can change (every out-of-band sentence passes and one is in the band)
are sampled per set and label (fixed seed, taken round-robin so an early stop stays balanced); the
others keep the checker's decision, which is known for all of them. Per-class accuracy is estimated as
(correct unaffected + affected x the sample's accuracy) / n, with a 95% bootstrap interval over both
parts. The judge reads what it reads in the guard: the checker's best 1-3-sentence window.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

import train_checker as tc  # noqa: E402
from checker_paired import held_out_threshold  # noqa: E402 (this folder is on sys.path as a script)

from app.answer.guard import JUDGE_BAND, JUDGE_BUDGET  # noqa: E402
from app.answer.support import SupportChecker  # noqa: E402
from app.config import Settings  # noqa: E402
from app.llm.judge import LLMJudge  # noqa: E402
from app.prompts import load_prompt  # noqa: E402
from app.services import make_llm_client  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"


def stratum(pair: tc.Pair) -> str:
    return f"{pair.source}/{pair.domain}" if pair.source != "synthetic" else "synthetic"


def report_set(name: str) -> str:
    return "qags" if name.startswith("qags/") else name


def load_items(pairs: list[tc.Pair], held: dict[str, float], quality: dict) -> list[dict]:
    items: dict[str, dict] = {}
    for key, score in held.items():
        p = pairs[int(key)]
        threshold, _ = held_out_threshold(p, quality)
        item = items.setdefault(p.item, {"item": p.item, "label": p.item_label, "stratum": stratum(p),
                                         "threshold": threshold, "sentences": []})
        item["sentences"].append((int(key), score))
    low, high = JUDGE_BAND
    for item in items.values():
        item["sentences"].sort()
        scores = [s for _, s in item["sentences"]]
        item["checker"] = min(scores) >= item["threshold"]
        outside_pass = all(s >= item["threshold"] for s in scores if not low <= s <= high)
        item["affected"] = outside_pass and any(low <= s <= high for s in scores)
    return list(items.values())


def judge_item(item: dict, pairs, checker: SupportChecker, judge: LLMJudge, calls: list) -> bool:
    """The guard's decision for an affected item (stops at the first sentence that fails)."""
    low, high = JUDGE_BAND
    budget = JUDGE_BUDGET
    for index, score in item["sentences"]:
        if low <= score <= high and budget > 0:
            budget -= 1
            pair = pairs[index]
            window = checker.check(pair.claim, [pair.evidence]).best_window
            started = time.perf_counter()
            p_yes = judge.p_supported(pair.claim, [window])
            calls.append({"item": item["item"], "pair": index, "checker": score, "judge": round(p_yes, 4),
                          "seconds": round(time.perf_counter() - started, 3), "sentence_label": pair.label,
                          "trainable": pair.trainable})
            if p_yes < 0.5:
                return False
        elif score < item["threshold"]:
            return False
    return True


def estimate(items: list[dict], judged: dict[str, bool], rounds: int = 2000) -> dict:
    """Balanced accuracy of the checker alone (exact) and checker + judge (estimated), with intervals.
    A set made of several sampled strata (QAGS: CNN/DM and XSum) weights each stratum's sample by its
    own count of affected items."""
    rng = np.random.default_rng(0)
    per_class = {}
    for label in (True, False):
        group = [i for i in items if i["label"] == label]
        parts = []
        for name in sorted({i["stratum"] for i in group}):
            members = [i for i in group if i["stratum"] == name]
            affected = [i for i in members if i["affected"]]
            parts.append((np.array([i["checker"] == label for i in members if not i["affected"]]), len(affected),
                          np.array([judged[i["item"]] == label for i in affected if i["item"] in judged])))
        per_class[label] = (len(group), parts, np.array([i["checker"] == label for i in group]))

    def combined(boot: bool) -> float:
        accs = []
        for n, parts, _ in per_class.values():
            correct = 0.0
            for unaffected, n_affected, sampled in parts:
                u = rng.choice(unaffected, len(unaffected)) if boot and len(unaffected) else unaffected
                s = rng.choice(sampled, len(sampled)) if boot and len(sampled) else sampled
                correct += u.sum() + (n_affected * s.mean() if n_affected else 0.0) if len(s) or not n_affected \
                    else np.nan
            accs.append(correct / n)
        return float(np.mean(accs))

    def checker_ba(boot: bool) -> float:
        return float(np.mean([(rng.choice(c, len(c)) if boot else c).mean() for *_, c in per_class.values()]))

    point = combined(False)
    boots = [combined(True) for _ in range(rounds)]
    checker_boots = [checker_ba(True) for _ in range(rounds)]
    sample = {label: [i for i in items if i["label"] == label and i["item"] in judged] for label in (True, False)}
    return {
        "n": len(items),
        "affected": {str(k): int(sum(p[1] for p in v[1])) for k, v in per_class.items()},
        "sampled": {str(k): len(v) for k, v in sample.items()},
        "checker_ba": checker_ba(False), "checker_ci95": list(np.nanpercentile(checker_boots, [2.5, 97.5])),
        "with_judge_ba": point, "with_judge_ci95": list(np.nanpercentile(boots, [2.5, 97.5])),
        # On the sampled affected items only (unweighted): the checker's decision vs the guard's with the judge.
        "sampled_checker_accuracy": {str(k): float(np.mean([i["checker"] == k for i in v])) if v else None
                                     for k, v in sample.items()},
        "sampled_judge_accuracy": {str(k): float(np.mean([judged[i["item"]] == k for i in v])) if v else None
                                   for k, v in sample.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=10, help="affected items sampled per set and label")
    parser.add_argument("--max-seconds", type=float, default=1500)
    parser.add_argument("--out", type=Path, default=RESULTS / "checker_judge_sets.json")
    parser.add_argument("--rows", type=Path, default=None, help="reuse judged items from an earlier --out")
    parser.add_argument("--scores", type=Path, default=RESULTS / "checker_heldout_scores.json",
                        help="held-out checker scores (benchmarks/checker_quality.py)")
    parser.add_argument("--quality", type=Path, default=RESULTS / "checker_quality_new.json",
                        help="the same run's results (its thresholds)")
    parser.add_argument("--checker-version", default="1.2.0", help="the checker that wrote --scores (a label)")
    args = parser.parse_args(argv)
    pairs = tc.load_pairs(tc.shared_dir(), cache=REPO / "training" / ".cache")
    held = json.loads(args.scores.read_text())
    quality = json.loads(args.quality.read_text())
    items = load_items(pairs, held, quality)
    rng = random.Random(0)
    queues = []
    for name in sorted({i["stratum"] for i in items}):
        for label in (True, False):
            group = sorted((i for i in items if i["stratum"] == name and i["label"] == label and i["affected"]),
                           key=lambda i: i["item"])
            queues.append(rng.sample(group, min(args.per_class, len(group))))
    order = [q[k] for k in range(args.per_class) for q in queues if k < len(q)]
    judged: dict[str, bool] = {}
    calls: list[dict] = []
    load_before = os.getloadavg()
    if args.rows:  # continue an earlier run (--max-seconds 0: only recompute its tables)
        old = json.loads(args.rows.read_text())
        judged, calls = old["judged"], old["calls"]
        load_before = old["load_average_before"]
    todo = [item for item in order if item["item"] not in judged]
    if todo and args.max_seconds > 0:
        settings = Settings()
        client, local = make_llm_client(settings)
        if client is None:
            print("error: no LLM configured (set CITEWIRE_LOCAL_MODEL or CITEWIRE_LLM_BASE_URL)", file=sys.stderr)
            return 1
        judge = LLMJudge(client, load_prompt(settings.prompts_dir, "judge"))
        checker = SupportChecker()
        judge.p_supported("warm-up", ["warm-up"])
        started = time.time()
        for n, item in enumerate(todo):
            if time.time() - started > args.max_seconds:
                break
            judged[item["item"]] = judge_item(item, pairs, checker, judge, calls)
            if n % 20 == 0:
                print(f"{n}/{len(todo)} items, {len(calls)} calls, {time.time() - started:.0f} s", flush=True)
        if local is not None:
            local.close()
    sets = defaultdict(list)
    for item in items:
        sets[report_set(item["stratum"])].append(item)
        if item["stratum"].startswith("qags/"):
            sets[item["stratum"]].append(item)
    results = {name: estimate(group, judged) for name, group in sorted(sets.items())}
    summedits = [results[k] for k in results if k.startswith("summedits/")]
    seconds = [c["seconds"] for c in calls]
    report = {
        "band": JUDGE_BAND, "budget": JUDGE_BUDGET, "checker": args.checker_version,
        "judge_model": os.environ.get("CITEWIRE_LOCAL_MODEL") or os.environ.get("CITEWIRE_LLM_BASE_URL"),
        "items_judged": len(judged), "items_planned": len(order), "judge_calls": len(calls),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "latency_per_call_s": {"p50": statistics.median(seconds), "p95": float(np.percentile(seconds, 95)),
                               "max": max(seconds)} if seconds else None,
        "calls_per_judged_item": len(calls) / max(len(judged), 1),
        "summedits_mean": {"checker_ba": float(np.mean([r["checker_ba"] for r in summedits])),
                           "with_judge_ba": float(np.mean([r["with_judge_ba"] for r in summedits]))},
        "sets": results, "judged": judged, "calls": calls,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, default=float))
    print(json.dumps({k: v for k, v in report.items() if k not in ("judged", "calls")}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
