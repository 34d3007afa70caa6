"""Time-to-first-token and tokens/s of the LLM path, and whether its answers hold.

    CITEWIRE_LOCAL_MODEL=qwen python benchmarks/llm_speed.py                 # 12 typical questions
    CITEWIRE_LOCAL_MODEL=qwen python benchmarks/llm_speed.py --all           # all 54 suite questions
    CITEWIRE_LOCAL_MODEL=qwen python benchmarks/llm_speed.py --compare 0,3    # whole chunks vs excerpts, interleaved
    CITEWIRE_LLM_BASE_URL=… CITEWIRE_LLM_MODEL=… python benchmarks/llm_speed.py
    python benchmarks/llm_speed.py --context 0,2,3,4,5      # no model: what each context holds, and its size

Runs on a fresh index of the sample articles. The questions are those of the known-answer suite
(evals/questions.yaml), so every answer is also scored: correct = every expected fact present and
not refused; unanswerable questions must be refused. One warm-up question runs first (untimed):
a running server has loaded its model and cached the fixed prompt prefix before a user asks.
Prints a Markdown table, then TTFT median / p95 and the quality counts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import REPO_ROOT, Settings  # noqa: E402
from app.evals.metrics import fact_coverage  # noqa: E402
from app.llm.local import free_cores  # noqa: E402
from app.samples import index_samples  # noqa: E402
from app.services import build_services  # noqa: E402

# A spread of the suite's answerable questions (every article, every question shape) and two refusals.
TYPICAL = ["a01", "a04", "a08", "a12", "a15", "a19", "a23", "a26", "a29", "a33", "a36", "a40", "u01", "u04"]
WARM_UP = "What happened in Derna?"


def load_questions(all_questions: bool) -> list[dict]:
    suite = yaml.safe_load((REPO_ROOT / "evals" / "questions.yaml").read_text())
    items = [q | {"answerable": True} for q in suite["answerable"]]
    items += [q | {"answerable": False, "facts": []} for q in suite["unanswerable"]]
    return items if all_questions else [q for q in items if q["id"] in TYPICAL]


def run_one(services, question: str) -> dict:
    start = time.perf_counter()
    first = None
    deltas = 0
    answer = None
    for kind, payload in services.answers.stream(question):
        if kind == "delta":
            first = first or time.perf_counter()
            deltas += 1
        else:
            answer = payload
    end = time.perf_counter()
    usage = answer.usage or {}
    called = bool(usage)  # refused before any model call (no passage names who is asked about)
    tokens = usage.get("completion_tokens") or deltas
    return {"called": called, "ttft": (first or end) - start if called else None,
            "tps": tokens / max(end - (first or end), 1e-6) if called else None,
            "prompt": usage.get("prompt_tokens"), "cached": usage.get("cached_tokens"),
            "tokens": tokens, "answer": answer}


def context_coverage(settings_list: list[int]) -> None:
    """No model needed: for each excerpt setting, the prompt's size and whether the context the model
    would see holds every expected fact of each answerable suite question (an answer cannot be
    better than its context)."""
    questions = [q for q in load_questions(True) if q["answerable"]]
    with tempfile.TemporaryDirectory() as folder:
        services = build_services(Settings(data_dir=Path(folder), llm_base_url="fake://"))
        index_samples(services.ingest)
        llm = services.answers.llm
        print(f"answerer {services.settings.answer_model}; {len(questions)} answerable suite questions\n")
        print("| excerpt sentences | context holds every fact | prompt tokens median / max | passages median |")
        print("|---|---|---|---|")
        for n in settings_list:
            llm.excerpt_sentences = n
            held, sizes, counts = 0, [], []
            for q in questions:
                passages, early = services.answers._passages(q["question"], None, None, None)
                if early is not None:
                    continue
                context = services.answers.llm_context(q["question"], passages)
                plan = llm.plan(q["question"], context)
                held += fact_coverage(" ".join(p.title + " " + p.text for p in plan.passages), q["facts"]) == 1.0
                sizes.append(plan.prompt_tokens)
                counts.append(len(plan.passages))
            print(f"| {n or 'whole chunks'} | {held}/{len(questions)} | {statistics.median(sizes):.0f} / {max(sizes)} | "
                  f"{statistics.median(counts):.0f} |")
        services.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="every suite question, not the 14 typical ones")
    parser.add_argument("--compare", default="", help="excerpt settings to interleave question by question, e.g. 0,3")
    parser.add_argument("--context", default="", help="no model: context coverage and size for these excerpt settings")
    args = parser.parse_args()
    if args.context:
        context_coverage([int(x) for x in args.context.split(",")])
        return
    questions = load_questions(args.all)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        configs = [int(x) for x in args.compare.split(",")] if args.compare else [settings.llm_excerpt_sentences]
        started = time.perf_counter()
        services = build_services(settings)
        load_s = time.perf_counter() - started
        llm = services.answers.llm
        if llm is None:
            sys.exit("no LLM configured: set CITEWIRE_LOCAL_MODEL or CITEWIRE_LLM_BASE_URL")
        index_samples(services.ingest)
        warm = run_one(services, WARM_UP)
        rows: dict[int, list[dict]] = {n: [] for n in configs}
        for k, q in enumerate(questions):  # interleaved, order rotated: every setting sees the same load
            for n in configs[k % len(configs):] + configs[:k % len(configs)]:
                llm.excerpt_sentences = n
                rows[n].append(q | run_one(services, q["question"]))
        services.close()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"model: {llm.client.model}; prompt {llm.prompt.id}; threads {settings.local_threads or free_cores()}; "
          f"passages {settings.llm_passages}; model load {load_s:.1f} s; warm-up TTFT {warm['ttft'] or 0:.1f} s; "
          f"load average at the end {' '.join(load)}")
    for n in configs:
        report(n, rows[n])


def report(excerpts: int, rows: list[dict]) -> None:
    print(f"\n### {'excerpts of ' + str(excerpts) + ' sentences' if excerpts else 'whole chunks'}\n")
    print("| id | question | TTFT s | tokens/s | prompt tok (cached) | answer tok | answerable | correct | guard |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        a = r["answer"]
        g = a.guard or {}
        r["correct"] = (a.answerable and fact_coverage(a.answer, r["facts"]) == 1.0) if r["answerable"] \
            else not a.answerable
        ttft = f"{r['ttft']:.1f}" if r["called"] else "— (refused before the model)"
        tps = f"{r['tps']:.1f}" if r["called"] else "—"
        prompt = f"{r['prompt']} ({r['cached'] or 0})" if r["prompt"] else "—"
        print(f"| {r['id']} | {r['question']} | {ttft} | {tps} | {prompt} | {r['tokens'] if r['called'] else '—'} | "
              f"{a.answerable} | {r['correct']} | kept {g.get('kept', 0)}, fixed {g.get('fixed', 0)}, "
              f"dropped {g.get('dropped', 0)} |")
    timed = [r for r in rows if r["called"]]
    if timed:
        ttfts = [r["ttft"] for r in timed]
        print(f"\nTTFT median {statistics.median(ttfts):.2f} s, p95 {percentile(ttfts, 0.95):.2f} s, "
              f"max {max(ttfts):.2f} s; median {statistics.median(r['tps'] for r in timed):.1f} tokens/s; "
              f"median prompt {statistics.median(r['prompt'] or 0 for r in timed):.0f} tokens "
              f"({statistics.median(r['cached'] or 0 for r in timed):.0f} cached) over {len(timed)} model calls")
    answerable = [r for r in rows if r["answerable"]]
    refusals = [r for r in rows if not r["answerable"]]
    print(f"correct {sum(r['correct'] for r in answerable)}/{len(answerable)} answerable; "
          f"false refusals {sum(not r['answer'].answerable for r in answerable)}/{len(answerable)}; "
          f"refused {sum(r['correct'] for r in refusals)}/{len(refusals)} unanswerable\n")
    for r in rows:
        print(f"- {r['id']} {r['question']}\n  {r['answer'].answer}")

if __name__ == "__main__":
    main()
