"""Check that app.text.sentence_spans gives exactly the spans of plain pysbd on stored chunks, and time both.

    python benchmarks/sentence_spans_check.py --data-dir /work/rtqa-index --n 20000

The reference (the splitter as it was: an unpatched ``pysbd.Segmenter`` per line) runs in a child
process that never imports app.text, because app.text gives pysbd's modules a regex cache. Chunks
are a fixed random sample of the record (seeded); exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def load_chunks(data_dir: Path, n: int, seed: int = 0) -> list[str]:
    db = sqlite3.connect(f"file:{data_dir / 'records.sqlite'}?mode=ro", uri=True)
    (top,) = db.execute("SELECT MAX(rowid) FROM chunks").fetchone()
    rowids = sorted(random.Random(seed).sample(range(1, top + 1), min(n, top)))
    texts = []
    for i in range(0, len(rowids), 500):
        part = rowids[i: i + 500]
        texts += [t for (t,) in db.execute(f"SELECT text FROM chunks WHERE rowid IN ({','.join('?' * len(part))}) "
                                            "ORDER BY rowid", part)]
    return texts


def reference_spans(text: str, segmenter) -> list[tuple[int, int]]:
    """app.text.sentence_spans before the speed-up, verbatim in what it computes."""
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        line_text = line.group(0)
        if not line_text.strip():
            continue
        cursor = 0
        for piece in segmenter.segment(line_text):
            sentence = piece.sent.strip()
            if not sentence:
                continue
            local = line_text.find(sentence, cursor)
            if local < 0:
                continue
            cursor = local + len(sentence)
            spans.append((line.start() + local, line.start() + local + len(sentence)))
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    texts = load_chunks(args.data_dir, args.n)
    if args.reference:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        start = time.process_time()
        spans = [reference_spans(t, segmenter) for t in texts]
        print(json.dumps({"seconds": time.process_time() - start, "spans": spans}))
        return
    child = subprocess.run([sys.executable, __file__, "--data-dir", str(args.data_dir), "--n", str(args.n),
                            "--reference"], capture_output=True, text=True, check=True)
    reference = json.loads(child.stdout)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from app.text import sentence_spans

    start = time.process_time()
    ours = [[(s.start, s.end) for s in sentence_spans(t)] for t in texts]
    seconds = time.process_time() - start
    differing = 0
    for text, a, b in zip(texts, reference["spans"], ours):
        if [tuple(x) for x in a] != b:
            differing += 1
            if differing <= 5:
                print(f"DIFFERENT: {text[:120]!r}\n  pysbd: {a}\n  ours:  {b}")
    sentences = sum(len(s) for s in ours)
    print(f"{len(texts)} chunks, {sentences} sentences: {differing} chunks differ. CPU: plain pysbd "
          f"{reference['seconds'] * 1000 / len(texts):.2f} ms/chunk, app.text (first pass, cold caches) "
          f"{seconds * 1000 / len(texts):.2f} ms/chunk")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
