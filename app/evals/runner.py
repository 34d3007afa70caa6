"""Run the known-answer suite against the service, in-process or over HTTP, and score it."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

import httpx
from tqdm import tqdm

from app.answer.support import SupportChecker
from app.evals.dataset import Suite
from app.evals.metrics import (
    citation_scores,
    fact_coverage,
    judged_faithfulness,
    percentile,
)


class Target(Protocol):
    def post(self, path: str, body: dict) -> tuple[int, dict]: ...

    def holds(self, article_id: str) -> bool: ...


class NotCitewire(RuntimeError):
    """``--url`` answers, but not as Citewire's API: another service on that port, a wrong path, a key needed."""


class TargetFailed(NotCitewire):
    """The service answered a case with a server error (its LLM endpoint or a store down: 5xx) or a rate limit
    (429): every such case would be scored as a wrong answer, so the eval stops with the service's reason.
    A NotCitewire, so that ``citewire eval`` prints it as its one-line error (exit 1)."""


class FallbackAnswered(TargetFailed):
    """The service has an LLM, but answered a case with its extractive fallback (the LLM failed or was cooling
    down): scoring it would credit the LLM with the extractive answerer's work, so the eval stops, in one line."""


def stop_on_fallback(result, what: str) -> None:
    """For the evals that call the services in-process (app/evals/public.py): an answer or summary the extractive
    fallback made while the LLM was down stops the run, as ``_timed`` stops an eval over the API."""
    fallback = getattr(result, "fallback", None)
    if fallback:
        raise FallbackAnswered(f"{what} was answered without the LLM (fallback: {fallback.get('reason')}); the eval "
                               "stopped: the extractive fallback's answers would be scored as the LLM's")


class HttpTarget:
    """A running Citewire (or any server speaking the same contract)."""

    def __init__(self, base_url: str, timeout: float = 120, api_key: str | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self.name = self._base_url
        # a server with CITEWIRE_API_KEYS set answers every request without a key with a 401
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._client = httpx.Client(base_url=self._base_url, timeout=timeout, headers=headers)

    def check(self) -> None:
        """One search first: a server that is not Citewire's API (every call a 404), or that wants a key (401),
        scored every metric 0 and, without --gate, exited 0 as if the eval had run."""
        response = self._client.post("/v1/search", json={"query": "news", "top_k": 1})
        try:
            payload = response.json()
        except ValueError:
            payload = None  # an HTML error page, nothing: its status says enough
        if response.status_code == 200 and isinstance(payload, dict) and isinstance(payload.get("results"), list):
            return
        detail = (payload.get("detail") or payload.get("error") or "") if isinstance(payload, dict) else ""
        detail = " ".join((detail if isinstance(detail, str) else json.dumps(detail)).split())[:200]
        raise NotCitewire(f"{self._base_url} does not answer as Citewire's API: POST /v1/search answered "
                          f"HTTP {response.status_code}" + (f" ({detail})" if detail else ""))

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        response = self._client.post(path, json=body)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"error": response.text[:500]}

    def holds(self, article_id: str) -> bool:
        return _holds(self._client, article_id)


def _holds(client, article_id: str) -> bool:
    """Whether the service (over HTTP or in-process, the same route) holds the article: only a 404 says no, any
    other answer is not taken for a missing article."""
    return client.get(f"/v1/articles/{quote(article_id, safe='')}").status_code != 404


class AppTarget:
    """In-process: the same FastAPI app through Starlette's TestClient (no sockets)."""

    name = "the in-process service"

    def __init__(self, client) -> None:
        self._client = client

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        response = self._client.post(path, json=body)
        return response.status_code, response.json()

    def holds(self, article_id: str) -> bool:
        return _holds(self._client, article_id)


@dataclass
class EvalResult:
    metrics: dict[str, float] = field(default_factory=dict)
    cases: list[dict] = field(default_factory=list)
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    over: dict[str, str] = field(default_factory=dict)  # metric -> what it was computed over ("3 answerable cases")
    # metrics the suite has no case for (no case names an article; no summary case): the gate does not ask for them
    unmeasurable: set[str] = field(default_factory=set)

    @property
    def failures(self) -> list[dict]:
        return [c for c in self.cases if not c["passed"]]


JUDGE_RUNS = 3  # LLM-judge faithfulness is averaged over this many runs


def _timed(target: Target, path: str, body: dict, result: EvalResult) -> tuple[int, dict]:
    start = time.perf_counter()
    status, payload = target.post(path, body)
    result.latency_ms[path].append((time.perf_counter() - start) * 1000)
    if status >= 500 or status == 429:  # a 503 for every /v1/ask was scored as answer_correctness 0, exit 0
        raise TargetFailed(f"{getattr(target, 'name', 'the service')} could not answer: POST {path} answered "
                           f"HTTP {status}{_reason(payload)}; the eval stopped (every such case would score 0)")
    fallback = payload.get("fallback") if isinstance(payload, dict) else None
    if fallback:  # the service's LLM is down and the extractive answerer stood in (CITEWIRE_LLM_OUTAGE_FALLBACK)
        reason = " ".join(str(fallback.get("reason") if isinstance(fallback, dict) else fallback).split())[:300]
        raise FallbackAnswered(f"{getattr(target, 'name', 'the service')} answered POST {path} without its LLM "
                               f"(fallback: {reason}); the eval stopped: the extractive fallback's answers would be "
                               "scored as the LLM's. Bring the LLM back, or evaluate the extractive answerer with no "
                               "LLM configured")
    return status, payload


def _reason(payload: object) -> str:
    """The service's own words: {error, detail} of /v1/*, as one short line."""
    if not isinstance(payload, dict) or not payload.get("error"):
        return ""
    detail = payload.get("detail")
    detail = detail if isinstance(detail, str) else json.dumps(detail) if detail else ""
    return " (" + " ".join(f"{payload['error']}: {detail}".rstrip(": ").split())[:300] + ")"


def run_suite(target: Target, suite: Suite, checker: SupportChecker, progress: bool = True, k: int = 5,
              judge=None, judge_runs: int = JUDGE_RUNS) -> EvalResult:
    """``judge`` (an LLMJudge) adds faithfulness_llm_judge, averaged over ``judge_runs`` runs."""
    result = EvalResult()
    total = len(suite.answerable) + len(suite.unanswerable) + len(suite.summaries)
    bar = tqdm(total=total, desc="eval", unit=" cases", disable=not progress)
    hits, reciprocal, correctness, refused_answerable = [], [], [], 0
    cite = defaultdict(int)
    judged: dict[int, list[float]] = defaultdict(list)
    for case in suite.answerable:
        as_of = {"as_of": case.as_of.isoformat()} if case.as_of else {}
        body = {"question": case.question, **as_of}
        _, search = _timed(target, "/v1/search", {"query": case.question, "top_k": k, **as_of}, result)
        ranked = [r["article_id"] for r in search.get("results", [])]
        first = next((i for i, a in enumerate(ranked, start=1) if a in case.articles), None)
        if case.articles:  # a case that names no article checks the answer only: no retrieval hit or miss
            hits.append(first is not None)
            reciprocal.append(1 / first if first else 0.0)
        status, answer = _timed(target, "/v1/ask", body, result)
        coverage = fact_coverage(answer.get("answer", ""), case.facts) if answer.get("answerable") else 0.0
        correctness.append(coverage == 1.0)
        refused_answerable += not answer.get("answerable", False)
        scores = citation_scores(answer, checker) if answer.get("answerable") else {}
        if judge is not None and answer.get("answerable"):
            for run, value in enumerate(judged_faithfulness(answer, judge, judge_runs)):
                judged[run].append(value)
        for key, value in scores.items():
            cite[key] += value
        cited_ids = {c["article_id"] for c in answer.get("citations", [])}
        passed = status == 200 and coverage == 1.0 and scores.get("supported") == scores.get("sentences")
        result.cases.append({
            "id": case.id, "kind": "answerable", "question": case.question, "passed": passed, "status": status,
            "answerable": answer.get("answerable"), "fact_coverage": coverage, "retrieval_rank": first,
            "cites_expected_article": bool(cited_ids & set(case.articles)) if case.articles else None,
            "answer": answer.get("answer"),
            "refusal_reason": answer.get("refusal_reason"), "guard": answer.get("guard"),
            "citations": answer.get("citations", []), **{f"cite_{k_}": v for k_, v in scores.items()},
        })
        bar.update(1)
    refused = 0
    for case in suite.unanswerable:
        status, answer = _timed(target, "/v1/ask", {"question": case.question,
                                                    **({"as_of": case.as_of.isoformat()} if case.as_of else {})}, result)
        ok = status == 200 and answer.get("answerable") is False
        refused += ok
        result.cases.append({"id": case.id, "kind": "unanswerable", "question": case.question, "passed": ok,
                             "status": status, "answerable": answer.get("answerable"), "answer": answer.get("answer"),
                             "citations": answer.get("citations", [])})
        bar.update(1)
    summary_coverage, within_budget = [], []
    for case in suite.summaries:
        body = {"max_words": case.max_words, **({"article_id": case.article_id} if case.article_id else {"topic": case.topic})}
        status, summary = _timed(target, "/v1/summarize", body, result)
        text = summary.get("summary", "")
        coverage = fact_coverage(text, case.facts) if status == 200 else 0.0
        n_words = len([w for w in _strip_markers(text).split() if w])
        fits = status == 200 and n_words <= case.max_words
        summary_coverage.append(coverage)
        within_budget.append(fits)
        result.cases.append({"id": case.id, "kind": "summary", "question": case.article_id or case.topic,
                             "passed": coverage >= 0.999 and fits, "status": status, "fact_coverage": coverage,
                             "words": n_words, "max_words": case.max_words, "answer": text,
                             "citations": summary.get("citations", [])})
        bar.update(1)
    bar.close()
    n_answerable = max(len(suite.answerable), 1)
    m = result.metrics
    if hits:  # none when no case names an article: "not measured", not 0
        m["retrieval_hit@5"] = sum(hits) / len(hits)
        m["retrieval_mrr"] = statistics.mean(reciprocal)
    else:
        result.unmeasurable |= {"retrieval_hit@5", "retrieval_mrr"}
    if suite.answerable:  # none: "not measured", as retrieval and summaries are, not 0 over 0 cases
        m["answer_correctness"] = sum(correctness) / n_answerable
        m["citation_recall"] = cite["supported"] / cite["sentences"] if cite["sentences"] else 0.0
        m["citation_precision"] = cite["relevant_citations"] / cite["citations"] if cite["citations"] else 0.0
        m["faithfulness"] = cite["faithful"] / cite["sentences"] if cite["sentences"] else 0.0
        m["false_refusal_rate"] = refused_answerable / n_answerable
    else:
        result.unmeasurable |= {"answer_correctness", "citation_recall", "citation_precision", "faithfulness",
                                "false_refusal_rate"}
    if suite.unanswerable:
        m["refusal_rate"] = refused / len(suite.unanswerable)
    else:
        result.unmeasurable.add("refusal_rate")
    if judge is not None and judged:
        m["faithfulness_llm_judge"] = statistics.mean(statistics.mean(v) for v in judged.values())
    if suite.summaries:
        m["summary_fact_coverage"] = statistics.mean(summary_coverage)
        m["summary_within_budget"] = sum(within_budget) / len(within_budget)
    else:
        result.unmeasurable |= {"summary_fact_coverage", "summary_within_budget"}
    for path, values in result.latency_ms.items():
        name = path.rsplit("/", 1)[-1]
        m[f"latency_{name}_p50_ms"] = percentile(values, 50)
        m[f"latency_{name}_p95_ms"] = percentile(values, 95)
    result.over = _measured_over(result, suite, len(hits), cite, judged)
    return result


def _measured_over(result: EvalResult, suite: Suite, retrieved: int, cite: dict, judged: dict) -> dict[str, str]:
    """What each metric was computed over, for the report: a rate over 3 cases is not one over 42."""
    def n(count: int, unit: str) -> str:
        return f"{count} {unit}{'' if count == 1 else 's'}"

    answerable = n(len(suite.answerable), "answerable case")
    left_out = len(suite.answerable) - retrieved
    retrieval = n(retrieved, "answerable case") + (f" ({left_out} of {len(suite.answerable)} left out: no article "
                                                   "named)" if left_out else "")
    over = {"retrieval_hit@5": retrieval, "retrieval_mrr": retrieval, "answer_correctness": answerable,
            "citation_recall": n(cite["sentences"], "answer sentence"),
            "citation_precision": n(cite["citations"], "citation"),
            "faithfulness": n(cite["sentences"], "answer sentence"),
            "refusal_rate": n(len(suite.unanswerable), "unanswerable case"), "false_refusal_rate": answerable,
            "faithfulness_llm_judge": n(len(next(iter(judged.values()), [])), "answered case"),
            "summary_fact_coverage": n(len(suite.summaries), "summary case"),
            "summary_within_budget": n(len(suite.summaries), "summary case")}
    for path, values in result.latency_ms.items():
        name = path.rsplit("/", 1)[-1]
        over[f"latency_{name}_p50_ms"] = over[f"latency_{name}_p95_ms"] = n(len(values), f"{path} request")
    return {name: over[name] for name in result.metrics if name in over}


def cases_naming_missing_articles(target: Target, suite: Suite) -> tuple[list[str], int, list[str]]:
    """(ids of the cases that name an article the target does not hold, cases that name any, the missing article
    ids): a suite written for another corpus scored every metric 0 against the samples without a word."""
    named = {case.id: list(case.articles) for case in suite.answerable if case.articles}
    named.update({case.id: [case.article_id] for case in suite.summaries if case.article_id})
    held: dict[str, bool] = {}
    for ids in named.values():
        for article_id in ids:
            if article_id not in held:
                held[article_id] = target.holds(article_id)
    missing = [case for case, ids in named.items() if not all(held[i] for i in ids)]
    return missing, len(named), [i for i, ok in held.items() if not ok]


def _strip_markers(text: str) -> str:
    return re.sub(r"\[\d+(?:,\s*\d+)*\]", "", text)


def gate(metrics: dict[str, float], thresholds: dict[str, dict[str, float]],
         unmeasurable: set[str] = frozenset()) -> list[str]:
    """Human-readable reasons, one per threshold missed (a missing metric is a miss too, unless the suite has no case
    that could measure it: an answer-only suite names no articles, and could never pass a retrieval threshold)."""
    failures = []
    for name, rule in thresholds.items():
        value = metrics.get(name)
        if value is None and name in unmeasurable:
            continue
        if value is None:
            failures.append(f"{name}: not measured")
        elif "min" in rule and value < rule["min"]:
            failures.append(f"{name} = {value:.3f} < {rule['min']}")
        elif "max" in rule and value > rule["max"]:
            failures.append(f"{name} = {value:.3f} > {rule['max']}")
    return failures
