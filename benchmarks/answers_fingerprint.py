"""Record every answer of a fixed question set, to prove a speed-up changed none of them.

    python benchmarks/answers_fingerprint.py --data ../shared/data/realtimeqa-dev --data-dir INDEX --out before.json
    python benchmarks/answers_fingerprint.py --data ../shared/data/realtimeqa-dev --data-dir INDEX --out after.json \
        --compare before.json

A fixed sample of 2024 (or ``--years 2022-2023``) RealTimeQA questions (the same every run) is asked through the default
``AnswerService.ask`` (what /v1/ask runs without an LLM) and through the heuristic "old" pipeline;
the answer text, refusal reason, sentence supports, citations (chunk, offsets, quote) and the top
passages' ids and scores are written as JSON. ``--compare`` prints each difference and exits 1 when
there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.services import build_services  # noqa: E402


def fingerprint(answer, passages=None) -> dict:
    out = {
        "answer": answer.answer,
        "answerable": answer.answerable,
        "refusal_reason": answer.refusal_reason,
        "supports": [s.support for s in answer.sentences or []],
        "citations": [[c.chunk_id, c.char_start, c.char_end, c.quote] for c in answer.citations],
    }
    if passages is not None:
        out["passages"] = [[p.chunk_id, p.score] for p in passages]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--years", choices=("2024", "2022-2023"), default="2024",
                        help="the reported 2024 split (default) or the 2022–2023 training split")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="an earlier --out file; exit 1 on any difference")
    args = parser.parse_args()
    services = build_services(Settings(data_dir=args.data_dir))
    pipelines = rtqa.make_pipelines(services)
    train, test = rtqa.split(rtqa.load_questions(args.data))
    questions = rtqa.sample(test if args.years == "2024" else train, args.n, rtqa.SEED + 3)
    results: dict[str, dict] = {}
    start = time.perf_counter()
    for q in questions:
        ask = services.answers.ask(q.question, as_of=q.as_of)
        passages, old = pipelines["old"](q, 10)
        results[q.id] = {"question": q.question, "ask": fingerprint(ask), "old": fingerprint(old, passages)}
    seconds = time.perf_counter() - start
    services.close()
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    answered = sum(r["ask"]["answerable"] for r in results.values())
    print(f"{len(results)} questions ({answered} answered by /v1/ask's default) in {seconds:.1f} s -> {args.out}")
    if args.compare:
        before = json.loads(args.compare.read_text())
        differences = 0
        for qid in sorted(set(before) | set(results)):
            for path in ("ask", "old"):
                a, b = before.get(qid, {}).get(path), results.get(qid, {}).get(path)
                if a != b:
                    differences += 1
                    print(f"DIFFERENT {qid} [{path}]\n  before: {a}\n  after:  {b}")
        print(f"{differences} differences in {len(results)} questions × 2 pipelines")
        sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
