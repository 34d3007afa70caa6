"""RealTimeQA on a time split: the protocol behind docs/answers.md and `citewire eval --dataset realtimeqa`.

- Questions: open ones (not multiple-choice-dependent) whose answer string occurs in the corpus.
  2022–2023 questions train and tune (training/train_answers.py); 2024 questions are only reported.
- Each question is asked ``as_of`` its date + 1 day: nothing newer is visible.
- Unanswerable by construction: for a fixed sample of answerable questions, every article whose
  text contains the answer string is excluded from retrieval; a refusal is right.
- Relevance (hit@k, citation precision) follows qrels bases ``answer_string_in_doc`` and ``gold_article``;
  a citation also counts when its quote holds the answer.
- Every rate comes with a 95 % bootstrap interval over questions (1,000 resamples, seed 0).
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from app.answer.extractive import ExtractiveAnswerer, missing_names, refusal
from app.answer.models import Answer
from app.answer.scoring import QuestionScorer
from app.answer.selection import YEAR, LearnedAnswerer, SentenceSelector, question_years
from app.retrieval.learned import load_models
from app.retrieval.service import RetrievalService
from app.text import words

TRAIN_YEARS = ("2022", "2023")
TEST_YEAR = "2024"
BOOTSTRAP = 1000
SEED = 0
FIT_QUESTIONS = 650  # the answerable 2022–2023 questions the shipped models are fit on (training/train_answers.py)
FIT_UNANSWERABLE = 250  # and the constructed unanswerables (drawn from the same 2022–2023 pool)
WRONG_YEAR = ":year"  # id suffix of a question asked about another year (``wrong_year_questions``)


def normalise(text: str) -> str:
    return " ".join(words(text))


@dataclass(slots=True)
class Question:
    id: str
    question: str
    answer: str
    year: str
    as_of: date
    relevant: set[str]
    excluded: set[str] = field(default_factory=set)  # set for constructed unanswerables only

    @property
    def unanswerable(self) -> bool:
        return bool(self.excluded)


def load_relevant(path: Path) -> dict[str, set[str]]:
    """Question id → the articles that answer it (qrels: the answer string is in it, or it is the gold article)."""
    relevant: dict[str, set[str]] = defaultdict(set)
    with open(path / "qrels.tsv") as handle:
        next(handle)
        for line in handle:
            qid, doc_id, basis = line.rstrip("\n").split("\t")
            if basis in ("answer_string_in_doc", "gold_article"):
                relevant[qid].add(doc_id)
    return relevant


def load_questions(path: Path) -> list[Question]:
    """Answerable open questions, in file (date) order."""
    relevant = load_relevant(path)
    out = []
    with open(path / "questions.jsonl") as handle:
        for line in handle:
            q = json.loads(line)
            if q["mc_dependent_wording"] or not q["answer_string_in_retrieved_docs"] or not normalise(q["answer_text"]):
                continue
            day = date.fromisoformat(q["question_date"].replace("/", "-"))
            out.append(Question(q["question_id"], q["question"], q["answer_text"], q["question_date"][:4],
                                day + timedelta(days=1), relevant.get(q["question_id"], set())))
    return out


def split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    return ([q for q in questions if q.year in TRAIN_YEARS], [q for q in questions if q.year == TEST_YEAR])


def held_out_of_fit(train: list[Question]) -> list[Question]:
    """2022–2023 questions the shipped models never saw: for choosing what comes after them (tuning)."""
    fitted = {q.id for q in sample(train, FIT_QUESTIONS)} | {q.id for q in sample(train, FIT_UNANSWERABLE, SEED + 1)}
    return [q for q in train if q.id not in fitted]


def sample(questions: list[Question], n: int | None, seed: int = SEED) -> list[Question]:
    """A fixed sample (sorted by id, seeded), so every run and both pipelines see the same questions."""
    ordered = sorted(questions, key=lambda q: q.id)
    if n is None or n >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, n), key=lambda q: q.id)


def answer_bearing(path: Path, questions: list[Question], cache: Path | None = None) -> dict[str, set[str]]:
    """Every corpus article whose (normalised) title or text contains each question's answer string."""
    wanted = {q.id: f" {normalise(q.answer)} " for q in questions}
    stored = json.loads(cache.read_text()) if cache and cache.exists() else {}
    if set(wanted) <= set(stored):
        return {k: set(stored[k]) for k in wanted}
    found: dict[str, set[str]] = {k: set() for k in wanted}
    with gzip.open(path / "corpus.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            text = f" {normalise((record.get('title') or '') + ' ' + (record.get('text') or ''))} "
            for qid, answer in wanted.items():
                if answer in text:
                    found[qid].add(record["doc_id"])
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(stored | {k: sorted(v) for k, v in found.items()}))
    return found


def constructed_unanswerables(path: Path, pool: list[Question], n: int, cache: Path | None = None,
                              seed: int = SEED + 1) -> list[Question]:
    chosen = sample(pool, n, seed)
    bearing = answer_bearing(path, chosen, cache)
    return [Question(q.id + ":excluded", q.question, q.answer, q.year, q.as_of, q.relevant,
                     bearing[q.id] | q.relevant | {"__none__"}) for q in chosen]


WRONG_YEAR_SHIFT = 5  # years back: before the corpus (2022–2024), so no article of that year answers


def wrong_year_questions(pool: list[Question], shift: int = WRONG_YEAR_SHIFT) -> list[Question]:
    """Unanswerable by a year: every question of ``pool`` naming a year, asked with that year ``shift`` years
    earlier ("the 2023 Golden Globes" → "the 2018 Golden Globes"); a refusal is right. The articles stay in reach:
    what is measured is whether the answer is about the year asked. Scored apart (``refusal_wrong_year``)."""
    out = []
    for q in pool:
        years = question_years(q.question)
        if years:
            moved = YEAR.sub(lambda m: str(int(m.group()) - shift) if m.group() in years else m.group(), q.question)
            out.append(Question(q.id + WRONG_YEAR, moved, q.answer, q.year, q.as_of, q.relevant, {"__none__"}))
    return out


# --- pipelines ----------------------------------------------------------------------------------

Pipeline = Callable[[Question, int], tuple[list, Answer]]


def make_pipelines(services) -> dict[str, Pipeline]:
    """"old": fused ranking + hand-weighted extractive answerer; "new": learned ranker, selector, refusal;
    "rerank": learned ranker + the old answerer."""
    s = services.settings
    doc_freq = services.retrieval.doc_freq  # the question-word weights the service uses (background blended in)
    old_retrieval = RetrievalService(s, services.records, services.vectors, services.embedder, doc_freq=doc_freq)
    old_answerer = ExtractiveAnswerer(QuestionScorer(services.embedder, doc_freq), s.min_support,
                                      s.max_answer_sentences)
    models = load_models()
    pipelines = {"old": _pipeline(old_retrieval, old_answerer, s.top_k)}
    if models is not None:
        new_retrieval = RetrievalService(s, services.records, services.vectors, services.embedder, models.passages,
                                         doc_freq)
        new_answerer = LearnedAnswerer(SentenceSelector(models, services.embedder, doc_freq), s.max_answer_sentences,
                                       s.threshold_by_index_size)
        pipelines["new"] = _pipeline(new_retrieval, new_answerer, s.top_k)
        pipelines["rerank"] = _pipeline(new_retrieval, old_answerer, s.top_k)
    return pipelines


def _pipeline(retrieval: RetrievalService, answerer, top_k: int) -> Pipeline:
    """What /v1/ask does in-process (retrieve, name pre-check, answer), also returning the top 10 for hit@k."""
    def run(q: Question, k: int = 10):
        passages = retrieval.search(q.question, top_k=max(k, top_k), as_of=q.as_of,
                                    exclude_articles=q.excluded or None)
        given = passages[:top_k]
        if not given:
            return passages, refusal("no passage in the index matches the question")
        missing = set() if isinstance(answerer, LearnedAnswerer) else missing_names(q.question, given)
        if missing:
            return passages, refusal(f"the passages never mention {', '.join(sorted(missing))}")
        return passages, answerer.answer(q.question, given)
    return run


# --- scoring ------------------------------------------------------------------------------------

def score_question(q: Question, passages, answer: Answer, seconds: float) -> dict:
    row = {"id": q.id, "question": q.question, "gold": q.answer, "unanswerable": q.unanswerable,
           "answerable": answer.answerable, "answer": answer.answer, "refusal_reason": answer.refusal_reason,
           "latency_ms": seconds * 1000}
    if q.unanswerable:
        row["refused"] = not answer.answerable
        return row
    ranks = [i for i, p in enumerate(passages[:10], start=1) if p.article_id in q.relevant]
    first = ranks[0] if ranks else None
    gold = normalise(q.answer)
    cited = [c for c in answer.citations] if answer.answerable else []
    row.update({
        "rank": first,
        "hit@1": bool(first and first <= 1), "hit@5": bool(first and first <= 5), "hit@10": bool(first),
        "rr@10": 1 / first if first else 0.0,
        "answer_in_top5": any(gold in normalise(p.text) for p in passages[:5]),
        "contained": answer.answerable and gold in normalise(answer.answer),
        "false_refusal": not answer.answerable,
        "citations": len(cited),
        "relevant_citations": sum(c.article_id in q.relevant or gold in normalise(c.quote) for c in cited),
        "top_article": passages[0].article_id if passages else None,
    })
    return row


def evaluate(pipeline: Pipeline, questions: list[Question], progress: bool = False) -> list[dict]:
    from tqdm import tqdm

    rows = []
    for q in tqdm(questions, desc="realtimeqa", disable=not progress, mininterval=10):
        start = time.perf_counter()
        passages, answer = pipeline(q, 10)
        rows.append(score_question(q, passages, answer, time.perf_counter() - start))
    return rows


def _interval(values: np.ndarray, stat: Callable[[np.ndarray], float], rng: np.random.Generator) -> list[float]:
    if len(values) == 0:
        return [float("nan")] * 3
    n = len(values)
    draws = [stat(values[rng.integers(0, n, n)]) for _ in range(BOOTSTRAP)]
    return [float(stat(values)), float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]


def summarise(rows: list[dict]) -> dict[str, list[float]]:
    """Each metric as [value, low, high] (95 % bootstrap over questions)."""
    rng = np.random.default_rng(SEED)
    answerable = [r for r in rows if not r["unanswerable"]]
    unanswerable = [r for r in rows if r["unanswerable"] and not r["id"].endswith(WRONG_YEAR)]
    wrong_year = [r for r in rows if r["unanswerable"] and r["id"].endswith(WRONG_YEAR)]
    out: dict[str, list[float]] = {}
    for name in ("hit@1", "hit@5", "hit@10", "rr@10", "contained", "false_refusal", "answer_in_top5"):
        out[name.replace("rr@10", "mrr@10").replace("contained", "containment")] = _interval(
            np.array([float(r[name]) for r in answerable]), np.mean, rng)
    pairs = np.array([[r["relevant_citations"], r["citations"]] for r in answerable if r["citations"]], dtype=float)
    out["citation_precision"] = _interval(pairs, lambda a: a[:, 0].sum() / max(a[:, 1].sum(), 1), rng) \
        if len(pairs) else [float("nan")] * 3
    out["refusal"] = _interval(np.array([float(r["refused"]) for r in unanswerable]), np.mean, rng)
    out["refusal_wrong_year"] = _interval(np.array([float(r["refused"]) for r in wrong_year]), np.mean, rng)
    latency = np.array([r["latency_ms"] for r in rows])
    out["latency_p50_ms"] = _interval(latency, lambda a: np.percentile(a, 50), rng)
    out["latency_p95_ms"] = _interval(latency, lambda a: np.percentile(a, 95), rng)
    out["n_answerable"] = [len(answerable)] * 3
    out["n_unanswerable"] = [len(unanswerable)] * 3
    out["n_wrong_year"] = [len(wrong_year)] * 3
    return out


ORDER = ("hit@1", "hit@5", "hit@10", "mrr@10", "containment", "citation_precision", "refusal", "false_refusal",
         "refusal_wrong_year", "latency_p50_ms", "latency_p95_ms")


def table(results: dict[str, dict[str, list[float]]], metrics: tuple[str, ...] = ORDER) -> str:
    """Markdown rows "value [low, high]" per pipeline; a metric a pipeline lacks (NaN) shows "—"."""
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in metrics:
        cells = []
        for name in names:
            v, lo, hi = results[name].get(metric, [float("nan")] * 3)  # older reports lack newer metrics
            fmt = "{:.0f}" if metric.endswith("_ms") else "{:.3f}"
            cells.append("—" if v != v else f"{fmt.format(v)} [{fmt.format(lo)}, {fmt.format(hi)}]")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def flat(summary: dict[str, list[float]]) -> dict[str, float]:
    out = {}
    for k, (v, lo, hi) in summary.items():
        out[k] = v
        if not k.startswith("n_"):
            out[f"{k}_low"], out[f"{k}_high"] = lo, hi
    return out


def mean(values) -> float:
    return statistics.mean(values) if values else float("nan")


def paired_differences(before: list[dict], after: list[dict]) -> dict[str, list[float]]:
    """after − before on the questions both answered, as [value, low, high] (95 % paired bootstrap over
    questions: both pipelines resampled together), with the counts of questions each one alone gets right."""
    rng = np.random.default_rng(SEED)
    by_id = {(r["id"], r["question"]): r for r in before}  # ids repeat in the data (20230414_20 is two questions)
    pairs = [(by_id[r["id"], r["question"]], r) for r in after if (r["id"], r["question"]) in by_id]
    answerable = [(b, a) for b, a in pairs if not a["unanswerable"]]
    unanswerable = [(b, a) for b, a in pairs if a["unanswerable"] and not a["id"].endswith(WRONG_YEAR)]
    wrong_year = [(b, a) for b, a in pairs if a["unanswerable"] and a["id"].endswith(WRONG_YEAR)]
    out: dict[str, list[float]] = {}
    for name, key, group in (("containment", "contained", answerable), ("false_refusal", "false_refusal", answerable),
                             ("refusal", "refused", unanswerable), ("refusal_wrong_year", "refused", wrong_year),
                             ("hit@5", "hit@5", answerable)):
        diff = np.array([float(a[key]) - float(b[key]) for b, a in group])
        out[name] = _interval(diff, np.mean, rng)
        out[f"{name}_only_after"] = [float(sum(a[key] and not b[key] for b, a in group))] * 3
        out[f"{name}_only_before"] = [float(sum(b[key] and not a[key] for b, a in group))] * 3
    cites = np.array([[b["relevant_citations"], b["citations"], a["relevant_citations"], a["citations"]]
                      for b, a in answerable], dtype=float)
    out["citation_precision"] = _interval(
        cites, lambda c: c[:, 2].sum() / max(c[:, 3].sum(), 1) - c[:, 0].sum() / max(c[:, 1].sum(), 1), rng)
    return out
