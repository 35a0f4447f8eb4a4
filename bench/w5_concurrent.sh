#!/usr/bin/env bash
# W5 (NEST's hpc_benchmark) on one core each, at the same moment: NEST 3.10
# (1 thread) runs once, pinned to one core, while spikeflow (1 thread) runs
# again and again, pinned to the other, until NEST ends; the cores swap each
# round. Both see the same host at the same time, which alternating runs
# cannot give on a VM whose speed drifts by 1.5–2× from minute to minute.
# Each round's ratio is NEST's time per spike over the median of spikeflow's
# runs that ended while NEST ran.
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
# JSON line, with its round) and a line per round on stdout.
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

# The JSON line of a run, tagged with its round and with whether NEST was
# still running when it ended.
tag() { python3 -c '
import json, sys
for l in sys.stdin:
    try:
        r = json.loads(l)
    except ValueError:
        continue
    if "wall_s_per_sim_s" in r:
        r["round"], r["during_nest"] = int(sys.argv[1]), sys.argv[2] == "1"
        print(json.dumps(r))' "$@"; }

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then nest_core=0; sf_core=1; else nest_core=1; sf_core=0; fi
    taskset -c "$nest_core" "$NEST_PY" "$REPO/bench/w5_nest.py" --scale "$SCALE" --threads 1 \
        --presim-ms 50 --sim-ms "$PLASTIC_MS" --seed "$SEED" 2>/dev/null \
        | tag "$round" 1 >>"$OUT/rounds.jsonl" &
    nest=$!
    while kill -0 "$nest" 2>/dev/null; do
        line=$(taskset -c "$sf_core" "$SPIKEFLOW" bench w5 --scale "$SCALE" --seconds "$seconds" \
            --seed "$SEED" --threads 1 2>/dev/null)
        during=0
        if kill -0 "$nest" 2>/dev/null; then during=1; fi
        echo "$line" | tag "$round" "$during" >>"$OUT/rounds.jsonl"
    done
    wait "$nest"
    python3 - "$OUT/rounds.jsonl" "$round" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["round"] == int(sys.argv[2])]
nest = [r for r in rows if r.get("impl") != "spikeflow"]
ours = [r for r in rows if r.get("impl") == "spikeflow" and r["during_nest"]]
if not nest or not ours:
    sys.exit(f"round {sys.argv[2]}: no NEST result or no spikeflow run ended while NEST ran")
n, t = nest[0], statistics.median(r["wall_s_per_sim_s"] for r in ours)
ratio = n["wall_s_per_sim_s"] / n["out_spikes"] / (t / ours[0]["out_spikes"])
print(f"round {sys.argv[2]}: NEST {n['wall_s_per_sim_s']:.1f} s per simulated second "
      f"({n['out_spikes']} spikes), spikeflow median {t:.2f} of {len(ours)} "
      f"({ours[0]['out_spikes']:.0f} spikes): {ratio:.2f}x per spike")
EOF
done
