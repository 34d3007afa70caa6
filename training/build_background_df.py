"""Build app/models/background_df.npz: how many chunks of 2022–2023 news hold each term (app/retrieval/background.py).

    python training/build_background_df.py [--data ../shared/data/realtimeqa-dev] [--out app/models/background_df.npz]

The RealTimeQA corpus's articles published before 2024 (2024 is the evaluation split and never enters the
table) are read as ``citewire ingest`` reads them (the same loader, the default chunker, the BM25 term keys of
``split_and_index``), so a count here is what the lexical index of those articles would give. Terms held by fewer
than MIN_CHUNKS chunks are left out: their rate is below 2.4e-5, under 0.07 of a chunk even at a weight of 3,000.
Deterministic (sorted keys; no timestamps in the file); no network; about a minute.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.config import Settings  # noqa: E402
from app.ingest.chunker import Chunker  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.ingest.pipeline import split_and_index  # noqa: E402

OUT = REPO / "app" / "models" / "background_df.npz"
BEFORE = "2024-01-01"  # published_at is ISO 8601 in UTC, so text order is time order
MIN_CHUNKS = 5


def count(corpus: Path) -> tuple[Counter, int, int]:
    """(chunks holding each term key, chunks, articles) over the corpus's articles dated before BEFORE."""
    settings = Settings()
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name)
    counts: Counter = Counter()
    chunks = articles = 0
    for record in load_path(corpus):
        article = record.article
        if article is None or article.published_at is None or article.published_at >= BEFORE:
            continue
        articles += 1
        [(_, terms)] = split_and_index([(article.id, article.title, article.text, "")], chunker)  # ids unused
        for _, keys, _ in terms:
            counts.update(np.frombuffer(keys, dtype=np.int64).tolist())
            chunks += 1
    return counts, chunks, articles


def build(corpus: Path) -> dict[str, np.ndarray]:
    counts, chunks, articles = count(corpus)
    keys = np.array(sorted(k for k, n in counts.items() if n >= MIN_CHUNKS), dtype=np.int64)
    return {"keys": keys, "counts": np.array([counts[k] for k in keys.tolist()], dtype=np.int32),
            "chunks": np.array(chunks, dtype=np.int64), "articles": np.array(articles, dtype=np.int64)}


def write(table: dict[str, np.ndarray], out: Path) -> None:
    np.savez_compressed(out, **table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "realtimeqa-dev")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = build(args.data / "corpus.jsonl.gz")
    write(table, args.out)
    print(f"{len(table['keys'])} terms from {int(table['chunks'])} chunks of {int(table['articles'])} articles "
          f"-> {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
