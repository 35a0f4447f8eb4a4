#!/usr/bin/env bash
# W5 (NEST's hpc_benchmark, with its power-law STDP) against NEST 3.10 over
# several seeds: the E and I rates and the mean E→E weight after the run,
# seed by seed and as mean ± standard deviation. Each simulator draws its own
# graph, drive and initial voltages from its seed, so single runs differ by
# what the draws give; the seeds' spread is the yardstick.
#
#   bench/w5_validate.sh                    # scale 1, 1 s, seeds 1–3
#   SCALE=0.5 SEEDS="1 2 3 4" bench/w5_validate.sh
#   STATIC=1 bench/w5_validate.sh           # static E→E (no STDP): the rates
#
# Environment:
#   SPIKEFLOW   spikeflow (default target/mpi/release/spikeflow, run on RANKS
#               MPI ranks; RANKS=1 runs it without mpirun, any build)
#   NEST_PY     a python with nest-simulator 3.10 (default the peer venv's)
#   SCALE, SIM_MS, SEEDS, RANKS (default 2), NEST_THREADS (default 2), STATIC,
#   WEIGHT_TARGETS (NEST's weight read-out: the synapses onto this many evenly
#   spaced E neurons, default 200), OUT (default target/w5_validate/<UTC time>)
#
# The mean E→E weight is tabulated two ways: with every change applied
# (spikeflow), and as NEST reads it, each synapse's weight as of its
# source's last spike (NEST applies the potentiation of later postsynaptic
# spikes at the next presynaptic one; over WEIGHT_TARGETS targets'
# synapses), which spikeflow gives with RANKS=1 (`--nest-weights`).
#
# Output: $OUT/runs.jsonl (every run's JSON line) and $OUT/table.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIKEFLOW="${SPIKEFLOW:-$REPO/target/mpi/release/spikeflow}"
NEST_PY="${NEST_PY:-$HOME/.cache/spikeflow-peer-venv/bin/python}"
SCALE="${SCALE:-1}"
SIM_MS="${SIM_MS:-1000}"
SEEDS="${SEEDS:-1 2 3}"
RANKS="${RANKS:-2}"
NEST_THREADS="${NEST_THREADS:-2}"
WEIGHT_TARGETS="${WEIGHT_TARGETS:-200}"
OUT="${OUT:-$REPO/target/w5_validate/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
: > "$OUT/runs.jsonl"
seconds=$(python3 -c "print($SIM_MS / 1000)")
flag=()
if [ "${STATIC:-0}" = 1 ]; then flag=(--static-ee); fi
# spikeflow's weights as NEST reads them need one process.
nest_view=()
if [ "$RANKS" = 1 ]; then nest_view=(--nest-weights); fi
sf=("$SPIKEFLOW")
if [ "$RANKS" -gt 1 ]; then
    sf=(mpirun --oversubscribe -np "$RANKS" "$SPIKEFLOW")
    if [ "$(id -u)" = 0 ]; then sf=(mpirun --oversubscribe --allow-run-as-root -np "$RANKS" "$SPIKEFLOW"); fi
fi

# The W5 JSON line of a run, tagged with its program.
tag() { python3 "$REPO/bench/w5_json.py" "program=$1"; }

for seed in $SEEDS; do
    echo "[w5_validate] seed $seed: spikeflow ($RANKS rank(s)), NEST ($NEST_THREADS threads)" >&2
    "${sf[@]}" bench w5 --scale "$SCALE" --seconds "$seconds" --seed "$seed" --threads 1 ${flag[@]+"${flag[@]}"} ${nest_view[@]+"${nest_view[@]}"} \
        2>>"$OUT/spikeflow.err" | tag spikeflow >> "$OUT/runs.jsonl"
    PYNEST_QUIET=1 "$NEST_PY" "$REPO/bench/w5_nest.py" --scale "$SCALE" --threads "$NEST_THREADS" \
        --presim-ms 50 --sim-ms "$SIM_MS" --seed "$seed" --weight-targets "$WEIGHT_TARGETS" ${flag[@]+"${flag[@]}"} \
        2>>"$OUT/nest.err" | tag nest >> "$OUT/runs.jsonl"
done

python3 - "$OUT/runs.jsonl" <<'PY' | tee "$OUT/table.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# NEST reads each E→E weight as of its source's last spike; spikeflow
# applies every change (and reads NEST's way too with --nest-weights).
for r in rows:
    if r["program"] == "nest":
        r["nest_view"], r["mean_w_ee"] = r["mean_w_ee"], None
    else:
        r["nest_view"] = r.get("mean_w_ee_nest_view")
fmt = lambda v, d: "—" if v is None else f"{v:.{d}f}"
print("| program | seed | E (Hz) | I (Hz) | mean E→E weight, all changes applied (pA) | as NEST reads it (pA) |")
print("|---|---|---|---|---|---|")
for prog in ("spikeflow", "nest"):
    mine = [r for r in rows if r["program"] == prog]
    for r in mine:
        print(f"| {prog} | {r['seed']} | {r['rate_e_hz']:.2f} | {r['rate_i_hz']:.2f} | "
              f"{fmt(r['mean_w_ee'], 3)} | {fmt(r['nest_view'], 3)} |")
    if len(mine) > 1:
        def cell(k, d):
            v = [x[k] for x in mine]
            if any(x is None for x in v):
                return "—"
            return f"{statistics.mean(v):.{d}f} ± {statistics.stdev(v):.{d}f}"
        print(f"| {prog} | mean ± sd | {cell('rate_e_hz', 2)} | {cell('rate_i_hz', 2)} | "
              f"{cell('mean_w_ee', 3)} | {cell('nest_view', 3)} |")
PY
echo "[w5_validate] $OUT" >&2
