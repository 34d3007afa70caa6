"""Sentence splitting of very long lines: in blocks (what ships) against one pysbd pass over the whole line.

    python benchmarks/long_lines.py --data ../shared/data/realtimeqa-dev --lines 20 --articles-per-line 8

A long line is several corpus articles, whitespace collapsed, joined by a space (a page that lost its
paragraph breaks). Prints the time of each way and how many sentence spans they share.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import time
from pathlib import Path

from app import text


def long_lines(data: Path, lines: int, per_line: int, seed: int = 1) -> list[str]:
    texts = []
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        for row in itertools.islice(handle, 3000):
            body = json.loads(row).get("text") or ""
            if len(body) > 3000:
                texts.append(" ".join(body.split()))
    random.Random(seed).shuffle(texts)
    return [" ".join(texts[i: i + per_line]) for i in range(0, lines * per_line, per_line)]


def timed_spans(line: str, max_line: int) -> tuple[set[tuple[int, int]], float]:
    shipped = text._MAX_LINE
    text._MAX_LINE = max_line
    try:
        text.clear_caches()
        start = time.perf_counter()
        spans = {(s.start, s.end) for s in text.sentence_spans(line)}
        return spans, time.perf_counter() - start
    finally:
        text._MAX_LINE = shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/realtimeqa-dev"))
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--articles-per-line", type=int, default=8)
    args = parser.parse_args()
    lines = long_lines(args.data, args.lines, args.articles_per_line)
    blocks_s = whole_s = 0.0
    shared = only_blocks = only_whole = 0
    for line in lines:
        in_blocks, seconds = timed_spans(line, text._MAX_LINE)
        blocks_s += seconds
        whole, seconds = timed_spans(line, 10**12)
        whole_s += seconds
        shared += len(in_blocks & whole)
        only_blocks += len(in_blocks - whole)
        only_whole += len(whole - in_blocks)
    chars = sum(map(len, lines))
    print(f"{len(lines)} lines, {chars // len(lines):,} characters each on average")
    print("| way | seconds | seconds per 100,000 characters |\n|---|---|---|")
    for name, seconds in ((f"blocks of about {text._MAX_LINE:,} characters (shipped)", blocks_s),
                          ("whole line", whole_s)):
        print(f"| {name} | {seconds:.1f} | {seconds / chars * 100_000:.2f} |")
    print(f"sentence spans: {shared} in both, {only_blocks} only in blocks, {only_whole} only in the whole-line pass")


if __name__ == "__main__":
    main()
