"""Where a server's memory goes: resident set size by start-up step, by mapping, and by cache.

    python benchmarks/memory.py --data ../shared/data/realtimeqa-dev --data-dir INDEX --questions 200

In one process, the way ``create_app`` builds the service graph: RSS (anonymous and file-backed,
from /proc/self/status) after the imports, ``build_services``, the lexical index load, the first
search and ask, and ``--questions`` RealTimeQA questions through ``/v1/ask``'s default and
``/v1/search``'s code paths (the same first N questions as benchmarks/query.py, ``--rounds``
times). Then the largest mappings (/proc/self/smaps: files such as the lexical snapshot, Chroma's
HNSW segment, SQLite, shared libraries; anonymous memory as one line), each memo's use, and what
clearing each memo gives back (after ``malloc_trim``). ``--components`` first builds the parts one by
one (their own rows). ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def status_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def mappings_mb(top: int) -> list[tuple[str, float]]:
    """Resident MB per mapped file (anonymous mappings, heap and stacks summed as '[anon]')."""
    rss: dict[str, float] = defaultdict(float)
    name = "[anon]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            path = head[5] if len(head) > 5 else ""
            name = path if path.startswith("/") else "[anon]"
        elif line.startswith("Rss:"):
            rss[name] += int(head[1]) / 1024
    return sorted(rss.items(), key=lambda kv: -kv[1])[:top]


def trim() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the realtimeqa-dev folder")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index (not written to, except the "
                        "lexical snapshot the server itself would write)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="times the questions are asked (the HTTP "
                        "benchmark repeats them in its throughput phase)")
    parser.add_argument("--top", type=int, default=12, help="mappings to list")
    parser.add_argument("--components", action="store_true", help="build the embedder, record store, Chroma "
                        "client and models one by one first (their own rows; build_services then reuses none "
                        "but the models)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    steps: list[tuple[str, dict[str, float]]] = [("python", status_mb())]
    from app.config import Settings
    from app.main import create_app  # noqa: F401  (what the server imports)
    from app.services import build_services
    steps.append(("imports", status_mb()))
    settings = Settings(data_dir=args.data_dir)
    if args.components:  # each part on its own first, in the order build_services makes them
        from app.embed import make_embedder
        from app.retrieval.learned import load_models
        from app.store.backends import make_record_store
        from app.store.vector import VectorStore

        embedder = make_embedder(settings)
        steps.append(("  embedder (wordllama)", status_mb()))
        make_record_store(settings).close()
        steps.append(("  record store", status_mb()))
        VectorStore(settings, embedder.name)
        steps.append(("  Chroma client", status_mb()))
        load_models()
        steps.append(("  LightGBM models", status_mb()))
    services = build_services(settings)
    steps.append(("build_services", status_mb()))
    services.records.lexical.warm()
    steps.append(("lexical index loaded", status_mb()))
    questions = [json.loads(line)["question"] for line in open(args.data / "questions.jsonl")][: args.questions]
    services.vectors.query(services.embedder.embed([questions[0]])[0], 50)
    steps.append(("first Chroma query (loads its HNSW)", status_mb()))
    services.retrieval.search(questions[0])
    steps.append(("first search", status_mb()))
    services.answers.ask(questions[0])
    steps.append(("first ask", status_mb()))
    start = time.perf_counter()
    for r in range(args.rounds):
        for q in questions:
            services.answers.ask(q)
            services.retrieval.search(q)
        steps.append((f"{len(questions)} asks + searches, round {r + 1}", status_mb()))
    seconds = time.perf_counter() - start
    trim()
    steps.append(("after malloc_trim", status_mb()))

    print(f"{'step':<40} {'VmRSS':>8} {'anon':>8} {'file':>8}  MB")
    for step, mb in steps:
        print(f"{step:<40} {mb['VmRSS']:8.0f} {mb['RssAnon']:8.0f} {mb['RssFile']:8.0f}")
    print(f"(questions: {seconds:.1f} s; peak VmHWM {steps[-1][1]['VmHWM']:.0f} MB)\n")
    maps = mappings_mb(args.top)
    print("largest resident mappings (MB):")
    for path, mb in maps:
        print(f"  {mb:8.1f}  {path}")

    from app import text
    from app.retrieval import features
    frequencies = services.records.lexical._frequencies  # BM25Index: recent document_frequencies answers
    print("\nmemo use (entries / bound, hit rate):")
    for label, memo in (("features.text_terms", features.text_terms), ("features._senses", features._senses),
                        ("features.cached_stem", features.cached_stem),  # question words only
                        ("text._words", text._words), ("text.stem", text.stem),
                        ("text._line_sentences", text._line_sentences)):
        info = memo.cache_info()
        print(f"  {label:<30} {info.currsize:>7} / {info.maxsize:<7} {info.hits / max(info.hits + info.misses, 1):.2f}")
    # plain dicts (no hit counts): passage words' stems, and the lexical index's document-frequency answers
    for label, table, bound in (("features._stems", features._stems, features._stems.LIMIT),
                                ("BM25Index._frequencies", frequencies, 256)):
        print(f"  {label:<30} {len(table):>7} / {bound:<7}    -")
    caches = {"app.text memos (words, stem, name tokens, sentence offsets)": text.clear_caches,
              "features.text_terms": features.text_terms.cache_clear,
              "features._stems (passage stems)": features._stems.cache_clear,
              "features.cached_stem (question stems)": features.cached_stem.cache_clear,
              "features._senses": features._senses.cache_clear,
              "BM25Index._frequencies": frequencies.clear}
    freed = []
    print("\ncleared, then malloc_trim: RSS given back (MB)")
    for label, clear in caches.items():
        before = status_mb()["VmRSS"]
        clear()
        trim()
        freed.append((label, before - status_mb()["VmRSS"]))
        print(f"  {freed[-1][1]:8.1f}  {label}")
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "mappings": maps, "freed": freed, "seconds": seconds},
                                        indent=1))
    services.close()


if __name__ == "__main__":
    main()
