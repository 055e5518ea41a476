#!/usr/bin/env bash
# `make demo`: the main job on a built-in default. Trains crossq-wn on the built-in pendulum
# (Gymnasium Pendulum-v1 dynamics, the task's 64-unit network preset) for 4 seeds, two at a
# time, then writes the report.
set -euo pipefail
bin=${1:-build/release/crossq}
out=${DEMO_OUT:-runs/demo}
steps=${DEMO_STEPS:-10000}
"$bin" train --task pendulum --algo crossq-wn --steps "$steps" --seeds 0-3 --jobs 2 \
  --out "$out" --overwrite
"$bin" report "$out" --out "$out/report"
echo
echo "runs:   $out/pendulum/crossq-wn/seed{0,1,2,3}/ (config.json, eval.csv, train.csv)"
echo "report: $(cd "$out/report" && pwd)/index.html"
