#!/bin/bash
# One exclusive-lock run: CPU per stage (ask_cpu.py --warm) and HTTP p50/p95/p99 (query.py), code before
# (be00dd4, /tmp/perf8-base) and after (/work/cw-perf), learned and heuristic, the same index copy.
# Run as: flock -x /work/bench.lock measure.sh OUT. The HTTP files were renamed http-<order>-<code> after the run
# (order: before, after, after, before).
OUT=$1; mkdir -p $OUT
PY=/work/cw-perf/.venv/bin/python
D=/work/shared/data/realtimeqa-dev
root() { if [ $1 = before ]; then echo /tmp/perf8-base; else echo /work/cw-perf; fi; }
echo "start $(date +%T) $(uptime)" >> $OUT/log.txt
for model in learned heuristic; do for code in before after; do
  (cd $(root $code) && $PY benchmarks/ask_cpu.py --data $D --data-dir /tmp/perf8-index --n 100 --warm --answer-model $model \
     > $OUT/cpu-$code-$model.md 2>$OUT/cpu-$code-$model.err)
  echo "cpu $code $model $(date +%T) $(uptime)" >> $OUT/log.txt
done; done
for code in before after after before; do
  n=$(ls $OUT | grep -c "^http-$code")
  (cd $(root $code) && $PY benchmarks/query.py --data $D --sizes 19334 --data-dir /tmp/perf8-index \
     --answer-models learned,heuristic --concurrency "" --json $OUT/http-$code-$n.json > $OUT/http-$code-$n.md 2> $OUT/http-$code-$n.err)
  echo "http $code $(date +%T) $(uptime)" >> $OUT/log.txt
done
