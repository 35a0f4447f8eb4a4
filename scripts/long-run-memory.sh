#!/bin/sh
# Long-run campaign of issue #17 on a Diehl & Cook network (100 neurons,
# learning on): RUNS consecutive runs of 250 steps, then one run of STEPS
# steps; resident memory must stay within 1 % of its level after warm-up,
# time per step must not trend up, bounded monitors must stay bounded.
# Prints a "LONG-RUNS …" and a "LONG-STEPS …" line.
# Usage: scripts/long-run-memory.sh [RUNS] [STEPS]   (defaults 10^5, 10^7)
set -eu
export LONG_RUNS=${1:-100000} LONG_STEPS=${2:-10000000}
cd "$(dirname "$0")/.."
nice -n 10 cargo test --release -p spikeflow --test long_run_memory -- \
  --ignored --nocapture --test-threads 1 2>&1 | grep -E "LONG-|panicked|grew|rose|test result"
