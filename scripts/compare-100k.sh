#!/usr/bin/env bash
# The baseline comparison (docs/algorithms.md, "Comparison at 100k env steps"):
# crossq-wn, simba, bro-fast and sac on cheetah-run and walker-walk, 100,000 env steps, seeds 0
# and 1, UTD 2 for every method. Resumable across machines and sessions: a run whose results
# are already in RESULTS (an eval.csv row at env step 100000) is skipped; a run with a
# checkpoint in WORK is resumed from it; each finished run's config.json, eval.csv and train.csv
# are copied into RESULTS (the checkpoint, hundreds of MB, stays in WORK). Ends with the report.
#
#   scripts/compare-100k.sh [ALGO ...]     (default: sac crossq-wn bro-fast simba)
#
# Environment: BIN (build/release/crossq), WORK (runs/compare-100k), RESULTS
# (results/compare-100k), REPORT (RESULTS-report), JOBS (2: seeds in parallel), THREADS (1:
# lanes per run; JOBS=1 THREADS=2 runs the seeds one after another with both cores on each,
# which finishes a run in about half the time: useful when a session may stop mid-way),
# TASKS ("cheetah-run walker-walk"), STEPS (100000; smaller for a quick check of the script).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/release/crossq}
work=${WORK:-runs/compare-100k}
results=${RESULTS:-results/compare-100k}
report=${REPORT:-$results-report}
jobs=${JOBS:-2}
threads=${THREADS:-1}
tasks=${TASKS:-cheetah-run walker-walk}
steps=${STEPS:-100000}
algos=("$@")
[ ${#algos[@]} -gt 0 ] || algos=(sac crossq-wn bro-fast simba)
[ -x "$bin" ] || { echo "error: $bin not found; build first (make build)" >&2; exit 2; }

done_run() {  # the run folder $1 holds the final evaluation
  [ -f "$1/eval.csv" ] && grep -q "^$steps," "$1/eval.csv"
}

find_run() {  # find_run ROOT TASK ALGO SEED: the run folder `crossq train` made, if any
  local d
  for d in "$1/$2/$3" "$1/$2/$3"_*; do
    if [ -d "$d/seed$4" ]; then echo "$d/seed$4"; return; fi
  done
}

for algo in "${algos[@]}"; do
  for task in $tasks; do
    # one process per seed, JOBS at a time, so a finished seed is copied at once
    pids=()
    for seed in 0 1; do
      # crossq train names the folder <algo>[_key=value...] after the settings that differ
      # from the defaults (e.g. sac_utd=2_steps=100000)
      existing=$(find_run "$results" "$task" "$algo" "$seed")
      if [ -n "$existing" ] && done_run "$existing"; then
        echo "skip $task $algo seed$seed: $existing is complete"
        continue
      fi
      (
        run=$(find_run "$work" "$task" "$algo" "$seed")
        if [ -n "$run" ] && [ -f "$run/checkpoint.bin" ] && ! done_run "$run"; then
          "$bin" train --resume "$run" --threads "$threads" --quiet
        elif [ -z "$run" ] || ! done_run "$run"; then
          "$bin" train --task "$task" --algo "$algo" --utd 2 --steps "$steps" --seed "$seed" \
            --threads "$threads" --out "$work" --overwrite --quiet
        fi
        run=$(find_run "$work" "$task" "$algo" "$seed")
        dest="$results/$task/$(basename "$(dirname "$run")")/seed$seed"
        mkdir -p "$dest"
        cp "$run/config.json" "$run/eval.csv" "$run/train.csv" "$dest/"
        echo "done $task $algo seed$seed -> $dest"
      ) &
      pids+=($!)
      if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    done
    for p in "${pids[@]}"; do wait "$p"; done
  done
done

"$bin" report "$results" --out "$report"
