"""Public benchmarks, read by path (never copied in): RealTimeQA-dev, QAGS, RGB counterfactual facts."""

from __future__ import annotations

import gzip
import json
import statistics
import tempfile
from collections import defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.answer.support import FEATURES, THRESHOLD, SupportChecker
from app.config import Settings
from app.embed import make_embedder
from app.evals.metrics import citation_scores, normalise
from app.evals.qags import (
    classification_metrics,
    cross_validated_scores,
    feature_rows,
    load_qags,
)
from app.ingest.article import ArticleIn
from app.services import build_services
from app.store.models import Filters


def _write(out: Path, name: str, payload: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(payload, indent=2, default=str))


def run_qags(path: Path, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    rows = load_qags(path)[: limit or None]
    checker = SupportChecker(make_embedder(Settings()))
    labels = np.array([r[2] for r in rows])
    values = feature_rows(checker, rows, progress=progress)
    x = np.array([[v[f] for f in FEATURES] for v in values])
    scores = np.array([checker.score(v) for v in values])  # exactly what SupportChecker.check computes
    shipped = classification_metrics(scores, labels, THRESHOLD)
    cv = classification_metrics(cross_validated_scores(x, labels), labels, 0.5)
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


def run_realtimeqa(path: Path, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Open questions as of their date; answerable = answer string in some corpus article."""
    questions = []
    for line in (path / "questions.jsonl").open():
        q = json.loads(line)
        if not q["mc_dependent_wording"]:
            questions.append(q)
    questions = questions[: limit or 200]
    wanted = {q["question_id"] for q in questions}
    with tempfile.TemporaryDirectory(prefix="citewire-rtqa-") as folder:
        services = build_services(Settings(data_dir=Path(folder)))
        checker = SupportChecker(services.embedder)

        def articles():
            with gzip.open(path / "corpus.jsonl.gz", "rt") as handle:
                for line in handle:
                    record = json.loads(line)
                    if wanted & set(record.get("retrieved_for") or []):
                        yield ArticleIn.model_validate(record)

        report = services.ingest.ingest(articles(), batch_articles=128, keep_outcomes=False)
        stats = defaultdict(list)
        cite = defaultdict(int)
        for q in tqdm(questions, desc="realtimeqa", disable=not progress):
            as_of = date.fromisoformat(q["question_date"].replace("/", "-")) + timedelta(days=1)
            answer = services.answers.ask(q["question"], as_of=as_of)
            if q["answer_string_in_retrieved_docs"]:
                stats["false_refusal"].append(not answer.answerable)
                stats["correct"].append(answer.answerable and normalise(q["answer_text"]) in normalise(answer.answer))
                if answer.answerable:
                    for k, v in citation_scores(asdict(answer), checker).items():
                        cite[k] += v
            else:
                stats["refused"].append(not answer.answerable)
        services.close()
    summary = {
        "articles_indexed": report.counts["added"], "questions": len(questions),
        "answerable": len(stats["correct"]), "unanswerable": len(stats["refused"]),
        "answer_containment": statistics.mean(stats["correct"]) if stats["correct"] else 0.0,
        "false_refusal_rate": statistics.mean(stats["false_refusal"]) if stats["false_refusal"] else 0.0,
        "refusal_rate_unanswerable": statistics.mean(stats["refused"]) if stats["refused"] else 0.0,
        "citation_recall": cite["supported"] / cite["sentences"] if cite["sentences"] else 0.0,
        "citation_precision": cite["relevant_citations"] / cite["citations"] if cite["citations"] else 0.0,
    }
    _write(out, "realtimeqa.json", summary)
    return summary


def run_rgb_fact(path: Path, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Answers must follow what they cite; conflicting sources must be surfaced, not merged."""
    records = [json.loads(line) for line in path.open() if line.strip()][: limit or None]
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
            counts["summary_conflict_surfaced"] += bool(summary.conflicts)
            counts["summary_has_both_sides"] += {"positive", "positive_wrong"} <= {
                c.article_id.split("-")[1] for c in summary.citations}
            # Control: without the counterfactual passages there is nothing to disagree about.
            clean = [d.id for d in docs if "-positive_wrong-" not in d.id]
            control = services.summaries.summarize_topic(record["query"], max_words=150,
                                                         filters=Filters(article_ids=clean))
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
