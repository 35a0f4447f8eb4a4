//! Sparse connection (BindsNET's `SparseConnection`), stored as compressed
//! rows with a transposed index.
//!
//! Memory is proportional to the number of synapses. Propagation walks the
//! rows of spiking sources; post-triggered learning walks the transposed
//! index of spiking targets. Unlike BindsNET, bounds, clamping and `norm`
//! all work.
//!
//! Multapses — several synapses joining one `(pre, post)` pair, as NEST's
//! `fixed_indegree` draws with `allow_multapses` — are refused unless asked
//! for ([`Sparse::Multapses`], [`FixedIndegree`](super::FixedIndegree)).
//! Each multapse is then its own synapse with its own weight: propagation
//! sums them, learning rules update each on its own, and
//! [`Network::weights`](crate::Network::weights) lists each. BindsNET's
//! dense layout has one cell per pair, so
//! [`Network::weights_tensor`](crate::Network::weights_tensor) (and a
//! weight monitor) shows the *sum* of a pair's synapses — what the pair
//! transmits — and writing or masking through that layout is refused
//! (it cannot say which synapse of a pair a value is for).

use super::{check_len, Ends, NormMode, SharedPropagation, SynapseMap, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// Compressed-row synapse structure with a transposed (per-target) index.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    n_pre: usize,
    n_post: usize,
    row_ptr: Vec<u32>,
    col: Vec<u32>,
    /// Per target: start into `t_row`/`t_widx`.
    col_ptr: Vec<u32>,
    t_row: Vec<u32>,
    t_widx: Vec<u32>,
    /// Whether some `(pre, post)` pair has several synapses.
    multapses: bool,
}

impl Csr {
    /// Builds from `(pre, post)` pairs sorted by pre then post (a pair
    /// repeats for multapses).
    fn from_sorted(n_pre: usize, n_post: usize, pairs: &[(u32, u32)]) -> Self {
        let mut row_ptr = vec![0u32; n_pre + 1];
        for &(i, _) in pairs {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        let col: Vec<u32> = pairs.iter().map(|&(_, j)| j).collect();
        Self::from_rows(n_pre, n_post, row_ptr, col)
    }

    /// Builds from compressed rows: the synapses of source `i` are
    /// `row_ptr[i]..row_ptr[i + 1]`, their targets `col[..]` in
    /// non-decreasing order within a row (equal targets: multapses). The
    /// transposed index lists each target's synapses by source.
    pub(crate) fn from_rows(n_pre: usize, n_post: usize, row_ptr: Vec<u32>, col: Vec<u32>) -> Self {
        debug_assert_eq!(row_ptr.len(), n_pre + 1);
        let mut col_ptr = vec![0u32; n_post + 1];
        for &j in &col {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut fill = col_ptr.clone();
        let mut t_row = vec![0u32; col.len()];
        let mut t_widx = vec![0u32; col.len()];
        let mut multapses = false;
        for i in 0..n_pre {
            let (a, b) = (row_ptr[i] as usize, row_ptr[i + 1] as usize);
            multapses |= col[a..b].windows(2).any(|p| p[0] == p[1]);
            for (k, &j) in col.iter().enumerate().take(b).skip(a) {
                let p = fill[j as usize] as usize;
                t_row[p] = i as u32;
                t_widx[p] = k as u32;
                fill[j as usize] += 1;
            }
        }
        Csr {
            n_pre,
            n_post,
            row_ptr,
            col,
            col_ptr,
            t_row,
            t_widx,
            multapses,
        }
    }

    /// Whether some `(pre, post)` pair has several synapses (multapses).
    pub fn has_multapses(&self) -> bool {
        self.multapses
    }

    /// Number of synapses.
    pub fn nnz(&self) -> usize {
        self.col.len()
    }
    /// Number of sources.
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }
    /// Number of targets.
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// The synapses of `pre`: the weight index of the first, and their
    /// targets (non-decreasing).
    #[inline]
    pub(crate) fn row(&self, pre: usize) -> (usize, &[u32]) {
        let (a, b) = (self.row_ptr[pre] as usize, self.row_ptr[pre + 1] as usize);
        (a, &self.col[a..b])
    }

    /// Calls `f(post, weight)` for the synapses of `pre`.
    #[inline]
    pub fn for_each_out(&self, pre: usize, mut f: impl FnMut(usize, usize)) {
        let (a, b) = (self.row_ptr[pre] as usize, self.row_ptr[pre + 1] as usize);
        for k in a..b {
            f(self.col[k] as usize, k);
        }
    }

    /// Calls `f(pre, weight)` for the synapses into `post`.
    #[inline]
    pub fn for_each_in(&self, post: usize, mut f: impl FnMut(usize, usize)) {
        let (a, b) = (self.col_ptr[post] as usize, self.col_ptr[post + 1] as usize);
        for k in a..b {
            f(self.t_row[k] as usize, self.t_widx[k] as usize);
        }
    }

    /// The weights written densely `[n_pre × n_post]`, a pair's multapses
    /// summed.
    pub(crate) fn to_dense(&self, w: &[f32]) -> Vec<f32> {
        let mut d = vec![0.0; self.n_pre * self.n_post];
        for i in 0..self.n_pre {
            self.for_each_out(i, |j, k| d[i * self.n_post + j] += w[k]);
        }
        d
    }
}

/// How the synapses of a sparse connection are given.
#[derive(Debug, Clone, PartialEq)]
pub enum Sparse {
    /// A dense `[n_pre × n_post]` matrix; its zeros are absent synapses.
    FromDense(Vec<f32>),
    /// `(pre, post, weight)` triplets (any order, no duplicates).
    Triplets(Vec<(u32, u32, f32)>),
    /// `(pre, post, weight)` triplets (any order) where a pair may repeat:
    /// each repeat is a synapse of its own (a multapse), stored in `(pre,
    /// post)` order, repeats in the order given.
    Multapses(Vec<(u32, u32, f32)>),
    /// Each synapse exists with probability `p`, drawn from `seed`; weights
    /// drawn as for a dense connection.
    Random {
        /// Connection probability in `[0, 1]`.
        p: f32,
        /// Seed of the structure and weight draws.
        seed: u64,
    },
}

impl TopologySpec for Sparse {
    fn type_name(&self) -> &'static str {
        "SparseConnection"
    }
    /// Given synapses (not `Random`, whose draws depend on the bounds) onto
    /// `targets`, in the order given.
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        // Synapses outside the ends: the whole list, for the part's build
        // to refuse on every process (filtering would drop them silently).
        let valid = |t: &[(u32, u32, f32)]| {
            t.iter()
                .all(|&(i, j, w)| (i as usize) < n_pre && (j as usize) < n_post && w.is_finite())
        };
        if let Sparse::Triplets(t) | Sparse::Multapses(t) = self {
            if !valid(t) {
                return Some(Box::new(self.clone()));
            }
        }
        let keep = |t: &[(u32, u32, f32)]| -> Vec<(u32, u32, f32)> {
            t.iter()
                .filter(|s| targets.contains(&(s.1 as usize)))
                .map(|&(i, j, w)| (i, j - targets.start as u32, w))
                .collect()
        };
        Some(Box::new(match self {
            Sparse::FromDense(w) if w.len() == n_pre * n_post => Sparse::FromDense(
                (0..n_pre)
                    .flat_map(|i| w[i * n_post + targets.start..i * n_post + targets.end].iter())
                    .copied()
                    .collect(),
            ),
            Sparse::Triplets(t) => Sparse::Triplets(keep(t)),
            Sparse::Multapses(t) => Sparse::Multapses(keep(t)),
            // A matrix of the wrong size: the part's build says so.
            Sparse::FromDense(_) => self.clone(),
            Sparse::Random { .. } => return None,
        }))
    }
    /// Given synapses all within one process's blocks (checked over every
    /// synapse, the same on every process).
    fn restrict_within_blocks(
        &self,
        n_pre: usize,
        n_post: usize,
        ranks: usize,
        rank: usize,
    ) -> Option<Box<dyn TopologySpec>> {
        use crate::distributed::{block, owner};
        let t = match self {
            Sparse::Triplets(t) | Sparse::Multapses(t) => t,
            Sparse::FromDense(_) | Sparse::Random { .. } => return None,
        };
        let within = |&(i, j, _): &(u32, u32, f32)| {
            (i as usize) < n_pre
                && (j as usize) < n_post
                && owner(i as usize, n_pre, ranks) == owner(j as usize, n_post, ranks)
        };
        if !t.iter().all(within) {
            return None;
        }
        let (sources, targets) = (block(n_pre, rank, ranks), block(n_post, rank, ranks));
        let part = t
            .iter()
            .filter(|s| targets.contains(&(s.1 as usize)))
            .map(|&(i, j, w)| (i - sources.start as u32, j - targets.start as u32, w))
            .collect();
        Some(Box::new(match self {
            Sparse::Multapses(_) => Sparse::Multapses(part),
            _ => Sparse::Triplets(part),
        }))
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        let mut trip: Vec<(u32, u32, f32)> = match self {
            Sparse::FromDense(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    n_pre * n_post,
                    &format!("[{n_pre}, {n_post}]"),
                )?;
                let mut t = Vec::new();
                for i in 0..n_pre {
                    for j in 0..n_post {
                        let x = w[i * n_post + j];
                        if x != 0.0 {
                            t.push((i as u32, j as u32, x));
                        }
                    }
                }
                t
            }
            Sparse::Triplets(t) | Sparse::Multapses(t) => {
                for &(i, j, w) in t {
                    if i as usize >= n_pre || j as usize >= n_post || !w.is_finite() {
                        return Err(Error::param(
                            ends.name,
                            format!(
                                "synapse ({i}, {j}, {w}) outside [{n_pre}, {n_post}] or not finite"
                            ),
                        ));
                    }
                }
                t.clone()
            }
            Sparse::Random { p, seed } => {
                if !(0.0..=1.0).contains(p) {
                    return Err(Error::param(
                        ends.name,
                        format!("connection probability must be in [0, 1], got {p}"),
                    ));
                }
                let mut r = Rng::seed_from_u64(*seed);
                let mut t = Vec::new();
                for i in 0..n_pre {
                    for j in 0..n_post {
                        if r.uniform_f32() < *p {
                            t.push((i as u32, j as u32, 0.0));
                        }
                    }
                }
                let w = super::draw_weights(t.len(), ends.wmin, ends.wmax, &mut r);
                for (s, x) in t.iter_mut().zip(w) {
                    s.2 = x;
                }
                t
            }
        };
        let _ = rng;
        // Stable: a pair's multapses keep the order given.
        trip.sort_by_key(|&(i, j, _)| (i, j));
        if !matches!(self, Sparse::Multapses(_))
            && trip
                .windows(2)
                .any(|p| (p[0].0, p[0].1) == (p[1].0, p[1].1))
        {
            return Err(Error::param(
                ends.name,
                "duplicate synapse in triplets (give Sparse::Multapses for several synapses \
                 between one pair)",
            ));
        }
        let pairs: Vec<(u32, u32)> = trip.iter().map(|&(i, j, _)| (i, j)).collect();
        Ok(Box::new(SparseTopology::new(
            "SparseConnection",
            Csr::from_sorted(n_pre, n_post, &pairs),
            trip.iter().map(|t| t.2).collect(),
            None,
            NormMode::ColumnAbs,
        )))
    }
}

/// A CSR-backed topology, shared by sparse and legacy local connections.
#[derive(Debug)]
pub(crate) struct SparseTopology {
    type_name: &'static str,
    csr: Csr,
    w: Vec<f32>,
    b: Option<Vec<f32>>,
    norm_mode: NormMode,
}

impl SparseTopology {
    pub(crate) fn new(
        type_name: &'static str,
        csr: Csr,
        w: Vec<f32>,
        b: Option<Vec<f32>>,
        norm_mode: NormMode,
    ) -> Self {
        SparseTopology {
            type_name,
            csr,
            w,
            b,
            norm_mode,
        }
    }
    pub(crate) fn from_dense_nonzero(
        type_name: &'static str,
        n_pre: usize,
        n_post: usize,
        dense: &[f32],
        b: Option<Vec<f32>>,
        norm_mode: NormMode,
    ) -> Self {
        let mut pairs = Vec::new();
        let mut w = Vec::new();
        for i in 0..n_pre {
            for j in 0..n_post {
                let x = dense[i * n_post + j];
                if x != 0.0 {
                    pairs.push((i as u32, j as u32));
                    w.push(x);
                }
            }
        }
        Self::new(
            type_name,
            Csr::from_sorted(n_pre, n_post, &pairs),
            w,
            b,
            norm_mode,
        )
    }
}

impl SharedPropagation for SparseTopology {
    fn propagate_shared(&self, src: &Spikes, out: &mut [f32]) {
        let n = self.csr.n_post;
        for b in 0..src.batch() {
            let row_out = &mut out[b * n..(b + 1) * n];
            let vals = src.row(b);
            for &i in src.active(b) {
                let s = vals[i as usize];
                let w = &self.w;
                self.csr
                    .for_each_out(i as usize, |j, k| row_out[j] += s * w[k]);
            }
            if let Some(bias) = &self.b {
                for (o, &x) in row_out.iter_mut().zip(bias) {
                    *o += x;
                }
            }
        }
    }
}

impl Topology for SparseTopology {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        self.propagate_shared(src, out);
    }
    fn shared(&self) -> Option<&dyn SharedPropagation> {
        Some(self)
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        Some((
            vec![self.csr.n_pre, self.csr.n_post],
            self.csr.to_dense(&self.w),
        ))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((SynapseMap::Sparse(&self.csr), &mut self.w))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Sparse(&self.csr))
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        // A part's rows keep the whole rows' order (targets ascending) for
        // the synapses onto its block (`restrict_targets`).
        (name == "w").then_some(crate::distributed::PartLayout::SynapseRows { rows: 1 })
    }
    fn multapses(&self) -> bool {
        self.csr.has_multapses()
    }
    fn norm_mode(&self) -> NormMode {
        self.norm_mode
    }
    fn bias(&self) -> Option<&[f32]> {
        self.b.as_deref()
    }
}
