#!/usr/bin/env bash
# The HalfCheetah-v5 study of results/halfcheetah_200k: methods x seeds, two runs at a time, in the background.
# Each run checkpoints; rerunning this script resumes unfinished runs (gst-train --resume) and skips finished ones.
#   nohup scripts/run_study.sh > runs/study/driver.log 2>&1 &
set -u
cd "$(dirname "$0")/.."
STEPS=${STEPS:-200000}
OUT=${OUT:-runs/study}
JOBS=${JOBS:-2}
METHODS=${METHODS:-"gst ip dense"}
SEEDS=${SEEDS:-"0 1"}
mkdir -p "$OUT"
one() {
  local method=$1 seed=$2 dir="$OUT/halfcheetah_${1}_s${2}"
  if [ -f "$dir/DONE" ]; then echo "done: $dir"; return; fi
  if [ -f "$dir/config.json" ]; then
    .venv/bin/gst-train --resume "$dir" >> "$dir.log" 2>&1
  else
    .venv/bin/gst-train --env HalfCheetah-v5 --method "$method" --seed "$seed" --total-steps "$STEPS" \
      --start-steps 25000 --eval-every 5000 --eval-episodes 10 --checkpoint-every 20000 --threads 1 \
      --progress false --out "$dir" > "$dir.log" 2>&1
  fi
  echo "finished: $dir (exit $?)"
}
export -f one
export OUT STEPS
for seed in $SEEDS; do for m in $METHODS; do echo "$m $seed"; done; done \
  | xargs -P "$JOBS" -n 2 bash -c 'one "$0" "$1"'
