#!/usr/bin/env bash
# W5 (NEST's hpc_benchmark) on two cores each, in alternating rounds:
# spikeflow over 2 MPI ranks of 1 thread (`mpirun -np 2`), then NEST 3.10 on
# 2 threads (pip's NEST wheel has no MPI), again and again. Two programs
# that each want both cores cannot run at the same moment on a 2-core
# machine, so each round's ratio compares runs a minute apart; on a VM whose
# speed drifts, read the spread over many rounds, not one round
# (bench/w5_concurrent.sh measures one core each at the same moment).
#
#   bench/w5_alternating.sh                 # 6 rounds, scale 1, 0.2 s STDP
#   ROUNDS=10 SCALE=0.5 bench/w5_alternating.sh
#
# Environment:
#   SPIKEFLOW   a spikeflow built with MPI (default target/mpi/release/spikeflow:
#               CARGO_TARGET_DIR=target/mpi cargo build --release -p spikeflow-cli --features mpi)
#   NEST_PY     a python with nest-simulator 3.10 (default the peer venv's)
#   ROUNDS, SCALE, SEED, PLASTIC_MS, OUT (default target/w5_alternating/<UTC time>)
#
# Output: $OUT/rounds.jsonl (every run's JSON line, with its round and
# program), each program's stderr in $OUT/*.err, a line per round and a
# summary (range and median of the ratios) on stdout.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIKEFLOW="${SPIKEFLOW:-$REPO/target/mpi/release/spikeflow}"
NEST_PY="${NEST_PY:-$HOME/.cache/spikeflow-peer-venv/bin/python}"
ROUNDS="${ROUNDS:-6}"
SCALE="${SCALE:-1}"
SEED="${SEED:-1}"
PLASTIC_MS="${PLASTIC_MS:-200}"
OUT="${OUT:-$REPO/target/w5_alternating/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
: > "$OUT/rounds.jsonl"
seconds=$(python3 -c "print($PLASTIC_MS / 1000)")
mpi=(mpirun --oversubscribe)
if [ "$(id -u)" = 0 ]; then mpi+=(--allow-run-as-root); fi

# The W5 JSON line of a run, tagged with its round and program.
tag() { python3 "$REPO/bench/w5_json.py" "round=$1" "program=$2"; }

for round in $(seq 1 "$ROUNDS"); do
    "${mpi[@]}" -np 2 "$SPIKEFLOW" bench w5 --scale "$SCALE" --seconds "$seconds" \
        --seed "$SEED" --threads 1 2>>"$OUT/spikeflow.err" | tag "$round" spikeflow >> "$OUT/rounds.jsonl"
    PYNEST_QUIET=1 "$NEST_PY" "$REPO/bench/w5_nest.py" --scale "$SCALE" --threads 2 \
        --presim-ms 50 --sim-ms "$PLASTIC_MS" --seed "$SEED" 2>>"$OUT/nest.err" \
        | tag "$round" nest >> "$OUT/rounds.jsonl"
    python3 "$REPO/bench/w5_alternating.py" "$OUT/rounds.jsonl" "$round" || true
done

python3 "$REPO/bench/w5_alternating.py" "$OUT/rounds.jsonl"
echo "[w5_alternating] $OUT" >&2
