"""Retrieval quality on RealTimeQA-dev: hit@1/5/10, MRR@10 and answer-in-chunk@10 per method.

    python benchmarks/retrieval_quality.py --data ../shared/data/realtimeqa-dev --limit 6000

Indexes the first ``--limit`` corpus articles through the real ingest pipeline (the corpus is
grouped by question, so early questions keep their whole candidate set), then evaluates every
answerable open question whose relevant articles fall in the slice. Relevance follows the data
README: qrels with basis ``answer_string_in_doc`` or ``gold_article``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals.realtimeqa import load_relevant  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.services import build_services  # noqa: E402
from app.text import words  # noqa: E402


def normalise(text: str) -> str:
    return " ".join(words(text))


def load_questions(data: Path, article_ids: set[str]):
    relevant = load_relevant(data)
    questions = []
    with open(data / "questions.jsonl") as handle:
        for line in handle:
            q = json.loads(line)
            if q["mc_dependent_wording"] or not q["answer_string_in_retrieved_docs"]:
                continue
            docs = relevant.get(q["question_id"], set()) & article_ids
            if docs:
                questions.append((q, docs))
    return questions


def collect(services, questions, use_date: bool, pool: int = 50):
    """Both retrievers' candidate lists, once per question: every fusion variant reuses them."""
    out = []
    for q, docs in tqdm(questions, desc="candidates" + (" (as_of)" if use_date else ""), file=sys.stderr):
        as_of = date(2100, 1, 1)
        if use_date:
            as_of = date.fromisoformat(q["question_date"].replace("/", "-")) + timedelta(days=1)
        as_of_ts = services.retrieval.as_of_ts(as_of)
        start = time.perf_counter()
        bm25, _ = services.retrieval.candidates(q["question"], pool, None, as_of_ts, "bm25")
        bm25_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        _, dense = services.retrieval.candidates(q["question"], pool, None, as_of_ts, "dense")
        dense_ms = (time.perf_counter() - start) * 1000
        out.append((q, docs, as_of_ts, bm25, dense, bm25_ms, dense_ms))
    return out


def evaluate(services, collected, mode: str, boost: float, weight=None, fusion=None, k: int = 10, subset=None):
    hits = {1: 0, 5: 0, 10: 0}
    rr, aic, latencies = [], 0, []
    rows = [c for i, c in enumerate(collected) if subset is None or i % 2 == subset]
    for q, docs, as_of_ts, bm25, dense, bm25_ms, dense_ms in rows:
        start = time.perf_counter()
        passages = services.retrieval.rank(bm25 if mode != "dense" else [], dense if mode != "bm25" else [], mode,
                                           as_of_ts, k, bm25_weight=weight, fusion=fusion, recency_boost=boost)
        fuse_ms = (time.perf_counter() - start) * 1000
        latencies.append(fuse_ms + (bm25_ms if mode != "dense" else 0) + (dense_ms if mode != "bm25" else 0))
        ranks = [i for i, p in enumerate(passages, start=1) if p.article_id in docs]
        first = ranks[0] if ranks else None
        for cut in hits:
            hits[cut] += bool(first and first <= cut)
        rr.append(1 / first if first else 0.0)
        answer = normalise(q["answer_text"])
        aic += any(answer and answer in normalise(p.text) for p in passages)
    n = len(rows)
    return {
        "hit@1": hits[1] / n, "hit@5": hits[5] / n, "hit@10": hits[10] / n, "mrr@10": statistics.mean(rr),
        "aic@10": aic / n, "p50_ms": statistics.median(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=6000, help="articles to index (first N of the corpus)")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse an index built by an earlier run")
    parser.add_argument("--weights", default="0.5,0.6,0.7,0.8,0.9", help="BM25 weights to try in the fusion")
    parser.add_argument("--json", type=Path, default=None, help="write the results here too")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="citewire-bench-"))
    settings = Settings(data_dir=data_dir)
    services = build_services(settings)
    articles, _ = services.records.count()
    started = time.time()
    if articles < args.limit:
        records = itertools.islice(load_path(args.data / "corpus.jsonl.gz"), args.limit)
        bar = tqdm(total=args.limit, unit=" articles", file=sys.stderr)
        services.ingest.ingest(records, batch_articles=128, on_progress=lambda _: bar.update(1), keep_outcomes=False)
        bar.close()
    build_s = time.time() - started
    articles, chunks = services.records.count()
    ids = set()
    with gzip.open(args.data / "corpus.jsonl.gz", "rt") as handle:
        for line in itertools.islice(handle, args.limit):
            ids.add(json.loads(line)["doc_id"])
    questions = load_questions(args.data, ids)
    print(f"indexed {articles} articles / {chunks} chunks in {build_s:.0f} s; {len(questions)} questions", file=sys.stderr)

    rows = []
    weights = [float(w) for w in args.weights.split(",")]
    for use_date in (False, True):
        collected = collect(services, questions, use_date)
        for boost in ((1.0,) if not use_date else (1.0, 1.5)):
            label = "no date" if not use_date else ("as_of" if boost == 1.0 else "as_of + recency x1.5")
            rows.append((f"BM25 ({label})", evaluate(services, collected, "bm25", boost)))
            rows.append((f"dense wordllama-256 ({label})", evaluate(services, collected, "dense", boost)))
            for fusion in ("rrf", "convex"):
                for weight in weights:
                    rows.append((f"hybrid {fusion} w_bm25={weight} ({label})",
                                 evaluate(services, collected, "hybrid", boost, weight, fusion)))
            if use_date and boost == 1.5:
                default = Settings()
                for half in (0, 1):  # the recency prior was tuned on all questions: check both halves
                    rows.append((f"default ({default.fusion} w={default.bm25_weight}, recency) half {half + 1}",
                                 evaluate(services, collected, "hybrid", boost, default.bm25_weight,
                                          default.fusion, subset=half)))
    print(f"\n{articles} articles, {chunks} chunks (200 cl100k tokens, 30 overlap, title prefixed), "
          f"{len(questions)} answerable open questions; build {build_s:.0f} s on this machine\n")
    print("| method | hit@1 | hit@5 | hit@10 | MRR@10 | aic@10 | query p50 |")
    print("|---|---|---|---|---|---|---|")
    for name, m in rows:
        print(f"| {name} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['hit@10']:.3f} | {m['mrr@10']:.3f} | "
              f"{m['aic@10']:.3f} | {m['p50_ms']:.0f} ms |")
    if args.json:
        args.json.write_text(json.dumps({"articles": articles, "chunks": chunks, "questions": len(questions),
                                         "build_s": build_s, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
