#!/usr/bin/env bash
# Disk-full campaign of issue #17 (needs root: it mounts tmpfs). A tiny
# checkpointing `spikeflow train` writes into a tmpfs of SIZE KiB, for SIZE
# from 4 KiB up to what the whole run needs, in STEP KiB steps, so that the
# disk fills during every kind of write: a checkpoint, LATEST, the model,
# each picture, the summary. For each size:
#
# * the run either succeeds or fails with exactly one `error: …` line (no
#   panic), which names the file or checkpoint it could not write;
# * checkpoints/LATEST, if present, names a checkpoint that `spikeflow eval`
#   loads;
# * the tmpfs is then grown (space returns) and the run resumed (or, without
#   a checkpoint yet, started again): its model must equal an uninterrupted
#   run's bit for bit, and no `.tmp-…` entry may be left.
#
# Usage: scripts/disk-full.sh [STEP_KIB] [MAX_KIB]     (defaults 8, 1400)
# Prints one line per failing size and a final "DISK-FULL …" line; exits 1
# on any defect.
set -u
STEP=${1:-8}
MAX=${2:-1400}
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "disk-full.sh mounts tmpfs: run it as root (cli_faults.rs covers the unprivileged cases)"
  exit 2
fi
TARGET=${CARGO_TARGET_DIR:-target}
nice -n 10 cargo build --release -q -p spikeflow-cli || exit 1
BIN=$TARGET/release/spikeflow
WORK=$(mktemp -d /tmp/spikeflow-disk-full.XXXXXX)
MNT=$WORK/mnt
mkdir -p "$MNT"
ARGS=(train --neurons 10 --time 50 --n-train 60 --n-test 20 --update-interval 20
  --checkpoint-every 20 --assign-window 30 --threads 1 --quiet)
"$BIN" "${ARGS[@]}" --out "$WORK/ref" >/dev/null 2>&1 || { echo "reference run failed"; exit 1; }
t0=$(date +%s)
sizes=0 completed=0 defects=0 resumed=0 restarted=0
declare -A phase
defect() {
  echo "DEFECT at $size KiB: $*"
  defects=$((defects + 1))
}
for ((size = 4; size <= MAX; size += STEP)); do
  sizes=$((sizes + 1))
  mount -t tmpfs -o size=${size}k tmpfs "$MNT" || exit 1
  run=$MNT/run
  if "$BIN" "${ARGS[@]}" --out "$run" >/dev/null 2>"$WORK/err"; then
    completed=$((completed + 1))
  else
    errors=$(grep -c '^error: ' "$WORK/err")
    if [ "$errors" != 1 ] || grep -q panicked "$WORK/err"; then
      defect "not one error line: $(cat "$WORK/err")"
    fi
    msg=$(grep '^error: ' "$WORK/err")
    case "$msg" in
      *"No space left on device"*) ;;
      *) defect "the error does not say the disk is full: $msg" ;;
    esac
    case "$msg" in
      *summary.json*) p=summary ;;
      *.png*) p=picture ;;
      *checkpoints/LATEST*) p=LATEST ;;
      *checkpoints/ckpt-*) p=checkpoint ;;
      *"$run/model"*) p=model ;;
      *) p=other; echo "at $size KiB: $msg" ;;
    esac
    phase[$p]=$((${phase[$p]:-0} + 1))
  fi
  ck=$run/checkpoints
  if [ -f "$ck/LATEST" ]; then
    name=$(tr -d '\n' <"$ck/LATEST")
    "$BIN" eval --model-dir "$ck/$name" --n-test 1 --threads 1 --out "$WORK/eval" \
      >/dev/null 2>"$WORK/eval.err" || defect "LATEST names $name, which does not load: $(cat "$WORK/eval.err")"
  fi
  # Space returns.
  mount -o remount,size=64m "$MNT"
  if [ ! -f "$run/summary.json" ]; then
    if [ -f "$ck/LATEST" ]; then
      resumed=$((resumed + 1))
      "$BIN" train --resume "$run" --quiet >/dev/null 2>"$WORK/err" ||
        defect "the resume failed: $(cat "$WORK/err")"
    else
      restarted=$((restarted + 1))
      "$BIN" "${ARGS[@]}" --out "$run" >/dev/null 2>"$WORK/err" ||
        defect "the new start failed: $(cat "$WORK/err")"
    fi
  fi
  cmp -s "$WORK/ref/model/state.safetensors" "$run/model/state.safetensors" ||
    defect "the final model differs from the uninterrupted run's"
  left=$(find "$run" -name '.tmp-*' | wc -l)
  [ "$left" -gt 0 ] && defect "$left temporary entries left behind"
  umount "$MNT"
done
rmdir "$MNT"
phases=""
for p in "${!phase[@]}"; do phases="$phases $p=${phase[$p]}"; done
echo "DISK-FULL sizes=$sizes (4..$MAX KiB step $STEP) completed=$completed failed_at:${phases:- none}" \
  "resumed=$resumed restarted=$restarted defects=$defects wall_s=$(($(date +%s) - t0))" \
  "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo +dirty)"
rm -rf "$WORK"
[ "$defects" -eq 0 ]
