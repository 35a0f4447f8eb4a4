#!/bin/sh
# Long fuzz campaigns of issue #17: N inputs per parser (default 10^6),
# niced, each under a 4 GiB address-space limit so a missed size check shows
# as an error instead of taking the machine's memory. Prints one "FUZZ …"
# line per parser. Usage: scripts/fuzz-campaign.sh [N] [SEED]
set -eu
N=${1:-1000000}
SEED=${2:-24301}
export FUZZ_ITERS=$N FUZZ_SEED=$SEED
cd "$(dirname "$0")/.."
run() { (ulimit -v 4194304; nice -n 19 cargo test --release "$@" -- --nocapture --include-ignored 2>&1) | grep -E "^FUZZ|^SWEEP|panicked|test result"; }
run -p spikeflow --test fuzz_idx
run -p spikeflow-cli --test fuzz_checkpoint
run -p spikeflow --test fuzz_case_json
