#!/usr/bin/env python3
"""The ratios of bench/w5_alternating.sh's rounds (its rounds.jsonl):

    w5_alternating.py ROUNDS.jsonl N    # round N's line
    w5_alternating.py ROUNDS.jsonl      # range and median over the complete rounds

NEST ÷ spikeflow per spike: (NEST's time / its spikes) / (spikeflow's time /
its spikes), times in seconds per simulated second.
"""

import json
import statistics
import sys


def rounds(path):
    """Round number → {program: its W5 line}."""
    by_round = {}
    for line in open(path):
        r = json.loads(line)
        by_round.setdefault(r["round"], {})[r["program"]] = r
    return by_round


def per_spike(sf, nest):
    return (nest["wall_s_per_sim_s"] / nest["out_spikes"]) / (sf["wall_s_per_sim_s"] / sf["out_spikes"])


by_round = rounds(sys.argv[1])
if len(sys.argv) > 2:
    k = int(sys.argv[2])
    r = by_round.get(k, {})
    if len(r) < 2:
        sys.exit(f"round {k}: no W5 line from {', '.join(sorted({'spikeflow', 'nest'} - set(r)))} (see its .err)")
    sf, nest = r["spikeflow"], r["nest"]
    print(f"round {k}: spikeflow 2 ranks {sf['wall_s_per_sim_s']:.2f} s per simulated s "
          f"({int(sf['out_spikes'])} spikes), NEST 2 threads {nest['wall_s_per_sim_s']:.2f} "
          f"({int(nest['out_spikes'])}): NEST ÷ spikeflow per spike {per_spike(sf, nest):.2f}×", flush=True)
else:
    ratios = [per_spike(r["spikeflow"], r["nest"]) for _, r in sorted(by_round.items()) if len(r) == 2]
    if not ratios:
        sys.exit("no complete round")
    print(f"{len(ratios)} rounds: NEST ÷ spikeflow per spike {min(ratios):.2f}–{max(ratios):.2f}×, "
          f"median {statistics.median(ratios):.2f}×, ≥ 5× in {sum(x >= 5 for x in ratios)}")
