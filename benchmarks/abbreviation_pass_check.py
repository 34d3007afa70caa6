"""pysbd's sentences with app.text's English abbreviation pass against pysbd's own, on every line of stored chunks.

    python benchmarks/abbreviation_pass_check.py --data-dir /work/rtqa-index --n 20000

Reads the record read-only. Lines are those of a fixed random sample of chunks (seeded), plus a few edge cases;
exits 1 on any difference. Also prints pysbd's time per line with each pass.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from pysbd.lang.english import English

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentence_spans_check import load_chunks  # noqa: E402 (this folder is on sys.path when run as a script)

from app import text as T  # noqa: E402

EDGE_CASES = ["İnc. since it was sold.", "ſt. Louis is a city. No. 5 won.", "Inc. is here. KY. Gen. Smith said no.",
              "al. alta. Al. Alta. p. 5 v. 6 e.g. this i.e. that u.s. and U.S. Ph.D. holders",
              "no.. no: no, nos. 5 no.\tthe"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    texts = load_chunks(args.data_dir, args.n, seed=7)
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
