#!/usr/bin/env python3
"""Keeps the W5 result lines of `spikeflow bench w5` or `bench/w5_nest.py`
(stdin to stdout, one JSON object per line; other lines dropped), each
tagged with the KEY=VALUE pairs given (whole numbers kept as numbers):

    spikeflow bench w5 ... | python3 bench/w5_json.py round=3 program=spikeflow
"""

import json
import sys

tags = {}
for arg in sys.argv[1:]:
    key, _, value = arg.partition("=")
    tags[key] = int(value) if value.lstrip("-").isdigit() else value
for line in sys.stdin:
    try:
        record = json.loads(line)
    except ValueError:
        continue
    if isinstance(record, dict) and (record.get("bench") == "w5" or "wall_s_per_sim_s" in record):
        record.update(tags)
        print(json.dumps(record), flush=True)
