"""Chroma upsert throughput by batch size (embedded PersistentClient, 256-d cosine, like Citewire).

    python benchmarks/chroma_batch.py --vectors 20000

Each size writes the same random unit vectors with Citewire-like metadata into a fresh collection.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vectors", type=int, default=20000)
    parser.add_argument("--sizes", default="250,1000,3000,5000")
    args = parser.parse_args()
    import chromadb
    from chromadb.config import Settings

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(args.vectors, 256)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"a{i // 12}:{i % 12}:{i:012x}" for i in range(args.vectors)]
    metas = [{"article_id": f"a{i // 12}", "chunk_index": i % 12, "source": "Wire", "published_ts": 1_700_000_000 + i,
              "title": "A headline of ordinary length for a news article", "char_start": 0, "char_end": 900}
             for i in range(args.vectors)]
    client = chromadb.PersistentClient(path=tempfile.mkdtemp(), settings=Settings(anonymized_telemetry=False))
    print(f"max batch {client.get_max_batch_size()}")
    print("| batch | vectors/s |\n|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        collection = client.create_collection(f"b{size}", configuration={"hnsw": {"space": "cosine"}},
                                              embedding_function=None)
        start = time.perf_counter()
        for i in range(0, args.vectors, size):
            collection.upsert(ids=ids[i:i + size], embeddings=vectors[i:i + size], metadatas=metas[i:i + size])
        print(f"| {size} | {args.vectors / (time.perf_counter() - start):.0f} |")


if __name__ == "__main__":
    main()
