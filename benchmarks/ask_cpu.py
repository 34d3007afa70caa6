"""CPU time of an ask's stages on the default pipeline, in one process (load does not inflate it).

    python benchmarks/ask_cpu.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index --n 100

Per fixed 2024 question: retrieval, then splitting the top 5 passages into sentences, then the
answerer (which splits again), each timed with ``time.process_time``. app/text.py's and the ranker features' memos are
cleared before each stage, so every number is the cold cost (nothing reused across questions).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from realtimeqa_latency import clear_all_memos  # noqa: E402 (this folder is on sys.path when run as a script)

from app.answer.extractive import candidate_sentences  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.services import build_services  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    services = build_services(Settings(data_dir=args.data_dir))
    _, test = rtqa.split(rtqa.load_questions(args.data))
    questions = rtqa.sample(test, args.n, rtqa.SEED + 2)
    clear = clear_all_memos
    services.answers.ask(questions[0].question, as_of=questions[0].as_of)  # models, lexical index: outside
    totals = {"retrieval": 0.0, "sentence splitting, top 5": 0.0, "answerer (splitting included)": 0.0}
    for q in questions[1:]:
        clear()
        start = time.process_time()
        passages = services.retrieval.search(q.question, as_of=q.as_of)
        totals["retrieval"] += time.process_time() - start
        clear()
        start = time.process_time()
        candidate_sentences(passages[:5])
        totals["sentence splitting, top 5"] += time.process_time() - start
        clear()
        start = time.process_time()
        services.answers.extractive.answer(q.question, passages)
        totals["answerer (splitting included)"] += time.process_time() - start
    services.close()
    print(f"{len(questions) - 1} questions, answer model {services.settings.answer_model}, "
          f"load average {os.getloadavg()[0]:.1f}\n\n| stage | CPU ms per question |\n|---|---|")
    for name, seconds in totals.items():
        print(f"| {name} | {seconds * 1000 / (len(questions) - 1):.1f} |")


if __name__ == "__main__":
    main()
