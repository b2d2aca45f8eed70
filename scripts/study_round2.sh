#!/usr/bin/env bash
# Second round of the study as it ran in the first session: when the seed-0 gst and ip runs finish, run
# dense s0, gst s1 and ip s1 side by side (three on two cores finish together, sooner than two rounds).
set -u
cd "$(dirname "$0")/.."
while [ ! -f runs/study/halfcheetah_gst_s0/DONE ] || [ ! -f runs/study/halfcheetah_ip_s0/DONE ]; do sleep 20; done
JOBS=3 METHODS="dense" SEEDS="0" scripts/run_study.sh &
JOBS=3 METHODS="gst ip" SEEDS="1" scripts/run_study.sh &
wait
