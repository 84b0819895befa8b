#!/usr/bin/env bash
# Every timed measurement (A1-A4, B1-B4), 3 repetitions each; results appended to results.jsonl.
set -eu
cd /work/ducklake_eval/scripts
W=/work/ducklake_eval/work
PY=../.venv/bin/python
b() { echo "$(date +%T) $1"; $PY bench.py "$@" > ../logs/$1.log 2>&1 || { tail -20 ../logs/$1.log; exit 1; }; }
b A1_full_lake 3 fresh full lake $W/A
b A1s_full_lakesq 3 fresh full lakesq $W/S
b B1_full_duck 3 fresh full duck $W/B
for x in A S B; do rm -rf $W/base_$x; cp -a $W/$x $W/base_$x; done
for op in changed newday; do
  b A2_${op}_lake 3 restore:$W/base_A $op lake $W/A
  b A2s_${op}_lakesq 3 restore:$W/base_S $op lakesq $W/S
  b B2_${op}_duck 3 restore:$W/base_B $op duck $W/B
done
b A3_read_lake 3 restore:$W/base_A read lake $W/A
b A3s_read_lakesq 3 restore:$W/base_S read lakesq $W/S
b B3_read_duck 3 restore:$W/base_B read duck $W/B
b A4_noop_lake 3 restore:$W/base_A noop lake $W/A
b A4s_noop_lakesq 3 restore:$W/base_S noop lakesq $W/S
b B4_noop_nocopy_duck 3 restore:$W/base_B noop duck $W/B
b B4_copy_duck 3 restore:$W/base_B copy duck $W/B
echo "$(date +%T) done"
