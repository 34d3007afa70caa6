#!/bin/bash
# page cache emptied before start: warm-up on (a), warm-up on without the page-cache request (c), off (a)
OUT=/tmp/perf6/m-b; mkdir -p $OUT
PY=/work/cw-perf/.venv/bin/python
for round in 1 2; do
  for v in a:on c:on a:off; do
    code=${v%%:*}; w=${v##*:}
    tag=r${round}_code-${code}_warm-${w}
    echo "== $tag $(date +%T) $(uptime)"
    cd /tmp/perf6/code-$code
    $PY benchmarks/query.py --data /work/shared/data/realtimeqa-dev --sizes 19334 --data-dir /tmp/perf4-index \
      --concurrency "" --prime 0 --warmup $w --evict --json $OUT/$tag.json 2>$OUT/$tag.err | tail -1
    echo "   after $(uptime)"
  done
done
