#!/usr/bin/env bash
# W5 (NEST's hpc_benchmark) over MPI ranks beside NEST, in one sitting:
# spikeflow alone on 1 and 2 threads and over 2 ranks of 1 thread
# (`mpirun -np 2`), NEST 3.10 on 1 and 2 threads — pip's NEST wheel has no
# MPI (under mpirun each process reports num_processes = 1), so its 2-core
# run is its thread parallelism. Static E→E and with the power-law STDP.
#
#   bench/w5_ranks.sh                  # scale 0.1, 1 s static, 0.1 s plastic
#   SCALE=0.2 STATIC_MS=500 bench/w5_ranks.sh
#
# Environment:
#   SPIKEFLOW   a spikeflow built with MPI (default target/mpi/release/spikeflow:
#               CARGO_TARGET_DIR=target/mpi cargo build --release -p spikeflow-cli --features mpi)
#   NEST_PY     a python with nest-simulator 3.10 (default the peer venv's)
#   SCALE, SEED, STATIC_MS, PLASTIC_MS, OUT (default target/w5_ranks/<UTC time>)
#   TABLE_ONLY=1 with OUT=<an earlier run>: only print its table again
#
# Output: $OUT/<run>.jsonl (the JSON line of each run) and $OUT/table.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIKEFLOW="${SPIKEFLOW:-$REPO/target/mpi/release/spikeflow}"
NEST_PY="${NEST_PY:-$HOME/.cache/spikeflow-peer-venv/bin/python}"
SCALE="${SCALE:-0.1}"
SEED="${SEED:-1}"
STATIC_MS="${STATIC_MS:-1000}"
PLASTIC_MS="${PLASTIC_MS:-100}"
OUT="${OUT:-$REPO/target/w5_ranks/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
mpi=(mpirun --oversubscribe)
if [ "$(id -u)" = 0 ]; then mpi+=(--allow-run-as-root); fi

only_w5() { python3 "$REPO/bench/w5_json.py"; }

for mode in static plastic; do
    [ "${TABLE_ONLY:-0}" = 1 ] && break
    if [ "$mode" = static ]; then ms=$STATIC_MS; flag=(--static-ee); else ms=$PLASTIC_MS; flag=(); fi
    sf=(bench w5 --scale "$SCALE" --seconds "$(python3 -c "print($ms/1000)")" --seed "$SEED" "${flag[@]}")
    echo "[w5_ranks] $mode: spikeflow 1 thread, 2 threads, 2 ranks; NEST 1 and 2 threads" >&2
    "$SPIKEFLOW" "${sf[@]}" --threads 1 2>/dev/null | only_w5 > "$OUT/spikeflow_${mode}_t1.jsonl"
    "$SPIKEFLOW" "${sf[@]}" --threads 2 2>/dev/null | only_w5 > "$OUT/spikeflow_${mode}_t2.jsonl"
    "${mpi[@]}" -np 2 "$SPIKEFLOW" "${sf[@]}" --threads 1 2>/dev/null | only_w5 > "$OUT/spikeflow_${mode}_r2.jsonl"
    for t in 1 2; do
        PYNEST_QUIET=1 "$NEST_PY" "$REPO/bench/w5_nest.py" --scale "$SCALE" --threads "$t" \
            --presim-ms 50 --sim-ms "$ms" --seed "$SEED" "${flag[@]}" 2>/dev/null \
            | only_w5 > "$OUT/nest_${mode}_t$t.jsonl"
    done
done

python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import json, os, sys
out = sys.argv[1]
def load(name):
    with open(os.path.join(out, name + ".jsonl")) as f:
        return json.loads(f.readline())
print("| E→E | run | ranks × threads | s per simulated s | E / I (Hz) | peak RSS per rank (MB) | B per synapse | NEST ÷ spikeflow: time, time per spike |")
print("|---|---|---|---|---|---|---|---|")
for mode in ("static", "plastic"):
    nest = {t: load(f"nest_{mode}_t{t}") for t in (1, 2)}
    for name, ranks, threads, peer in (("t1", 1, 1, 1), ("t2", 1, 2, 2), ("r2", 2, 1, 2)):
        r = load(f"spikeflow_{mode}_{name}")
        peaks = r.get("peak_rss_bytes_per_rank", [r["peak_rss_bytes"]])
        ratio = nest[peer]["wall_s_per_sim_s"] / r["wall_s_per_sim_s"]
        per_spike = ratio * r["out_spikes"] / max(nest[peer]["out_spikes"], 1)
        print(f"| {mode} | spikeflow | {ranks} × {threads} | {r['wall_s_per_sim_s']:.3f} | "
              f"{r['rate_e_hz']:.1f} / {r['rate_i_hz']:.1f} | {', '.join(f'{p / 1e6:.0f}' for p in peaks)} | "
              f"{r['bytes_per_synapse']:.1f} | {ratio:.1f}×, {per_spike:.1f}× (NEST 1 × {peer}) |")
    for t in (1, 2):
        n = nest[t]
        syn = load(f"spikeflow_{mode}_t1")["synapses"]
        print(f"| {mode} | NEST 3.10 | 1 × {t} | {n['wall_s_per_sim_s']:.3f} | "
              f"{n['rate_e_hz']:.1f} / {n['rate_i_hz']:.1f} | {n['peak_rss_bytes'] / 1e6:.0f} | "
              f"{n['peak_rss_bytes'] / syn:.1f} | |")
PY
echo "[w5_ranks] $OUT" >&2
