//! The paper's STDP with Brian 1's timing on delayed synapses.

use super::stdp::PaperStdp;
use crate::learning::{ConnectionInfo, ConnectionRule, Nu, RulePart, WholeConnection};
use crate::topology::SynapseMap;

/// Spike times remembered per input (enough for the longest delay at any
/// realistic rate: a delay of `d_max` steps needs the spikes of the last
/// `d_max` steps plus one before).
const HISTORY: usize = 8;
const NEVER: i64 = i64::MIN / 4;
/// Depressed synapses per step (pending input spikes × targets) above
/// which the depression splits the targets over the pool's threads.
const PAR_MIN_DEPRESSION: usize = 1 << 16;

/// [`PaperStdp`](super::PaperStdp) with per-synapse delays and Brian 1's
/// arrival-time semantics, for a dense `[n_pre × n_post]` connection such as
/// [`Delayed`](crate::topology::Delayed). Give the connection unbounded
/// `wmin`/`wmax`: the rule clips what it touches. Each synapse sees its
/// presynaptic spikes when they *arrive*.
///
/// Brian 1 runs an STDP on a `DelayConnection` as follows (`brian/stdp.py`):
/// the trace assignment `pre = 1` happens when the source spikes; the weight
/// update of the pre code, `w −= ν_pre·post1`, is evaluated with `post1` as
/// it was when the spike reached the synapse (`t_spike + d`), and applied
/// `d_max` later; the post code `w += ν_post·pre·post2before` reads `pre` as
/// it was `d` earlier — the presynaptic trace seen through the synapse's
/// delay. So for synapse `(i, j)` with delay `d_ij`:
///
/// ```text
/// pre spike of i at t_s:   w_ij −= ν_pre · post1_j(t_s + d_ij)      (applied at t_s + d_max)
/// post spike of j at t:    w_ij += ν_post · pre_i(t − d_ij) · post2_j(t⁻)
/// pre_i(t') = exp(−(t' − t_last)/τ_pre), t_last the last spike of i at or before t'
/// ```
/// then `w` is clipped to `[wmin, wmax]`, as Brian clips the rows/columns it
/// updates. With all delays zero this is [`PaperStdp`] through the generic
/// loop up to float rounding (tested).
///
/// Why a second version of the rule: the generic per-synapse loop sees a
/// source's spike at one step for all its synapses, while here synapse
/// `(i, j)` sees it `d_ij` steps later and the depression uses the target's
/// trace at that later step — a per-synapse time shift the
/// [`SynapseRule`](crate::learning::SynapseRule) interface cannot state.
///
/// Batch size 1 only (the spike history is per input, not per batch row):
/// the network refuses to build otherwise. The rates are the ones given to
/// [`new`](Self::new); a different `.nu(…)` on the connection is refused.
/// Its state (spike history, traces, pending depressions) is saved in
/// snapshots: spike times as ages, capped at 2²⁴ steps (a spike that old
/// contributes `exp(−2²⁴·dt/τ_pre)`, i.e. 0 unless `τ_pre/dt` exceeds ~10⁵).
#[derive(Debug, Clone)]
pub struct PaperStdpDelayed {
    /// Time constants.
    pub rule: PaperStdp,
    /// `ν_pre`.
    pub nu_pre: f32,
    /// `ν_post`.
    pub nu_post: f32,
    /// Lower bound.
    pub wmin: f32,
    /// Upper bound.
    pub wmax: f32,
    delays: Vec<u16>,
    d_max: usize,
    t: i64,
    /// Per input, its last spike steps, most recent first.
    pre_hist: Vec<[i64; HISTORY]>,
    post1: Vec<f32>,
    post2: Vec<f32>,
    /// `post1` as seen at each of the last `d_max + 1` steps.
    post1_hist: Vec<f32>,
    /// Input spikes by emission step (slot `t mod (d_max + 1)`).
    pending: Vec<Vec<u32>>,
    /// Per delay, the offset into `post1_hist` a depression reads (scratch).
    offsets: Vec<usize>,
    /// Targets whose `post1` may be non-zero in `post1_hist` (a superset:
    /// every target with a non-zero `post1` in the last `d_max + 1` steps).
    live: Vec<u32>,
    /// Per target, whether it is in `live`.
    in_live: Vec<bool>,
    /// Per target, the last step at which its `post1` was non-zero.
    last_nonzero: Vec<i64>,
    /// Pending rows that need the full depression (scratch).
    dirty: Vec<u32>,
}

impl PaperStdpDelayed {
    /// The rule for a connection whose delays (in steps, `[n_pre × n_post]`
    /// row-major) are `delays`.
    pub fn new(rule: PaperStdp, nu: (f32, f32), wmin: f32, wmax: f32, delays: Vec<u16>) -> Self {
        let d_max = delays.iter().copied().max().unwrap_or(0) as usize;
        Self::with_d_max(rule, nu, wmin, wmax, delays, d_max)
    }

    /// `d_max`: the whole connection's longest delay (a part of it applies
    /// its depressions when the whole connection does).
    fn with_d_max(
        rule: PaperStdp,
        nu: (f32, f32),
        wmin: f32,
        wmax: f32,
        delays: Vec<u16>,
        d_max: usize,
    ) -> Self {
        PaperStdpDelayed {
            rule,
            nu_pre: nu.0,
            nu_post: nu.1,
            wmin,
            wmax,
            delays,
            d_max,
            t: 0,
            pre_hist: Vec::new(),
            post1: Vec::new(),
            post2: Vec::new(),
            post1_hist: Vec::new(),
            pending: vec![Vec::new(); d_max + 1],
            offsets: Vec::with_capacity(d_max + 1),
            live: Vec::new(),
            in_live: Vec::new(),
            last_nonzero: Vec::new(),
            dirty: Vec::new(),
        }
    }
}

/// Ages at or above this are saved as this (exact in `f32`).
const AGE_CAP: i64 = 1 << 24;

impl PaperStdpDelayed {
    fn slots(&self) -> usize {
        self.d_max + 1
    }

    /// The slot of step `t` in `pending` and `post1_hist`.
    fn slot_of(&self, t: i64) -> usize {
        t.rem_euclid(self.slots() as i64) as usize
    }

    fn allocate(&mut self, n_pre: usize, n_post: usize) {
        self.pre_hist = vec![[NEVER; HISTORY]; n_pre];
        self.post1 = vec![0.0; n_post];
        self.post2 = vec![0.0; n_post];
        self.post1_hist = vec![0.0; self.slots() * n_post];
        self.live.clear();
        self.in_live = vec![false; n_post];
        self.last_nonzero = vec![NEVER; n_post];
    }

    /// Puts every target with a non-zero `post1` now or in its history into
    /// `live` (after a restore: a superset is exact, see `update`).
    fn rebuild_live(&mut self) {
        let n_post = self.post1.len();
        self.live.clear();
        for j in 0..n_post {
            let hist = self.post1_hist.iter().skip(j).step_by(n_post.max(1));
            let nonzero = self.post1[j] != 0.0 || hist.copied().any(|x| x != 0.0);
            self.in_live[j] = nonzero;
            if nonzero {
                self.live.push(j as u32);
                self.last_nonzero[j] = self.t;
            } else {
                self.last_nonzero[j] = NEVER;
            }
        }
    }
}

/// A postsynaptic trace below 10⁻³⁰ is set to 0, by a step and by the
/// closed form alike: decaying on, it would turn subnormal, where float
/// arithmetic is ~100× slower, for no effect on any weight.
#[inline]
fn flush(y: f32) -> f32 {
    if y < 1e-30 {
        0.0
    } else {
        y
    }
}

/// Whether every weight of `row` is a number in `[lo, hi]`, neither −0 nor
/// NaN (`lo ≥ +0`): then clipping it to `[lo, hi]` gives it back bit for
/// bit. Positive floats order as their bits, so one unsigned comparison per
/// weight (vectorised, no early exit).
fn clean(row: &[f32], lo: f32, hi: f32) -> bool {
    let (lo_bits, span) = (lo.to_bits(), hi.to_bits().wrapping_sub(lo.to_bits()));
    row.iter()
        .map(|x| x.to_bits().wrapping_sub(lo_bits))
        .fold(0, u32::max)
        <= span
}

/// The arrival-time depression of one weight row (or a block of its
/// columns): `w −= ν_pre · post1` with `post1` read at `hist[offsets[d] + j]`
/// (`hist` starting at the block's first column), clipped to `[lo, hi]`.
#[inline]
fn depress(
    row: &mut [f32],
    drow: &[u16],
    hist: &[f32],
    offsets: &[usize],
    nu_pre: f32,
    (lo, hi): (f32, f32),
) {
    for (j, (x, &d)) in row.iter_mut().zip(drow).enumerate() {
        let p1 = hist[offsets[usize::from(d)] + j];
        *x = (*x - nu_pre * p1).max(lo).min(hi);
    }
}

impl ConnectionRule for PaperStdpDelayed {
    fn name(&self) -> &str {
        "DiehlCookPaperSTDP(delayed)"
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        use crate::distributed::PartLayout;
        match name {
            // Per input, or one number: the same in every part.
            "step" | "pre_spike_ages" | "pending_pre_spikes" => Some(PartLayout::Whole),
            "post1" | "post2" => Some(PartLayout::TargetColumns { rows: 1 }),
            "post1_history" => Some(PartLayout::TargetColumns { rows: self.slots() }),
            _ => None,
        }
    }
    /// The delays of targets `targets`, and the whole connection's longest
    /// delay: each synapse sees its spikes and is depressed at the steps it
    /// would be in the whole connection.
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> RulePart {
        if self.delays.len() != n_pre * n_post {
            // Left whole, for the part's build to refuse on every process.
            return RulePart::Unchanged;
        }
        RulePart::Cut(Box::new(Self::with_d_max(
            self.rule,
            (self.nu_pre, self.nu_post),
            self.wmin,
            self.wmax,
            crate::topology::columns(&self.delays, n_post, &targets),
            self.d_max,
        )))
    }
    fn validate(&self, c: &ConnectionInfo<'_>) -> Result<(), String> {
        if c.batch != 1 {
            return Err(format!(
                "learns with batch size 1 only (its spike history is per input, not per \
                 batch row), got batch size {}",
                c.batch
            ));
        }
        if !matches!(c.map, SynapseMap::Dense { .. }) {
            return Err(format!(
                "needs a dense [n_pre × n_post] weight layout (e.g. Delayed), got {}",
                c.topology
            ));
        }
        if self.delays.len() != c.map.n_weights() {
            return Err(format!(
                "has {} delays for {} weights",
                self.delays.len(),
                c.map.n_weights()
            ));
        }
        let own = Nu::Pair(self.nu_pre, self.nu_post);
        if c.options.nu != Nu::default() && c.options.nu != own {
            return Err(format!(
                "takes its rates from PaperStdpDelayed::new ({}, {}); the connection's \
                 .nu({:?}) would be ignored",
                self.nu_pre, self.nu_post, c.options.nu
            ));
        }
        crate::learning::positive_param("tau_pre", self.rule.tau_pre)?;
        crate::learning::positive_param("tau_post1", self.rule.tau_post1)?;
        crate::learning::positive_param("tau_post2", self.rule.tau_post2)
    }
    fn resize(&mut self, _batch: usize, n_pre: usize, n_post: usize, _n_weights: usize) {
        self.allocate(n_pre, n_post);
    }
    fn save_state(&self) -> Vec<(&'static str, Vec<f32>)> {
        let slots = self.slots() as i64;
        let t = self.t;
        // Only t mod slots and whether t ≥ d_max matter; spike times are
        // saved relative to t.
        let t_saved = if t >= slots { slots + t % slots } else { t };
        let ages = self
            .pre_hist
            .iter()
            .flat_map(|h| {
                h.iter().map(move |&s| {
                    if s == NEVER {
                        -1.0
                    } else {
                        (t - s).min(AGE_CAP) as f32
                    }
                })
            })
            .collect();
        let n_pre = self.pre_hist.len();
        let mut pending = vec![0.0; self.pending.len() * n_pre];
        for (slot, v) in self.pending.iter().enumerate() {
            for &i in v {
                pending[slot * n_pre + i as usize] = 1.0;
            }
        }
        vec![
            ("step", vec![t_saved as f32]),
            ("pre_spike_ages", ages),
            ("post1", self.post1.clone()),
            ("post2", self.post2.clone()),
            ("post1_history", self.post1_hist.clone()),
            ("pending_pre_spikes", pending),
        ]
    }
    fn load_state(&mut self, get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        let (n_pre, n_post, slots) = (self.pre_hist.len(), self.post1.len(), self.slots());
        let mut take = |name: &str, len: usize| {
            let v = get(name).ok_or_else(|| format!("missing {name}"))?;
            if v.len() == len {
                Ok(v)
            } else {
                Err(format!("{name} has {} values, expected {len}", v.len()))
            }
        };
        let step = take("step", 1)?[0];
        let ages = take("pre_spike_ages", n_pre * HISTORY)?;
        let post1 = take("post1", n_post)?;
        let post2 = take("post2", n_post)?;
        let hist = take("post1_history", slots * n_post)?;
        let pending = take("pending_pre_spikes", slots * n_pre)?;
        if !(step >= 0.0 && step.fract() == 0.0) {
            return Err(format!("step must be a whole number ≥ 0, got {step}"));
        }
        let t = step as i64;
        for (h, a) in self.pre_hist.iter_mut().zip(ages.chunks_exact(HISTORY)) {
            for (s, &age) in h.iter_mut().zip(a) {
                *s = if age < 0.0 { NEVER } else { t - age as i64 };
            }
        }
        self.t = t;
        self.post1 = post1;
        self.post2 = post2;
        self.post1_hist = hist;
        for (slot, v) in self.pending.iter_mut().enumerate() {
            v.clear();
            let row = &pending[slot * n_pre..(slot + 1) * n_pre];
            v.extend((0..n_pre as u32).filter(|&i| row[i as usize] != 0.0));
        }
        self.rebuild_live();
        Ok(())
    }
    fn reset_state(&mut self) {
        self.pre_hist.iter_mut().for_each(|h| *h = [NEVER; HISTORY]);
        self.post1.fill(0.0);
        self.post2.fill(0.0);
        self.post1_hist.fill(0.0);
        self.pending.iter_mut().for_each(Vec::clear);
        self.live.clear();
        self.in_live.fill(false);
        self.last_nonzero.fill(NEVER);
    }
    /// Quiet when no input spike awaits its depression: the slots of the
    /// last `d_max` steps are empty (the slot the next step overwrites
    /// holds spikes already applied).
    fn quiet(&self) -> bool {
        let next = self.slot_of(self.t);
        self.pending
            .iter()
            .enumerate()
            .all(|(k, v)| k == next || v.is_empty())
    }
    /// `post1`, `post2` decayed `steps` times in closed form (then
    /// flushed as a step flushes), their history filled as the steps
    /// would have, the pending spikes (all applied) dropped. Spike times
    /// are absolute: the presynaptic trace needs nothing.
    fn relax(&mut self, steps: usize, dt: f32) {
        let decayed = |x: f32, f: f64| flush((f64::from(x) * f) as f32);
        let (d1, d2) = (
            f64::from((-dt / self.rule.tau_post1).exp()),
            f64::from((-dt / self.rule.tau_post2).exp()),
        );
        let n_post = self.post1.len();
        // The step at t + m − 1 − k wrote post1 after m − k decays.
        for k in 0..steps.min(self.slots()) {
            let s = self.slot_of(self.t + (steps - 1 - k) as i64);
            let f = d1.powf((steps - k) as f64);
            for (h, &x) in self.post1_hist[s * n_post..(s + 1) * n_post]
                .iter_mut()
                .zip(&self.post1)
            {
                *h = decayed(x, f);
            }
        }
        let (f1, f2) = (d1.powf(steps as f64), d2.powf(steps as f64));
        self.post1.iter_mut().for_each(|x| *x = decayed(*x, f1));
        self.post2.iter_mut().for_each(|x| *x = decayed(*x, f2));
        self.pending.iter_mut().for_each(Vec::clear);
        self.t += steps as i64;
        self.rebuild_live();
    }
    fn update(&mut self, c: WholeConnection<'_>) {
        let (n_pre, n_post) = (c.map.n_pre(), c.map.n_post());
        if c.pre.batch() != 1 || self.delays.len() != n_pre * n_post {
            return; // batch 1 only; delays must match (refused at build)
        }
        let slots = self.slots();
        if self.pre_hist.len() != n_pre || self.post1.len() != n_post {
            self.allocate(n_pre, n_post);
        }
        let t = self.t;
        let dt = c.dt;
        let (d1, d2) = (
            (-dt / self.rule.tau_post1).exp(),
            (-dt / self.rule.tau_post2).exp(),
        );
        self.post1.iter_mut().for_each(|x| *x = flush(*x * d1));
        self.post2.iter_mut().for_each(|x| *x = flush(*x * d2));
        let cur = self.slot_of(t);
        self.post1_hist[cur * n_post..(cur + 1) * n_post].copy_from_slice(&self.post1);
        // `live`: the targets whose post1 was non-zero at one of the steps
        // t − d_max ..= t whose history the depression below reads. A
        // target's post1 turns non-zero only at its spike (where it joins).
        {
            let (post1, last, in_live) = (&self.post1, &mut self.last_nonzero, &mut self.in_live);
            let d_max = self.d_max as i64;
            self.live.retain(|&j| {
                let j = j as usize;
                if post1[j] != 0.0 {
                    last[j] = t;
                }
                let keep = t - last[j] <= d_max;
                in_live[j] = keep;
                keep
            });
        }
        let pre_spikes = c.pre.spikes().active(0);
        self.pending[cur].clear();
        self.pending[cur].extend_from_slice(pre_spikes);
        let (lo, hi) = (self.wmin, self.wmax);
        let w = c.w;
        // Depression for the spikes emitted d_max steps ago, each with
        // post1 as it stood when it reached its synapse.
        let old = t - self.d_max as i64;
        if old >= 0 && self.nu_pre != 0.0 {
            // Per delay d, where post1 as it stood at old + d starts in the
            // history (slot(old + d)·n_post): one table lookup per synapse,
            // not a wrap test and a multiplication; the rate is read once (a
            // field read inside the loop would be reloaded after every
            // store).
            let (base, nu_pre) = (self.slot_of(old), self.nu_pre);
            self.offsets.clear();
            self.offsets
                .extend((0..slots).map(|d| (base + d) % slots * n_post));
            let (offsets, delays) = (&self.offsets[..], &self.delays[..]);
            let hist = &self.post1_hist;
            // A row whose weights all lie in [lo, hi] (clipping gives them
            // back bit for bit) changes only where post1 was non-zero when
            // its spike arrived: for any other target, p1 = +0 and
            // `(x − ν·0).max(lo).min(hi)` is x. So such a row is updated at
            // the `live` targets only (the same operation, the same bits);
            // the other rows (e.g. just normalised above wmax) in full.
            // (A rate that is not finite makes ν·0 NaN, which clipping turns
            // into `lo`: then every synapse changes, and the row is updated
            // in full.)
            let sparse = nu_pre.is_finite() && lo.to_bits() < 0x8000_0000 && lo <= hi;
            let dirty = &mut self.dirty;
            dirty.clear();
            for &i in &self.pending[base] {
                let iu = i as usize;
                let row = &mut w[iu * n_post..(iu + 1) * n_post];
                if !(sparse && clean(row, lo, hi)) {
                    dirty.push(i);
                    continue;
                }
                let drow = &delays[iu * n_post..(iu + 1) * n_post];
                for &j in &self.live {
                    let j = j as usize;
                    let p1 = hist[offsets[usize::from(drow[j])] + j];
                    row[j] = (row[j] - nu_pre * p1).max(lo).min(hi);
                }
            }
            let pend = &self.dirty[..];
            let ascending = pend.windows(2).all(|p| p[0] < p[1]);
            if ascending && crate::parallel::worth(pend.len() * n_post, PAR_MIN_DEPRESSION) {
                // Blocks of columns on the pool's threads; each weight gets
                // the same operation as below.
                let mut rows = Vec::with_capacity(pend.len());
                let mut rest = &mut w[..];
                let mut at = 0;
                for &i in pend {
                    let (_, tail) = rest.split_at_mut((i as usize - at) * n_post);
                    let (row, tail) = tail.split_at_mut(n_post);
                    rows.push(row);
                    (rest, at) = (tail, i as usize + 1);
                }
                crate::parallel::for_column_blocks(rows, n_post, &|rows, first| {
                    for (row, &i) in rows.iter_mut().zip(pend) {
                        let drow = &delays[i as usize * n_post + first..][..row.len()];
                        depress(row, drow, &hist[first..], offsets, nu_pre, (lo, hi));
                    }
                });
            } else {
                for &i in pend {
                    let i = i as usize;
                    let row = &mut w[i * n_post..(i + 1) * n_post];
                    let drow = &delays[i * n_post..(i + 1) * n_post];
                    depress(row, drow, hist, offsets, nu_pre, (lo, hi));
                }
            }
        }
        // Record this step's input spikes (pre-first order: a spike now
        // counts for a post spike now if its delay is 0).
        for &i in pre_spikes {
            let h = &mut self.pre_hist[i as usize];
            h.copy_within(0..HISTORY - 1, 1);
            h[0] = t;
        }
        // Potentiation for this step's post spikes, with pre seen d earlier.
        if self.nu_post != 0.0 {
            let k = dt / self.rule.tau_pre;
            for &j in c.post.spikes().active(0) {
                let j = j as usize;
                let p2 = self.post2[j];
                if p2 == 0.0 {
                    continue;
                }
                for i in 0..n_pre {
                    let h = &self.pre_hist[i];
                    if h[0] == NEVER {
                        continue;
                    }
                    let seen = t - i64::from(self.delays[i * n_post + j]);
                    let last = h.iter().copied().find(|&s| s <= seen).unwrap_or(NEVER);
                    if last == NEVER {
                        continue;
                    }
                    let pre = (-((seen - last) as f32) * k).exp();
                    let x = &mut w[i * n_post + j];
                    *x = (*x + self.nu_post * pre * p2).max(lo).min(hi);
                }
            }
        }
        for &j in c.post.spikes().active(0) {
            let ju = j as usize;
            self.post1[ju] = 1.0;
            self.post2[ju] = 1.0;
            self.last_nonzero[ju] = t + 1;
            if !self.in_live[ju] {
                self.in_live[ju] = true;
                self.live.push(j);
            }
        }
        self.t += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::diehl_cook_paper::DiehlCookPaper;
    use crate::prelude::*;
    use crate::topology::Delayed;

    /// One input, one target, delay 4 steps. Input spike at step 0 (arrives
    /// at 4); target forced to spike at steps 2 and 6.
    #[test]
    fn hand_computed_delayed_pair() {
        let dt = 0.5f32;
        let mut b = Network::builder().dt(dt);
        b.add_population("X", &[1], Input, NodeOptions::default());
        b.add_population(
            "Y",
            &[1],
            LifNodes {
                thresh: 1e9.into(),
                ..Default::default()
            },
            NodeOptions::default(),
        );
        b.connect(
            Connect::new("X", "Y", Delayed::new(vec![0.5], vec![4])).connection_rule(
                PaperStdpDelayed::new(PaperStdp::default(), (1e-4, 1e-2), 0.0, 1.0, vec![4]),
            ),
        );
        let mut net = b.build().unwrap();
        let mut x = vec![0.0f32; 10];
        x[0] = 1.0;
        let x = Tensor::new(vec![10, 1, 1], x).unwrap();
        let clamp = Mask::PerStep(
            (0..10)
                .map(|t| if t == 2 || t == 6 { vec![0] } else { vec![] })
                .collect(),
        );
        let opts = RunOptions {
            clamp: vec![("Y".into(), clamp)],
            ..Default::default()
        };
        net.run(&[("X", &x)], 10, &opts).unwrap();
        // Depression at arrival (step 4): post1 = e^{−2·dt/20}.
        // Potentiation at step 6: pre seen at 6 − 4 = 2 → e^{−2·dt/20};
        // post2 before = e^{−4·dt/40}.
        let e = |steps: f32, tau: f32| (-steps * dt / tau).exp();
        let want = 0.5 - 1e-4 * e(2.0, 20.0) + 1e-2 * e(2.0, 20.0) * e(4.0, 40.0);
        let w = net.weights("X -> Y").unwrap()[0];
        assert!((w - want).abs() < 1e-6, "{w} vs {want}");
    }

    /// With zero delays the arrival-time rule is the plain rule.
    #[test]
    fn zero_delays_equal_the_plain_rule() {
        let run = |arrival: bool| {
            let cfg = DiehlCookPaper {
                n_neurons: 12,
                input_delay_ms: (0.0, 0.0),
                arrival_time_stdp: arrival,
                ..Default::default()
            };
            let mut net = cfg.network().unwrap();
            let mut rng = crate::rng::Rng::seed_from_u64(5);
            let rates: Vec<f32> = (0..784).map(|_| 60.0 * rng.uniform_f32()).collect();
            let x = crate::encoding::poisson(&rates, &[784], 600, 0.5, &mut rng).unwrap();
            let x = Tensor::new(vec![600, 1, 784], x.into_data()).unwrap();
            net.add_monitor("s", MonitorSpec::new("Ae", &["s"]).summed())
                .unwrap();
            net.run(&[("X", &x)], 600, &RunOptions::default()).unwrap();
            let s = net.monitor("s").unwrap().get("s").unwrap().into_data();
            (net.weights("X -> Ae").unwrap().to_vec(), s)
        };
        let (wa, sa) = run(false);
        let (wb, sb) = run(true);
        assert_eq!(sa, sb);
        assert!(sa.iter().sum::<f32>() > 5.0);
        let max = wa
            .iter()
            .zip(&wb)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max < 1e-5, "max weight difference {max}");
    }
}
