#!/usr/bin/env bash
# Kill-and-resume soak (docs/robustness.md): small runs are killed with SIGKILL at random
# moments (process start, updates, evaluations, mid-write of a log or a checkpoint) and resumed,
# KILLS times in all; then each run's eval.csv and train.csv must equal an uninterrupted run's
# with the same settings, apart from the wall-clock columns (wall_time_s, charts/sps).
#
#   scripts/kill-soak.sh [BIN]       (BIN: build/release/crossq)
#
# Environment: KILLS (100), SEED (1: the random moments; the runs' own seeds are 0, 1, ...),
# OUT (a fresh temporary folder, removed at the end unless KEEP=1), MAX_DELAY_MS (300).
# Exit status 0 when every run matched; 1 with the first difference otherwise.
set -euo pipefail
bin=${1:-build/release/crossq}
kills=${KILLS:-100}
max_delay=${MAX_DELAY_MS:-300}
RANDOM=${SEED:-1}
out=${OUT:-$(mktemp -d /tmp/crossq-soak.XXXXXX)}
[ -x "$bin" ] || { echo "kill-soak: $bin not found; build first (make build)" >&2; exit 2; }
mkdir -p "$out"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$out"; }
trap cleanup EXIT

# a small run that checkpoints often; the algorithms cover both agent families
common="--task pendulum --steps 6000 --warmup 300 --eval-every 500 --eval-episodes 1 --log-every 20
        --checkpoint-every 200 --threads 1 --critic-hidden 32 --actor-hidden 32 --batch-size 32 --quiet"
algos=(crossq-wn sac simba)

run_dir() { { find "$1" -name config.json -printf '%h\n' 2>/dev/null || true; } | head -1; }
# the logs without their wall-clock columns
strip_eval() { cut -d, -f1-9 "$1"; }
strip_train() { cut -d, --complement -f9 "$1"; }

total=0 runs=0 failed=0
while [ "$total" -lt "$kills" ]; do
  algo=${algos[$((runs % ${#algos[@]}))]}
  seed=$((runs / ${#algos[@]}))
  soak="$out/soak$runs" ref="$out/ref$runs"
  # shellcheck disable=SC2086
  args="train $common --algo $algo --seed $seed"
  n=0
  while :; do
    dir=$(run_dir "$soak")
    if [ -n "$dir" ] && [ -f "$dir/checkpoint.bin" ]; then
      cmd="$bin train --resume $dir --quiet"
    else  # killed before its first checkpoint: start it again
      cmd="$bin $args --out $soak --overwrite"
    fi
    if [ "$total" -ge "$kills" ]; then  # enough kills: let the run finish
      $cmd >"$out/last.log" 2>&1 || { echo "kill-soak: '$cmd' failed:"; cat "$out/last.log"; exit 1; }
      break
    fi
    $cmd >"$out/last.log" 2>&1 &
    pid=$!
    delay=$((RANDOM % max_delay))
    sleep "$(printf '0.%03d' "$delay")"
    if kill -KILL "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      n=$((n + 1)) total=$((total + 1))
    else  # it ended before the kill: finished, or failed
      if wait "$pid"; then break; fi
      echo "kill-soak: '$cmd' failed:"; cat "$out/last.log"; exit 1
    fi
  done
  # the uninterrupted run with the same settings
  # shellcheck disable=SC2086
  "$bin" $args --out "$ref" >/dev/null
  a=$(run_dir "$ref") b=$(run_dir "$soak")
  same=same
  if ! diff <(strip_eval "$a/eval.csv") <(strip_eval "$b/eval.csv") >/dev/null ||
     ! diff <(strip_train "$a/train.csv") <(strip_train "$b/train.csv") >/dev/null; then
    echo "kill-soak: run $runs ($algo seed $seed, killed $n times) differs from the uninterrupted run:"
    diff <(strip_eval "$a/eval.csv") <(strip_eval "$b/eval.csv") | head -5 || true
    diff <(strip_train "$a/train.csv") <(strip_train "$b/train.csv") | head -5 || true
    failed=$((failed + 1)) same=DIFFERENT
  fi
  echo "kill-soak: run $runs ($algo seed $seed): killed $n times, resumed, $same logs"
  runs=$((runs + 1))
done
echo "kill-soak: $total SIGKILLs over $runs runs; $((runs - failed)) of $runs runs equal their uninterrupted run"
[ "$failed" = 0 ]
