#!/usr/bin/env bash
# W5 (NEST's hpc_benchmark) on one core each, at the same moment: NEST 3.10
# (1 thread) runs once, pinned to one core, while spikeflow (1 thread) runs
# again and again, pinned to the other, until NEST ends; the cores swap each
# round. Both see the same host at the same time, which alternating runs
# cannot give on a VM whose speed drifts by 1.5–2× from minute to minute.
# Each round's ratio is NEST's time per spike over the median of spikeflow's
# runs whose timed simulation overlapped NEST's (not its import and build).
#
#   bench/w5_concurrent.sh                 # 4 rounds, scale 1, 0.2 s STDP
#   ROUNDS=6 SCALE=0.5 bench/w5_concurrent.sh
#
# Environment:
#   SPIKEFLOW   spikeflow (default target/release/spikeflow; MPI not needed)
#   NEST_PY     a python with nest-simulator 3.10 (default the peer venv's)
#   ROUNDS, SCALE, SEED, PLASTIC_MS, OUT (default target/w5_concurrent/<UTC time>)
#
# Needs 2 cores (taskset -c 0 and 1). Output: $OUT/rounds.jsonl (every run's
# JSON line, with its round), each program's stderr in $OUT/*.err, and a
# line per round on stdout.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIKEFLOW="${SPIKEFLOW:-$REPO/target/release/spikeflow}"
NEST_PY="${NEST_PY:-$HOME/.cache/spikeflow-peer-venv/bin/python}"
ROUNDS="${ROUNDS:-4}"
SCALE="${SCALE:-1}"
SEED="${SEED:-1}"
PLASTIC_MS="${PLASTIC_MS:-200}"
OUT="${OUT:-$REPO/target/w5_concurrent/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
seconds=$(python3 -c "print($PLASTIC_MS / 1000)")

# The JSON line of a run, tagged with its round.
tag() { python3 "$REPO/bench/w5_json.py" "round=$1"; }

# A round's ratio from the runs of that round.
ratio() { python3 - "$OUT/rounds.jsonl" "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["round"] == int(sys.argv[2])]
nest = [r for r in rows if r.get("impl") == "nest"]
if not nest:
    sys.exit(f"round {sys.argv[2]}: no NEST result")
n = nest[0]
start, end = n["sim_end_unix_time"] - n["sim_s"], n["sim_end_unix_time"]
# spikeflow stamps its line as it ends: its timed simulation is the sim_s
# seconds before (less the weight sum after it).
ours = [r for r in rows if r.get("impl") == "spikeflow"
        and r["unix_time"] - r["sim_s"] < end and r["unix_time"] > start]
if not ours:
    sys.exit(f"round {sys.argv[2]}: no spikeflow run overlapped NEST's simulation")
t = statistics.median(r["wall_s_per_sim_s"] for r in ours)
per_spike = n["wall_s_per_sim_s"] / n["out_spikes"] / (t / ours[0]["out_spikes"])
print(f"round {sys.argv[2]}: NEST {n['wall_s_per_sim_s']:.1f} s per simulated second "
      f"({n['out_spikes']} spikes), spikeflow median {t:.2f} of the {len(ours)} runs "
      f"overlapping it ({ours[0]['out_spikes']:.0f} spikes): {per_spike:.2f}x per spike")
PY
}

nest=
# A NEST run left behind by a failure would skew whatever runs next.
trap '[ -n "$nest" ] && kill "$nest" 2>/dev/null; true' EXIT

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then nest_core=0; sf_core=1; else nest_core=1; sf_core=0; fi
    taskset -c "$nest_core" "$NEST_PY" "$REPO/bench/w5_nest.py" --scale "$SCALE" --threads 1 \
        --presim-ms 50 --sim-ms "$PLASTIC_MS" --seed "$SEED" 2>>"$OUT/nest.err" \
        | tag "$round" >>"$OUT/rounds.jsonl" &
    nest=$!
    while kill -0 "$nest" 2>/dev/null; do
        if ! line=$(taskset -c "$sf_core" "$SPIKEFLOW" bench w5 --scale "$SCALE" \
            --seconds "$seconds" --seed "$SEED" --threads 1 2>>"$OUT/spikeflow.err"); then
            echo "spikeflow failed in round $round (see $OUT/spikeflow.err)" >&2
            exit 1
        fi
        echo "$line" | tag "$round" >>"$OUT/rounds.jsonl"
    done
    if ! wait "$nest"; then
        echo "NEST failed in round $round (see $OUT/nest.err)" >&2
        exit 1
    fi
    nest=
    # A round without a ratio is reported, and the next one runs.
    ratio "$round" || true
done
