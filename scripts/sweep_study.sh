#!/usr/bin/env bash
# The design-space study of results/sweep: the shipped real traces (GST and its baselines, packed from the
# HalfCheetah study runs) on three presets, swept over DRAM bandwidth 1.6-51.2 GB/s and weight SRAM
# 32 KiB-2 MiB, with figures, an HTML report and a scheme comparison per preset.
#   scripts/sweep_study.sh            (after the study runs have finished; packs their traces first)
set -eu
cd "$(dirname "$0")/.."
A=.venv/bin/accelsim
for m in gst ip dense; do
  run=runs/study/halfcheetah_${m}_s0
  if [ -f "$run/DONE" ] && [ ! -f "traces/halfcheetah_${m}_s0.parquet" ]; then
    $A pack "$run/trace" "traces/halfcheetah_${m}_s0.parquet"
  fi
done
TRACES=$(ls traces/halfcheetah_*_s0.parquet)
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
