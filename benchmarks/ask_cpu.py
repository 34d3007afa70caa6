"""CPU time of an ask's stages on one answer pipeline, in one process (load does not inflate it much).

    python benchmarks/ask_cpu.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index --n 100
    python benchmarks/ask_cpu.py ... --answer-model heuristic --warm   # the other pipeline, memos kept

Per fixed 2024 question: retrieval (split into the two retrievers' candidates and the ranking: the learned
ranker's features for 50 candidates + LightGBM, or the heuristic fusion), then splitting the top 5
passages into sentences, then the answerer (which splits again; its hand-weighted scorer shown apart),
each timed with ``time.process_time``. By default app/text.py's and the ranker features' memos are
cleared before each stage, so every number is the cold cost (nothing reused across questions);
``--warm`` keeps them, as a server does (then the answerer's splitting is already memoised by the stage
before it). Last, every question once more through ``AnswerService.ask`` (what /v1/ask runs without an
LLM): mean, p50 and p95 CPU ms. One pipeline per process: pipelines in one process share the memos.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from realtimeqa_latency import clear_all_memos  # noqa: E402 (this folder is on sys.path when run as a script)

from app.answer import scoring  # noqa: E402
from app.answer.extractive import candidate_sentences  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals import realtimeqa as rtqa  # noqa: E402
from app.lexicon import lemma_stems  # noqa: E402
from app.lexicon import shared as shared_lexicon  # noqa: E402
from app.retrieval.service import RetrievalService  # noqa: E402
from app.retrieval.slots import gazetteer  # noqa: E402
from app.services import build_services  # noqa: E402


class _Timed:
    """Adds the CPU time of calls to one method into ``totals[label]`` (patched on the class for the run)."""

    def __init__(self, owner, name: str, label: str, totals: dict[str, float]) -> None:
        self.owner, self.name, self.label, self.totals = owner, name, label, totals
        self.plain = getattr(owner, name)

    def __enter__(self):
        plain, totals, label = self.plain, self.totals, self.label

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return plain(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + time.process_time() - start

        setattr(self.owner, self.name, timed)
        return self

    def __exit__(self, *exc) -> None:
        setattr(self.owner, self.name, self.plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--answer-model", choices=("learned", "heuristic", "rerank"), default=None,
                        help="CITEWIRE_ANSWER_MODEL for this run (default: the configured one)")
    parser.add_argument("--warm", action="store_true", help="keep the memos between questions, as a server does")
    args = parser.parse_args()
    options = {"answer_model": args.answer_model} if args.answer_model else {}
    services = build_services(Settings(data_dir=args.data_dir, **options))
    _, test = rtqa.split(rtqa.load_questions(args.data))
    questions = rtqa.sample(test, args.n, rtqa.SEED + 2)
    clear = (lambda: None) if args.warm else clear_all_memos
    services.answers.ask(questions[0].question, as_of=questions[0].as_of)  # models, lexical index: outside
    shared_lexicon(), lemma_stems(""), gazetteer()  # loaded on first use by some questions: outside too
    totals: dict[str, float] = {}
    retrieval = "retrieval (all)"
    candidates = "  the two retrievers' candidates (BM25 + Chroma)"
    ranking = ("  ranking: the ranker's features for 50 candidates + LightGBM"
               if services.retrieval.ranker is not None else "  ranking: fusion + recency")
    splitting = "sentence splitting, top 5"
    answerer = "answerer (splitting included)" if not args.warm else "answerer (splitting memoised above)"
    scorer = "  of which the hand-weighted scorer (embeddings, soft coverage)"
    with (_Timed(RetrievalService, "candidates", candidates, totals),
          _Timed(RetrievalService, "rerank_features", ranking, totals),
          _Timed(RetrievalService, "rerank", ranking, totals),
          _Timed(RetrievalService, "rank", ranking, totals),
          _Timed(scoring.QuestionScorer, "score", scorer, totals)):
        for q in questions[1:]:
            clear()
            start = time.process_time()
            passages = services.retrieval.search(q.question, as_of=q.as_of)
            totals[retrieval] = totals.get(retrieval, 0.0) + time.process_time() - start
            clear()
            start = time.process_time()
            candidate_sentences(passages[:5])
            totals[splitting] = totals.get(splitting, 0.0) + time.process_time() - start
            clear()
            start = time.process_time()
            services.answers.extractive.answer(q.question, passages)
            totals[answerer] = totals.get(answerer, 0.0) + time.process_time() - start
    asks = []
    for q in questions[1:]:
        clear()
        start = time.process_time()
        services.answers.ask(q.question, as_of=q.as_of)
        asks.append((time.process_time() - start) * 1000)
    services.close()
    n = len(questions) - 1
    asks.sort()
    print(f"{n} questions, answer model {services.settings.answer_model}, {'warm' if args.warm else 'cold'} memos, "
          f"load average {os.getloadavg()[0]:.1f}\n\n| stage | CPU ms per question |\n|---|---|")
    for name in (retrieval, candidates, ranking, splitting, answerer, scorer):
        print(f"| {name} | {totals.get(name, 0.0) * 1000 / n:.1f} |")
    print(f"| AnswerService.ask, whole: mean / p50 / p95 | {sum(asks) / n:.1f} / {asks[n // 2]:.1f} / "
          f"{asks[min(n - 1, int(0.95 * n))]:.1f} |")


if __name__ == "__main__":
    main()
