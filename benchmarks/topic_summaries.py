"""Topic summaries on RealTimeQA-dev: does a topic summary stay on its event?

    python benchmarks/topic_summaries.py --data ../shared/data/realtimeqa-dev --data-dir /tmp/topic-index --years 2023
    python benchmarks/topic_summaries.py --data ../shared/data/realtimeqa-dev --data-dir /tmp/topic-index --years 2024

Each open question (the `app/evals/realtimeqa.py` set) is used as a topic ("Which automaker recalled more than
112,000 vehicles?"), summarised as of its date + 1 day over an index of every 2023–2024 article of the corpus
(built on the first run; delete the folder after an interrupted build). Rules, same retrieval, same index: **before**
keeps any retrieved sentence that shares a content word with the topic; an anchor rule (`--rules`, app/summarize/
topics.py `anchor_words`, `topic_anchor`) first keeps only passages of articles that mention the topic's rarest
indexed word, or with ":prefer" ranks their sentences first; distinctive-S keeps articles mentioning a word that
holds at least S of the topic's total IDF and refuses when no retrieved article does. No LLM: the extractive summary. Per topic: refused; the share of its citations from
the question's relevant articles (qrels: the answer string is in it, or the gold article); any citation from an
article that is not relevant; whether the summary holds the normalised answer. Citation relevance is also pooled
over all citations. The word rules have no tuned constant; coverage-R and distinctive-S were chosen on 2023; 2023 is where
rules are looked at, 2024 the report (docs/summaries.md).
95 % intervals: 1,000 bootstrap resamples of topics (seed 0), each rule's difference from before paired.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals.realtimeqa import load_questions, normalise  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.services import build_services  # noqa: E402
from app.summarize.service import ANCHOR_RULES, SummarizeService  # noqa: E402

INDEX_YEARS = ("2023", "2024")
SEED = 0


def ensure_index(data: Path, data_dir: Path) -> None:
    """Every corpus article published in INDEX_YEARS, through the normal ingest (skipped when already built)."""
    subset = data_dir / "corpus-2023-2024.jsonl.gz"
    services = build_services(Settings(data_dir=data_dir))
    try:
        if services.records.count()[0] > 0:  # built already (this script's subset, or a full corpus index)
            return
        data_dir.mkdir(parents=True, exist_ok=True)
        kept = 0
        with gzip.open(data / "corpus.jsonl.gz", "rt") as source, gzip.open(subset, "wt") as out:
            for line in source:
                if (json.loads(line).get("publish_date") or "")[:4] in INDEX_YEARS:
                    out.write(line)
                    kept += 1
        started = time.time()
        bar = tqdm(total=kept, unit=" articles", file=sys.stderr, mininterval=10)
        services.ingest.ingest(load_path(subset), batch_articles=128, on_progress=lambda _: bar.update(1),
                               keep_outcomes=False)
        bar.close()
        print(f"indexed {services.records.count()} in {time.time() - started:.0f} s", file=sys.stderr)
    finally:
        services.close()


def score(summary, relevant: set[str], answer: str) -> dict:
    cited = [c.article_id for c in summary.citations]
    on_event = [a in relevant for a in cited]
    return {"refused": not summary.answerable, "cited": len(cited), "relevant_cited": sum(on_event),
            "relevant_share": float(np.mean(on_event)) if cited else float("nan"),
            "any_unrelated": bool(cited) and not all(on_event),
            "contains": summary.answerable and f" {normalise(answer)} " in f" {normalise(summary.summary)} "}


def interval(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan"), float("nan")
    means = [values[rng.integers(0, len(values), len(values))].mean() for _ in range(1000)]
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def pooled(rows: list[dict], rng: np.random.Generator) -> tuple[float, float, float]:
    """Share of all citations that come from a relevant article (resampling topics)."""
    hits = np.array([r["relevant_cited"] for r in rows], float)
    total = np.array([r["cited"] for r in rows], float)
    stats = []
    for _ in range(1000):
        pick = rng.integers(0, len(rows), len(rows))
        stats.append(hits[pick].sum() / max(total[pick].sum(), 1))
    return float(hits.sum() / max(total.sum(), 1)), float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))


def report(results: dict[str, list[dict]]) -> str:
    """Each rule with its interval, then each anchor rule minus "before", paired by topic."""
    rules, anchors = list(results), [r for r in results if r != "before"]
    head = " | ".join(rules) + "".join(f" | {a} − before [95 % paired]" for a in anchors)
    lines = [f"| metric | {head} |", "|---" * (len(rules) + len(anchors) + 1) + "|"]
    metrics = [("refused", "refused"), ("contains", "summary holds the answer"),
               ("any_unrelated", "cites an unrelated article"), ("relevant_share", "relevant share per summary")]
    for key, label in metrics:
        cells = []
        for rule in rules:
            m, lo, hi = interval(np.array([float(r[key]) for r in results[rule]]), np.random.default_rng(SEED))
            cells.append(f"{m:.3f} [{lo:.3f}, {hi:.3f}]")
        before = np.array([float(r[key]) for r in results["before"]])
        for rule in anchors:
            after = np.array([float(r[key]) for r in results[rule]])
            both = ~(np.isnan(before) | np.isnan(after))
            d, lo, hi = interval(np.where(both, after - before, np.nan), np.random.default_rng(SEED))
            cells.append(f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for rule in rules:
        m, lo, hi = pooled(results[rule], np.random.default_rng(SEED))
        cells.append(f"{m:.3f} [{lo:.3f}, {hi:.3f}]")
    lines.append("| relevant share of all citations | " + " | ".join(cells) + " |" * (len(anchors) + 1))
    lines.append("| citations per summary | " + " | ".join(
        f"{np.mean([r['cited'] for r in results[rule]]):.1f}" for rule in rules) + " |" * (len(anchors) + 1))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the realtimeqa-dev folder")
    parser.add_argument("--data-dir", type=Path, required=True, help="the index (built on the first run)")
    parser.add_argument("--years", default="2023", help="question years to ask: 2023 (looked at) or 2024 (report)")
    parser.add_argument("--rules", default="name",
                        help=f"anchor rules to compare with 'off': {ANCHOR_RULES[1:]}, coverage-R (articles holding at "
                             "least R of the best retrieved article's topic terms) or distinctive-S (articles mentioning "
                             "a topic word holding at least S of the topic's IDF; none mentioned: refused), each also "
                             "as RULE:prefer")
    parser.add_argument("--limit", type=int, default=None, help="the first N questions only")
    parser.add_argument("--out", type=Path, default=None, help="write per-topic rows and the table here (JSON)")
    args = parser.parse_args()

    ensure_index(args.data, args.data_dir)
    years = set(args.years.split(","))
    questions = [q for q in load_questions(args.data) if q.year in years][: args.limit]
    services = build_services(Settings(data_dir=args.data_dir))
    try:
        base = services.summaries
        # "no-headline": without the shipped headline rule (articles whose headline names the topic are on it)
        rules = {"before" if rule == "off" else rule: SummarizeService(
                     base.records, base.retrieval, base.embedder, topic_anchor="off" if rule == "no-headline" else rule,
                     headline_mentions=rule != "no-headline")
                 for rule in ["off", *args.rules.split(",")]}
        results: dict[str, list[dict]] = {rule: [] for rule in rules}
        seconds = {rule: 0.0 for rule in rules}
        for q in tqdm(questions, unit=" topics", file=sys.stderr, mininterval=10):
            for rule, service in rules.items():
                started = time.perf_counter()
                summary = service.summarize_topic(q.question, as_of=q.as_of)
                seconds[rule] += time.perf_counter() - started
                results[rule].append({"id": q.id, **score(summary, q.relevant, q.answer),
                                      "reason": summary.refusal_reason})
    finally:
        services.close()
    table = report(results)
    print(f"{len(questions)} topics from {args.years} questions, index of {INDEX_YEARS} articles")
    print(table)
    print("mean seconds per summary: " + ", ".join(f"{r} {s / max(len(questions), 1):.3f}" for r, s in seconds.items()))
    if args.out:
        args.out.write_text(json.dumps({"years": args.years, "table": table, "rows": results}, indent=1))


if __name__ == "__main__":
    main()
