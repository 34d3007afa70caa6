"""Where retrieval loses 2024 questions: the candidate pool or the ranking, and hits qrels does not list.

    python benchmarks/realtimeqa_pool.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index \
        --out /tmp/realtimeqa-pool.json

Per answerable question of the split (default 2024, never tuned on), through the shipped retrieval:
whether a qrels article is among the 50 fused candidates (the pool the learned ranker reorders) and among either
retriever's 50 (their union, before fusion cuts it to 50), qrels hit@1,
@5 and @10 on the ranked list (as app/evals/realtimeqa.py counts them), hit@5 and @10 on the list search shows
(one passage per article ahead of repeats: CITEWIRE_SEARCH_PER_ARTICLE), and whether a top-5 passage holds the
answer string. ``--out`` keeps every question's top 5 (article, qrels or not, string or not, title), and
prints a seeded sample of the questions whose answer string is only in top-5 passages of articles qrels does
not list, to read by hand (docs/answers.md, "hit@k as the benchmark counts it").
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals.realtimeqa import TEST_YEAR, load_questions, normalise  # noqa: E402
from app.retrieval.service import article_of, per_article_first  # noqa: E402
from app.services import build_services  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the whole corpus")
    parser.add_argument("--years", default=TEST_YEAR, help="comma-separated question years (default: the test year)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=25, help="questions to print for reading (seed 1)")
    args = parser.parse_args()
    years = set(args.years.split(","))
    services = build_services(Settings(data_dir=args.data_dir))
    retrieval = services.retrieval
    questions = [q for q in load_questions(args.data) if q.year in years]
    rows = []
    for q in questions:
        as_of_ts = retrieval.as_of_ts(q.as_of)
        bm25, dense = retrieval.candidates(q.question, services.settings.candidates, None, as_of_ts, "hybrid")
        union = {article_of(c[0]) for c in bm25} | {article_of(c[0]) for c in dense}
        fused, features = retrieval.rerank_features(q.question, bm25, dense, as_of_ts)
        # the ranked list as RetrievalService.search makes it from this pool (the shipped learned ranker)
        ranked = (retrieval.rerank(list(fused), features, len(fused)) if retrieval.ranker is not None
                  else retrieval.search(q.question, top_k=len(fused), as_of=q.as_of))
        # what search lists (CITEWIRE_SEARCH_PER_ARTICLE): one passage per article ahead of repeats
        spread = per_article_first(ranked, 1)
        gold = normalise(q.answer)
        rows.append({"id": q.id, "question": q.question, "answer": q.answer,
                     "in_pool": any(p.article_id in q.relevant for p in fused), "in_union": bool(union & q.relevant),
                     "hits": [any(p.article_id in q.relevant for p in ranked[:k]) for k in (1, 5, 10)],
                     "spread_hits": [any(p.article_id in q.relevant for p in spread[:k]) for k in (5, 10)],
                     "top5": [{"article": p.article_id, "qrels": p.article_id in q.relevant,
                               "string": gold in normalise(p.text), "title": p.title} for p in ranked[:5]]})
    services.close()
    hits = np.array([r["hits"] for r in rows], dtype=float)
    string5 = np.array([any(p["string"] for p in r["top5"]) for r in rows])
    outside = [r for r, s, h in zip(rows, string5, hits[:, 1]) if s and not h]
    print(f"{len(rows)} answerable questions of {sorted(years)}\n\n| | share |\n|---|---|")
    print(f"| a qrels article among the 50 fused candidates the ranker reorders | {np.mean([r['in_pool'] for r in rows]):.3f} |")
    print(f"| a qrels article among either retriever's 50 | {np.mean([r['in_union'] for r in rows]):.3f} |")
    for i, k in enumerate((1, 5, 10)):
        print(f"| hit@{k}, qrels articles | {hits[:, i].mean():.3f} |")
    spread = np.array([r["spread_hits"] for r in rows], dtype=float)
    for i, k in enumerate((5, 10)):
        print(f"| hit@{k}, qrels articles, one passage per article first (search's list) | {spread[:, i].mean():.3f} |")
    print(f"| the answer string in a top-5 passage | {string5.mean():.3f} |")
    print(f"| the string only in top-5 passages of articles qrels does not list | {len(outside) / len(rows):.3f} |")
    random.Random(1).shuffle(outside)
    for r in outside[: args.sample]:
        print(f"\n{r['id']} | {r['question']} | gold: {r['answer']}")
        for p in r["top5"]:
            if p["string"]:
                print(f"    {p['title'][:110]}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
