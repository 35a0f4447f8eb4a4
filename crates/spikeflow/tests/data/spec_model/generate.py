#!/usr/bin/env python3
"""Generates the cases of this folder with vectors/spec_model.py.

Each case below is a network, its parameters and its inputs (random, from a
fixed seed). `derived` is computed with the formulas of FORMAT.md §6 (float32),
and `expected` is what spec_model.replay() -- the NumPy float32 model of
FORMAT.md -- records for it. No value is written by hand.

    python3 generate.py [path/to/spec_model.py]   (default: ../../../../../../shared/vectors/spec_model.py)
"""
import importlib.util
import json
import math
import os
import sys

import numpy as np

F = np.float32
HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../../../shared/vectors/spec_model.py")
spec_mod = importlib.util.spec_from_file_location("spec_model", SPEC)
sm = importlib.util.module_from_spec(spec_mod)
spec_mod.loader.exec_module(sm)


def f32(x):
    return np.asarray(x, dtype=F).tolist()


def layer(ty, shape, traces=False, additive=False, **p):
    d = {"type": ty, "shape": shape, "n": int(np.prod(shape)), "traces": traces,
         "traces_additive": additive, "tc_trace": 20.0, "trace_scale": 1.0, "sum_input": False}
    d.update(p)
    return d


LIF = dict(thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5, tc_decay=100.0, lbound=None)


def conn(src, tgt, ty, w, rule="NoOp", nu=None, b=None, **p):
    w = np.asarray(w, F)
    nu_eff = [0.0, 0.0] if nu is None else (list(nu) if isinstance(nu, (list, tuple)) else [nu, nu])
    d = {"source": src, "target": tgt, "type": ty, "update_rule": rule, "update_rule_kwargs": {},
         "nu": nu, "nu_effective": f32(nu_eff), "reduction": None, "reduction_effective": None,
         "weight_decay": 0.0, "wmin": "-inf", "wmax": "inf", "norm": None, "Dales_rule": None,
         "w_dtype": "float32", "w_layout": "see FORMAT.md §4", "w_shape": list(w.shape),
         "w_init": w.tolist(), "b_init": None if b is None else f32(b), "record_w_every_step": True}
    d.update(p)
    return d


def pool(src, tgt, ty, **p):
    d = {"source": src, "target": tgt, "type": ty, "update_rule": "NoOp", "w_layout": "no weights"}
    d.update(p)
    return d


def spikes(rng, T, B, shape, p):
    return {"kind": "spikes", "dtype": "bool", "data": (rng.random((T, B) + tuple(shape)) < p).astype(int).tolist()}


def derive(case):
    dt = F(case["dt"])
    e = lambda tc: float(np.exp(-dt / F(tc)))  # noqa: E731
    layers = {}
    for n, l in case["layers"].items():
        d = {"trace_decay": e(l["tc_trace"])}
        for key, tc in (("decay", "tc_decay"), ("theta_decay", "tc_theta_decay"), ("i_decay", "tc_i_decay")):
            if tc in l:
                d[key] = e(l[tc])
        if l["type"] == "CSRMNodes":
            tau = F(l["tau"])
            t_res = np.arange(0, l["res_window_size"], float(dt), dtype=F)[::-1]
            t_ref = np.arange(0, l["ref_window_size"], float(dt), dtype=F)[::-1]
            d["res_kernel"] = f32((F(1) / tau) * np.exp(-t_res / tau))
            d["ref_kernel"] = f32(-F(l["reset_const"]) * np.exp(-t_ref / tau))
        layers[n] = d
    conns = []
    for c in case["connections"]:
        d = {}
        if "weight_decay" in c:
            d["weight_decay_factor"] = float(F(1.0 - c["weight_decay"]))
        conns.append(d)
    return {"layers": layers, "connections": conns}


def finish(case, description):
    case.update(format_version=1, set="spec_model", description=description,
                generator={"script": "generate.py", "model": "vectors/spec_model.py", "numpy": np.__version__},
                dtype="float32", tolerance={"rtol": 1e-5, "atol": 1e-6, "spikes": "exact"})
    case.setdefault("reward", None)
    case["derived"] = derive(case)
    got = sm.replay(case)
    exp = {"layers": {}, "connections": []}
    for n, vars_ in got["layers"].items():
        exp["layers"][n] = {}
        for var, vals in vars_.items():
            if var == "x" and case["layers"][n]["type"] == "Input" and not case["layers"][n]["traces"]:
                continue
            a = np.stack(vals)
            exp["layers"][n][var] = a.astype(int).tolist() if var == "s" else f32(a)
        if not exp["layers"][n]:
            del exp["layers"][n]
    for ci, c in enumerate(case["connections"]):
        ce = {}
        if got["w_final"][ci] is not None:
            if c.get("record_w_every_step"):
                ce["w_every_step"] = f32(np.stack(got["w"][ci]))
            ce["w_final"] = f32(got["w_final"][ci])
        if got["fr"][ci]:
            ce["firing_rates"] = f32(np.stack(got["fr"][ci]))
        exp["connections"].append(ce)
    case["expected"] = exp
    # The spec model's own check: the recorded values reproduce.
    errs, _ = sm.check_case(case)
    assert not errs, errs
    with open(os.path.join(HERE, case["name"] + ".json"), "w") as fh:
        json.dump(case, fh)
    spk = {n: int(np.sum(v["s"])) for n, v in exp["layers"].items() if "s" in v}
    print(case["name"], "spikes per layer:", spk)


def base(name, T, B, learning=True, protocol="single_run", dt=1.0):
    return {"name": name, "dt": dt, "time": T, "batch_size": B, "learning": learning, "protocol": protocol}


rng = np.random.default_rng(2024)

# s01: clamp / unclamp (unclamp wins) on IF and LIF targets, additive traces, PostPre, batch 2.
T, B = 30, 2
c = base("s01_clamp_unclamp_if_lif_b2", T, B, protocol="run_per_step")
c["layer_order"] = ["X", "Y", "Z"]
c["layers"] = {"X": layer("Input", [6], traces=True),
               "Y": layer("IFNodes", [4], traces=True, additive=True, thresh=-55.0, reset=-65.0, refrac=3, lbound=None),
               "Z": layer("LIFNodes", [3], traces=True, **LIF)}
c["connections"] = [conn("X", "Y", "Connection", rng.uniform(0, 6, (6, 4)), "PostPre", [0.05, 0.1]),
                    conn("Y", "Z", "Connection", rng.uniform(0, 9, (4, 3)), "PostPre", [0.05, 0.1])]
c["inputs"] = {"X": spikes(rng, T, B, [6], 0.3)}
c["clamp"] = {"Y": (rng.random((T, 4)) < 0.15).astype(int).tolist(), "Z": (rng.random((T, 3)) < 0.1).astype(int).tolist()}
c["unclamp"] = {"Y": (rng.random((T, 4)) < 0.2).astype(int).tolist()}
finish(c, "spike clamps and unclamps inside the layer update, before the trace (FORMAT §5.3)")

# s02: run-time masks with learning on: PostPre with bounds and a bias, and a NoOp connection with weight decay.
T, B = 30, 1
c = base("s02_mask_postpre_noop_decay_b1", T, B)
c["layer_order"] = ["X", "Y", "Z"]
c["layers"] = {"X": layer("Input", [5], traces=True), "Y": layer("LIFNodes", [3], traces=True, **LIF),
               "Z": layer("LIFNodes", [2], **LIF)}
c["connections"] = [
    conn("X", "Y", "Connection", rng.uniform(0.2, 1.0, (5, 3)) * 8, "PostPre", [0.05, 0.1], b=[1.0, 0.5, 2.0],
         wmin=0.0, wmax=10.0, mask=(rng.random((5, 3)) < 0.3).astype(int).tolist()),
    conn("X", "Z", "Connection", rng.uniform(2, 9, (5, 2)), weight_decay=0.05, b=[0.5, 0.25],
         mask=[[1, 0], [0, 0], [0, 1], [0, 0], [1, 1]])]
c["inputs"] = {"X": spikes(rng, T, B, [5], 0.35)}
finish(c, "masks= zero the masked weights after every step's learning step, NoOp (with decay) included")

# s03: masks with learning off, batch 2, bias shows the unmasked step 0.
T, B = 20, 2
c = base("s03_mask_learning_false_b2", T, B, learning=False)
c["layer_order"] = ["X", "Y"]
c["layers"] = {"X": layer("Input", [4]), "Y": layer("LIFNodes", [3], **LIF)}
c["connections"] = [conn("X", "Y", "Connection", rng.uniform(3, 10, (4, 3)), b=[3.0, 1.0, 2.0],
                         mask=[[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]])]
c["inputs"] = {"X": spikes(rng, T, B, [4], 0.4)}
finish(c, "masks= apply with learning off too")

# s04: Conv1d (stride 2, padding 1) and MaxPool1d (padding 1), batch 2.
T, B = 20, 2
c = base("s04_conv1d_maxpool1d_b2", T, B, learning=False)
c["layer_order"] = ["X", "Y", "P"]
c["layers"] = {"X": layer("Input", [2, 10]), "Y": layer("McCullochPitts", [3, 5], thresh=0.8),
               "P": layer("McCullochPitts", [2, 6], thresh=0.5)}
c["connections"] = [conn("X", "Y", "Conv1dConnection", rng.uniform(-0.2, 0.8, (3, 2, 3)), b=[0.1, -0.1, 0.0],
                         kernel_size=[3], stride=[2], padding=[1], dilation=[1]),
                    pool("X", "P", "MaxPool1dConnection", kernel_size=[2], stride=[2], padding=[1], dilation=[1], decay=0.1)]
c["inputs"] = {"X": spikes(rng, T, B, [2, 10], 0.3)}
finish(c, "Conv1dConnection and MaxPool1dConnection forward")

# s05: Conv3d and MaxPool3d (written MaxPool3dConnection; BindsNET's class is MaxPoo3dConnection).
T, B = 15, 1
c = base("s05_conv3d_maxpool3d_b1", T, B, learning=False)
c["layer_order"] = ["X", "Y", "P"]
c["layers"] = {"X": layer("Input", [1, 3, 4, 4]), "Y": layer("McCullochPitts", [2, 2, 3, 3], thresh=0.9),
               "P": layer("McCullochPitts", [1, 3, 2, 2], thresh=0.5)}
c["connections"] = [conn("X", "Y", "Conv3dConnection", rng.uniform(-0.1, 0.5, (2, 1, 2, 2, 2)), b=[0.0, 0.2],
                         kernel_size=[2, 2, 2], stride=[1, 1, 1], padding=[0, 0, 0], dilation=[1, 1, 1]),
                    pool("X", "P", "MaxPool3dConnection", kernel_size=[1, 2, 2], stride=[1, 2, 2],
                         padding=[0, 0, 0], dilation=[1, 1, 1], decay=0.2)]
c["inputs"] = {"X": spikes(rng, T, B, [1, 3, 4, 4], 0.3)}
finish(c, "Conv3dConnection and MaxPool3d forward")

# s06: LocalConnection1D with PostPre and norm (C_in = 1), batch 2, mean reduction.
T, B = 25, 2
c = base("s06_local1d_postpre_norm_b2", T, B)
c["layer_order"] = ["X", "Y"]
c["layers"] = {"X": layer("Input", [1, 9], traces=True), "Y": layer("LIFNodes", [8], traces=True, **LIF)}
c["connections"] = [conn("X", "Y", "LocalConnection1D", rng.uniform(2, 9, (1, 8, 3)), "PostPre", [0.05, 0.1],
                         kernel_size=[3], stride=[2], n_filters=2, reduction="mean", reduction_effective="mean",
                         norm=12.0)]
c["inputs"] = {"X": spikes(rng, T, B, [1, 9], 0.35)}
finish(c, "LocalConnection1D forward, PostPre and per-(channel, target) norm")

# s07: LocalConnection2D with two input channels and LocalConnection3D, forward only.
T, B = 15, 1
c = base("s07_local2d_2ch_local3d_b1", T, B, learning=False)
c["layer_order"] = ["X2", "X3", "Y2", "Y3"]
c["layers"] = {"X2": layer("Input", [2, 4, 4]), "X3": layer("Input", [1, 3, 3, 3]),
               "Y2": layer("McCullochPitts", [8], thresh=0.9), "Y3": layer("McCullochPitts", [8], thresh=0.9)}
c["connections"] = [conn("X2", "Y2", "LocalConnection2D", rng.uniform(-0.2, 0.6, (2, 8, 4)),
                         kernel_size=[2, 2], stride=[2, 2], n_filters=2),
                    conn("X3", "Y3", "LocalConnection3D", rng.uniform(-0.1, 0.4, (1, 8, 8)),
                         kernel_size=[2, 2, 2], stride=[1, 1, 1], n_filters=1)]
c["inputs"] = {"X2": spikes(rng, T, B, [2, 4, 4], 0.35), "X3": spikes(rng, T, B, [1, 3, 3, 3], 0.35)}
finish(c, "LocalConnection2D (2 input channels) and LocalConnection3D forward")

# s08: MeanFieldConnection with a scalar and a per-target weight, batch 2.
T, B = 25, 2
c = base("s08_meanfield_scalar_per_target_b2", T, B)
c["layer_order"] = ["X", "Y", "Z"]
c["layers"] = {"X": layer("Input", [5]), "Y": layer("LIFNodes", [3], **LIF), "Z": layer("LIFNodes", [2], **LIF)}
c["connections"] = [conn("X", "Y", "MeanFieldConnection", np.float32(9.0), reduction_effective="sum"),
                    conn("X", "Z", "MeanFieldConnection", [6.0, 14.0], reduction_effective="sum")]
c["inputs"] = {"X": spikes(rng, T, B, [5], 0.4)}
finish(c, "MeanFieldConnection: mean over batch and sources, scalar ([]) and per-target weights")

# s09: BoostedLIFNodes with PostPre.
T, B = 30, 1
c = base("s09_boosted_lif_postpre_b1", T, B)
c["layer_order"] = ["X", "Y"]
c["layers"] = {"X": layer("Input", [6], traces=True),
               "Y": layer("BoostedLIFNodes", [4], traces=True, thresh=3.0, refrac=3, tc_decay=20.0)}
c["connections"] = [conn("X", "Y", "Connection", rng.uniform(0, 2.5, (6, 4)), "PostPre", [0.02, 0.05])]
c["inputs"] = {"X": spikes(rng, T, B, [6], 0.35)}
finish(c, "BoostedLIFNodes: v from 0, decays towards 0, resets to 0")

# s10/s11: CSRMNodes with the exponential / eta kernels, learning on (theta) and off with batch 2.
for name, T, B, learning in (("s10_csrm_b1", 30, 1, True), ("s11_csrm_learning_false_b2", 25, 2, False)):
    c = base(name, T, B, learning=learning)
    c["layer_order"] = ["X", "Y"]
    c["layers"] = {"X": layer("Input", [6]),
                   "Y": layer("CSRMNodes", [4], traces=True, rest=-65.0, thresh=-52.0, responseKernel="ExponentialKernel",
                              refractoryKernel="EtaKernel", tau=2.0, res_window_size=5, ref_window_size=3,
                              reset_const=20.0, tc_decay=10.0, theta_plus=0.5, tc_theta_decay=50.0, lbound=None)}
    c["connections"] = [conn("X", "Y", "Connection", rng.uniform(0, 12, (6, 4)))]
    c["inputs"] = {"X": spikes(rng, T, B, [6], 0.35)}
    finish(c, "CSRMNodes: windows of inputs and own spikes weighted by fixed kernels, no reset")
