#!/usr/bin/env bash
# The design-space study of results/sweep: the shipped real traces (GST, both iterative-pruning baselines and
# dense, seed 0 of the HalfCheetah study results/study_300k) on three presets, swept over DRAM bandwidth
# 1.6-51.2 GB/s and weight SRAM 32 KiB-2 MiB, with figures, an HTML report and a scheme comparison per preset.
#   scripts/sweep_study.sh              # the HalfCheetah sweep, then the Humanoid comparison
#   scripts/sweep_study.sh humanoid     # the Humanoid comparison only
# First it ships the study's packed seed-0 traces into traces/ (the study driver archives each finished run's
# packed trace as results/study_300k/runs/<name>/trace.parquet); a trace already in traces/ is kept.
set -eu
cd "$(dirname "$0")/.."
A=.venv/bin/accelsim
ONLY=${1:-all}
case "$ONLY" in all|humanoid) ;; *) echo "sweep_study: unknown part '$ONLY' (expected: humanoid)" >&2; exit 2;; esac
# ship RUN: copy the study's archived packed trace of RUN to traces/RUN.parquet, unless it is there already.
ship() {
  src=results/study_300k/runs/$1/trace.parquet
  if [ ! -f "traces/$1.parquet" ]; then
    if [ ! -f "$src" ]; then echo "sweep_study: $src missing: run the study first" >&2; exit 1; fi
    cp "$src" "traces/$1.parquet"
  fi
}
if [ "$ONLY" = all ]; then
for m in gst ip-cubic ip-ramp dense; do ship "halfcheetah_${m}_s0"; done
TRACES="traces/halfcheetah_gst_s0.parquet traces/halfcheetah_ip-cubic_s0.parquet traces/halfcheetah_ip-ramp_s0.parquet traces/halfcheetah_dense_s0.parquet"
for hw in edge-lpddr4 eyeriss-like omnidrl-like; do
  out=results/sweep/$hw
  $A sweep $TRACES --hw "$hw" --set dram.gbps=1.6,3.2,6.4,12.8,25.6,51.2 \
    --set sram.weight_kib=32,64,128,256,512,1024,2048 --out "$out" -q
  $A plot "$out"
  $A report "$out" --html
  $A compare $TRACES --hw "$hw" --csv "results/sweep/compare_${hw}.csv" > "results/sweep/compare_${hw}.txt"
  $A compare $TRACES --hw "$hw" --format csr --csv "results/sweep/compare_${hw}_csr.csv" > "results/sweep/compare_${hw}_csr.txt"
  $A compare $TRACES --hw "$hw" --format group --csv "results/sweep/compare_${hw}_group.csv" > "results/sweep/compare_${hw}_group.txt"
done
fi
# Humanoid-v5, seed 0: the study's GST run is shipped (traces/humanoid_gst_s0.parquet); the other methods'
# packed traces are read where the study archived them (not shipped: each IP trace adds minutes to the tests).
# Scheme comparison at each preset's default point, for the runs that have finished.
if [ -f results/study_300k/runs/humanoid_gst_s0/trace.parquet ]; then ship humanoid_gst_s0; fi
# Read at their archived paths and labelled by run name (both GST runs record method gst).
H=""
L=""
for n in humanoid_gst_s0 humanoid_gst-inputbc_s0 humanoid_ip-cubic_s0 humanoid_dense_s0; do
  src=results/study_300k/runs/$n/trace.parquet
  if [ -f "$src" ]; then H="$H $src"; L="$L --label $n"; fi
done
if [ -z "$H" ]; then echo "sweep_study: no Humanoid run has finished yet" >&2; exit 0; fi
for hw in edge-lpddr4 eyeriss-like omnidrl-like; do
  # shellcheck disable=SC2086  # H and L are lists of words without spaces
  $A compare $H $L --hw "$hw" --csv "results/sweep/compare_humanoid_${hw}.csv" > "results/sweep/compare_humanoid_${hw}.txt"
done
