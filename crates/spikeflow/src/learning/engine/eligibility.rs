//! The eligibility update of one batch row without weight decay, in one
//! pass: for each weight, integrate its eligibility with this step's input
//! ([`SynapseRule::integrate`]), add the change (the mean or sum of one row
//! is the row's value: `-0.0 + d`, then `/ 1`, exactly `d`), clamp. The
//! general path's operations in its order, without a division per weight
//! for the reduction or a second pass to clamp. The learning rate and the
//! bounds are matched once, outside the loop, so each combination gets a
//! loop of its own.

use crate::learning::{Modulation, Nu, SynapseRule};
use crate::topology::Bound;

/// What one pass needs besides the weights.
pub(super) struct OnePass<'a, R> {
    pub rule: &'a R,
    pub nu: &'a Nu,
    /// `Some((wmin, wmax))` when the weights are clamped.
    pub bounds: Option<(&'a Bound, &'a Bound)>,
    pub reward: f32,
    pub dt: f32,
    pub decay: f32,
}

impl<R: SynapseRule> OnePass<'_, R> {
    /// Updates `w` and `elig` from this step's eligibility inputs `terms`
    /// (taken: left at 0).
    pub fn run(&self, w: &mut [f32], elig: &mut [f32], terms: &mut [f32]) {
        match self.bounds {
            None => self.with_nu(w, elig, terms, |_, x| x),
            Some((Bound::Scalar(lo), Bound::Scalar(hi))) => {
                let (lo, hi) = (*lo, *hi);
                self.with_nu(w, elig, terms, move |_, x| x.max(lo).min(hi))
            }
            Some((Bound::PerSynapse(lo), Bound::PerSynapse(hi))) => {
                self.with_nu(w, elig, terms, |k, x| x.max(lo[k]).min(hi[k]))
            }
            Some((lo, hi)) => self.with_nu(w, elig, terms, |k, x| x.max(lo.at(k)).min(hi.at(k))),
        }
    }

    fn with_nu(
        &self,
        w: &mut [f32],
        elig: &mut [f32],
        terms: &mut [f32],
        clamp: impl Fn(usize, f32) -> f32,
    ) {
        match self.nu {
            Nu::Pair(a, b) => {
                let (a, b) = (*a, *b);
                self.pass(w, elig, terms, |_| (a, b), clamp)
            }
            Nu::PerSynapse(a, b) => self.pass(w, elig, terms, |k| (a[k], b[k]), clamp),
        }
    }

    #[inline(always)]
    fn pass(
        &self,
        w: &mut [f32],
        elig: &mut [f32],
        terms: &mut [f32],
        nu: impl Fn(usize) -> (f32, f32),
        clamp: impl Fn(usize, f32) -> f32,
    ) {
        let each = w.iter_mut().zip(elig.iter_mut()).zip(terms.iter_mut());
        for (k, ((wk, e), ev)) in each.enumerate() {
            let (nu_pre, nu_post) = nu(k);
            let m = Modulation {
                w: *wk,
                nu_pre,
                nu_post,
                reward: self.reward,
                dt: self.dt,
                decay: self.decay,
            };
            let d = self.rule.integrate(e, std::mem::take(ev), &m);
            *wk = clamp(k, *wk + d);
        }
    }
}
