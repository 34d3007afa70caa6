"""Chroma's HNSW build effort against retrieval quality: does a cheaper graph build lose the answers' passages?

    python benchmarks/hnsw_build.py --data ../shared/data/realtimeqa-dev --data-dir /tmp/hnsw --ef 100,50 --years 2022,2023
    python benchmarks/hnsw_build.py --data ../shared/data/realtimeqa-dev --data-dir /tmp/hnsw --ef 100,50 --years 2024

For each ``ef_construction`` value (`CITEWIRE_HNSW_EF_CONSTRUCTION`): the whole corpus is indexed by `citewire
ingest`, as a user runs it (a subprocess; its wall time and the CPU seconds of it and its chunking workers), into
``--data-dir``/ef<VALUE> (skipped when that index is complete; delete the folder after an interrupted build). Then
the default retrieval is asked every answerable open question of ``--years``, each as of its date + 1 day: hit@1,
hit@5, hit@10 and MRR@10 (a hit: a passage of an article the qrels name), with 95 % bootstrap intervals (1,000
resamples of questions, seed 0) and each value's difference from the first one paired. 2022–2023 questions are
where a value is chosen, 2024 the report.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.evals.realtimeqa import load_questions  # noqa: E402
from app.services import build_services  # noqa: E402

CORPUS_ARTICLES = 19_334
SEED = 0


def build(data: Path, folder: Path, ef: int) -> dict | None:
    """Index the corpus with the CLI unless ``folder`` already holds all of it; the cost when it was built here.
    Opening the services creates the collection, so they are opened with ``ef`` too (an earlier version opened
    them with the default and so built every index with it: a collection keeps what it was created with)."""
    services = build_services(Settings(data_dir=folder, hnsw_ef_construction=ef))
    try:
        stored = services.vectors.hnsw_configuration().get("ef_construction")
        if stored != ef:
            raise SystemExit(f"{folder} holds a collection built with ef_construction {stored}, not {ef}: delete it")
        if services.records.count()[0] >= CORPUS_ARTICLES:
            return None
    finally:
        services.close()
    citewire = shutil.which("citewire") or str(Path(sys.executable).with_name("citewire"))
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(folder), "CITEWIRE_HNSW_EF_CONSTRUCTION": str(ef)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([citewire, "ingest", str(data / "corpus.jsonl.gz")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "cpu_share": cpu / wall}


def ranks(folder: Path, questions) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1–10) of the first passage from a relevant article (0 when none is in the top 10), and each search's
    milliseconds (after 30 untimed warm-up searches)."""
    services = build_services(Settings(data_dir=folder))
    try:
        for q in questions[:30]:
            services.retrieval.search(q.question, top_k=10, as_of=q.as_of)
        out, millis = [], []
        for q in tqdm(questions, unit=" questions", file=sys.stderr, mininterval=10):
            started = time.perf_counter()
            passages = services.retrieval.search(q.question, top_k=10, as_of=q.as_of)
            millis.append(1000 * (time.perf_counter() - started))
            hit = [i for i, p in enumerate(passages[:10], start=1) if p.article_id in q.relevant]
            out.append(hit[0] if hit else 0)
        return np.array(out), np.array(millis)
    finally:
        services.close()


def metrics(rank: np.ndarray) -> dict[str, np.ndarray]:
    """Per-question values, so intervals and paired differences resample the same questions."""
    found = rank > 0
    return {"hit@1": (found & (rank <= 1)).astype(float), "hit@5": (found & (rank <= 5)).astype(float),
            "hit@10": found.astype(float), "mrr@10": np.where(found, 1.0 / np.maximum(rank, 1), 0.0)}


def interval(values: np.ndarray, rng: np.random.Generator, signed: bool = False) -> str:
    means = [values[rng.integers(0, len(values), len(values))].mean() for _ in range(1000)]
    low, high = np.percentile(means, [2.5, 97.5])
    form = "+.3f" if signed else ".3f"
    return f"{values.mean():{form}} [{low:{form}}, {high:{form}}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the realtimeqa-dev folder")
    parser.add_argument("--data-dir", type=Path, required=True, help="one index per value is built under it")
    parser.add_argument("--ef", default="100,50", help="ef_construction values; the first is the baseline")
    parser.add_argument("--years", default="2022,2023", help="question years: 2022,2023 (choose) or 2024 (report)")
    parser.add_argument("--limit", type=int, default=None, help="the first N questions only")
    args = parser.parse_args()

    values = [int(v) for v in args.ef.split(",")]
    years = set(args.years.split(","))
    questions = [q for q in load_questions(args.data) if q.year in years][: args.limit]
    costs, per_value, millis = {}, {}, {}
    for ef in values:
        folder = args.data_dir / f"ef{ef}"
        costs[ef] = build(args.data, folder, ef)
        rank, millis[ef] = ranks(folder, questions)
        per_value[ef] = metrics(rank)

    print(f"{len(questions)} answerable questions from {args.years}; full index of {CORPUS_ARTICLES} articles")
    for ef in values:
        cost = costs[ef]
        print(f"ef_construction {ef}: " + (f"citewire ingest {cost['wall_s']:.1f} s, {cost['cpu_s']:.1f} CPU-s "
                                           f"({100 * cost['cpu_share']:.0f} % CPU)" if cost else "index reused")
              + f"; search p50 {np.percentile(millis[ef], 50):.1f} ms, p95 {np.percentile(millis[ef], 95):.1f} ms")
    base = values[0]
    head = " | ".join(f"ef {ef}" for ef in values) + "".join(f" | ef {ef} − ef {base} [95 % paired]" for ef in values[1:])
    print(f"| metric | {head} |\n" + "|---" * (2 * len(values)) + "|")
    for name in per_value[base]:
        cells = [interval(per_value[ef][name], np.random.default_rng(SEED)) for ef in values]
        cells += [interval(per_value[ef][name] - per_value[base][name], np.random.default_rng(SEED), signed=True)
                  for ef in values[1:]]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
