"""Time-to-first-token and tokens/s of the LLM path, and what the guard made of each answer.

    CITEWIRE_LOCAL_MODEL=qwen python benchmarks/llm_speed.py            # the bundled model
    CITEWIRE_LLM_BASE_URL=… CITEWIRE_LLM_MODEL=… python benchmarks/llm_speed.py

Runs on a fresh index of the sample articles; prints a Markdown table.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.llm.local import free_cores  # noqa: E402
from app.samples import index_samples  # noqa: E402
from app.services import build_services  # noqa: E402

QUESTIONS = [
    "What did Kim pledge?",
    "Where did Kim and Putin meet?",
    "How many freight containers did North Korea ship to Russia?",
    "Who scored the only goal of the Women's World Cup final?",
    "What did Joe Biden say about the meeting?",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        started = time.perf_counter()
        services = build_services(settings)
        load_s = time.perf_counter() - started
        if services.answers.llm is None:
            sys.exit("no LLM configured: set CITEWIRE_LOCAL_MODEL or CITEWIRE_LLM_BASE_URL")
        index_samples(services.ingest)
        rows = []
        for question in QUESTIONS:
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
            rows.append({
                "question": question, "called": called, "ttft": (first or end) - start if called else None,
                "tps": tokens / max(end - (first or end), 1e-6) if called else None, "prompt": usage.get("prompt_tokens"),
                "tokens": tokens, "answerable": answer.answerable, "guard": answer.guard, "answer": answer.answer,
            })
        services.close()
    print(f"model: {services.answers.llm.client.model if services.answers.llm else '?'}; threads {settings.local_threads or free_cores()};"
          f" passages {settings.llm_passages}; model load {load_s:.1f} s\n")
    print("| question | TTFT s | tokens/s | prompt tok | answer tok | answerable | guard |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        g = r["guard"] or {}
        ttft = f"{r['ttft']:.1f}" if r["called"] else "— (refused before the model)"
        tps = f"{r['tps']:.1f}" if r["called"] else "—"
        print(f"| {r['question']} | {ttft} | {tps} | {r['prompt'] or '—'} | {r['tokens'] if r['called'] else '—'} | "
              f"{r['answerable']} | kept {g.get('kept', 0)}, fixed {g.get('fixed', 0)}, dropped {g.get('dropped', 0)} |")
    timed = [r for r in rows if r["called"]]
    if timed:
        print(f"\nmedian TTFT {statistics.median(r['ttft'] for r in timed):.1f} s, "
              f"median {statistics.median(r['tps'] for r in timed):.1f} tokens/s over {len(timed)} model calls\n")
    for r in rows:
        print(f"- {r['question']}\n  {r['answer']}")


if __name__ == "__main__":
    main()
