#!/usr/bin/env bash
# The MPI checks `.ci/run` runs (needs OpenMPI, see there):
#  1. tests/distributed_mpi.rs under `mpirun -np 2` and `-np 3`: every rank's
#     part of the test network gives one process's spikes, voltages, traces
#     and weights bit for bit, a checkpoint restored included, and a rest
#     relaxed in closed form by all ranks at once;
#  2. a spikeflow built without MPI refuses to run under `mpirun -np 2`
#     (every rank exits with the build command to use);
#  3. `spikeflow bench w5` at scale 0.03 alone (the whole network, no MPI)
#     and over 1, 2 and 3 ranks: the same `out_spikes` and `sum_w_ee` to the
#     last digit;
#  4. W5's state saved by 2 ranks (`--save-state`, put together as one
#     process would write it) and resumed alone and on 1 and 3 ranks
#     (`--resume-state`): the same totals, and the weights of a run that
#     never stopped.
# Every mpirun is under `timeout`, so a hung rank fails instead of stalling.
set -euo pipefail
cd "$(dirname "$0")/.."
run=(timeout 600 mpirun --oversubscribe)
if [ "$(id -u)" = 0 ]; then
    run+=(--allow-run-as-root)
fi

exe=$(cargo test -p spikeflow --features mpi --test distributed_mpi --no-run \
    --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] == "distributed_mpi":
        print(m["executable"])')
for np in 2 3; do
    "${run[@]}" -np "$np" "$exe" --quiet
    echo "mpi: tests/distributed_mpi.rs passed on $np ranks"
done

# The CLI as cargo builds it (CARGO_TARGET_DIR may put it elsewhere).
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
sf="$target_dir/debug/spikeflow"

cargo build -q -p spikeflow-cli
set +e
refused=$("${run[@]}" -np 2 "$sf" bench w5 --scale 0.03 --seconds 0.01 2>&1)
rc=$?
set -e
if [ "$rc" = 0 ] || ! grep -q "built without MPI" <<<"$refused"; then
    echo "mpi: a build without MPI ran under mpirun -np 2 (exit $rc):" >&2
    echo "$refused" >&2
    exit 1
fi
echo "mpi: a build without MPI refuses mpirun -np 2 (exit $rc)"

cargo build -q -p spikeflow-cli --features mpi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
w5=("$sf" bench w5 --scale 0.03 --presim-ms 50 --seconds 0.05 --threads 1)
for np in 0 1 2 3; do
    if [ "$np" = 0 ]; then launch=(); else launch=("${run[@]}" -np "$np"); fi
    "${launch[@]}" "${w5[@]}" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("bench") == "w5":
        print(r["ranks"], repr(r["out_spikes"]), repr(r["sum_w_ee"]))' > "$tmp/$np"
    echo "mpi: w5 on $np ranks (0: alone): ranks, out_spikes, sum_w_ee = $(cat "$tmp/$np")"
done
python3 - "$tmp" <<'PY'
import sys
rows = [open(f"{sys.argv[1]}/{k}").read().split() for k in (0, 1, 2, 3)]
assert [r[0] for r in rows] == ["1", "1", "2", "3"], rows
assert len({tuple(r[1:]) for r in rows}) == 1, f"W5 totals depend on the ranks: {rows}"
assert float(rows[0][1]) > 0, f"no spikes: {rows}"
print("mpi: w5 totals identical alone and on 1, 2 and 3 ranks")
PY

# 4. A state saved on 2 ranks, resumed on others.
"${run[@]}" -np 2 "$sf" bench w5 --scale 0.03 --presim-ms 50 --seconds 0.03 \
    --threads 1 --save-state "$tmp/state" >/dev/null 2>&1
totals() { python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("bench") == "w5":
        print(repr(r["out_spikes"]), repr(r["sum_w_ee"]))'; }
resumed=("$sf" bench w5 --scale 0.03 --seconds 0.05 --threads 1 --resume-state "$tmp/state")
for np in 0 1 3; do
    if [ "$np" = 0 ]; then launch=(); else launch=("${run[@]}" -np "$np"); fi
    "${launch[@]}" "${resumed[@]}" 2>/dev/null | totals > "$tmp/resumed-$np"
    echo "mpi: w5 resumed from 2 ranks' state on $np ranks (0: alone): out_spikes, sum_w_ee = $(cat "$tmp/resumed-$np")"
done
"$sf" bench w5 --scale 0.03 --presim-ms 50 --seconds 0.08 --threads 1 2>/dev/null \
    | totals > "$tmp/through"
python3 - "$tmp" <<'PY'
import sys
rows = [open(f"{sys.argv[1]}/resumed-{k}").read().split() for k in (0, 1, 3)]
assert len({tuple(r) for r in rows}) == 1, f"resumed W5 totals depend on the ranks: {rows}"
through = open(f"{sys.argv[1]}/through").read().split()
assert rows[0][1] == through[1], f"resumed weights {rows[0][1]} differ from a run that never stopped {through[1]}"
print("mpi: w5 state saved on 2 ranks resumes alone and on 1 and 3 ranks as a run that never stopped")
PY
