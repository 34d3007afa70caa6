"""Lexical backends on one index and the same questions: quality and latency, side by side.

    python benchmarks/lexical_backends.py --data ../shared/data/realtimeqa-dev --data-dir INDEX [--postgres URL]

INDEX is a data dir built by benchmarks/query.py or retrieval_quality.py. Compared, BM25 only,
no date filter, on the answerable open RealTimeQA questions whose articles are indexed:
- ``memory``: Citewire's in-memory BM25 (app/store/lexical.py), the default;
- ``fts5``: SQLite FTS5 ``bm25()`` over the same chunk bodies (the previous default), built here;
- ``postgres``: PostgreSQL full-text search, ``ts_rank_cd`` over a GIN-indexed ``tsvector``
  (English config) with the same OR query, when ``--postgres`` (or a throw-away local server) is given.
Prints hit@1/5/10, MRR@10 and p50/p95 query latency for each.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.evals.realtimeqa import load_relevant  # noqa: E402
from app.store.records import RecordStore  # noqa: E402
from app.text import QUESTION_WORDS, STOPWORDS, words  # noqa: E402


def questions_for(data: Path, article_ids: set[str]):
    relevant = load_relevant(data)
    out = []
    for line in open(data / "questions.jsonl"):
        q = json.loads(line)
        if q["mc_dependent_wording"] or not q["answer_string_in_retrieved_docs"]:
            continue
        docs = relevant.get(q["question_id"], set()) & article_ids
        if docs:
            out.append((q["question"], docs))
    return out


def terms(question: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(question) if w not in STOPWORDS and w not in QUESTION_WORDS))


def score(name, search, questions, article_of) -> dict:
    hits = {1: 0, 5: 0, 10: 0}
    rr, times = [], []
    for question, docs in questions:
        start = time.perf_counter()
        ranked = search(question)
        times.append((time.perf_counter() - start) * 1000)
        arts = [article_of(c) for c in ranked[:10]]
        first = next((i for i, a in enumerate(arts, start=1) if a in docs), None)
        for k in hits:
            hits[k] += bool(first and first <= k)
        rr.append(1 / first if first else 0.0)
    n = len(questions)
    times.sort()
    return {"backend": name, "hit@1": hits[1] / n, "hit@5": hits[5] / n, "hit@10": hits[10] / n,
            "mrr@10": statistics.mean(rr), "p50_ms": times[n // 2], "p95_ms": times[int(n * 0.95)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--postgres", default=None, help="postgresql:// URL; 'local' starts a throw-away server")
    parser.add_argument("--skip-fts5", action="store_true")
    parser.add_argument("--questions", type=int, default=None,
                        help="only the first N questions (PostgreSQL's ranking takes ~1 s a question at 233k chunks)")
    args = parser.parse_args()

    store = RecordStore(args.data_dir / "records.sqlite")
    db = sqlite3.connect(args.data_dir / "records.sqlite")
    rows = db.execute("SELECT c.rowid, c.id, c.article_id, a.title, c.text FROM chunks c"
                      " JOIN articles a ON a.id = c.article_id").fetchall()
    article_of = {cid: aid for _, cid, aid, _, _ in rows}
    questions = questions_for(args.data, set(article_of.values()))[: args.questions]
    print(f"{len(rows)} chunks, {len(questions)} questions", file=sys.stderr)
    results = []

    start = time.perf_counter()
    store.lexical.sync()
    print(f"memory: index loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    results.append(score("in-memory BM25 (default)", lambda q: [c for c, _ in store.bm25_search(q, 10)], questions,
                         article_of.get))

    if not args.skip_fts5:
        fts = sqlite3.connect(":memory:")
        fts.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')")
        start = time.perf_counter()
        fts.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)",
                        ((r, (f"{title}\n" if title else "") + text) for r, _, _, title, text in rows))
        print(f"fts5: built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        id_of = {r: cid for r, cid, _, _, _ in rows}

        def fts5(question: str) -> list[str]:
            match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms(question))
            if not match:
                return []
            got = fts.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10", (match,)).fetchall()
            return [id_of[r] for (r,) in got]

        results.append(score("SQLite FTS5 bm25() (previous)", fts5, questions, article_of.get))

    server = None
    if args.postgres:
        url = args.postgres
        if url == "local":
            from tests import postgres_server

            server, why = postgres_server.start()
            if server is None:
                raise SystemExit(f"error: {why}")
            url = server.url
        import psycopg

        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS fts_bench")
                conn.execute("CREATE TABLE fts_bench (id TEXT PRIMARY KEY, body TEXT NOT NULL, tsv tsvector)")
                start = time.perf_counter()
                with conn.cursor().copy("COPY fts_bench (id, body) FROM STDIN") as copy:
                    for _, cid, _, title, text in rows:
                        copy.write_row((cid, (f"{title}\n" if title else "") + text))
                conn.execute("UPDATE fts_bench SET tsv = to_tsvector('english', body)")
                conn.execute("CREATE INDEX fts_bench_gin ON fts_bench USING GIN (tsv)")
                conn.execute("ANALYZE fts_bench")
                print(f"postgres: loaded + indexed in {time.perf_counter() - start:.0f} s", file=sys.stderr)

                def pg(question: str) -> list[str]:
                    pieces = [p for w in terms(question) for p in re.findall(r"[^\W_]+", w)]
                    if not pieces:
                        return []
                    query = " | ".join(pieces)
                    got = conn.execute(
                        "SELECT id FROM fts_bench, to_tsquery('english', %s) q WHERE tsv @@ q"
                        " ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10", (query,)).fetchall()
                    return [r[0] for r in got]

                results.append(score("PostgreSQL ts_rank_cd (GIN)", pg, questions, article_of.get))
        finally:
            if server is not None:
                server.stop()

    print(f"\n{len(rows):,} chunks, {len(questions)} answerable open questions, BM25 only, no date filter\n")
    print("| lexical backend | hit@1 | hit@5 | hit@10 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['hit@10']:.3f} | {r['mrr@10']:.3f} | "
              f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")


if __name__ == "__main__":
    main()
