#!/usr/bin/env bash
# The early-learning stall of crossq-wn at UTD 1 (docs/algorithms.md, "The early-learning
# stall"): three variants on cheetah-run and walker-run, 100,000 env steps, seeds 0 and 1:
#   paper-wn  crossq-wn with the weights-only WN projection (--weight-norm-bias false)
#   crossq-wn crossq-wn as it is now (WN of [w; b] together)
#   xqc       crossq-wn-xqc (the authors' later code's choices)
# Resumable across sessions: a run whose eval.csv already reaches STEPS in RESULTS is skipped;
# a run with a checkpoint in WORK is resumed; each finished run's config.json, eval.csv and
# train.csv are copied to RESULTS/<task>/<variant>/seed<k>/. Ends with the report.
#
#   scripts/stall-100k.sh [VARIANT ...]     (default: crossq-wn xqc paper-wn)
#
# Environment: BIN (build/release/crossq), WORK (runs/stall-100k), RESULTS
# (results/stall-100k), REPORT (RESULTS-report), JOBS (2), THREADS (1), TASKS ("cheetah-run
# walker-run"), STEPS (100000), SEEDS ("0 1").
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/release/crossq}
work=${WORK:-runs/stall-100k}
results=${RESULTS:-results/stall-100k}
report=${REPORT:-$results-report}
jobs=${JOBS:-2}
threads=${THREADS:-1}
tasks=${TASKS:-cheetah-run walker-run}
steps=${STEPS:-100000}
seeds=${SEEDS:-0 1}
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(crossq-wn xqc paper-wn)
[ -x "$bin" ] || { echo "error: $bin not found; build first (make build)" >&2; exit 2; }

flags_of() {  # the train flags of a variant
  case "$1" in
    crossq-wn) echo "--algo crossq-wn" ;;
    xqc) echo "--algo crossq-wn-xqc" ;;
    paper-wn) echo "--algo crossq-wn --weight-norm-bias false" ;;
    *) echo "error: unknown variant '$1' (crossq-wn, xqc, paper-wn)" >&2; exit 2 ;;
  esac
}
for v in "${variants[@]}"; do flags_of "$v" >/dev/null; done

run_dir() {  # run_dir ROOT: the one seed folder below ROOT, if any
  { find "$1" -mindepth 3 -maxdepth 3 -type d -name "seed*" 2>/dev/null || true; } | head -1
}
done_run() { [ -n "$1" ] && [ -f "$1/eval.csv" ] && grep -q "^$steps," "$1/eval.csv"; }

pids=()
for v in "${variants[@]}"; do
  for task in $tasks; do
    for seed in $seeds; do
      dest="$results/$task/$v/seed$seed"
      if done_run "$dest"; then echo "skip $task $v seed$seed: $dest is complete"; continue; fi
      (
        root="$work/$task/$v/seed$seed"
        run=$(run_dir "$root")
        if [ -n "$run" ] && [ -f "$run/checkpoint.bin" ] && ! done_run "$run"; then
          "$bin" train --resume "$run" --threads "$threads" --quiet
        elif ! done_run "$run"; then
          # shellcheck disable=SC2046
          "$bin" train --task "$task" $(flags_of "$v") --utd 1 --steps "$steps" --seed "$seed" \
            --threads "$threads" --out "$root" --overwrite --quiet
        fi
        run=$(run_dir "$root")
        mkdir -p "$dest"
        cp "$run/config.json" "$run/eval.csv" "$run/train.csv" "$dest/"
        echo "done $task $v seed$seed -> $dest"
      ) &
      pids+=($!)
      if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    done
  done
done
for p in "${pids[@]}"; do wait "$p"; done
"$bin" report "$results" --out "$report"
