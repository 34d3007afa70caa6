#!/bin/bash
# cold-start matrix on a frozen copy of the code: page cache evicted or not, warm-up on/off, two rounds
CODE=${CODE:-/tmp/perf6/code-a}; OUT=${OUT:-/tmp/perf6/m-a}; mkdir -p $OUT
cd $CODE
PY=/work/cw-perf/.venv/bin/python
for round in 1 2; do
  for evict in before no after; do
    for w in off on; do
      [ $evict = after ] && [ $w = off ] && continue
      tag=r${round}_evict-${evict}_warm-${w}
      echo "== $tag $(date +%T) $(uptime)"
      fincore /tmp/perf4-index/records.sqlite /tmp/perf4-index/chroma/chroma.sqlite3 | tail -2
      flag=""; [ $evict = before ] && flag=--evict; [ $evict = after ] && flag=--evict-after-start
      $PY benchmarks/query.py --data /work/shared/data/realtimeqa-dev --sizes 19334 --data-dir /tmp/perf4-index \
        --concurrency "" --prime 0 --warmup $w $flag --json $OUT/$tag.json 2>$OUT/$tag.err | tail -1
      echo "   after $(uptime)"
    done
  done
done
