"""Learning rules written in Python, both ways: SynapseRule (vectorised
phases, every topology) and BindsNET-style LearningRule._connection_update."""

import math
import runpy

import numpy as np
import pytest

from spikeflow.learning import LearningRule, PostPre, SynapseRule
from spikeflow.network import Network
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Conv2dConnection, Connection, SparseConnection


class PyPostPre(SynapseRule):
    """BindsNET's PostPre, written once for every topology."""

    requires = ("pre_traces", "post_traces")

    def on_pre(self, syn):
        return -(syn.pre_s * (syn.post_x * syn.nu_pre))

    def on_post(self, syn):
        return syn.pre_x * (syn.post_s * syn.nu_post)


class BindsPostPre(LearningRule):
    """BindsNET's PostPre._connection_update with torch turned into NumPy."""

    def _connection_update(self, **kwargs):
        batch_size = self.source.batch_size
        if self.nu[0].any():
            source_s = self.source.s.reshape(batch_size, -1)[:, :, None].astype(np.float32)
            target_x = self.target.x.reshape(batch_size, -1)[:, None, :] * self.nu[0]
            self.connection.w -= self.reduction(source_s @ target_x, dim=0)
        if self.nu[1].any():
            target_s = self.target.s.reshape(batch_size, -1)[:, None, :].astype(np.float32) * self.nu[1]
            source_x = self.source.x.reshape(batch_size, -1)[:, :, None]
            self.connection.w += self.reduction(source_x @ target_s, dim=0)
        super().update()


def raster(steps, batch, n, p, seed):
    return np.random.default_rng(seed).random((steps, batch, n)) < p


def dense(rule, batch=1, w=None, **kw):
    net = Network(dt=1.0, batch_size=batch)
    x, y = Input(n=6, traces=True), LIFNodes(n=4, traces=True, thresh=-60.0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    if w is None:
        w = 2.0 + (np.arange(24) % 7).reshape(6, 4) * 0.5
    c = Connection(x, y, w=w, update_rule=rule, nu=(0.02, 0.05), **kw)
    net.add_connection(c, "X", "Y")
    return net, c


@pytest.mark.parametrize("batch,kw", [(1, {}), (1, dict(wmin=0.0, wmax=3.5, weight_decay=1e-3)),
                                      (3, {}), (3, dict(reduction=np.sum))])
def test_synapse_rule_postpre_equals_builtin_dense(batch, kw):
    x = raster(80, batch, 6, 0.3, 7)
    out = []
    for rule in (PostPre, PyPostPre):
        net, c = dense(rule, batch, **kw)
        w0 = c.w.copy()
        net.run({"X": x}, time=80)
        out.append(c.w)
    assert not np.array_equal(out[0], w0)
    np.testing.assert_array_equal(out[0], out[1])


def dense_two_runs(rule, w0, x, first, thresh, **kw):
    """Input -> LIF (dense ``w0``, ``rule``) driven by ``x`` in two runs
    split at step ``first``: the weights and the target's spikes."""
    net = Network(dt=1.0)
    a, b = Input(n=w0.shape[0], traces=True), LIFNodes(n=w0.shape[1], traces=True, thresh=thresh)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    c = Connection(a, b, w=w0, update_rule=rule, nu=(1e-3, 5e-3), **kw)
    net.add_connection(c, "X", "Y")
    mon = Monitor(b, ["s"])
    net.add_monitor(mon, "Y")
    net.run({"X": x[:first]}, time=first)
    net.run({"X": x[first:]}, time=len(x) - first)
    return c.w, mon.get("s")


@pytest.mark.parametrize("kw", [{}, dict(wmin=-0.5, wmax=0.5)])
def test_synapse_rule_postpre_equals_builtin_on_a_larger_dense_run(kw):
    # Many steps between a source's spikes and many targets spiking: the
    # engine keeps PyPostPre's post terms (its on_post does not read w) and
    # adds them to each row when the row is read; the weights must still be
    # the built-in rule's, bit for bit, across two runs.
    rng = np.random.default_rng(5)
    w0 = rng.normal(0.0, 0.3, (120, 80)).astype(np.float32)
    x = rng.random((300, 1, 120)) < rng.uniform(0.0, 0.08, 120)
    out = [dense_two_runs(rule, w0, x, 200, -62.0, **kw) for rule in (PostPre, PyPostPre)]
    assert out[0][1].sum() > 300, "Y should spike often"
    assert not np.array_equal(out[0][0], w0)
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_synapse_rule_postpre_equals_builtin_conv():
    x = raster(50, 2, 25, 0.3, 11).reshape(50, 2, 1, 5, 5)
    out = []
    for rule in (PostPre, PyPostPre):
        net = Network(dt=1.0, batch_size=2)
        a = Input(shape=[1, 5, 5], traces=True)
        b = LIFNodes(shape=[2, 3, 3], traces=True, thresh=-62.0)
        net.add_layer(a, "X")
        net.add_layer(b, "Y")
        w = (1.0 + (np.arange(18) % 5) * 0.4).reshape(2, 1, 3, 3)
        c = Conv2dConnection(a, b, kernel_size=3, w=w, update_rule=rule, nu=(0.01, 0.03))
        net.add_connection(c, "X", "Y")
        net.run({"X": x}, time=50)
        out.append(c.w)
    assert not np.array_equal(out[0], w)
    np.testing.assert_array_equal(out[0], out[1])


def test_synapse_rule_on_sparse():
    w = 2.0 + (np.arange(24) % 7).reshape(6, 4) * 0.5
    w.flat[::3] = 0.0
    x = raster(60, 1, 6, 0.3, 5)
    out = []
    for rule in (PostPre, PyPostPre):
        net = Network()
        a, b = Input(n=6, traces=True), LIFNodes(n=4, traces=True, thresh=-60.0)
        net.add_layer(a, "X")
        net.add_layer(b, "Y")
        c = SparseConnection(a, b, w=w, update_rule=rule, nu=(0.02, 0.05))
        net.add_connection(c, "X", "Y")
        net.run({"X": x}, time=60)
        out.append(c.w)
    np.testing.assert_array_equal(out[0], out[1])


class PyMSTDP(SynapseRule):
    """BindsNET's MSTDP in Python: the rule keeps its own state — the traces
    p⁺ (per source) and p⁻ (per target) and the previous step's eligibility
    — and works in ``every_step`` (every synapse, every step):
    Δw = ν·reward·ζ(t − 1); p ← p·e^{−dt/τ} + a·s; ζ = p⁺·s_post + s_pre·p⁻."""

    requires = ("reward",)
    tc_plus = tc_minus = 20.0
    a_plus, a_minus = 1.0, -1.0

    def every_step(self, syn):
        if not hasattr(self, "zeta"):
            self.p_plus = np.zeros((syn.batch_size, syn.n_pre), np.float32)
            self.p_minus = np.zeros((syn.batch_size, syn.n_post), np.float32)
            self.zeta = np.zeros(syn.shape, np.float32)
        dw = syn.nu_pre * (syn.reward * self.zeta)
        s_pre = np.zeros_like(self.p_plus)
        s_pre[syn.row, syn.pre] = syn.pre_s
        s_post = np.zeros_like(self.p_minus)
        s_post[syn.row, syn.post] = syn.post_s
        self.p_plus = self.p_plus * np.float32(math.exp(-syn.dt / self.tc_plus)) + self.a_plus * s_pre
        self.p_minus = self.p_minus * np.float32(math.exp(-syn.dt / self.tc_minus)) + self.a_minus * s_post
        self.zeta = (self.p_plus[syn.row, syn.pre] * syn.post_s
                     + syn.pre_s * self.p_minus[syn.row, syn.post]).astype(np.float32)
        return dw.astype(np.float32)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_python_rule_with_its_own_traces_and_eligibility_matches_mstdp(kind):
    from spikeflow.learning import MSTDP
    w = 2.0 + (np.arange(24) % 7).reshape(6, 4) * 0.5
    if kind == "sparse":
        w.flat[::3] = 0.0
    x = raster(100, 1, 6, 0.3, 9)
    reward = np.where(np.arange(100) % 10 < 5, 1.0, -0.5).astype(np.float32)[:, None]
    out = []
    for rule in (MSTDP, PyMSTDP):
        net = Network()
        a, b = Input(n=6), LIFNodes(n=4, thresh=-60.0)
        net.add_layer(a, "X")
        net.add_layer(b, "Y")
        conn = SparseConnection if kind == "sparse" else Connection
        c = conn(a, b, w=w, update_rule=rule, nu=(0.05, 0.0))
        net.add_connection(c, "X", "Y")
        net.run({"X": x}, time=100, reward=reward)
        out.append(c.w)
    assert not np.allclose(out[0], w)
    np.testing.assert_allclose(out[1], out[0], rtol=1e-5, atol=1e-6)


class Recorder(SynapseRule):
    """Records what each phase sees (every array broadcast to syn.shape and
    flattened, and the shapes as given); pre subtracts 1, post adds 10."""

    reads = "all"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.seen = []
        self.shapes = []

    def _see(self, syn, s):
        flat = [np.broadcast_to(getattr(syn, f), syn.shape).ravel().tolist()
                for f in ("row", "pre", "post", "weight", "w", s)]
        self.seen.append((syn.phase, *flat, syn.dt))
        self.shapes.append((syn.shape, *(getattr(syn, f).shape for f in (
            "row", "pre", "post", "weight", "w", "pre_s", "post_x", "nu_pre", "wmax", "reward"))))

    def on_pre(self, syn):
        self._see(syn, "pre_s")
        return np.full(syn.n, -1.0, np.float32)

    def on_post(self, syn):
        self._see(syn, "post_s")
        return np.full(syn.shape, 10.0, np.float32)


class FlatRecorder(Recorder):
    block = False


def micro(rule, w=(1.0, 2.0, 3.0, 4.0)):
    """X [2] -> Y [2]: X0 spikes at step 0, Y1 is clamped at step 1."""
    net = Network()
    a, b = Input(n=2), LIFNodes(n=2, thresh=1000.0)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    c = Connection(a, b, w=np.array(w).reshape(2, 2), update_rule=rule, nu=1.0)
    net.add_connection(c, "X", "Y")
    x = np.zeros((2, 2), bool)
    x[0, 0] = True
    clamp = np.zeros((2, 2), bool)
    clamp[1, 1] = True
    net.run({"X": x}, time=2, clamp={"Y": clamp})
    return c


@pytest.mark.parametrize("rule", [Recorder, FlatRecorder])
def test_synapse_rule_hand_computed(rule):
    c = micro(rule)
    assert c.update_rule.seen == [
        ("pre", [0, 0], [0, 0], [0, 1], [0, 1], [1.0, 2.0], [1.0, 1.0], 1.0),
        ("post", [0, 0], [0, 1], [1, 1], [1, 3], [1.0, 4.0], [1.0, 1.0], 1.0),
    ]
    np.testing.assert_array_equal(c.w, [[0.0, 11.0], [3.0, 14.0]])
    if rule is FlatRecorder:
        assert c.update_rule.shapes == [((2,),) * 11] * 2
    else:
        # Dense, batch 1: the block (row of source 0; column of target 1),
        # per-source (rows, 1), per-target (1, cols), scalars (1, 1).
        one = (1, 1)
        assert c.update_rule.shapes == [
            ((1, 2), one, (1, 1), (1, 2), (1, 2), (1, 2), (1, 1), (1, 2), one, one, one),
            ((2, 1), one, (2, 1), (1, 1), (2, 1), (2, 1), (2, 1), (1, 1), one, one, one),
        ]


class Broadcasts(SynapseRule):
    """Returns arrays of the broadcast shapes; PostPre's terms, bit for bit."""

    requires = ("pre_traces", "post_traces")

    def on_pre(self, syn):
        return syn.pre_s * (syn.post_x * -syn.nu_pre)  # (rows, cols) from (r, 1) x (1, c)

    def on_post(self, syn):
        t = syn.post_s * syn.nu_post  # (1, cols)
        return syn.pre_x * t


class PerWeight(SynapseRule):
    """PostPre, checking on the way that the per-weight arrays (w, weight,
    per-synapse bounds) line up with the synapses in either form."""

    requires = ("pre_traces", "post_traces")
    bounds = None

    def _check(self, syn):
        k = np.broadcast_to(syn.weight, syn.shape)
        w = np.broadcast_to(syn.w, syn.shape)
        assert w.shape == syn.shape and np.all(np.isfinite(w))
        if self.bounds is not None:
            lo, hi = self.bounds
            np.testing.assert_array_equal(np.broadcast_to(syn.wmin, syn.shape), lo.ravel()[k])
            np.testing.assert_array_equal(np.broadcast_to(syn.wmax, syn.shape), hi.ravel()[k])
        assert np.all((w >= syn.wmin) | (w > 1.9))  # clamped, or not yet touched

    def on_pre(self, syn):
        self._check(syn)
        return -(syn.pre_s * (syn.post_x * syn.nu_pre))

    def on_post(self, syn):
        self._check(syn)
        return syn.pre_x * (syn.post_s * syn.nu_post)


@pytest.mark.parametrize("rule", [Broadcasts, PerWeight])
@pytest.mark.parametrize("batch", [1, 3])
def test_broadcast_forms_equal_builtin(rule, batch):
    x = raster(80, batch, 6, 0.3, 3)
    k = np.arange(24).reshape(6, 4)
    for kw in ({}, dict(wmin=1.0 + k * 0.01, wmax=4.0 + k * 0.05)):
        out = []
        for r in (PostPre, rule):
            net, c = dense(r, batch, **kw)
            if r is PerWeight and kw:
                c.update_rule.bounds = (np.float32(kw["wmin"]), np.float32(kw["wmax"]))
            net.run({"X": x}, time=80)
            out.append(c.w)
        np.testing.assert_array_equal(out[0], out[1])


class Forms(SynapseRule):
    """Terms of a given NumPy form on a block: a term per source (``(rows,
    1)``), per target (``(1, cols)`` or 1-D ``(cols,)``), one for all
    (``(1, 1)``, a NumPy scalar); ``full`` writes the same terms out as the
    whole block. The engine keeps the factored forms as vectors: the weights
    must be the full block's, bit for bit."""

    requires = ("pre_traces", "post_traces")
    form = None
    full = False

    def _out(self, syn, t):
        return np.broadcast_to(t, syn.shape).copy() if self.full else t

    def on_pre(self, syn):
        t = {"rows": syn.pre_x * np.float32(-0.002), "cols": syn.post_x * -syn.nu_pre,
             "flat": (syn.post_x * -syn.nu_pre).ravel(), "one": np.float32(-0.001) * syn.nu_pre,
             "scalar": np.float32(-0.001)}[self.form]
        return self._out(syn, t)

    def on_post(self, syn):
        t = {"rows": syn.pre_x * syn.nu_post, "cols": syn.post_x * np.float32(0.003),
             "flat": (syn.post_x * np.float32(0.003)).ravel(), "one": np.float32(0.002) * syn.nu_post,
             "scalar": np.float32(0.002)}[self.form]
        return self._out(syn, t)


@pytest.mark.parametrize("form", ["rows", "cols", "flat", "one", "scalar"])
@pytest.mark.parametrize("kw", [{}, dict(wmin=-0.5, wmax=0.5)])
def test_factored_block_terms_equal_the_full_block(form, kw):
    rng = np.random.default_rng(8)
    w0 = rng.normal(0.2, 0.3, (50, 30)).astype(np.float32)
    x = rng.random((200, 1, 50)) < rng.uniform(0.0, 0.3, 50)
    out = [dense_two_runs(type("F", (Forms,), {"form": form, "full": full}), w0, x, 120, -63.0, **kw)
           for full in (True, False)]
    assert out[0][1].sum() > 100, "Y should spike often"
    assert not np.array_equal(out[0][0], w0)
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


class SpikeShapes(SynapseRule):
    """Records the shapes of both sides' spikes and traces per phase."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.shapes = []

    def on_pre(self, syn):
        self.shapes.append(("pre", syn.shape, syn.pre_s.shape, syn.pre_x.shape, syn.post_s.shape))
        return np.zeros(syn.shape, np.float32)

    def on_post(self, syn):
        self.shapes.append(("post", syn.shape, syn.post_s.shape, syn.post_x.shape, syn.pre_s.shape))
        return np.zeros(syn.shape, np.float32)


def test_spikes_that_start_a_block_phase_are_one_value():
    # Sources 0 and 2 spike at step 0; targets 1 and 2 are clamped at step 1.
    net = Network()
    a, b = Input(n=3, traces=True), LIFNodes(n=3, thresh=1000.0, traces=True)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    c = Connection(a, b, w=np.ones((3, 3)), update_rule=SpikeShapes, nu=1.0)
    net.add_connection(c, "X", "Y")
    x = np.zeros((2, 3), bool)
    x[0, [0, 2]] = True
    clamp = np.zeros((2, 3), bool)
    clamp[1, [1, 2]] = True
    net.run({"X": x}, time=2, clamp={"Y": clamp})
    # The starting side's spikes (all 1) as (1, 1); its traces and the
    # other side's spikes keep their (rows, 1) / (1, cols) shapes.
    assert c.update_rule.shapes == [
        ("pre", (2, 3), (1, 1), (2, 1), (1, 3)),
        ("post", (3, 2), (1, 1), (1, 2), (3, 1)),
    ]


class TracePost(LearningRule):
    """BindsNET style: w += nu_post * outer(x_pre, s_post) (hand-checked)."""

    def _connection_update(self, **kwargs):
        self.seen = (self.source.s.copy(), self.target.s.copy(), self.connection.w.shape)
        s = self.target.s.astype(np.float32)
        self.connection.w += self.nu[1] * self.reduction(
            self.source.x[:, :, None] * s[:, None, :], dim=0)


def test_bindsnet_style_hand_computed():
    net = Network()
    a, b = Input(n=2, traces=True), LIFNodes(n=1, traces=True)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    c = Connection(a, b, w=np.array([[20.0], [0.5]]), update_rule=TracePost, nu=(0.0, 1.0))
    net.add_connection(c, "X", "Y")
    x = np.zeros((3, 2), bool)
    x[0, 0] = True
    net.run({"X": x}, time=3)
    # Input 0 spikes at t=0, Y spikes at t=1: w0 += x_pre(t=1) = exp(-1/20).
    np.testing.assert_allclose(c.w[:, 0], [20.0 + math.exp(-1 / 20), 0.5], rtol=1e-6)
    assert c.update_rule.seen[2] == (2, 1)


@pytest.mark.parametrize("batch,kw", [(1, {}), (1, dict(wmin=0.0, wmax=3.5, weight_decay=1e-3)),
                                      (3, {}), (3, dict(reduction=np.sum))])
def test_bindsnet_style_postpre_equals_builtin(batch, kw):
    x = raster(80, batch, 6, 0.3, 7)
    out = []
    for rule in (PostPre, BindsPostPre):
        net, c = dense(rule, batch, **kw)
        net.run({"X": x}, time=80)
        out.append(c.w)
    # BindsNET's code reduces and adds each term on its own (w -= R(pre);
    # w += R(post)); the engine sums them first: a few ulps apart.
    if batch == 1:
        np.testing.assert_array_equal(out[0], out[1])
    else:
        np.testing.assert_allclose(out[0], out[1], rtol=1e-6, atol=0)


class Boom(Exception):
    pass


class FailsAtStep3(SynapseRule):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.calls = 0

    def every_step(self, syn):
        self.calls += 1
        if self.calls == 3:
            raise Boom("step 3")
        return np.ones(syn.n, np.float32)


class BindsFails(LearningRule):
    def _connection_update(self, **kwargs):
        raise Boom("bindsnet-style")


@pytest.mark.parametrize("rule,w_after", [(FailsAtStep3, 2.0), (BindsFails, 0.0)])
def test_python_exception_stops_run_and_reraises(rule, w_after):
    net = Network()
    a, b = Input(n=2), LIFNodes(n=1)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    c = Connection(a, b, w=np.zeros((2, 1)), update_rule=rule, nu=1.0)
    net.add_connection(c, "X", "Y")
    m = Monitor(b, ("v",))
    net.add_monitor(m, "Y")
    with pytest.raises(Boom) as e:
        net.run({"X": np.zeros((10, 2), bool)}, time=10)
    assert e.value.args[0] in ("step 3", "bindsnet-style")
    # stopped after the failing step (its change not applied); still usable
    np.testing.assert_array_equal(c.w[:, 0], [w_after, w_after])
    assert m.get("v").shape[0] == (3 if rule is FailsAtStep3 else 1)
    if rule is FailsAtStep3:
        net.run({"X": np.zeros((4, 2), bool)}, time=4)
        np.testing.assert_array_equal(c.w[:, 0], [6.0, 6.0])


class Returns(SynapseRule):
    what = None

    def on_pre(self, syn):
        return type(self).what(syn)


@pytest.mark.parametrize("what,exc,msg", [
    (lambda syn: np.zeros(syn.n), TypeError, "float64"),
    (lambda syn: np.zeros(syn.n + 1, np.float32), ValueError, "shape"),
    (lambda syn: np.zeros((syn.n, 3), np.float32), ValueError, "shape"),
    (lambda syn: np.zeros((3,) + syn.shape, np.float32), ValueError, "shape"),
    (lambda syn: None, TypeError, "NoneType"),
    (lambda syn: [0.0] * syn.n, TypeError, "list"),
])
def test_wrong_returns_raise_clear_errors(what, exc, msg):
    rule = type("R", (Returns,), {"what": staticmethod(what)})
    net = Network()
    a, b = Input(n=2), LIFNodes(n=1)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    net.add_connection(Connection(a, b, w=np.zeros((2, 1)), update_rule=rule, nu=1.0), "X", "Y")
    with pytest.raises(exc, match=msg):
        net.run({"X": np.ones((3, 2), bool)}, time=3)


class ReadsWIndirectly(SynapseRule):
    def on_pre(self, syn):
        return getattr(syn, "w" + "") * 0


def test_ungathered_field_says_how_to_fix():
    net = Network()
    a, b = Input(n=2), LIFNodes(n=1)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    net.add_connection(Connection(a, b, w=np.zeros((2, 1)), update_rule=ReadsWIndirectly, nu=1.0),
                       "X", "Y")
    with pytest.raises(AttributeError, match="reads = 'all'"):
        net.run({"X": np.ones((2, 2), bool)}, time=2)


def test_requirements_and_rates_checked_at_build():
    net = Network()
    a, b = Input(n=2), LIFNodes(n=1)  # no traces
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    net.add_connection(Connection(a, b, update_rule=PyPostPre, nu=0.1), "X", "Y")
    with pytest.raises(ValueError, match="PyPostPre.*trace"):
        net.run({"X": np.ones((2, 2), bool)}, time=2)
    net2, _ = dense(PyPostPre)
    net2.connections[("X", "Y")].update_rule.nu = None
    with pytest.raises(ValueError, match="switches off every term"):
        net2.run({"X": np.ones((2, 6), bool)}, time=2)


def test_bindsnet_style_refuses_other_topologies():
    net = Network()
    a, b = Input(n=6, traces=True), LIFNodes(n=4, traces=True)
    net.add_layer(a, "X")
    net.add_layer(b, "Y")
    net.add_connection(SparseConnection(a, b, w=np.ones((6, 4)), update_rule=BindsPostPre, nu=0.1),
                       "X", "Y")
    with pytest.raises(ValueError, match="SynapseRule"):
        net.run({"X": np.ones((2, 6), bool)}, time=2)


@pytest.mark.parametrize("name", ["custom_rule_synapse.py", "custom_rule_bindsnet.py"])
def test_examples_run(root, name, capsys):
    runpy.run_path(str(root / "examples/python" / name), run_name="__main__")
    assert "same weights" in capsys.readouterr().out
