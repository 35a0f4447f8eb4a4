//! NEST's `fixed_indegree` connection rule with multapses allowed: every
//! target draws exactly `indegree` sources uniformly *with replacement*
//! (so a pair may be joined by several synapses, each with its own weight
//! — see [`Sparse`](super::Sparse) on multapses), optionally never itself
//! (no autapses). The fixed in-degree networks of NEST's `hpc_benchmark`
//! (Morrison, Aertsen & Diesmann 2007; Kunkel et al. 2014) are built
//! with it.
//!
//! ```text
//! source(j, k) = the first of below(j, k + a·K, n_pre), a = 0, 1, …,
//!                that is not j when autapses are excluded
//! ```
//!
//! The draws are counter-based ([`Keyed`]), keyed by the target's index
//! `j` and the draw number `k < K = indegree`: a process that owns only
//! some targets draws their sources exactly as one process would, in any
//! order. The sources need not be distinct (like NEST, with replacement
//! also when `n_pre < indegree`). The connection is built straight into
//! compressed rows in two passes over the draws (a pure function, drawn
//! twice rather than stored), so the synapses cost their final 16 bytes
//! each (target, transposed index, weight) and no more while building.
//! The draws are not NEST's (a different generator), so a network equals
//! NEST's in distribution, not synapse by synapse.
//!
//! ```
//! use spikeflow::prelude::*;
//! use spikeflow::topology::FixedIndegree;
//! let mut b = Network::builder();
//! b.add_population("E", &[50], IfNodes::default(), NodeOptions::default());
//! let fixed = FixedIndegree { indegree: 80, weight: 0.5, autapses: false, seed: 3 };
//! b.connect(Connect::new("E", "E", fixed));
//! let net = b.build()?;
//! assert_eq!(net.weights("E -> E")?.len(), 50 * 80); // more than 50 sources: multapses
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::sparse::{Csr, SparseTopology};
use super::{Ends, NormMode, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::{Keyed, Rng};

/// Stream of [`Keyed`] draws of the sources.
const STREAM: u64 = 0xF1ED_1D5E;

/// `indegree` synapses onto every target, sources drawn with replacement.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedIndegree {
    /// Synapses onto each target (`K`).
    pub indegree: usize,
    /// Initial weight of every synapse.
    pub weight: f32,
    /// Whether source `j` may connect to target `j` (NEST's
    /// `allow_autapses`; set `false` on a population's connection to
    /// itself).
    pub autapses: bool,
    /// Seed of the draws.
    pub seed: u64,
}

impl FixedIndegree {
    /// Source of draw `k` of target `j`.
    #[inline]
    fn source(&self, draws: Keyed, j: usize, k: usize, n_pre: u64) -> u32 {
        let kk = self.indegree as u64;
        let mut a = 0u64;
        loop {
            let i = draws.below(j as u64, k as u64 + a * kk, n_pre);
            if self.autapses || i != j as u64 {
                return i as u32;
            }
            a += 1;
        }
    }
}

impl TopologySpec for FixedIndegree {
    fn type_name(&self) -> &'static str {
        "SparseConnection"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        self.build_targets(ends, 0)
    }
    fn restrict_targets(
        &self,
        _n_pre: usize,
        _n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        Some(Box::new(FixedIndegreePart {
            whole: self.clone(),
            first_target: targets.start,
        }))
    }
}

/// The synapses of a [`FixedIndegree`] onto the targets from
/// `first_target` on (as many as the part's target population has), drawn
/// with the keys of the whole connection.
#[derive(Debug, Clone, PartialEq)]
struct FixedIndegreePart {
    whole: FixedIndegree,
    first_target: usize,
}

impl TopologySpec for FixedIndegreePart {
    fn type_name(&self) -> &'static str {
        "SparseConnection"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        self.whole.build_targets(ends, self.first_target)
    }
}

impl FixedIndegree {
    /// The synapses onto `ends`' targets, the first of which is target
    /// `first_target` of the whole connection (its draws' key).
    fn build_targets(&self, ends: &Ends<'_>, first_target: usize) -> Result<Box<dyn Topology>> {
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        let nnz = n_post as u128 * self.indegree as u128;
        if nnz >= u128::from(u32::MAX) {
            return Err(Error::param(
                ends.name,
                format!(
                    "fixed in-degree {} onto {n_post} targets: {nnz} synapses (at most {} in one \
                     connection)",
                    self.indegree,
                    u32::MAX - 1
                ),
            ));
        }
        let needs = if self.autapses { 1 } else { 2 };
        if self.indegree > 0 && n_pre < needs {
            return Err(Error::param(
                ends.name,
                format!(
                    "fixed in-degree {} from {n_pre} sources{}: no source to draw",
                    self.indegree,
                    if self.autapses {
                        ""
                    } else {
                        " without autapses"
                    }
                ),
            ));
        }
        if !self.weight.is_finite() {
            return Err(Error::param(
                ends.name,
                format!("weight {} is not finite", self.weight),
            ));
        }
        // Targets, transposed index (source, weight index) and weights.
        crate::memory::check_fits(ends.name, "fixed in-degree synapses", Some(nnz), 16)?;
        let draws = Keyed::new(self.seed, STREAM);
        let m = n_pre as u64;
        // Pass 1: synapses per source.
        let mut row_ptr = vec![0u32; n_pre + 1];
        for j in 0..n_post {
            for k in 0..self.indegree {
                row_ptr[self.source(draws, first_target + j, k, m) as usize + 1] += 1;
            }
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        // Pass 2: the same draws, targets in increasing order per row.
        let mut fill: Vec<u32> = row_ptr[..n_pre].to_vec();
        let mut col = vec![0u32; nnz as usize];
        for j in 0..n_post {
            for k in 0..self.indegree {
                let i = self.source(draws, first_target + j, k, m) as usize;
                col[fill[i] as usize] = j as u32;
                fill[i] += 1;
            }
        }
        drop(fill);
        let csr = Csr::from_rows(n_pre, n_post, row_ptr, col);
        Ok(Box::new(SparseTopology::new(
            "SparseConnection",
            csr,
            vec![self.weight; nnz as usize],
            None,
            NormMode::ColumnAbs,
        )))
    }
}
