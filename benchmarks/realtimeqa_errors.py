"""Error analysis of 50 failures of the new pipeline on the 2024 split (docs/answers.md).

    python benchmarks/realtimeqa_errors.py benchmark-realtimeqa/realtimeqa.json

A failure is an answerable question whose answer does not contain the gold string, or a constructed
unanswerable that was answered. The first 50 by question id are categorised from the stored rows:

- retrieval miss: no top-5 passage holds the answer string (the answerer never saw it);
- refused though the answer was in the top 5 (false refusal with the evidence present);
- refused, answer not retrieved (refusal was the honest outcome for what was retrieved);
- wrong sentence: the answer was in the top 5 but another sentence was quoted;
- right article, other wording: an answer-bearing article is cited but the gold string is not in the quote
  (paraphrase, alias or formatting: "$1.2 billion" vs "1.2bn");
- answered an unanswerable: the answer string was excluded everywhere, yet something was quoted.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def category(row: dict) -> str | None:
    if row["unanswerable"]:
        return "answered an unanswerable" if row["answerable"] else None
    if row["contained"]:
        return None
    if not row["answerable"]:
        return "refused though the answer was in the top 5" if row["answer_in_top5"] else \
            "refused, answer not retrieved"
    if not row["answer_in_top5"]:
        return "retrieval miss (answered from other passages)"
    if row["relevant_citations"]:
        return "right article, other wording / wrong sentence of it"
    return "wrong sentence (answer was in the top 5)"


def main() -> None:
    report = json.loads(Path(sys.argv[1]).read_text())
    rows = sorted(report["rows"]["new"], key=lambda r: r["id"])
    failures = [(r, c) for r in rows if (c := category(r))]
    all_counts = Counter(c for _, c in failures)
    first = failures[:50]
    counts = Counter(c for _, c in first)
    print(f"{len(failures)} failures of {len(rows)} questions; categories of all failures:")
    for name, n in all_counts.most_common():
        print(f"  {n:4d}  {name}")
    print("\nfirst 50 by question id:")
    print("| category | failures | share |\n|---|---|---|")
    for name, n in counts.most_common():
        print(f"| {name} | {n} | {n / len(first):.0%} |")
    print()
    for row, name in first:
        answer = (row["answer"] or "")[:160].replace("\n", " ")
        print(f"- [{name}] {row['question']} (gold: {row['gold']}) -> {answer}")


if __name__ == "__main__":
    main()
