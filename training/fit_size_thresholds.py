"""Fit app/models/answerability_by_size.json: the refusal threshold as a function of the index's size.

    # 1. the answerability inputs of held-out 2022–2023 questions over small indexes (needs ../shared; ~5 min):
    python training/fit_size_thresholds.py extract --data ../shared/data/realtimeqa-dev
    # 2. the thresholds (no data needed beyond the stored rows; a test checks it reproduces what ships):
    python training/fit_size_thresholds.py fit

Why: the answerability model (app/models/answerability.json) was fitted on features computed over the full
19,334-article index, and its threshold (the strictest keeping false refusal at or below 5 % on 2022–2023) holds
there. Over a small index the same inputs run lower (question words no chunk holds weigh the most; fewer passages
agree), so the same threshold refused 12 % of answerable held-out questions over indexes of about ten articles
and 9 % over about forty-five. The model still ranks them (AUROC .73 and .81), so the threshold, not the model,
is what has to follow the index: the same rule (strictest with false refusal ≤ 5 %) applied at each size.

``extract`` asks the 2022–2023 questions no shipped model was fitted on (``held_out_of_fit``), with a third as
many constructed unanswerables, in consecutive batches of 1, 5 and 40 answerable questions, each batch over its
own index of only the articles RealTimeQA retrieved for it (benchmarks/small_corpus.py's protocol), and stores
each question's answerability inputs, label and index size (numbers only) in training/size_threshold_rows.json.gz.
``fit`` scores the rows with the shipped answerability model and writes one anchor per batch size (its median
index size in chunks, its threshold) plus the shipped threshold at the full index's size. Between anchors the
threshold is interpolated in log(chunks); outside them it is the nearest anchor's (no extrapolation).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from train_answers import MAX_FALSE_REFUSAL, choose_threshold  # noqa: E402  (the shipped threshold's own rule)

from app.retrieval.learned import ANSWERABILITY_MODEL, MODELS_DIR, SIZE_THRESHOLDS, LogisticModel  # noqa: E402

ROWS_FILE = Path(__file__).resolve().parent / "size_threshold_rows.json.gz"
# (shape, answerable questions per small index): every article RealTimeQA retrieved for them, about 10, 45 and 320
# articles. A fourth, ("one-article", 3): one answering article per question, 3 articles on 3 subjects as the samples
# are, gave 25 chunks -> 0.16 and failed the project gate (docs/answers.md, *Indexes of a few unrelated articles*).
SHAPES = (("retrieved", 1), ("retrieved", 5), ("retrieved", 40))
FULL_INDEX_CHUNKS = 233_307  # the index training/train_answers.py extracts from (all 19,334 articles)


def extract(data: Path, out: Path) -> None:
    from app.answer.selection import SentenceSelector

    seen: dict[str, dict] = {}
    select = SentenceSelector.select

    def recording(self, question, passages):  # the inputs the answerer's threshold is applied to
        selection = select(self, question, passages)
        seen["features"] = dict(selection.answerability)
        return selection

    SentenceSelector.select = recording
    try:
        rows = _ask_over_small_indexes(data, seen)
    finally:
        SentenceSelector.select = select
    with gzip.GzipFile(out, "wb", mtime=0) as handle:
        handle.write(json.dumps({"built_by": "training/fit_size_thresholds.py extract", "rows": rows}).encode())


def _ask_over_small_indexes(data: Path, seen: dict) -> list[dict]:
    """Each question's answerability inputs as the shipped answerer computes them; a question refused before the
    model (no passage at all) has none and is left out, so the 5 % rule counts the questions that reach it."""
    from small_corpus import batches, corpus_by_question, index_records

    from app.config import Settings
    from app.evals import realtimeqa as rtqa
    from app.evals.public import _exclude_indexed
    from app.ingest.article import ArticleIn
    from app.services import build_services

    # pinned, whatever CITEWIRE_* says: the learned answerer, the index's own word counts (no background blend)
    pinned = {"answer_model": "learned", "background_df_weight": 0}
    train, _ = rtqa.split(rtqa.load_questions(data))
    pool = rtqa.held_out_of_fit(train)
    answerable = rtqa.sample(pool, None)
    base = rtqa.sample(pool, max(len(answerable) // 3, 1), rtqa.SEED + 1)
    articles = corpus_by_question(data)
    rows, started = [], time.time()
    for shape, size in SHAPES:
        for group, bases in batches(answerable, base, size):
            records = index_records(articles, group + bases, one_article=shape == "one-article")
            with tempfile.TemporaryDirectory(prefix="citewire-sizes-") as folder:
                services = build_services(Settings(data_dir=Path(folder), **pinned))
                services.ingest.ingest((ArticleIn.model_validate(r) for r in records.values()), batch_articles=128,
                                       keep_outcomes=False)
                unanswerable = _exclude_indexed(services, bases)
                chunks = services.records.document_frequencies([])[1]
                pipeline = rtqa.make_pipelines(services)["new"]
                for q in group + unanswerable:
                    seen.clear()
                    pipeline(q, 10)
                    if "features" in seen:  # no passage at all: refused before the model
                        rows.append({"shape": shape, "batch": size, "chunks": chunks, "answerable": not q.unanswerable,
                                     "features": {k: round(v, 6) for k, v in sorted(seen["features"].items())}})
                services.close()
        print(f"{shape}, batch size {size}: {sum(_shape(r) == (shape, size) for r in rows)} rows "
              f"({time.time() - started:.0f} s)",
              file=sys.stderr, flush=True)
    return rows


def _shape(row: dict) -> tuple[str, int]:
    return row.get("shape", "retrieved"), row["batch"]  # rows stored before the one-article shape have no "shape"


def fit(rows_file: Path, models: Path) -> dict:
    model = LogisticModel.load(models / ANSWERABILITY_MODEL)
    with gzip.open(rows_file, "rt") as handle:
        rows = json.load(handle)["rows"]
    anchors = []
    for shape in SHAPES:
        mine = [r for r in rows if _shape(r) == shape]
        p = np.array([model.probability(r["features"]) for r in mine])
        y = np.array([int(r["answerable"]) for r in mine])
        chunks = int(np.median([r["chunks"] for r in mine]))
        anchors.append([chunks, min(choose_threshold(p, y)[0], model.threshold)])
    anchors.append([FULL_INDEX_CHUNKS, model.threshold])
    anchors.sort()
    for i in range(1, len(anchors)):  # a larger index never gets a lower bar than a smaller one
        anchors[i][1] = max(anchors[i][1], anchors[i - 1][1])
    return {"built_by": "training/fit_size_thresholds.py fit", "rule": f"false refusal <= {MAX_FALSE_REFUSAL}",
            "answerability_threshold": model.threshold, "anchors": anchors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="answerability inputs over small indexes (needs ../shared)")
    ex.add_argument("--data", type=Path, required=True)
    ex.add_argument("--out", type=Path, default=ROWS_FILE)
    ft = sub.add_parser("fit", help="the anchors from the stored rows")
    ft.add_argument("--rows", type=Path, default=ROWS_FILE)
    ft.add_argument("--models", type=Path, default=MODELS_DIR)
    ft.add_argument("--out", type=Path, default=MODELS_DIR / SIZE_THRESHOLDS)
    args = parser.parse_args(argv)
    if args.command == "extract":
        extract(args.data, args.out)
        return 0
    payload = fit(args.rows, args.models)
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}: " + ", ".join(f"{c:,} chunks -> {t:.2f}" for c, t in payload["anchors"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
