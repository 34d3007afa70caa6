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
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.services import build_services  # noqa: E402
from app.text import words  # noqa: E402


def normalise(text: str) -> str:
    return " ".join(words(text))


def load_questions(data: Path, article_ids: set[str]):
    relevant: dict[str, set[str]] = defaultdict(set)
    with open(data / "qrels.tsv") as handle:
        next(handle)
        for line in handle:
            qid, doc_id, basis = line.rstrip("\n").split("\t")
            if basis in ("answer_string_in_doc", "gold_article"):
                relevant[qid].add(doc_id)
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


def evaluate(services, questions, mode: str, use_date: bool, boost: float, k: int = 10):
    services.settings.recency_boost = boost
    hits = {1: 0, 5: 0, 10: 0}
    rr, aic, latencies = [], 0, []
    for q, docs in questions:
        as_of = None
        if use_date:
            as_of = date.fromisoformat(q["question_date"].replace("/", "-")) + timedelta(days=1)
        else:
            as_of = date(2100, 1, 1)
        start = time.perf_counter()
        passages = services.retrieval.search(q["question"], top_k=k, as_of=as_of, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        ranks = [i for i, p in enumerate(passages, start=1) if p.article_id in docs]
        first = ranks[0] if ranks else None
        for cut in hits:
            hits[cut] += bool(first and first <= cut)
        rr.append(1 / first if first else 0.0)
        answer = normalise(q["answer_text"])
        aic += any(answer and answer in normalise(p.text) for p in passages)
    n = len(questions)
    return {
        "hit@1": hits[1] / n, "hit@5": hits[5] / n, "hit@10": hits[10] / n, "mrr@10": statistics.mean(rr),
        "aic@10": aic / n, "p50_ms": statistics.median(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=6000, help="articles to index (first N of the corpus)")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse an index built by an earlier run")
    parser.add_argument("--weights", default="0.5,0.7,0.8", help="BM25 weights to try in the fusion")
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
    for use_date, boost in ((False, 1.0), (True, 1.0), (True, 1.5)):
        label = "no date" if not use_date else ("as_of" if boost == 1.0 else "as_of + recency x1.5")
        rows.append((f"BM25 ({label})", evaluate(services, questions, "bm25", use_date, boost)))
        rows.append((f"dense wordllama-256 ({label})", evaluate(services, questions, "dense", use_date, boost)))
        for fusion in ("rrf", "convex"):
            settings.fusion = fusion
            for weight in [float(w) for w in args.weights.split(",")]:
                settings.bm25_weight = weight
                rows.append((f"hybrid {fusion} w_bm25={weight} ({label})",
                             evaluate(services, questions, "hybrid", use_date, boost)))
    settings.bm25_weight, settings.fusion = Settings().bm25_weight, Settings().fusion

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
