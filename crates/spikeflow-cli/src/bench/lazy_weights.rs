//! W5's E → E weights as NEST reports them. NEST's `stdp_pl_synapse_hom`
//! applies the potentiation due to postsynaptic spikes only when the
//! synapse's next presynaptic spike arrives, so a weight read from NEST is
//! the weight as of its source's last spike; spikeflow applies every term
//! at the step it happens. [`LazyWeights`] keeps, per synapse, the weight
//! right after its source's last spike (after that step's learning, which
//! is when NEST's and spikeflow's weights are equal: `tests/nest_stdp_pl.rs`),
//! so that the two read-outs compare like with like.

use anyhow::{bail, Result};
use spikeflow::prelude::*;

/// Each synapse's weight as of its source's last spike.
pub(super) struct LazyWeights {
    conn: String,
    pop: String,
    /// The synapses of source `i` are `row_ptr[i]..row_ptr[i + 1]` of
    /// [`Network::weights`] (stored in source order).
    row_ptr: Vec<usize>,
    seen: Vec<f32>,
}

impl LazyWeights {
    /// For connection `conn` from population `pop`, built with every weight
    /// equal to `w0` (the row lengths are read from the dense view, whose
    /// cells then count a pair's synapses).
    pub(super) fn new(net: &Network, conn: &str, pop: &str, w0: f32) -> Result<Self> {
        let dense = net.weights_tensor(conn)?;
        let (n_pre, n_post) = (dense.shape()[0], dense.shape()[1]);
        let mut row_ptr = vec![0usize; n_pre + 1];
        for i in 0..n_pre {
            let row = &dense.data()[i * n_post..(i + 1) * n_post];
            let count: f64 = row
                .iter()
                .map(|&x| (f64::from(x) / f64::from(w0)).round())
                .sum();
            row_ptr[i + 1] = row_ptr[i] + count as usize;
        }
        let seen = net.weights(conn)?.to_vec();
        if row_ptr[n_pre] != seen.len() || seen.iter().any(|&w| w != w0) {
            bail!("{conn}: weights are not all {w0} (build it fresh)");
        }
        Ok(LazyWeights {
            conn: conn.to_string(),
            pop: pop.to_string(),
            row_ptr,
            seen,
        })
    }

    /// After a step (inside `Network::run_observed`): the rows of the
    /// sources that spiked in it, which learning has just brought up to date.
    pub(super) fn observe(&mut self, net: &Network) -> spikeflow::Result<()> {
        let w = net.weights(&self.conn)?;
        let pop = net.population(&self.pop)?;
        for &i in pop.core().spikes().active(0) {
            let r = self.row_ptr[i as usize]..self.row_ptr[i as usize + 1];
            self.seen[r.clone()].copy_from_slice(&w[r]);
        }
        Ok(())
    }

    /// The mean weight as NEST would report it.
    pub(super) fn mean(&self) -> f64 {
        self.seen.iter().map(|&x| f64::from(x)).sum::<f64>() / self.seen.len().max(1) as f64
    }
}
