//! The in-place path of the generic loop on compressed rows (sparse and
//! fixed in-degree connections), batch 1: NEST's `hpc_benchmark` learns
//! here.
//!
//! Every touched weight gets `w ← clamp(w + ((0 + on_pre) + on_post))`
//! from the weights before the step, exactly as the generic loop sums it,
//! without its change buffer: the rows of spiking sources first (their pre
//! terms, plus the post term of each synapse whose target also spiked),
//! then, through the transposed index, the synapses into spiking targets
//! whose source did not spike (their post term alone). Each weight belongs
//! to one synapse and is updated once, from its value before the step, so
//! the order of the two passes does not change a bit.

use super::in_place::StepParams;
use super::{SynapticLearner, Tail};
use crate::learning::{Side, SynapseRule};
use crate::nodes::NodeCore;
use crate::spikes::Spikes;
use crate::topology::{Csr, SynapseMap};

impl<R: SynapseRule> SynapticLearner<R> {
    /// Compressed rows whose rule's step can run in place
    /// ([`in_place_params`](Self::in_place_params)); postsynaptic spikes
    /// may be seen late. Returns false (doing nothing) when the case does
    /// not apply.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_sparse_in_place(
        &mut self,
        map: SynapseMap<'_>,
        w: &mut [f32],
        pre: &NodeCore,
        post: &NodeCore,
        post_aux: Option<&[f32]>,
        reward: &[f32],
        dt: f32,
        tail: &mut Tail<'_>,
    ) -> bool {
        let SynapseMap::Sparse(csr) = map else {
            return false;
        };
        let Some(params) = self.in_place_params(tail, dt) else {
            return false;
        };
        let bounded = params.bounded;
        let step = SparseStep {
            rule: &self.rule,
            params,
            csr,
            pre_s: pre.spikes(),
            post_s: self.post_history.front().unwrap_or(post.spikes()),
            pre_x: pre.trace().unwrap_or(&self.zeros[..self.n_pre]),
            post_x: post.trace().unwrap_or(&self.zeros[..self.n_post]),
            post_aux: post_aux.unwrap_or(&self.zeros[..self.n_post]),
            pre_tr: &self.pre_tr,
            post_tr: &self.post_tr,
            kpre: self.traces.pre.len(),
            kpost: self.traces.post.len(),
            reward: reward[0],
        };
        step.run(w, self.phases.pre, self.phases.post);
        if !bounded {
            tail.apply_all(w);
        }
        true
    }
}

/// What one step's updates read.
struct SparseStep<'a, R: SynapseRule> {
    rule: &'a R,
    params: StepParams,
    csr: &'a Csr,
    pre_s: &'a Spikes,
    post_s: &'a Spikes,
    /// Traces and target variable; zeros where the population has none.
    pre_x: &'a [f32],
    post_x: &'a [f32],
    post_aux: &'a [f32],
    pre_tr: &'a [f32],
    post_tr: &'a [f32],
    kpre: usize,
    kpost: usize,
    reward: f32,
}

impl<R: SynapseRule> SparseStep<'_, R> {
    #[inline]
    fn pre_side(&self, i: usize) -> Side<'_> {
        Side {
            s: self.pre_s.values()[i],
            x: self.pre_x[i],
            traces: &self.pre_tr[i * self.kpre..(i + 1) * self.kpre],
            state: &[],
            variable: 0.0,
        }
    }

    #[inline]
    fn post_side(&self, j: usize) -> Side<'_> {
        Side {
            s: self.post_s.values()[j],
            x: self.post_x[j],
            traces: &self.post_tr[j * self.kpost..(j + 1) * self.kpost],
            state: &[],
            variable: self.post_aux[j],
        }
    }

    fn run(&self, w: &mut [f32], pre_on: bool, post_on: bool) {
        let p = &self.params;
        let post_vals = self.post_s.values();
        let posts: &[u32] = if post_on { self.post_s.active(0) } else { &[] };
        if pre_on {
            for &i in self.pre_s.active(0) {
                let i = i as usize;
                let pre = self.pre_side(i);
                let (k0, cols) = self.csr.row(i);
                for (k, &j) in (k0..).zip(cols) {
                    let j = j as usize;
                    let post = self.post_side(j);
                    let syn = p.synapse(w[k], pre, post, self.reward);
                    let mut d = 0.0 + self.rule.on_pre(&syn);
                    if !posts.is_empty() && post_vals[j] != 0.0 {
                        d += self.rule.on_post(&syn);
                    }
                    p.store(&mut w[k], d);
                }
            }
        }
        let pre_vals = self.pre_s.values();
        for &j in posts {
            let j = j as usize;
            let post = self.post_side(j);
            self.csr.for_each_in(j, |i, k| {
                if pre_on && pre_vals[i] != 0.0 {
                    return; // with its row above
                }
                let syn = p.synapse(w[k], self.pre_side(i), post, self.reward);
                let d = 0.0 + self.rule.on_post(&syn);
                p.store(&mut w[k], d);
            });
        }
    }
}
