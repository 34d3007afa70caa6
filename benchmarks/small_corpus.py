"""Answers over small indexes, at several background-frequency weights (CITEWIRE_BACKGROUND_DF_WEIGHT).

    python benchmarks/small_corpus.py --data ../shared/data/realtimeqa-dev --tuning --weights 0,300,1000,3000,10000
    python benchmarks/small_corpus.py --data ../shared/data/realtimeqa-dev --weights 0,3000      # 2024, read once
    python benchmarks/small_corpus.py --data ../shared/data/realtimeqa-dev --report benchmark-small-corpus.json
    # the threshold by index size against the full index's at every size (two runs, then paired):
    python benchmarks/small_corpus.py --data ../shared/data/realtimeqa-dev --weights 0 --batch 1 --fixed-threshold --out fixed.json
    python benchmarks/small_corpus.py --data ../shared/data/realtimeqa-dev --weights 0 --batch 1 --out by-size.json
    python benchmarks/realtimeqa_paired.py fixed.json:0 by-size.json:0      # the rows at weight 0, paired

A user's index is rarely the 19,334-article benchmark index: it is the eight sample articles, or a few hundred.
``--one-article`` builds indexes shaped like the samples instead: one answering article per question, so a batch of
8 is eight articles on eight subjects.
The questions of a split (sorted by id, so by date) are cut into batches of ``--batch`` answerable questions plus
a third as many constructed unanswerables; each batch gets its own index of only the articles RealTimeQA retrieved
for its questions (a few hundred: a small corpus of one period, as the CI gate's sample), and every question of the
batch is asked at every weight over that index (the "new" pipeline, as /v1/ask). Unanswerables exclude every
indexed article holding the answer string, as in the gate. ``--tuning`` asks the 2022–2023 questions the models
were not fit on (choices are made there); without it the 2024 questions, for the report.

Prints each weight's metrics with 95 % bootstrap intervals, then each weight against the first, paired ("only after":
questions where the metric holds at that weight and not at the first: more false refusals there are more "only
after"); writes the rows to ``--out``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.evals.public import _exclude_indexed  # noqa: E402
from app.ingest.article import ArticleIn  # noqa: E402
from app.services import build_services  # noqa: E402


def corpus_by_question(path: Path) -> dict[str, list[dict]]:
    by_question: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(path / "corpus.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            for qid in record.get("retrieved_for") or []:
                by_question[qid].append(record)
    return by_question


def batches(answerable: list[rtqa.Question], base: list[rtqa.Question], size: int):
    """Consecutive (by id) groups of ``size`` answerable questions with the unanswerable bases among them."""
    answerable = sorted(answerable, key=lambda q: q.id)
    for start in range(0, len(answerable), size):
        group = answerable[start:start + size]
        last = answerable[start + size].id if start + size < len(answerable) else "~"
        first = group[0].id if start else ""
        yield group, [q for q in base if first <= q.id < last]


def index_records(articles: dict[str, list[dict]], questions: list[rtqa.Question], one_article: bool = False
                  ) -> dict[str, dict]:
    """The articles of one small index, by id: every article RealTimeQA retrieved for the questions, or with
    ``one_article`` only the first (by id) of each question's relevant articles among those (one subject each)."""
    questions = sorted(questions, key=lambda q: q.id)
    if not one_article:
        return {r["doc_id"]: r for q in questions for r in articles.get(q.id, [])}
    chosen = [min((r for r in articles.get(q.id, []) if r["doc_id"] in q.relevant), key=lambda r: r["doc_id"],
                  default=None) for q in questions]
    return {r["doc_id"]: r for r in chosen if r is not None}


def report(tuning: bool, weights: list[float], rows: dict[float, list[dict]], sizes: list[int]) -> dict:
    answerable = sum(not r["unanswerable"] for r in rows[weights[0]])
    results = {f"w={w:g}": rtqa.summarise(rows[w]) for w in weights}
    print(f"\n{'tuning 2022–2023' if tuning else '2024'}: {answerable} answerable + "
          f"{len(rows[weights[0]]) - answerable} unanswerable questions, {len(sizes)} indexes of "
          f"{min(sizes)}–{max(sizes)} articles (median {sorted(sizes)[len(sizes) // 2]})\n")
    # no latency column: each index is asked at the first weight first, cold, so the figures compare run order
    print(rtqa.table(results, ("hit@5", "containment", "citation_precision", "refusal", "false_refusal")))
    for w in weights[1:]:
        diff = rtqa.paired_differences(rows[weights[0]], rows[w])
        print(f"\nw={w:g} − w={weights[0]:g} (paired 95 %): " + "; ".join(
            f"{k} {v:+.3f} [{lo:+.3f}, {hi:+.3f}] ({int(diff[k + '_only_after'][0])} only after, "
            f"{int(diff[k + '_only_before'][0])} only before)" if k + "_only_after" in diff else
            f"{k} {v:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            for k, (v, lo, hi) in diff.items() if k in ("containment", "false_refusal", "refusal", "hit@5",
                                                        "citation_precision")))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tuning", action="store_true", help="2022–2023 questions not fit on (else 2024)")
    parser.add_argument("--weights", default="0,1000", help="comma-separated background weights; the first is the baseline")
    parser.add_argument("--batch", type=int, default=40, help="answerable questions per small index")
    parser.add_argument("--out", type=Path, default=Path("benchmark-small-corpus.json"))
    parser.add_argument("--report", type=Path, default=None, help="print the tables of an earlier --out, then exit")
    parser.add_argument("--one-article", action="store_true",
                        help="each question brings one article that answers it, not every article retrieved for it: "
                             "an index of unrelated articles, one a subject, as the eight samples")
    parser.add_argument("--fixed-threshold", action="store_true",
                        help="refuse below the full index's threshold at every size (CITEWIRE_THRESHOLD_BY_INDEX_SIZE=false)")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        report(saved["tuning"], saved["weights"], {w: saved["rows"][f"{w:g}"] for w in saved["weights"]},
               saved["sizes"])
        return
    weights = [float(w) for w in args.weights.split(",")]

    train, test = rtqa.split(rtqa.load_questions(args.data))
    pool = rtqa.held_out_of_fit(train) if args.tuning else test
    answerable = rtqa.sample(pool, None)
    base = rtqa.sample(pool, max(len(answerable) // 3, 1), rtqa.SEED + 1)
    articles = corpus_by_question(args.data)
    rows: dict[float, list[dict]] = {w: [] for w in weights}
    sizes = []
    started = time.time()
    for n, (group, bases) in enumerate(batches(answerable, base, args.batch), start=1):
        records = index_records(articles, group + bases, args.one_article)
        with tempfile.TemporaryDirectory(prefix="citewire-small-") as folder:
            services = build_services(Settings(data_dir=Path(folder)))
            services.ingest.ingest((ArticleIn.model_validate(r) for r in records.values()), batch_articles=128,
                                   keep_outcomes=False)
            unanswerable = _exclude_indexed(services, bases)
            services.close()
            sizes.append(len(records))
            for w in weights:
                services = build_services(Settings(data_dir=Path(folder), background_df_weight=w,
                                                   threshold_by_index_size=not args.fixed_threshold))
                pipeline = rtqa.make_pipelines(services)["new"]
                rows[w] += rtqa.evaluate(pipeline, group + unanswerable)
                services.close()
        print(f"batch {n}: {len(group)} + {len(unanswerable)} questions over {len(records)} articles "
              f"({time.time() - started:.0f} s)", file=sys.stderr, flush=True)

    results = report(args.tuning, weights, rows, sizes)
    args.out.write_text(json.dumps({"tuning": args.tuning, "weights": weights, "sizes": sizes,
                                    "results": results, "rows": {f"{w:g}": r for w, r in rows.items()}}))


if __name__ == "__main__":
    main()
