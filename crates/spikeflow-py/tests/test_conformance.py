"""BindsNET 0.3.4 reference runs replayed through the Python API: the same
spikes (and voltages / weights within the file's tolerance) as BindsNET and
as the Rust library's own replay (`cargo test`)."""

import json

import numpy as np
import pytest

from spikeflow import learning
from spikeflow.network import Network
from spikeflow.network import nodes as N
from spikeflow.network.monitors import Monitor
from spikeflow.network.topology import Connection

CASES = ["p01_noop_lif_b1", "p02_postpre_lif_nu_pair_b1", "p12_postpre_weight_decay_b1"]
NODE_ARGS = ("traces", "traces_additive", "tc_trace", "trace_scale", "sum_input",
             "thresh", "rest", "reset", "refrac", "tc_decay", "lbound")


def num(v):
    return float(v) if not isinstance(v, str) else float(v)


def build(case):
    net = Network(dt=case["dt"], batch_size=case["batch_size"], learning=case["learning"])
    for name in case["layer_order"]:
        spec = case["layers"][name]
        cls = getattr(N, spec["type"])
        kw = {k: spec[k] for k in NODE_ARGS if k in spec and spec[k] is not None}
        net.add_layer(cls(shape=spec["shape"], **kw), name)
    for c in case["connections"]:
        src, tgt = net.layers[c["source"]], net.layers[c["target"]]
        assert c["type"] == "Connection"
        red = {"squeeze": "sum", "sum": "sum", "mean": "mean"}[c["reduction_effective"]]
        conn = Connection(
            src, tgt, w=np.array(c["w_init"], dtype=np.float32),
            update_rule=getattr(learning, c["update_rule"]),
            nu=c["nu_effective"], reduction=red, weight_decay=c["weight_decay"],
            wmin=num(c["wmin"]), wmax=num(c["wmax"]), norm=c["norm"],
        )
        net.add_connection(conn, c["source"], c["target"])
    return net


@pytest.mark.parametrize("name", CASES)
def test_reference_case(root, name):
    path = root / "crates/spikeflow/tests/data/bindsnet" / f"{name}.json"
    case = json.loads(path.read_text())
    assert case["protocol"] == "single_run"
    net = build(case)
    exp = case["expected"]
    mons = {}
    for lname, vars_ in exp["layers"].items():
        mons[lname] = Monitor(net.layers[lname], [v for v in vars_ if v in ("s", "v", "x")])
        net.add_monitor(mons[lname], lname)
    for i, c in enumerate(case["connections"]):
        if "w_every_step" in exp["connections"][i]:
            m = Monitor(net.connections[(c["source"], c["target"])], ("w",))
            net.add_monitor(m, f"w{i}")
            mons[f"w{i}"] = m
    inputs = {k: np.array(v["data"], dtype=bool if v["kind"] == "spikes" else np.float32)
              for k, v in case["inputs"].items()}
    net.run(inputs, time=case["time"] * case["dt"])
    tol = case["tolerance"]
    for lname, vars_ in exp["layers"].items():
        for var in mons[lname].state_vars:
            got, want = mons[lname].get(var), np.array(vars_[var], dtype=np.float32)
            assert got.shape == want.shape, (lname, var)
            if var == "s":
                assert np.array_equal(got, want), f"{name}: {lname}.s differs"
            else:
                np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"], err_msg=f"{lname}.{var}")
    for i, c in enumerate(case["connections"]):
        e = exp["connections"][i]
        if "w_every_step" in e:
            np.testing.assert_allclose(mons[f"w{i}"].get("w"), np.array(e["w_every_step"], dtype=np.float32),
                                       rtol=tol["rtol"], atol=tol["atol"])
        np.testing.assert_allclose(net.connections[(c["source"], c["target"])].w,
                                   np.array(e["w_final"], dtype=np.float32), rtol=tol["rtol"], atol=tol["atol"])
    assert int(mons[case["layer_order"][-1]].get("s").sum()) == case["counts"]["spikes"][case["layer_order"][-1]]
