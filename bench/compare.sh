#!/usr/bin/env bash
# Side-by-side benchmark: the peer scripts (BindsNET, optionally Brian2) and
# `spikeflow bench` on the same workloads (W1-W4 of ../shared/BENCHMARKS.md),
# the same sizes and the same thread count, in one invocation; then a table of
# medians and ratios.
#
#   bench/compare.sh                 # everything (~11 min on the 2-core machine)
#   bench/compare.sh w1 w3           # only some workloads
#   bench/compare.sh w3 paper        # Diehl & Cook's own model (spikeflow only) against W3
#   bench/compare.sh --quick         # fewer repetitions/samples (a few minutes)
#   BRIAN=1 bench/compare.sh w1 w2   # also Brian2 (runtime target; slow)
#
# Environment:
#   SPIKEFLOW_SHARED  the shared folder (default: ../shared next to the repo)
#   PEER_VENV         the peer venv made by $SPIKEFLOW_SHARED/peer/setup.sh
#                     (default ~/.cache/spikeflow-peer-venv)
#   THREADS           threads for every implementation (default 2)
#   BASELINE          another spikeflow binary (e.g. built from an older commit)
#                     whose legs run beside ours against the same BindsNET legs:
#                     ratios.md then compares both builds in one sitting
#   OUT               output folder (default target/compare/<UTC time>)
#
# Output: $OUT/<impl>_<section>.jsonl (one JSON line per repetition, WORKLOADS.md
# §5 fields), $OUT/*.log (progress), $OUT/ratios.md and $OUT/tables.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SPIKEFLOW_SHARED:-$REPO/../shared}"
PEER_VENV="${PEER_VENV:-$HOME/.cache/spikeflow-peer-venv}"
THREADS="${THREADS:-2}"
QUICK=0
SEL=()
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    w1|w2|w3|w4|paper) SEL+=("$a") ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "compare.sh: unknown argument '$a' (expected w1 w2 w3 w4 paper --quick)" >&2; exit 2 ;;
  esac
done
[ ${#SEL[@]} -eq 0 ] && SEL=(w1 w2 w3 w4)

die() { echo "compare.sh: $*" >&2; exit 1; }
if [ ! -f "$SHARED/peer/bench/bench_bindsnet.py" ]; then
  die "shared folder not found: '$SHARED' has no peer/bench/bench_bindsnet.py.
  Set SPIKEFLOW_SHARED to the folder holding BENCHMARKS.md and peer/."
fi
SHARED="$(cd "$SHARED" && pwd)"
PEER="$SHARED/peer/bench"
PY="$PEER_VENV/bin/python"
if [ ! -x "$PY" ]; then
  die "peer venv not found: '$PY' does not exist.
  Create it once with:  PEER_VENV='$PEER_VENV' bash '$SHARED/peer/setup.sh'   (~6 GB, a few minutes)"
fi
"$PY" -c 'import bindsnet, torch' 2>/dev/null || die "the venv '$PEER_VENV' cannot import bindsnet/torch; rerun $SHARED/peer/setup.sh"
MNIST="$SHARED/data/mnist"
[ -f "$MNIST/train-images-idx3-ubyte.gz" ] || die "MNIST not found in $MNIST (needed by W3/W4)"

OUT="${OUT:-$REPO/target/compare/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
echo "== building spikeflow (release)" >&2
(cd "$REPO" && cargo build --release -q -p spikeflow-cli)
SF="$REPO/target/release/spikeflow"
BASE="${BASELINE:-}"
[ -z "$BASE" ] || [ -x "$BASE" ] || die "BASELINE '$BASE' is not an executable"

{ echo "# $(date -u +%FT%TZ)"; lscpu | grep -E 'Model name|^CPU\(s\)|L3' || true; nproc; uptime;
  echo "spikeflow $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"; } > "$OUT/machine.txt"

want() { local w; for w in "${SEL[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
# base FILE spikeflow-args...: the BASELINE binary's leg, its lines marked
# impl "spikeflow-baseline" (nothing without BASELINE).
base() {
  [ -n "$BASE" ] || return 0
  local name=$1; shift
  sect "$name" "$BASE" "$@" || return 1
  sed -i 's/"impl": *"spikeflow"/"impl":"spikeflow-baseline"/' "$OUT/$name.jsonl"
}
sect() {  # sect FILE cmd...   (stdout -> FILE.jsonl, stderr -> FILE.log)
  local name=$1; shift
  echo "== $name ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
  local t0=$SECONDS
  (cd "$PEER" && "$@") > "$OUT/$name.jsonl" 2> "$OUT/$name.log" || {
    echo "   FAILED (see $OUT/$name.log)" >&2; tail -5 "$OUT/$name.log" >&2; return 1; }
  echo "   done in $((SECONDS - t0)) s" >&2
}

if [ $QUICK = 1 ]; then
  W1R=(--reps 2); W1RF="5000=2,10000=2"; W2R=(--reps 1); W2RF="5000=1"
  DCS=(--samples 10 --warmup 3); DCSF="6400=3"; B32=(--batches 1 --warmup-batched 1); B32F="6400=1"
  SF_W1=(--reps 2); SF_W2=(--reps 1); SF_DC=(--warmup 3); SF_B32=(--samples 1 --warmup 1)
else
  W1R=(--reps 5); W1RF="5000=3,10000=3"; W2R=(--reps 3); W2RF="5000=2"
  DCS=(--samples 30 --warmup 3); DCSF="6400=8"; B32=(--batches 3 --warmup-batched 1); B32F="6400=2"
  SF_W1=(); SF_W2=(); SF_DC=(); SF_B32=()
fi
T=(--threads "$THREADS")
BN=("$PY" bench_bindsnet.py)
ok=1
# spikeflow's legs last seconds where BindsNET's last minutes, so a burst of
# load from other tenants of the host can decide a spikeflow median on its
# own (our own times moved 1.4-1.8x between alternating runs on these VMs).
# Each spikeflow leg therefore runs twice, just before and just after the
# BindsNET leg it is compared with, and its median is over both (ratios.md
# pools every JSON line of an implementation).
sf_w1() {
  sect "spikeflow_w1$1" "$SF" bench w1 "${T[@]}" --sizes 1000 2500 5000 "${SF_W1[@]}" || ok=0
  # n = 10000 separately: its repetitions follow the peers' (3, or 2 quick)
  if [ $QUICK = 1 ]; then R=2; else R=3; fi
  sect "spikeflow_w1_10000$1" "$SF" bench w1 "${T[@]}" --sizes 10000 --reps $R || ok=0
}
sf_w2() {
  sect "spikeflow_w2$1" "$SF" bench w2 "${T[@]}" --sizes 1000 2500 5000 "${SF_W2[@]}" || ok=0
  base "baseline_w2$1" bench w2 "${T[@]}" --sizes 1000 2500 5000 "${SF_W2[@]}" || ok=0
}
sf_w3() {
  if [ $QUICK = 1 ]; then SFS=(--samples 10); else SFS=(); fi
  sect "spikeflow_w3$1" "$SF" bench w3 "${T[@]}" --sizes 100 400 1600 --mnist "$MNIST" "${SF_DC[@]}" "${SFS[@]}" || ok=0
  base "baseline_w3$1" bench w3 "${T[@]}" --sizes 100 400 1600 --mnist "$MNIST" "${SF_DC[@]}" "${SFS[@]}" || ok=0
  if [ $QUICK = 1 ]; then SFS=(--samples 3); else SFS=(--samples 8); fi
  sect "spikeflow_w3_6400$1" "$SF" bench w3 "${T[@]}" --sizes 6400 --mnist "$MNIST" "${SF_DC[@]}" "${SFS[@]}" || ok=0
  base "baseline_w3_6400$1" bench w3 "${T[@]}" --sizes 6400 --mnist "$MNIST" "${SF_DC[@]}" "${SFS[@]}" || ok=0
}
sf_w4() {
  if [ $QUICK = 1 ]; then SFS=(--samples 10); S64=(--samples 3); else SFS=(); S64=(); fi
  sect "spikeflow_w4_b1$1" "$SF" bench w4 "${T[@]}" --sizes 100 400 1600 --batch 1 --mnist "$MNIST" "${SF_DC[@]}" "${SFS[@]}" || ok=0
  sect "spikeflow_w4_b1_6400$1" "$SF" bench w4 "${T[@]}" --sizes 6400 --batch 1 --mnist "$MNIST" "${SF_DC[@]}" "${S64[@]}" || ok=0
  sect "spikeflow_w4_b32$1" "$SF" bench w4 "${T[@]}" --sizes 100 400 1600 6400 --batch 32 --mnist "$MNIST" "${SF_B32[@]}" || ok=0
}
if want w1; then
  sf_w1 _before
  sect bindsnet_w1 "${BN[@]}" --workload w1 "${T[@]}" --sizes 1000 2500 5000 10000 "${W1R[@]}" --reps-for "$W1RF" || ok=0
  sf_w1 ""
  if [ "${BRIAN:-0}" = 1 ]; then
    sect brian2_w1 "$PY" bench_brian2.py --workload w1 --target runtime --sizes 1000 2500 5000 10000 --reps 2 || ok=0
  fi
fi
if want w2; then
  sf_w2 _before
  sect bindsnet_w2 "${BN[@]}" --workload w2 "${T[@]}" --sizes 1000 2500 5000 "${W2R[@]}" --reps-for "$W2RF" || ok=0
  sf_w2 ""
  if [ "${BRIAN:-0}" = 1 ]; then
    sect brian2_w2 "$PY" bench_brian2.py --workload w2 --target runtime --sizes 1000 2500 5000 --reps 1 || ok=0
  fi
fi
if want w3; then
  sf_w3 _before
  sect bindsnet_w3 "${BN[@]}" --workload w3 "${T[@]}" --sizes 100 400 1600 6400 "${DCS[@]}" --samples-for "$DCSF" || ok=0
  sf_w3 ""
fi
if want w4; then
  sf_w4 _before
  sect bindsnet_w4_b1 "${BN[@]}" --workload w4 "${T[@]}" --sizes 100 400 1600 6400 --batch 1 "${DCS[@]}" --samples-for "$DCSF" || ok=0
  sect bindsnet_w4_b32 "${BN[@]}" --workload w4 "${T[@]}" --sizes 100 400 1600 6400 --batch 32 "${B32[@]}" --samples-for "$B32F" || ok=0
  sf_w4 ""
fi
if want paper; then
  # No peer has the paper's model: our own time, per training and per test
  # image, next to spikeflow's W3 (BindsNET's model) when w3 ran too.
  sect spikeflow_paper "$SF" bench paper "${T[@]}" --sizes 100 400 1600 6400 --mnist "$MNIST" "${SF_DC[@]}" || ok=0
fi

"$PY" "$PEER/make_tables.py" "$OUT" > "$OUT/tables.md" || echo "make_tables.py failed" >&2
"$PY" - "$OUT" "$THREADS" > "$OUT/ratios.md" <<'EOF'
import glob, json, os, sys
from collections import defaultdict
out, threads = sys.argv[1], int(sys.argv[2])
rows = defaultdict(list)
spikes = defaultdict(list)
for p in sorted(glob.glob(os.path.join(out, "*.jsonl"))):
    for line in open(p):
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("summary") or r.get("bench") not in ("w1", "w2", "w3", "w4") or "error" in r:
            continue
        if r["bench"] in ("w1", "w2"):
            if "s_per_sim_s" not in r or r.get("first_run_incl_compile"):
                continue
            key = (r["bench"], r["n"], 1)
            val = r["s_per_sim_s"]
            spikes[(key, r["impl"])].append(r.get("out_spikes"))
        else:
            if "s_per_sample" not in r:
                continue
            key = (r["bench"], r["n_neurons"], r.get("batch", 1))
            val = r["s_per_sample"]
            spikes[(key, r["impl"])].append(r.get("ae_spikes_per_sample"))
        impl = r["impl"] + ("-" + r["variant"] if r["impl"] == "brian2" else "")
        rows[(key, impl)].append(val)

def med(xs):
    xs = sorted(xs); m = len(xs)
    return xs[m // 2] if m % 2 else 0.5 * (xs[m // 2 - 1] + xs[m // 2])

targets = {("w1", None): 15, ("w2", 1000): 10, ("w2", 5000): 2.5, ("w3", None): 100,
           ("w4", 1): 100, ("w4", 32): 30}
def target(b, n, batch):
    if b == "w4":
        return targets[("w4", batch)]
    return targets.get((b, n), targets.get((b, None)))

impls = sorted({i for (_, i) in rows})
keys = sorted({k for (k, _) in rows})
unit = {"w1": "s per simulated s", "w2": "s per simulated s", "w3": "ms per sample", "w4": "ms per sample"}
print(f"# spikeflow vs peers: medians ({threads} threads each, same run)\n")
print("speedup = BindsNET median time / spikeflow median time (so ≥ 15 means ≥ 15× faster);"
      " 'spikeflow ÷ BindsNET' is its inverse.\n")
print("| workload | size | batch | BindsNET | spikeflow | unit | speedup | spikeflow ÷ BindsNET | target | met | out spikes (BindsNET / spikeflow) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for k in keys:
    b, n, batch = k
    bn, sf = rows.get((k, "bindsnet")), rows.get((k, "spikeflow"))
    scale = 1e3 if b in ("w3", "w4") else 1.0
    f = lambda xs: f"{med(xs) * scale:.4g}" if xs else "–"
    if bn and sf:
        sp = med(bn) / med(sf)
        t = target(b, n, batch)
        met = "–" if t is None else ("yes" if sp >= t else "**no**")
        ratio, inv = f"{sp:.1f}×", f"{1 / sp:.4f}"
    else:
        ratio, inv, t, met = "–", "–", target(b, n, batch), "–"
    sb = spikes.get((k, "bindsnet"), [None]); ss = spikes.get((k, "spikeflow"), [None])
    fmt = lambda v: "–" if v is None else (f"{med(v):.1f}" if b in ("w3", "w4") else f"{v[0]}")
    print(f"| {b} | {n} | {batch} | {f(bn)} | {f(sf)} | {unit[b]} | {ratio} | {inv} | {'–' if t is None else f'≥ {t}×'} | {met} | {fmt(sb)} / {fmt(ss)} |")
if any(i == "spikeflow-baseline" for i in impls):
    print("\n## This build against BASELINE, both against the same BindsNET legs\n")
    print("| workload | size | batch | BindsNET | baseline | spikeflow | unit | speedup baseline | speedup spikeflow |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        bn, sf, bl = (rows.get((k, i)) for i in ("bindsnet", "spikeflow", "spikeflow-baseline"))
        if not (bn and sf and bl):
            continue
        b, n, batch = k
        scale = 1e3 if b in ("w3", "w4") else 1.0
        f = lambda xs: f"{med(xs) * scale:.4g}"
        print(f"| {b} | {n} | {batch} | {f(bn)} | {f(bl)} | {f(sf)} | {unit[b]} | {med(bn) / med(bl):.1f}× | {med(bn) / med(sf):.1f}× |")
paper = defaultdict(list)
for p in glob.glob(os.path.join(out, "spikeflow_paper.jsonl")):
    for line in open(p):
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("bench") == "paper":
                phase = "blocks" if "blocks" in r else r["learning"]
                paper[(r["n_neurons"], phase)].append(r["s_per_sample"])
if paper:
    print("\n## Diehl & Cook's own model (spikeflow only), ms per image\n")
    print("| N | training (median) | test, one image at a time (median) | test in blocks (as `train`; mean) | training ÷ test in blocks (means) | training ÷ spikeflow W3 (BindsNET's model) |")
    print("|---|---|---|---|---|---|")
    for n in sorted({n for n, _ in paper}):
        tr, te, tb = (paper.get((n, k)) for k in (True, False, "blocks"))
        w3 = rows.get((("w3", n, 1), "spikeflow"))
        f = lambda xs: "–" if not xs else f"{1e3 * med(xs):.3g}"
        ratio = f"{med(tr) / med(w3):.1f}×" if tr and w3 else "–"
        # The blocks line is a mean (re-presentations included): against the training mean.
        cheaper = f"{sum(tr) / len(tr) / med(tb):.1f}×" if tr and tb else "–"
        print(f"| {n} | {f(tr)} | {f(te)} | {f(tb)} | {cheaper} | {ratio} |")
others = [i for i in impls if i not in ("bindsnet", "spikeflow", "spikeflow-baseline")]
for o in others:
    print(f"\n{o}: " + ", ".join(f"{k[0]} n={k[1]}: {med(rows[(k, o)]):.4g}" for k in keys if (k, o) in rows))
EOF
cat "$OUT/ratios.md"
echo
echo "full tables: $OUT/tables.md; raw JSON lines: $OUT/*.jsonl" >&2
[ $ok = 1 ] || { echo "compare.sh: some sections failed (see the logs in $OUT)" >&2; exit 1; }
