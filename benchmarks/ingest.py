"""Ingest throughput on the same N articles, one run: raw embedder, Citewire, LangChain naive.

    python benchmarks/ingest.py --data ../shared/data/realtimeqa-dev/corpus.jsonl.gz --limit 2000

(a) raw embedder: wordllama over the chunk texts alone (chunked beforehand, untimed) — the ceiling;
(b) Citewire: the real ingest (parse, normalise, chunk, embed, Chroma + SQLite record + BM25
    postings) into a fresh data dir;
(c) LangChain naive: ``RecursiveCharacterTextSplitter`` (cl100k, 200 tokens, 30 overlap) +
    ``Chroma.from_documents`` with the same wordllama embedder, into a fresh folder.
Prints chunks/s for each and the ratios b/a and b/c. ``--profile FILE`` writes a cProfile of (b).
``--stages`` instead runs Citewire's own stages one after another in one thread and prints the CPU
time of each (``time.process_time``: what a stage costs, whatever else the machine is running).
Needs the bench extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.embed.wordllama import WordLlamaEmbedder  # noqa: E402
from app.ingest.chunker import Chunker  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.ingest.service import bm25_prefix  # noqa: E402
from app.offline import install_tiktoken_files, quiet_network_defaults  # noqa: E402
from app.services import build_services  # noqa: E402


def raw_embedder(records, chunker: Chunker) -> tuple[int, float]:
    texts = [bm25_prefix(r.article.title or "") + span.text for r in records for span in chunker.split(r.article.text)]
    embedder = WordLlamaEmbedder.shared()
    start = time.perf_counter()
    for i in range(0, len(texts), 2048):
        embedder.embed(texts[i:i + 2048])
    return len(texts), time.perf_counter() - start


def citewire(records, data_dir: Path, batch: int, profile: Path | None, workers: int | None) -> tuple[int, float]:
    services = build_services(Settings(data_dir=data_dir))
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    report = services.ingest.ingest(records, batch_articles=batch, keep_outcomes=False, workers=workers)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    elapsed = time.perf_counter() - start
    assert report.counts["failed"] == 0, report.failures[:3]
    services.close()
    return report.chunks_written, elapsed


def stages(records, data_dir: Path, batch: int) -> None:
    """CPU seconds per stage of Citewire's ingest, run in sequence in this thread, real stores."""
    from collections import defaultdict

    from app.ingest.article import normalise
    from app.ingest.pipeline import Prepared, split_and_index
    from app.store.models import StoredChunk

    services = build_services(Settings(data_dir=data_dir))
    ingest = services.ingest
    cpu: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*a, **k):
            start = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[name] += time.process_time() - start
        return wrapper

    ingest.chunker.split = timed("chunking (recursive splitter, tiktoken counts)", ingest.chunker.split)
    ingest.embedder = type("Timed", (), {"embed": staticmethod(timed("embedding (wordllama)", ingest.embedder.embed))})()
    ingest.vectors.upsert = timed("Chroma upsert (HNSW insert)", ingest.vectors.upsert)
    ingest.records.put_article = timed("SQLite record (article, chunks, postings)", ingest.records.put_article)
    chunks = 0
    total = time.process_time()
    for i in range(0, len(records), batch):
        start = time.process_time()
        articles = [normalise(r.article) for r in records[i:i + batch]]
        cpu["reading: normalise + hash"] += time.process_time() - start
        start = time.process_time()
        split = split_and_index([(a.id, a.title, a.text, a.content_hash) for a in articles], ingest.chunker)
        cpu["chunking + BM25 postings"] += time.process_time() - start
        pending = [Prepared("bench", a, "added", [StoredChunk(cid, a.id, j, s0, s1, t) for cid, j, s0, s1, t in c], terms)
                   for a, (c, terms) in zip(articles, split)]
        chunks += sum(len(p.chunks) for p in pending)
        ingest._write_batch(pending, lambda outcome: None)
    total = time.process_time() - total
    services.close()
    cpu["BM25 postings (tokenise, stem, hash)"] = cpu.pop("chunking + BM25 postings") - cpu[
        "chunking (recursive splitter, tiktoken counts)"]
    print(f"\n{len(records)} articles, {chunks} chunks, one thread, stages in sequence\n")
    print("| stage | CPU s | ms per chunk | share |")
    print("|---|---|---|---|")
    for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {seconds:.2f} | {1000 * seconds / chunks:.2f} | {100 * seconds / total:.0f} % |")
    rest = total - sum(cpu.values())
    print(f"| other (batching, metadata, transaction) | {rest:.2f} | {1000 * rest / chunks:.2f} | {100 * rest / total:.0f} % |")
    print(f"| total | {total:.2f} | {1000 * total / chunks:.2f} | |")


def langchain_naive(records, folder: Path) -> tuple[int, float]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class WordLlamaEmbeddings(Embeddings):
        def embed_documents(self, texts):
            return WordLlamaEmbedder.shared().embed(texts).tolist()

        def embed_query(self, text):
            return WordLlamaEmbedder.shared().embed([text])[0].tolist()

    start = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=200, chunk_overlap=30)
    docs = splitter.split_documents(
        [Document(page_content=r.article.text, metadata={"article_id": r.article.id, "title": r.article.title or ""})
         for r in records])
    Chroma.from_documents(docs, WordLlamaEmbeddings(), persist_directory=str(folder), collection_name="naive")
    return len(docs), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a corpus file (.jsonl.gz, .jsonl, folder, …)")
    parser.add_argument("--limit", type=int, default=2000, help="first N articles")
    parser.add_argument("--batch-articles", type=int, default=256, help="Citewire ingest batch size")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: raw,citewire,langchain")
    parser.add_argument("--workers", type=int, default=None, help="chunking processes (default: cores - 1)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the Citewire ingest here")
    parser.add_argument("--stages", action="store_true", help="CPU time of each Citewire stage, nothing else")
    parser.add_argument("--json", type=Path, default=None, help="write the results here too")
    args = parser.parse_args()
    quiet_network_defaults()
    install_tiktoken_files()
    skip = set(filter(None, args.skip.split(",")))
    if "langchain" not in skip and not args.stages and importlib.util.find_spec("langchain_chroma") is None:
        sys.exit("benchmarks/ingest.py: the LangChain baseline needs langchain-chroma: "
                 "pip install -e '.[bench]' (or --skip langchain)")

    records = list(itertools.islice(load_path(args.data), args.limit))
    records = [r for r in records if r.article is not None]
    chars = sum(len(r.article.text) for r in records)
    print(f"{len(records)} articles, {chars / 1e6:.1f} M characters", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="citewire-ingest-bench-"))
    results: dict[str, dict] = {}
    if args.stages:
        try:
            stages(records, work / "stages", args.batch_articles)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    try:
        if "raw" not in skip:
            n, s = raw_embedder(records, Chunker())
            results["raw embedder (wordllama)"] = {"chunks": n, "seconds": s}
        if "citewire" not in skip:
            n, s = citewire(records, work / "citewire", args.batch_articles, args.profile, args.workers)
            results["Citewire ingest"] = {"chunks": n, "seconds": s}
        if "langchain" not in skip:
            n, s = langchain_naive(records, work / "langchain")
            results["LangChain naive"] = {"chunks": n, "seconds": s}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{len(records)} articles from {args.data.name}\n")
    print("| pipeline | chunks | seconds | chunks/s |")
    print("|---|---|---|---|")
    for name, r in results.items():
        r["chunks_per_s"] = r["chunks"] / r["seconds"]
        print(f"| {name} | {r['chunks']} | {r['seconds']:.1f} | {r['chunks_per_s']:.0f} |")
    rate = {k: v["chunks_per_s"] for k, v in results.items()}
    if "Citewire ingest" in rate and "raw embedder (wordllama)" in rate:
        print(f"\nCitewire / raw embedder = {rate['Citewire ingest'] / rate['raw embedder (wordllama)']:.2f}")
    if "Citewire ingest" in rate and "LangChain naive" in rate:
        print(f"Citewire / LangChain naive = {rate['Citewire ingest'] / rate['LangChain naive']:.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({"articles": len(records), "results": results}, indent=2))


if __name__ == "__main__":
    main()
