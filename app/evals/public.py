"""Public benchmarks, read by path (never copied in): RealTimeQA-dev, QAGS, RGB counterfactual facts."""

from __future__ import annotations

import gzip
import json
import tempfile
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.answer.support import FEATURES, THRESHOLD, SupportChecker
from app.config import Settings
from app.embed import make_embedder
from app.evals.dataset import DatasetError, jsonl_records, not_a_data_dir
from app.evals.metrics import citation_scores, normalise
from app.evals.qags import (
    CV_FOLDS,
    classification_metrics,
    cross_validated_scores,
    feature_rows,
    load_qags,
)
from app.evals.runner import stop_on_fallback
from app.ingest.article import ArticleIn
from app.services import build_services
from app.store.models import Filters


def _write(out: Path, name: str, payload: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(payload, indent=2, default=str))


def run_qags(path: Path, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    rows = load_qags(path)[: limit or None]
    labels = np.array([r[2] for r in rows])
    fewest = min(int(labels.sum()), int((~labels.astype(bool)).sum())) if len(labels) else 0
    if fewest < CV_FOLDS:  # one class, or too few for the folds: the metrics would be NaN or noise
        raise DatasetError(f"{len(rows)} sentence(s) hold {fewest} of the rarer label; balanced accuracy and "
                           f"{CV_FOLDS}-fold cross-validation need at least {CV_FOLDS} of each: raise --limit")
    checker = SupportChecker(make_embedder(Settings()))
    values = feature_rows(checker, rows, progress=progress)
    x = np.array([[v[f] for f in FEATURES] for v in values])
    scores = np.array([checker.score(v) for v in values])  # exactly what SupportChecker.check computes
    shipped = classification_metrics(scores, labels, THRESHOLD)
    cv = classification_metrics(cross_validated_scores(x, labels, groups=[r[0] for r in rows]), labels, 0.5)
    subsets = {}
    for subset in sorted({r[3] for r in rows}):
        mask = np.array([r[3] == subset for r in rows])
        subsets[subset] = classification_metrics(scores[mask], labels[mask], THRESHOLD)
    missed = [{"sentence": rows[i][1], "label": bool(labels[i]), "score": float(scores[i])}
              for i in np.argsort(-np.abs(scores - labels))[:25]]
    _write(out, "qags.json", {"shipped_weights": shipped, "five_fold_cv": cv, "subsets": subsets, "worst": missed})
    summary = {f"shipped_{k}": v for k, v in shipped.items()}
    summary.update({f"cv_{k}": v for k, v in cv.items() if k in ("balanced_accuracy", "auroc", "f1_unsupported")})
    for subset, m in subsets.items():
        summary[f"{subset}_balanced_accuracy"] = m["balanced_accuracy"]
    return summary


def run_realtimeqa(path: Path, out: Path, limit: int | None = None, progress: bool = True,
                   index: Path | None = None, unanswerable: int | None = None, only: str | None = None,
                   tuning: bool = False, wrong_year: bool = False) -> dict:
    """The time-split protocol of app/evals/realtimeqa.py on 2024 questions, old and new pipeline side by side.
    ``tuning``: ask the 2022–2023 questions the models were not fit on instead (choices are made there; the
    figures are not results). ``wrong_year``: also ask every question of the split that names a year with that
    year moved back (``rtqa.wrong_year_questions``), scored apart as ``refusal_wrong_year``.

    With ``index`` (a full index of corpus.jsonl.gz) every 2024 question is asked unless ``limit`` says
    fewer; without it a fixed sample of ``limit`` (default 40) questions is asked over a temporary
    index of only the articles retrieved for them (quick, but an easier haystack).
    """
    from app.evals import realtimeqa as rtqa

    train, test = rtqa.split(rtqa.load_questions(path))
    test = rtqa.held_out_of_fit(train) if tuning else test
    answerable = rtqa.sample(test, limit or (None if index is not None else 40))
    n_unanswerable = unanswerable or max(len(answerable) // 3, 1)
    with tempfile.TemporaryDirectory(prefix="citewire-rtqa-") as folder:
        if index is not None:
            services = _reused_index(index)
            unanswerable = rtqa.constructed_unanswerables(path, test, n_unanswerable, cache=index / "answer_bearing.json")
            scope = "full index"
        else:
            services = build_services(Settings(data_dir=Path(folder)))
            base = rtqa.sample(test, n_unanswerable, rtqa.SEED + 1)
            wanted = {q.id for q in answerable} | {q.id for q in base}
            services.ingest.ingest((ArticleIn.model_validate(r) for r in _corpus(path)
                                    if wanted & set(r.get("retrieved_for") or [])),
                                   batch_articles=128, keep_outcomes=False)
            unanswerable = _exclude_indexed(services, base)
            scope = "articles retrieved for the sampled questions only"
        questions = answerable + unanswerable + (rtqa.wrong_year_questions(answerable) if wrong_year else [])
        results, rows = {}, {}
        for name, pipeline in rtqa.make_pipelines(services).items():
            if only and name != only:
                continue
            rows[name] = rtqa.evaluate(pipeline, questions, progress)
            results[name] = rtqa.summarise(rows[name])
        services.close()
    _write(out, f"realtimeqa-{only}.json" if only else "realtimeqa.json", {"scope": scope, "questions": len(answerable), "unanswerable": len(unanswerable),
                                    "results": results, "table": rtqa.table(results), "rows": rows})
    summary = {"scope": scope, "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for name, result in results.items():
        for key, value in rtqa.flat(result).items():
            if not key.endswith(("_low", "_high")) and not key.startswith("n_"):
                summary[f"{name}_{key}"] = value
    return summary


def _reused_index(index: Path):
    """The services over ``--index``, which must hold an index: a folder that is missing (a typo) or empty was
    built there as an empty index, every question was asked of it, and hit@k 0 and false refusal 1.0 came out."""
    if not index.is_dir():
        raise DatasetError(f"--index {index} is not a folder: give the data dir of a full index of the corpus")
    if (why := not_a_data_dir(index)):  # a folder of articles (or an empty one): an empty store was left in it
        raise DatasetError(why)
    services = build_services(Settings(data_dir=index))
    if services.records.count()[0] == 0:
        services.close()
        raise DatasetError(f"--index {index} holds no articles: index corpus.jsonl.gz there first "
                           f"(CITEWIRE_DATA_DIR={index} citewire ingest …/corpus.jsonl.gz)")
    return services


def _corpus(path: Path):
    with gzip.open(path / "corpus.jsonl.gz", "rt") as handle:
        for line in handle:
            yield json.loads(line)


def _exclude_indexed(services, questions):
    """Constructed unanswerables over a small index: exclude every indexed article holding the answer."""
    from app.evals import realtimeqa as rtqa

    listed, _ = services.records.list_articles(limit=100_000)
    articles = services.records.articles_by_id([a.id for a in listed])
    texts = {a.id: f" {rtqa.normalise((a.title or '') + ' ' + a.text)} " for a in articles.values()}
    out = []
    for q in questions:
        gold = f" {rtqa.normalise(q.answer)} "
        bearing = {a for a, t in texts.items() if gold in t}
        out.append(rtqa.Question(q.id + ":excluded", q.question, q.answer, q.year, q.as_of, q.relevant,
                                 bearing | q.relevant | {"__none__"}))
    return out


def load_rgb_fact(path: Path) -> list[dict]:
    """RGB's counterfactual set (en_fact.json: one JSON record a line), checked before any index is built."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder: give RGB's file, e.g. {path / 'en_fact.json'}")
    records = []
    for number, record in jsonl_records(path, "an RGB fact record"):
        missing = [k for k in ("query", "answer", "fakeanswer") if not isinstance(record, dict) or k not in record]
        if missing or not isinstance(record["query"], str):
            raise DatasetError(f"{path}:{number} is not an RGB fact record "
                               f"({'no ' + ', '.join(missing) if missing else 'query is not text'})")
        records.append(record)
    return records


def run_rgb_fact(path: Path, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Answers must follow what they cite; conflicting sources must be surfaced, not merged."""
    records = load_rgb_fact(path)[: limit or None]
    counts = defaultdict(int)
    with tempfile.TemporaryDirectory(prefix="citewire-rgb-") as folder:
        services = build_services(Settings(data_dir=Path(folder)))
        checker = SupportChecker(services.embedder)
        for i, record in enumerate(tqdm(records, desc="rgb-fact", disable=not progress)):
            docs = []
            for kind in ("positive", "positive_wrong", "negative"):
                for j, text in enumerate(record.get(kind) or []):
                    docs.append(ArticleIn(id=f"rgb{i}-{kind}-{j}", title="", text=text, source=f"{kind}-{j}"))
            services.ingest.ingest(docs)
            ids = [d.id for d in docs]
            answer = services.answers.ask(record["query"], filters=Filters(article_ids=ids), top_k=6)
            stop_on_fallback(answer, f"rgb-fact question {i}")
            counts["questions"] += 1
            if answer.answerable:
                counts["answered"] += 1
                scores = citation_scores(asdict(answer), checker)
                counts["sentences"] += scores["sentences"]
                counts["supported"] += scores["supported"]
                text = normalise(answer.answer)
                truth = normalise(_first(record["answer"]))
                fake = normalise(_first(record["fakeanswer"]))
                counts["mentions_true"] += bool(truth) and truth in text
                counts["mentions_fake"] += bool(fake) and fake in text
                kinds = {c.article_id.split("-")[1] for c in answer.citations}
                counts["cites_both_sides"] += {"positive", "positive_wrong"} <= kinds
            summary = services.summaries.summarize_topic(record["query"], max_words=150,
                                                         filters=Filters(article_ids=ids))
            stop_on_fallback(summary, f"rgb-fact summary {i}")
            counts["summary_conflict_surfaced"] += bool(summary.conflicts)
            counts["summary_has_both_sides"] += {"positive", "positive_wrong"} <= {
                c.article_id.split("-")[1] for c in summary.citations}
            # Control: without the counterfactual passages there is nothing to disagree about.
            clean = [d.id for d in docs if "-positive_wrong-" not in d.id]
            control = services.summaries.summarize_topic(record["query"], max_words=150,
                                                         filters=Filters(article_ids=clean))
            stop_on_fallback(control, f"rgb-fact control summary {i}")
            counts["summary_conflict_false_alarm"] += bool(control.conflicts)
        services.close()
    n = max(counts["questions"], 1)
    answered = max(counts["answered"], 1)
    result = {
        "questions": counts["questions"],
        "answered_rate": counts["answered"] / n,
        "answer_follows_citations": counts["supported"] / max(counts["sentences"], 1),
        "answer_mentions_true": counts["mentions_true"] / answered,
        "answer_mentions_fake": counts["mentions_fake"] / answered,
        "answer_cites_both_sides": counts["cites_both_sides"] / answered,
        "summary_conflict_surfaced": counts["summary_conflict_surfaced"] / n,
        "summary_cites_both_sides": counts["summary_has_both_sides"] / n,
        "summary_conflict_false_alarm": counts["summary_conflict_false_alarm"] / n,
    }
    _write(out, "rgb_fact.json", result)
    return result


def _first(value) -> str:
    if isinstance(value, list):
        return _first(value[0]) if value else ""
    return str(value)
