"""pysbd's sentences with app.text's English abbreviation pass against pysbd's own, on every line of stored chunks.

    python benchmarks/abbreviation_pass_check.py --data-dir /work/rtqa-index --n 20000

Reads the record read-only. Lines are those of a fixed random sample of chunks (seeded), plus a few edge cases;
exits 1 on any difference. Also prints pysbd's time per line with each pass.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import time
from pathlib import Path

from pysbd.lang.english import English

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import text as T  # noqa: E402

EDGE_CASES = ["İnc. since it was sold.", "ſt. Louis is a city. No. 5 won.", "Inc. is here. KY. Gen. Smith said no.",
              "al. alta. Al. Alta. p. 5 v. 6 e.g. this i.e. that u.s. and U.S. Ph.D. holders",
              "no.. no: no, nos. 5 no.\tthe"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.data_dir / 'records.sqlite'}?mode=ro", uri=True)
    (top,) = db.execute("SELECT MAX(rowid) FROM chunks").fetchone()
    rowids = sorted(random.Random(7).sample(range(1, top + 1), min(args.n, top)))
    texts = []
    for i in range(0, len(rowids), 500):
        part = rowids[i:i + 500]
        texts += [t for (t,) in db.execute(f"SELECT text FROM chunks WHERE rowid IN ({','.join('?' * len(part))})",
                                            part)]
    lines = list(dict.fromkeys(m.group(0) for t in texts for m in re.finditer(r"[^\n]+", t) if m.group(0).strip()))
    lines += EDGE_CASES
    segmenter = T._segmenter()

    def run(language) -> tuple[list, float]:
        segmenter.language_module = language
        start = time.process_time()
        out = [[(s.sent, s.start, s.end) for s in segmenter.segment(line)] for line in lines]
        return out, time.process_time() - start

    try:
        run(English), run(T._English)  # the regex caches warm for both
        plain, plain_s = run(English)
        fast, fast_s = run(T._English)
    finally:
        segmenter.language_module = T._English
    differences = sum(a != b for a, b in zip(plain, fast))
    print(f"{len(lines)} lines of {len(texts)} chunks: {differences} differences; pysbd "
          f"{plain_s * 1000 / len(lines):.3f} ms a line, with app.text's abbreviation pass "
          f"{fast_s * 1000 / len(lines):.3f} ms")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
