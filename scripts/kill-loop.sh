#!/usr/bin/env bash
# kill -9 loop of issue #17: a checkpointing `spikeflow train` (release
# build, tiny settings, a checkpoint after every image so that most kills
# land inside a checkpoint write) is killed with SIGKILL at random moments
# and resumed until it ends, round after round, until KILLS kills are done.
#
# After every kill: checkpoints/LATEST, if present, must name a complete
# checkpoint that `spikeflow eval` loads. After every round: the final model
# must equal an uninterrupted run's bit for bit, and the test accuracies
# printed by the last process must equal the uninterrupted run's.
#
# Where each kill landed is read from what the killed process left behind:
# a `.tmp-…-PID` entry of its id (inside a checkpoint write, before its
# rename), a checkpoint it renamed into place that LATEST does not name yet
# (between the rename and the update of LATEST), a `model/` it wrote without
# `summary.json` (inside the final writes).
#
# Usage: scripts/kill-loop.sh [KILLS] [SEED]      (defaults 200, 1)
# Prints one line per round and a final "KILL-LOOP …" line; exits 1 on any
# failure (the run folder of the failing round is kept in $WORK).
set -u
KILLS=${1:-200}
RANDOM=${2:-1}
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
nice -n 10 cargo build --release -q -p spikeflow-cli || exit 1
BIN=$TARGET/release/spikeflow
WORK=${WORK:-$(mktemp -d /tmp/spikeflow-kill-loop.XXXXXX)}
mkdir -p "$WORK"
# About 4 s uninterrupted on a shared 2-core machine, most of it checkpoints.
ARGS=(--neurons 100 --time 250 --n-train 800 --n-test 100 --update-interval 1
  --assign-window 100 --threads 1 --quiet)

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# Inode and change time of a path (empty if absent): tells a rewritten file.
stamp() { stat -c '%i %z' "$1" 2>/dev/null; }
# The newest checkpoint folder of $1: its name and stamp.
newest() {
  local n
  n=$(cd "$1" 2>/dev/null && ls -d ckpt-* 2>/dev/null | sort | tail -n 1)
  [ -n "$n" ] && echo "$n $(stamp "$1/$n/checkpoint.json")"
}
t0=$(date +%s)
# Uninterrupted runs with each checkpoint interval; their durations bound
# the kill offsets of the rounds with that interval.
declare -A dur
for every in 1 25; do
  s=$(ms)
  nice -n 10 "$BIN" train "${ARGS[@]}" --checkpoint-every "$every" --out "$WORK/ref$every" \
    >"$WORK/ref$every.out" 2>"$WORK/ref$every.err" || { cat "$WORK/ref$every.err"; exit 1; }
  dur[$every]=$(($(ms) - s))
done
cmp -s "$WORK/ref1/model/state.safetensors" "$WORK/ref25/model/state.safetensors" ||
  { echo "FAIL: the model depends on --checkpoint-every"; exit 1; }
ref_acc=$(grep '^test accuracy' "$WORK/ref1.out")
echo "uninterrupted: ${dur[1]} ms (checkpoint every image), ${dur[25]} ms (every 25)"

kills=0 resumes=0 fresh=0 failures=0 rounds=0
in_write=0 after_rename=0 in_final=0 before_first=0 checks=0
while [ "$kills" -lt "$KILLS" ]; do
  rounds=$((rounds + 1))
  run=$WORK/run
  rm -rf "$run"
  # Every other round checkpoints every 25 images, so that kills also land
  # between checkpoints (the model must not depend on the interval).
  every=$((rounds % 2 == 1 ? 1 : 25))
  round_kills=0 last_out=""
  while :; do
    if [ -f "$run/checkpoints/LATEST" ]; then
      cmd=("$BIN" train --resume "$run" --quiet)
      resumes=$((resumes + 1))
    else
      cmd=("$BIN" train "${ARGS[@]}" --checkpoint-every "$every" --out "$run")
      fresh=$((fresh + 1))
    fi
    ck=$run/checkpoints
    pre_newest=$(newest "$ck")
    pre_model=$(stamp "$run/model/checkpoint.json")
    nice -n 10 "${cmd[@]}" >"$WORK/last.out" 2>"$WORK/last.err" &
    pid=$!
    # Wait for a random offset within the uninterrupted duration, or until
    # the process ends by itself.
    offset=$(((RANDOM * 32768 + RANDOM) % dur[$every]))
    start=$(ms)
    while elapsed=$(($(ms) - start)) && [ "$elapsed" -lt "$offset" ] &&
      kill -0 "$pid" 2>/dev/null; do
      sleep 0.01
    done
    if kill -9 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      kills=$((kills + 1))
      round_kills=$((round_kills + 1))
      # Where did it land? Only what this process left counts: its
      # temporaries carry its id; a checkpoint or model it wrote is new.
      if compgen -G "$ck/.tmp-*-$pid" >/dev/null || compgen -G "$run/.tmp-*-$pid" >/dev/null; then
        in_write=$((in_write + 1))
      fi
      if [ -f "$run/model/checkpoint.json" ] && [ ! -f "$run/summary.json" ] &&
        [ "$(stamp "$run/model/checkpoint.json")" != "$pre_model" ]; then
        in_final=$((in_final + 1))
      fi
      if [ -f "$ck/LATEST" ]; then
        name=$(tr -d '\n' <"$ck/LATEST")
        now_newest=$(newest "$ck")
        if [ "${now_newest%% *}" != "$name" ] && [ "$now_newest" != "$pre_newest" ]; then
          after_rename=$((after_rename + 1))
        fi
        checks=$((checks + 1))
        if ! "$BIN" eval --model-dir "$ck/$name" --n-test 1 --threads 1 \
          --out "$WORK/eval" >/dev/null 2>"$WORK/eval.err"; then
          fail "round $rounds kill $round_kills: LATEST names $name, which does not load: $(cat "$WORK/eval.err")"
          break 2
        fi
      else
        before_first=$((before_first + 1))
      fi
    else
      # It ended before the kill.
      if ! wait "$pid"; then
        fail "round $rounds: resume failed: $(cat "$WORK/last.err")"
        break 2
      fi
      last_out=$(grep '^test accuracy' "$WORK/last.out")
      # An uninterrupted run from the start: the load of the machine may
      # have changed, so its duration bounds the next offsets.
      if [ "$round_kills" -eq 0 ]; then
        dur[$every]=$((elapsed > 100 ? elapsed : 100))
      fi
      break
    fi
  done
  if ! cmp -s "$WORK/ref1/model/state.safetensors" "$run/model/state.safetensors"; then
    fail "round $rounds: the final model differs from the uninterrupted run's"
    break
  fi
  if [ "$last_out" != "$ref_acc" ]; then
    fail "round $rounds: test accuracies differ: '$last_out' vs '$ref_acc'"
    break
  fi
  left=$( (cd "$run" && find . -name '.tmp-*') | wc -l)
  [ "$left" -gt 0 ] && fail "round $rounds: $left temporary entries left behind"
  echo "round $rounds (checkpoint every $every): $round_kills kill(s), model identical, $kills kills so far"
done
wall=$(($(date +%s) - t0))
echo "KILL-LOOP kills=$kills rounds=$rounds resumes=$resumes fresh_starts=$fresh" \
  "latest_checks=$checks in_checkpoint_write=$in_write between_rename_and_latest=$after_rename" \
  "in_final_writes=$in_final before_first_checkpoint=$before_first failures=$failures" \
  "wall_s=$wall commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo +dirty)"
[ "$failures" -eq 0 ] || { echo "run folder kept in $WORK"; exit 1; }
rm -rf "$WORK"
