"""RealTimeQA time split, old vs new answer pipeline side by side (the numbers in docs/answers.md).

    python benchmarks/realtimeqa.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index

Reuses (or builds, the first time: minutes) a full index of all 19,334 corpus articles in
``--data-dir``, then asks every answerable open 2024 question as of its date + 1 day, plus
``--unanswerable`` constructed unanswerables (2024 questions with every article holding the answer
excluded), through both pipelines. Prints the table with 95 % bootstrap intervals and writes
realtimeqa.json (per-question rows, for the error analysis) under ``--out``. ``--wrong-year`` adds every asked
question that names a year, asked about a year 5 earlier: refused is right (``refusal_wrong_year``). ``--tuning`` asks the 2022–2023
questions no shipped model was fit on instead (for choosing what acts after the models; not a result).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals.public import run_realtimeqa  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.services import build_services  # noqa: E402

CORPUS_ARTICLES = 19_334


def ensure_index(data: Path, data_dir: Path) -> None:
    services = build_services(Settings(data_dir=data_dir))
    try:
        articles, _ = services.records.count()
        if articles >= CORPUS_ARTICLES:
            return
        started = time.time()
        bar = tqdm(total=CORPUS_ARTICLES, unit=" articles", file=sys.stderr, mininterval=10)
        services.ingest.ingest(load_path(data / "corpus.jsonl.gz"), batch_articles=128,
                               on_progress=lambda _: bar.update(1), keep_outcomes=False)
        bar.close()
        print(f"indexed {services.records.count()} in {time.time() - started:.0f} s", file=sys.stderr)
    finally:
        services.close()


def merge(out: Path) -> None:
    from app.evals.realtimeqa import summarise, table

    names = [n for n in ("old", "rerank", "new") if (out / f"realtimeqa-{n}.json").exists()]
    parts = [json.loads((out / f"realtimeqa-{name}.json").read_text()) for name in names]
    merged = {**parts[-1], "results": {}, "rows": {}}
    for part in parts:
        merged["rows"].update(part["rows"])
    # Side by side on the same questions: a run of one pipeline over a subset is compared with the
    # other pipeline's rows for exactly those questions.
    shared = set.intersection(*({r["id"] for r in merged["rows"][n]} for n in names))
    for name in names:
        merged["rows"][name] = [r for r in merged["rows"][name] if r["id"] in shared]
        merged["results"][name] = summarise(merged["rows"][name])
    merged["questions"] = sum(not r["unanswerable"] for r in merged["rows"][names[-1]])
    merged["unanswerable"] = sum(r["unanswerable"] for r in merged["rows"][names[-1]])
    merged["table"] = table(merged["results"])
    (out / "realtimeqa.json").write_text(json.dumps(merged, indent=2, default=str))
    print(f"{merged['questions']} answerable + {merged['unanswerable']} unanswerable questions, every pipeline")
    print(merged["table"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="full index (built here when incomplete)")
    parser.add_argument("--limit", type=int, default=None, help="answerable 2024 questions (default: all)")
    parser.add_argument("--unanswerable", type=int, default=150, help="constructed unanswerables (fixed sample)")
    parser.add_argument("--out", type=Path, default=Path("benchmark-realtimeqa"))
    parser.add_argument("--only", choices=("old", "new", "rerank"), default=None,
                        help="run one pipeline into realtimeqa-<name>.json (e.g. while the other trains)")
    parser.add_argument("--merge", action="store_true", help="join realtimeqa-old.json and -new.json, then exit")
    parser.add_argument("--tuning", action="store_true",
                        help="ask the 2022–2023 questions the models were not fit on (where choices are made) instead of 2024")
    parser.add_argument("--wrong-year", action="store_true",
                        help="also ask each question naming a year about a year 5 earlier (a refusal is right)")
    args = parser.parse_args()
    if args.merge:
        merge(args.out)
        return
    ensure_index(args.data, args.data_dir)
    summary = run_realtimeqa(args.data, args.out, limit=args.limit, progress=True, index=args.data_dir,
                             unanswerable=args.unanswerable, only=args.only, tuning=args.tuning,
                             wrong_year=args.wrong_year)
    report = json.loads((args.out / (f"realtimeqa-{args.only}.json" if args.only else "realtimeqa.json")).read_text())
    print(f"\n{summary['answerable']} answerable {'2022–2023' if args.tuning else '2024'} questions + {summary['unanswerable']} constructed "
          f"unanswerables, {report['scope']}\n")
    print(report["table"])


if __name__ == "__main__":
    main()
