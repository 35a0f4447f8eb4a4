#!/usr/bin/env bash
# Diehl & Cook's own model, spikeflow (`spikeflow bench paper`) beside Brian2's
# C++ standalone mode (bench/brian2_paper.py), the same first training images
# at the same thread count, in one sitting; prints seconds per presentation
# (350 ms of input + 150 ms of rest) and Brian2 ÷ spikeflow. Issue #18.
#
#   bash bench/paper_brian2.sh 100 400 1600
#   THREADS=1 IMAGES=20 bash bench/paper_brian2.sh 100
#
# Env: THREADS (2), IMAGES (10), MNIST (../shared/data/mnist), PEER_PY (the
# peer venv's python, from ../shared/peer/setup.sh), SPIKEFLOW (the release
# binary; built if missing). Brian2's builds go to target/brian2_paper/.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-10}
MNIST=${MNIST:-../shared/data/mnist}
PEER_PY=${PEER_PY:-$HOME/.cache/spikeflow-peer-venv/bin/python}
SPIKEFLOW=${SPIKEFLOW:-target/release/spikeflow}
[ -x "$SPIKEFLOW" ] || cargo build --release -p spikeflow-cli
[ -x "$PEER_PY" ] || { echo "no peer venv at $PEER_PY: run bash ../shared/peer/setup.sh" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 400 1600)
out=target/brian2_paper
mkdir -p "$out"
printf '%-6s %-8s %14s %14s %8s\n' N threads spikeflow_s brian2_s ratio
for n in "${sizes[@]}"; do
  "$SPIKEFLOW" bench paper --sizes "$n" --threads "$THREADS" --warmup 0 --samples "$IMAGES" \
    --mnist "$MNIST" 2>/dev/null > "$out/spikeflow_n$n.jsonl"
  "$PEER_PY" bench/brian2_paper.py --neurons "$n" --images "$IMAGES" --threads "$THREADS" \
    --mnist "$MNIST/train-images-idx3-ubyte.gz" --dir "$out/build_n${n}_t$THREADS" 2>/dev/null \
    | tail -1 > "$out/brian2_n$n.json"
  python3 - "$out/spikeflow_n$n.jsonl" "$out/brian2_n$n.json" "$n" "$THREADS" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
learn = [l for l in lines if l.get("bench") == "paper" and l.get("learning") and "presentations" in l]
sf = sum(l["s_per_sample"] for l in learn) / sum(l["presentations"] for l in learn)
b2 = json.load(open(sys.argv[2]))["s_per_presentation"]
print(f"{sys.argv[3]:<6} {sys.argv[4]:<8} {sf:14.5f} {b2:14.5f} {b2 / sf:7.1f}x")
PY
done
