"""The bundled LLM on the RealTimeQA 2024 split, beside the no-LLM default (docs/llm.md, issues 8 and 9).

    CITEWIRE_LOCAL_MODEL=/path/to/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
      python benchmarks/realtimeqa_llm.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index \\
      --limit 50 --unanswerable 20 --out /work/llmeval-out

Every question goes through what ``/v1/ask`` (``stream=true``) runs: ``AnswerService.stream`` —
retrieval as of the question's date + 1 day, the missing-name pre-check, then the LLM answer and
the faithfulness guard (checker + LLM judge within its band and budget), or, for the ``default``
pipeline, the extractive answerer. Both pipelines answer each question in turn, so a run stopped by
``--max-seconds`` still compares them on the same questions. Questions, the fixed sample, scoring
and bootstrap intervals come from app/evals/realtimeqa.py. The index is only read (never ingested
into); the answer-bearing-article cache is kept under ``--out``.

Writes realtimeqa-llm.json (settings, load average, per-question rows, summary) and
realtimeqa-llm.md (the table and failure examples) under ``--out`` after every question.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.answer.service import AnswerService  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.services import build_services  # noqa: E402

PIPELINES = ("default", "llm")
UNANSWERABLE_POOL = 150  # the constructed unanswerables of docs/answers.md; ours are a seeded sample of them


class ExcludingRetrieval:
    """The service's retrieval with a constructed unanswerable's answer-bearing articles out of reach;
    it also keeps the passages it returned, for hit@5 and the failure analysis."""

    def __init__(self, inner, excluded: set[str]) -> None:
        self.inner = inner
        self.excluded = excluded
        self.passages: list = []

    def search(self, question, top_k=None, filters=None, as_of=None):
        self.passages = self.inner.search(question, top_k=top_k, filters=filters, as_of=as_of,
                                          exclude_articles=self.excluded or None)
        return self.passages


class CountingJudge:
    """Wraps the guard's LLM judge to count its calls and their time (the guard's summary has neither)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0
        self.seconds = 0.0
        self.verdicts: list[float] = []  # P(yes) of every call, in order

    @property
    def model(self) -> str:
        return self.inner.model

    def p_supported(self, claim: str, evidence: list[str]) -> float:
        self.calls += 1
        started = time.perf_counter()
        try:
            verdict = self.inner.p_supported(claim, evidence)
            self.verdicts.append(round(verdict, 4))
            return verdict
        finally:
            self.seconds += time.perf_counter() - started


def count_judge(services) -> CountingJudge | None:
    guard = services.answers.llm.guard if services.answers.llm else None
    if guard is None or guard.judge is None:
        return None
    if not isinstance(guard.judge, CountingJudge):
        guard.judge = CountingJudge(guard.judge)
    return guard.judge


def ask(services, q: rtqa.Question, pipeline: str) -> dict:
    """One question through AnswerService.stream, scored like the RealTimeQA protocol, plus TTFT,
    guard, judge and what the model wrote (for the failure analysis)."""
    llm = services.answers.llm if pipeline == "llm" else None
    retrieval = ExcludingRetrieval(services.retrieval, q.excluded)
    service = AnswerService(retrieval, services.answers.extractive, services.answers.top_k, llm,
                            services.answers.llm_passages)
    judge = count_judge(services) if llm else None
    calls_before, judge_s_before, verdicts_before = (judge.calls, judge.seconds, len(judge.verdicts)) if judge \
        else (0, 0.0, 0)
    started = time.perf_counter()
    ttft = None
    written = []
    answer = None
    for kind, value in service.stream(q.question, as_of=q.as_of):
        if kind == "delta":
            ttft = ttft if ttft is not None else time.perf_counter() - started
            written.append(value)
        elif kind == "answer":
            answer = value
    total = time.perf_counter() - started
    if answer.fallback:  # the LLM is down: the extractive fallback's answer is no measurement of the LLM pipeline
        raise SystemExit(f"error: {q.id} was answered without the LLM (fallback: {answer.fallback['reason']}); "
                         "stopped: the extractive fallback's answers would be scored as the LLM's")
    row = rtqa.score_question(q, retrieval.passages, answer, total)
    gold = rtqa.normalise(q.answer)
    seen = service.llm_context(q.question, retrieval.passages) if llm and retrieval.passages else []
    row.update({
        "pipeline": pipeline,
        "ttft_ms": (ttft if ttft is not None else total) * 1000,
        "asked_model": bool(answer.usage),
        "model_text": "".join(written) if answer.usage else None,
        "guard": answer.guard,
        "judge_calls": (judge.calls - calls_before) if judge else 0,
        "judge_ms": (judge.seconds - judge_s_before) * 1000 if judge else 0.0,
        "judge_p": judge.verdicts[verdicts_before:] if judge else [],
        "answer_in_context": any(gold in rtqa.normalise(p.text) for p in seen) if llm else None,
        "sentences": [{"text": s.text, "status": s.status, "support": s.support} for s in answer.sentences or []],
        "usage": answer.usage,
    })
    return row


def refusal_kind(row: dict) -> str | None:
    """Why an answer was refused: before the model, by the model, or by the guard."""
    if row["answerable"]:
        return None
    reason = row.get("refusal_reason") or ""
    if "model found no answer" in reason:
        return "model said INSUFFICIENT_CONTEXT"
    if "no sentence of the model" in reason:
        return "guard dropped every sentence"
    return "refused before the model" if row["pipeline"] == "llm" else "extractive refusal"


def summarise(rows: list[dict]) -> dict:
    """The protocol's summary (intervals) plus TTFT percentiles, guard totals and judge calls."""
    out = rtqa.summarise(rows)
    ttft = rtqa.summarise([r | {"latency_ms": r["ttft_ms"]} for r in rows])
    out["ttft_p50_ms"], out["ttft_p95_ms"] = ttft["latency_p50_ms"], ttft["latency_p95_ms"]
    guard = {k: 0 for k in ("kept", "fixed", "dropped", "marked")}
    for row in rows:
        for k, v in (row.get("guard") or {}).items():
            if k == "fallback":  # the LLM's answer was replaced by the extractive one
                guard["fallback"] = guard.get("fallback", 0) + 1
            elif isinstance(v, int):
                guard[k] = guard.get(k, 0) + v
    refusals: dict[str, int] = {}
    for row in rows:
        if not row["unanswerable"] and (kind := refusal_kind(row)):
            refusals[kind] = refusals.get(kind, 0) + 1
    out["extra"] = {
        "guard": guard,
        "judge_calls": sum(r["judge_calls"] for r in rows),
        "judge_ms": sum(r["judge_ms"] for r in rows),
        "asked_model": sum(r["asked_model"] for r in rows),
        "answerable_refused_by": refusals,
    }
    return out


METRICS = ("hit@5", "containment", "citation_precision", "false_refusal", "refusal",
           "ttft_p50_ms", "ttft_p95_ms", "latency_p50_ms", "latency_p95_ms")


def table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = [rtqa.table(results, METRICS)]
    for label, key in (("n answerable", "n_answerable"), ("n unanswerable", "n_unanswerable")):
        lines.append(f"| {label} | " + " | ".join(str(int(results[n][key][0])) for n in names) + " |")
    extra = {n: results[n]["extra"] for n in names}
    lines.append("| guard kept / fixed / dropped / marked (sentences) | " + " | ".join(
        "{kept} / {fixed} / {dropped} / {marked}".format(**extra[n]["guard"]) if extra[n]["asked_model"] else "—"
        for n in names) + " |")
    lines.append("| extractive fallbacks (answers) | " + " | ".join(
        str(extra[n]["guard"].get("fallback", 0)) if extra[n]["asked_model"] else "—" for n in names) + " |")
    lines.append("| judge calls (total, s) | " + " | ".join(
        f"{extra[n]['judge_calls']} ({extra[n]['judge_ms'] / 1000:.0f} s)" if extra[n]["asked_model"] else "—"
        for n in names) + " |")
    lines.append("| answerable refused by | " + " | ".join(
        "; ".join(f"{k}: {v}" for k, v in sorted(extra[n]["answerable_refused_by"].items())) or "—"
        for n in names) + " |")
    return "\n".join(lines)


def failed(row: dict) -> bool:
    return row["answerable"] if row["unanswerable"] else not row["contained"]


def examples(rows: list[dict], n: int) -> str:
    lines = []
    for row in [r for r in rows if failed(r)][:n]:
        sentences = "; ".join(f"{s['status']} {s['support']:.2f}: {s['text']}" for s in row["sentences"]) or "—"
        lines.append(f"- `{row['id']}` {row['question']} (gold: {row['gold']}; unanswerable: {row['unanswerable']}; "
                     f"answer in the model's passages: {row['answer_in_context']}; judge calls {row['judge_calls']})\n"
                     f"  - model wrote: {json.dumps((row['model_text'] or '')[:400])}\n"
                     f"  - guard: {row['guard']}; {sentences}\n"
                     f"  - reply: {row['refusal_reason'] or row['answer'][:300]}")
    return "\n".join(lines)


def category(row: dict) -> str | None:
    """Why an LLM-pipeline row failed, from what the model saw and wrote and what the guard did."""
    if not failed(row):
        return None
    if row["unanswerable"]:
        return "answered a constructed unanswerable"
    if not row["asked_model"]:
        return "refused before the model"
    text = rtqa.normalise(row["model_text"] or "")
    written = rtqa.normalise(row["gold"]) in text
    if not row["answer_in_context"]:
        return "answer not in the model's passages, " + ("refused" if not row["answerable"] else "answered anyway")
    if "insufficient context" in text:
        return "answer in the passages, model said INSUFFICIENT_CONTEXT"
    if written:
        return "right answer written, guard " + ("refused it all" if not row["answerable"] else "dropped that sentence")
    return "wrong or reworded answer written, guard " + ("dropped it" if not row["answerable"] else "kept it")


def explain(services, q: rtqa.Question, model_text: str, judge=None) -> list[dict]:
    """Replays the guard's checker on what the model wrote, against the passages it saw: the score on
    the cited passages and on each shown passage; with ``judge``, also the judge's P(yes) on the
    checker's best window of the cited passages when that score lies in the judge band."""
    from app.answer.guard import evidence, split_cited

    retrieval = ExcludingRetrieval(services.retrieval, q.excluded)
    service = AnswerService(retrieval, services.answers.extractive, services.answers.top_k, services.answers.llm,
                            services.answers.llm_passages)
    passages = retrieval.search(q.question, top_k=services.answers.top_k, as_of=q.as_of)
    shown = services.answers.llm.plan(q.question, service.llm_context(q.question, passages)).passages
    gold = rtqa.normalise(q.answer)
    out = []
    for text, cited in split_cited(model_text):
        valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(shown)]
        verdict = services.checker.check(text, [evidence(shown[n - 1]) for n in valid]) if valid else None
        out.append({"sentence": text, "cited": cited, "gold_in_sentence": gold in rtqa.normalise(text),
                    "score_on_cited": round(verdict.score, 3) if verdict else None,
                    "best_window": verdict.best_window if verdict else None,
                    "score_per_passage": [round(services.checker.check(text, [evidence(p)]).score, 3) for p in shown],
                    "gold_per_passage": [gold in rtqa.normalise(p.text) for p in shown]})
        low, high = services.answers.llm.guard.judge_band
        if judge is not None and verdict is not None and verdict.best_window and low <= verdict.score <= high:
            out[-1]["judge_on_cited"] = round(judge.p_supported(text, [verdict.best_window]), 3)
    return out


def analyse(out: Path, data: Path, index: Path, n: int, with_judge: bool = False) -> None:
    """Categorises every failure of the LLM pipeline in realtimeqa-llm.json; replays the checker on
    the first ``n`` (by question id) into realtimeqa-llm-failures.{json,md}; ``with_judge`` replays
    the configured LLM judge too, on the sentences of refused answers that hold the gold answer."""
    body = json.loads((out / "realtimeqa-llm.json").read_text())
    rows = sorted(body["rows"]["llm"], key=lambda r: r["id"])
    counts: dict[str, int] = {}
    for row in rows:
        if kind := category(row):
            counts[kind] = counts.get(kind, 0) + 1
    answerable, unanswerable = questions(data, body["answerable"], body["unanswerable"], body["seed"], out, index)
    by_id = {(q.id, q.question): q for q in answerable + unanswerable}  # ids repeat in the data (20230414_20)
    services = build_services(Settings(data_dir=index) if with_judge else
                              Settings(data_dir=index, llm_base_url="fake://", local_model=None))
    if services.answers.llm is None:
        sys.exit("error: --judge needs an LLM (CITEWIRE_LOCAL_MODEL or CITEWIRE_LLM_BASE_URL)")
    try:
        chosen = [r for r in rows if category(r)][:n]
        judge = services.answers.llm.guard.judge if with_judge else None
        detail = [{"id": r["id"], "question": r["question"], "gold": r["gold"], "category": category(r),
                   "judge_p": r.get("judge_p"), "guard": r["guard"], "reply": r["refusal_reason"] or r["answer"],
                   "model_text": r["model_text"],
                   "sentences": explain(services, by_id[r["id"], r["question"]], r["model_text"],
                                        judge if category(r) == "right answer written, guard refused it all" else None)
                   if r["model_text"] else []}
                  for r in chosen]
    finally:
        services.close()
    (out / "realtimeqa-llm-failures.json").write_text(json.dumps({"categories": counts, "examples": detail},
                                                                   indent=2, default=str))
    lines = [f"{sum(counts.values())} failures of {len(rows)} questions (LLM pipeline)", "",
             "| category | failures |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
    lines += ["", f"First {len(detail)} failures by id, the checker replayed on each sentence the model wrote:", ""]
    for d in detail:
        lines.append(f"- `{d['id']}` {d['question']} (gold: {d['gold']}) — {d['category']}; judge P(yes) "
                     f"{d['judge_p']}; reply: {(d['reply'] or '')[:200]}")
        for s in d["sentences"]:
            lines.append(f"  - \"{s['sentence']}\" cites {s['cited']}: checker {s['score_on_cited']} on cited, "
                         f"per passage {s['score_per_passage']}; gold in passage {s['gold_per_passage']}"
                         + (f"; judge P(yes) on the window {s['judge_on_cited']}: \"{s['best_window']}\""
                            if "judge_on_cited" in s else ""))
    (out / "realtimeqa-llm-failures.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def report(meta: dict, rows: dict[str, list[dict]], out: Path, n_examples: int = 10) -> dict:
    names = [n for n in PIPELINES if rows.get(n)]
    done = set.intersection(*({r["id"] for r in rows[n]} for n in names)) if names else set()
    paired = {n: [r for r in rows[n] if r["id"] in done] for n in names}
    results = {n: summarise(paired[n]) for n in names}
    body = {**meta, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "load_end": os.getloadavg(), "results": results, "rows": rows}
    body["table"] = table(results) if names else ""
    out.mkdir(parents=True, exist_ok=True)
    (out / "realtimeqa-llm.json").write_text(json.dumps(body, indent=2, default=str))
    answerable = sum(not r["unanswerable"] for r in paired.get("llm", paired.get("default", [])))
    md = [f"# Bundled model on the RealTimeQA 2024 split ({meta['started']})", "",
          f"{answerable} of {meta['answerable']} answerable + {len(done) - answerable} of {meta['unanswerable']} "
          f"constructed unanswerable questions done; model {meta['model']}; load average at start "
          f"{meta['load_start']}, at end {body['load_end']}.", "", body["table"], ""]
    if "llm" in paired:
        md += [f"## First {n_examples} failures of the LLM pipeline", "", examples(paired["llm"], n_examples)]
    (out / "realtimeqa-llm.md").write_text("\n".join(md) + "\n")
    return body


def questions(data: Path, limit: int | None, n_unanswerable: int, seed: int, out: Path, index: Path):
    _, test = rtqa.split(rtqa.load_questions(data))
    answerable = rtqa.sample(test, limit, seed)
    unanswerable = []
    if n_unanswerable:
        cache = out / "answer_bearing.json"
        if not cache.exists() and (index / "answer_bearing.json").exists():  # read, never write, the index
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy(index / "answer_bearing.json", cache)
        pool = rtqa.constructed_unanswerables(data, test, max(n_unanswerable, UNANSWERABLE_POOL), cache=cache)
        unanswerable = rtqa.sample(pool, n_unanswerable, seed)
    return answerable, unanswerable


def run(services, answerable, unanswerable, out: Path, meta: dict, max_seconds: float | None = None,
        progress: bool = True, n_examples: int = 10) -> dict:
    from tqdm import tqdm

    rows: dict[str, list[dict]] = {n: [] for n in PIPELINES if n == "default" or services.answers.llm}
    started = time.monotonic()
    todo = answerable + unanswerable
    bar = tqdm(todo, desc="realtimeqa-llm", disable=not progress, file=sys.stderr)
    body = report(meta, rows, out, n_examples)
    for q in bar:
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            print(f"stopped after {max_seconds:.0f} s (--max-seconds)", file=sys.stderr)
            break
        for name in rows:
            rows[name].append(ask(services, q, name))
        last = rows.get("llm", rows["default"])[-1]
        bar.write(f"{q.id} {'unanswerable' if q.unanswerable else 'answerable'}: "
                  f"{'answered' if last['answerable'] else 'refused'}"
                  f"{'' if q.unanswerable else ', contained' if last['contained'] else ', not contained'} "
                  f"in {last['latency_ms'] / 1000:.1f} s (ttft {last['ttft_ms'] / 1000:.1f} s)", file=sys.stderr)
        body = report(meta, rows, out, n_examples)
    bar.close()
    return body


def warm_up(services) -> float:
    """Load the model's weights into the page cache before timing (one one-token completion)."""
    started = time.perf_counter()
    if services.answers.llm is not None:
        services.answers.llm.client.complete([{"role": "user", "content": "Say OK."}], 1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="../shared/data/realtimeqa-dev")
    parser.add_argument("--data-dir", type=Path, required=True, help="the full index (read only)")
    parser.add_argument("--limit", type=int, default=50, help="answerable 2024 questions (fixed sample)")
    parser.add_argument("--unanswerable", type=int, default=20, help="constructed unanswerables, asked after")
    parser.add_argument("--seed", type=int, default=rtqa.SEED, help="sampling seed")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop before the next question after this")
    parser.add_argument("--examples", type=int, default=10, help="failure examples in the markdown")
    parser.add_argument("--out", type=Path, default=Path("benchmark-realtimeqa-llm"))
    parser.add_argument("--analyse", action="store_true",
                        help="categorise the failures of a finished run in --out and replay the checker on "
                             "the first --examples (no model needed), then exit")
    parser.add_argument("--judge", action="store_true", help="with --analyse: replay the LLM judge too")
    args = parser.parse_args()
    if args.analyse:
        analyse(args.out, args.data, args.data_dir, args.examples, args.judge)
        return
    if not (args.data_dir / "records.sqlite").exists():
        sys.exit(f"error: no index at {args.data_dir} (build it with benchmarks/realtimeqa.py)")
    settings = Settings(data_dir=args.data_dir)
    answerable, unanswerable = questions(args.data, args.limit, args.unanswerable, args.seed, args.out, args.data_dir)
    services = build_services(settings)
    if services.answers.llm is None:
        print("no LLM configured (CITEWIRE_LOCAL_MODEL / CITEWIRE_LLM_BASE_URL): the default pipeline only",
              file=sys.stderr)
    try:
        meta = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "split": rtqa.TEST_YEAR,
                "index": str(args.data_dir), "seed": args.seed, "answerable": len(answerable),
                "unanswerable": len(unanswerable), "load_start": os.getloadavg(),
                "model": getattr(services.answers.llm.client, "model", None) if services.answers.llm else None,
                "warm_up_s": warm_up(services),
                "settings": settings.model_dump(mode="json", include={
                    "answer_model", "top_k", "llm_passages", "llm_context_window", "llm_max_tokens", "local_model",
                    "local_threads", "guard_mode", "guard_judge", "guard_judge_band", "guard_judge_budget"})}
        body = run(services, answerable, unanswerable, args.out, meta, args.max_seconds, n_examples=args.examples)
    finally:
        services.close()
    print(body["table"])
    print(f"\nwrote {args.out / 'realtimeqa-llm.json'} and {args.out / 'realtimeqa-llm.md'}")


if __name__ == "__main__":
    main()
