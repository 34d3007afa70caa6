"""Faithfulness checker latency per claim on CPU (target: p95 <= 20 ms).

    python benchmarks/checker_latency.py [--claims 400] [--repeat 1]

Claims are the sample articles' sentences and a perturbed copy of each (a number changed or a word
dropped), checked against the ~1,000-character passage they come from plus two other passages (what
the guard sees with 3 passages). Three settings:
- warm: the passages were prepared before (later sentences of the same answer);
- cold passages: each claim brings passages the checker has not split and indexed yet (first sentence);
- cold: as above, and the word-vector cache is emptied too (a fresh process).
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

from app.answer.alignment import split_sentences  # noqa: E402
from app.answer.support import SupportChecker  # noqa: E402
from app.samples import samples_path  # noqa: E402


def passages(chars: int = 1000) -> list[str]:
    out = []
    for line in samples_path().read_text().splitlines():
        text = json.loads(line)["text"]
        for start in range(0, len(text), chars):
            if len(text[start : start + chars]) > 300:
                out.append(text[start : start + chars])
    return out


def claims_for(passage: str, rng: random.Random) -> list[str]:
    out = []
    for sentence in split_sentences(passage):
        tokens = sentence.split()
        if len(tokens) < 6:
            continue
        out.append(sentence)
        i = rng.randrange(len(tokens))
        out.append(" ".join(tokens[:i] + tokens[i + 1 :]))
    return out


def measure(checker: SupportChecker, work: list[tuple[str, list[str]]], mode: str) -> list[float]:
    times = []
    for claim, evidence in work:
        if mode == "warm":
            checker.check(claim, evidence)  # prepared before timing
        else:
            checker.aligner._prepared.clear()
        if mode == "cold":
            checker.aligner._vectors.clear()
        start = time.perf_counter()
        checker.check(claim, evidence)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=1,
                        help="time the claims this many times per setting (the samples give 96 claims: percentiles "
                             "over more timings move less with the load)")
    args = parser.parse_args(argv)
    rng = random.Random(0)
    chunks = passages()
    work = []
    for i, chunk in enumerate(chunks):
        others = rng.sample([c for j, c in enumerate(chunks) if j != i], 2)
        work.extend((claim, [chunk, *others]) for claim in claims_for(chunk, rng))
    rng.shuffle(work)
    work = work[: args.claims] * args.repeat
    checker = SupportChecker()
    checker.check(*work[0])  # load the model and embedder
    report = {"version": checker.version, "local_support_computed": checker.aligner.local_support}
    for mode in ("warm", "cold passages", "cold"):
        times = measure(checker, work, mode)
        report[mode] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(float(np.percentile(times, 95)), 2),
                        "max_ms": round(max(times), 2), "claims": len(times)}
        print(f"{mode:>14}: p50 {report[mode]['p50_ms']:6.2f} ms  p95 {report[mode]['p95_ms']:6.2f} ms  "
              f"max {report[mode]['max_ms']:6.2f} ms  ({len(times)} claims, 3 passages each)")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
