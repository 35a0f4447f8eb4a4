//! Connections between populations: the layout of their weights and how a
//! source's spikes become input to the target.
//!
//! A topology owns its weights in the layout of its kind and does two
//! things: [`Topology::propagate`] (event-driven: only synapses of sources
//! that spiked are read) and exposing its synapses to learning rules through
//! a [`SynapseMap`], which visits the synapses of one presynaptic or one
//! postsynaptic neuron as `(pre, post, weight index)` triples. Shared
//! convolution kernels simply map many `(pre, post)` pairs to one weight
//! index, which is how a rule written once learns on every topology.

mod all_but_self;
mod conv;
mod delay_layout;
mod delay_ring;
mod delayed;
mod dense;
mod fixed_indegree;
mod local;
mod local_nd;
mod mean_field;
mod pool;
mod sparse;
mod with_delays;

pub use all_but_self::AllButSelf;
pub use conv::Conv;
pub use delayed::{uniform_delay_steps, Delayed, MAX_DELAY_STEPS};
pub use dense::Dense;
pub use fixed_indegree::FixedIndegree;
pub use local::LocalConnection;
pub use local_nd::{LocalGeometry, LocalNd};
pub use mean_field::{MeanField, MeanFieldOverBatch};
pub use pool::MaxPool;
pub use sparse::Sparse;
pub use with_delays::WithDelays;

pub(crate) use conv::ConvGeometry;
pub(crate) use sparse::Csr;

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A weight bound: one value for all synapses or one per weight.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// The same bound for every weight (may be ±∞).
    Scalar(f32),
    /// One bound per weight, in the topology's weight order.
    PerSynapse(Vec<f32>),
}

impl Bound {
    /// The bound of weight `k`.
    #[inline]
    pub fn at(&self, k: usize) -> f32 {
        match self {
            Bound::Scalar(v) => *v,
            Bound::PerSynapse(v) => v[k],
        }
    }
    /// Whether every entry is finite.
    pub fn all_finite(&self) -> bool {
        match self {
            Bound::Scalar(v) => v.is_finite(),
            Bound::PerSynapse(v) => v.iter().all(|x| x.is_finite()),
        }
    }
    /// Whether any entry is finite.
    pub fn any_finite(&self) -> bool {
        match self {
            Bound::Scalar(v) => v.is_finite(),
            Bound::PerSynapse(v) => v.iter().any(|x| x.is_finite()),
        }
    }
}

impl From<f32> for Bound {
    fn from(v: f32) -> Self {
        Bound::Scalar(v)
    }
}

/// BindsNET's default initial weights: `U(0, 1)` clamped into the bounds if
/// either bound is infinite somewhere, else `wmin + U(0,1)·(wmax − wmin)`.
pub(crate) fn draw_weights(n: usize, wmin: &Bound, wmax: &Bound, rng: &mut Rng) -> Vec<f32> {
    let scaled = wmin.all_finite() && wmax.all_finite();
    (0..n)
        .map(|k| {
            let u = rng.uniform_f32();
            let (lo, hi) = (wmin.at(k), wmax.at(k));
            if scaled {
                lo + u * (hi - lo)
            } else {
                u.max(lo).min(hi)
            }
        })
        .collect()
}

/// What a topology needs to know about its ends when it is built.
pub struct Ends<'a> {
    /// `"X -> Y"`, for messages.
    pub name: &'a str,
    /// Source shape.
    pub source_shape: &'a [usize],
    /// Target shape.
    pub target_shape: &'a [usize],
    /// Batch size.
    pub batch: usize,
    /// Lower weight bound (for drawing initial weights).
    pub wmin: &'a Bound,
    /// Upper weight bound.
    pub wmax: &'a Bound,
}

impl Ends<'_> {
    /// Number of source neurons.
    pub fn n_pre(&self) -> usize {
        self.source_shape.iter().product()
    }
    /// Number of target neurons.
    pub fn n_post(&self) -> usize {
        self.target_shape.iter().product()
    }
}

/// A description of a connection's topology that can be built once the
/// shapes of its ends are known.
pub trait TopologySpec: std::fmt::Debug {
    /// BindsNET's class name.
    fn type_name(&self) -> &'static str;
    /// Validates shapes and parameters and builds the topology.
    ///
    /// # Errors
    /// Shape mismatches and bad geometry, naming the connection.
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>>;
    /// Factor applied to the user's `norm` (BindsNET's legacy local
    /// connection multiplies it by the kernel size).
    fn norm_scale(&self) -> f32 {
        1.0
    }
    /// The synapses onto targets `targets` alone, target `j` renumbered
    /// `j − targets.start`, in the order the whole connection keeps them
    /// (so every target sums its input in the same order): the part of a
    /// connection one process of a [distributed](crate::distributed)
    /// network owns. `n_pre` and `n_post` are the whole connection's ends.
    /// `None` (the default) for a topology that cannot be cut that way
    /// (weights drawn from the network's generator, shared kernels).
    fn restrict_targets(
        &self,
        _n_pre: usize,
        _n_post: usize,
        _targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        None
    }
    /// When every synapse joins a source and a target that the same
    /// process owns once both populations are cut into `ranks`
    /// [blocks](crate::distributed::block) (a one-to-one drive), the part
    /// of process `rank` with its sources renumbered from its block's start
    /// too: the part then reads its own block of the source, and nothing
    /// crosses processes. The answer must not depend on `rank`. `None`
    /// (the default) otherwise.
    fn restrict_within_blocks(
        &self,
        _n_pre: usize,
        _n_post: usize,
        _ranks: usize,
        _rank: usize,
    ) -> Option<Box<dyn TopologySpec>> {
        None
    }
}

/// A boxed spec is a spec (a wrapper such as [`WithDelays`] around a part
/// of a connection).
impl TopologySpec for Box<dyn TopologySpec> {
    fn type_name(&self) -> &'static str {
        self.as_ref().type_name()
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        self.as_ref().build(ends, rng)
    }
    fn norm_scale(&self) -> f32 {
        self.as_ref().norm_scale()
    }
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        self.as_ref().restrict_targets(n_pre, n_post, targets)
    }
    fn restrict_within_blocks(
        &self,
        n_pre: usize,
        n_post: usize,
        ranks: usize,
        rank: usize,
    ) -> Option<Box<dyn TopologySpec>> {
        self.as_ref()
            .restrict_within_blocks(n_pre, n_post, ranks, rank)
    }
}

/// Columns `cols` of every row of a row-major matrix of `n` columns: the
/// part of a `[n_pre × n_post]` array a process owns when it owns targets
/// `cols` (see [`TopologySpec::restrict_targets`]).
pub(crate) fn columns<T: Copy>(m: &[T], n: usize, cols: &std::ops::Range<usize>) -> Vec<T> {
    let rows = m.chunks_exact(n.max(1));
    let mut out = Vec::with_capacity(rows.len() * cols.len());
    // A slice copy per row (an element-wise iterator was 2 % of the
    // paper model's step in parts, which cut every image's raster).
    for row in rows {
        out.extend_from_slice(&row[cols.clone()]);
    }
    out
}

/// How weights are normalised (`norm`), per BindsNET topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormMode {
    /// `w[:, j] *= norm / Σ_i |w[i, j]|` (a zero sum counts as 1).
    ColumnAbs,
    /// `w[:, j] *= norm / Σ_i w[i, j]` (legacy local connection).
    ColumnSum,
    /// `w[o, c] *= norm / Σ w[o, c]` per kernel (convolutions).
    Kernel,
}

/// A built topology.
pub trait Topology: Send + Sync + std::fmt::Debug {
    /// BindsNET's class name.
    fn type_name(&self) -> &'static str;
    /// Adds the contribution of `src`'s spikes to `out` (`[batch × n_post]`).
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]);
    /// The weights (one value per learnable parameter), or `None` (pooling).
    fn weights(&self) -> Option<&[f32]>;
    /// The weights, mutable.
    fn weights_mut(&mut self) -> Option<&mut [f32]>;
    /// The weights in BindsNET's layout (dense `[n_pre, n_post]` for sparse
    /// and local connections, `[out, in, k…]` for convolutions), with shape.
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)>;
    /// The synapse map learning rules walk, or `None` without weights.
    fn synapses(&self) -> Option<SynapseMap<'_>>;
    /// Whether several stored weights join one `(pre, post)` pair
    /// (multapses): BindsNET's layout ([`weights_dense`](Self::weights_dense))
    /// then shows their sum, and cannot be written or masked through.
    fn multapses(&self) -> bool {
        false
    }
    /// The synapse map together with the mutable weights (for learning).
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])>;
    /// Whether `norm` means something for this topology.
    fn supports_norm(&self) -> bool {
        true
    }
    /// How `norm` applies.
    fn norm_mode(&self) -> NormMode {
        NormMode::ColumnAbs
    }
    /// Resets internal state (pooling rate estimates).
    fn reset_state(&mut self) {}
    /// Internal state for monitors (`"firing_rates"` of pooling).
    fn variable(&self, _name: &str) -> Option<&[f32]> {
        None
    }
    /// Internal state, mutable (checkpoint restore).
    fn variable_mut(&mut self, _name: &str) -> Option<&mut [f32]> {
        None
    }
    /// Names of the internal state variables.
    fn variable_names(&self) -> &'static [&'static str] {
        &[]
    }
    /// The bias, if any.
    fn bias(&self) -> Option<&[f32]> {
        None
    }
    /// Whether steps in which the source does not spike give the target
    /// nothing and leave the topology's state as
    /// [`skip_silent`](Self::skip_silent) advances it
    /// ([`Network::relax`](crate::Network::relax)). By default: where it
    /// keeps no state and has no bias.
    fn silent_skippable(&self) -> bool {
        self.variable_names().is_empty() && self.bias().is_none()
    }
    /// Advances `steps` steps without source spikes; called only when
    /// [`silent_skippable`](Self::silent_skippable) said so.
    fn skip_silent(&mut self, _steps: usize) {}
    /// How the snapshot array `name` (`"w"` or a state variable) of this
    /// topology, built as a part of a connection cut by target
    /// ([`TopologySpec::restrict_targets`]), stands to the whole
    /// connection's (see [`PartLayout`](crate::distributed::PartLayout)).
    /// `None` (the default): the parts cannot be put together.
    fn part_layout(&self, _name: &str) -> Option<crate::distributed::PartLayout> {
        None
    }
    /// For a topology that holds spikes in flight in a ring of future
    /// input (synaptic delays, [`WithDelays`]): the smallest delay of its
    /// synapses in steps, beyond the one step every connection takes. Spikes
    /// may then reach it up to that many steps after the step that would
    /// have propagated them ([`propagate_late`](Self::propagate_late)),
    /// the steps in between propagating no spikes (which still delivers the
    /// ring's slot and the bias). `None` (the default): spikes must be
    /// propagated on time. A distributed network exchanges spikes once per
    /// interval of the smallest such delay instead of every step.
    fn ring_delay(&self) -> Option<usize> {
        None
    }
    /// Adds `src`'s spikes to the ring as [`propagate`](Self::propagate)
    /// would have `late` steps ago (`late` at most
    /// [`ring_delay`](Self::ring_delay)), delivering nothing: the sums
    /// come out bit for bit as if they had, when spikes are handed over in
    /// the order of the steps that emitted them. Only called where
    /// `ring_delay` is `Some`.
    fn propagate_late(&mut self, _src: &Spikes, _late: usize) {}
    /// This topology's propagation through a shared reference, if it reads
    /// only the weights (no state of its own, unlike pooling rates or delay
    /// lines): lanes of batch rows on separate threads then share it.
    fn shared(&self) -> Option<&dyn SharedPropagation> {
        None
    }
}

/// Propagation that only reads the topology (see [`Topology::shared`]).
pub trait SharedPropagation: Sync {
    /// Adds the contribution of `src`'s spikes to `out`, exactly as
    /// [`Topology::propagate`] does.
    fn propagate_shared(&self, src: &Spikes, out: &mut [f32]);
}

/// The synapses of a topology written outside the crate, as the generic
/// learning loop visits them (see `docs/adding-a-topology.md`).
///
/// A synapse is a `(pre, post, weight index)` triple; several synapses may
/// share one weight index (a convolution's kernels), and the learning loop
/// then sums their changes into that weight. Return one through
/// [`SynapseMap::Custom`] from [`Topology::synapses`] and
/// [`Topology::learn_view`], and every [`SynapseRule`](crate::learning::SynapseRule)
/// — the built-in ones and any user's — learns on the topology unchanged,
/// with the shared reduction, decay, bounds and normalisation.
///
/// The visits are called through a trait object once per neuron and the
/// callback once per synapse; the built-in topologies use [`SynapseMap`]'s
/// own variants, which the loop inlines.
pub trait SynapseLayout: Send + Sync + std::fmt::Debug {
    /// Number of source neurons.
    fn n_pre(&self) -> usize;
    /// Number of target neurons.
    fn n_post(&self) -> usize;
    /// Number of weights (indices `0..n_weights`).
    fn n_weights(&self) -> usize;
    /// Weights per kernel, the unit that [`NormMode::Kernel`] normalises
    /// (1 unless kernels are stored contiguously).
    fn kernel_len(&self) -> usize {
        1
    }
    /// Calls `f(post, weight)` for every synapse leaving `pre`.
    fn for_each_out(&self, pre: usize, f: &mut dyn FnMut(usize, usize));
    /// Calls `f(pre, weight)` for every synapse entering `post`.
    fn for_each_in(&self, post: usize, f: &mut dyn FnMut(usize, usize));
}

/// The synapses of a topology, as the generic learning loop sees them: one
/// variant per built-in layout (visited without dynamic dispatch) and
/// [`Custom`](SynapseMap::Custom) for any other.
#[derive(Debug, Clone, Copy)]
pub enum SynapseMap<'a> {
    /// All-to-all, weight `i·n_post + j`.
    Dense {
        /// Source neurons.
        n_pre: usize,
        /// Target neurons.
        n_post: usize,
    },
    /// Explicit synapses in compressed rows with a transposed index.
    Sparse(&'a Csr),
    /// Convolution: shared kernels.
    Conv(&'a ConvGeometry),
    /// Compact local connection: convolution windows, unshared kernels.
    Local(&'a LocalGeometry),
    /// Every pair `(i, j)` carries weight `j` (`per_target`) or the single
    /// weight 0: the same weight for every source.
    Uniform {
        /// Source neurons.
        n_pre: usize,
        /// Target neurons.
        n_post: usize,
        /// One weight per target rather than one in all.
        per_target: bool,
    },
    /// A layout written outside the crate.
    Custom(&'a dyn SynapseLayout),
}

impl SynapseMap<'_> {
    /// Number of weights.
    pub fn n_weights(&self) -> usize {
        match self {
            SynapseMap::Dense { n_pre, n_post } => n_pre * n_post,
            SynapseMap::Sparse(c) => c.nnz(),
            SynapseMap::Conv(g) => g.n_weights(),
            SynapseMap::Local(g) => g.n_weights(),
            SynapseMap::Uniform {
                n_post, per_target, ..
            } => {
                if *per_target {
                    *n_post
                } else {
                    1
                }
            }
            SynapseMap::Custom(l) => l.n_weights(),
        }
    }

    /// Weights per kernel (normalisation unit of `NormMode::Kernel`).
    pub fn kernel_len(&self) -> usize {
        match self {
            SynapseMap::Conv(g) => g.kernel_len(),
            SynapseMap::Local(g) => g.kernel_len(),
            SynapseMap::Custom(l) => l.kernel_len(),
            _ => 1,
        }
    }

    /// Number of source neurons.
    pub fn n_pre(&self) -> usize {
        match self {
            SynapseMap::Dense { n_pre, .. } => *n_pre,
            SynapseMap::Sparse(c) => c.n_pre(),
            SynapseMap::Conv(g) => g.n_pre(),
            SynapseMap::Local(g) => g.n_pre(),
            SynapseMap::Uniform { n_pre, .. } => *n_pre,
            SynapseMap::Custom(l) => l.n_pre(),
        }
    }

    /// Number of target neurons.
    pub fn n_post(&self) -> usize {
        match self {
            SynapseMap::Dense { n_post, .. } => *n_post,
            SynapseMap::Sparse(c) => c.n_post(),
            SynapseMap::Conv(g) => g.n_post(),
            SynapseMap::Local(g) => g.n_post(),
            SynapseMap::Uniform { n_post, .. } => *n_post,
            SynapseMap::Custom(l) => l.n_post(),
        }
    }

    /// Calls `f(post, weight)` for every synapse leaving `pre`.
    #[inline]
    pub fn for_each_out(&self, pre: usize, mut f: impl FnMut(usize, usize)) {
        match self {
            SynapseMap::Dense { n_post, .. } => {
                let base = pre * n_post;
                for j in 0..*n_post {
                    f(j, base + j);
                }
            }
            SynapseMap::Sparse(c) => c.for_each_out(pre, f),
            SynapseMap::Conv(g) => g.for_each_out(pre, f),
            SynapseMap::Local(g) => g.for_each_out(pre, f),
            SynapseMap::Uniform {
                n_post, per_target, ..
            } => {
                for j in 0..*n_post {
                    f(j, if *per_target { j } else { 0 });
                }
            }
            SynapseMap::Custom(l) => l.for_each_out(pre, &mut f),
        }
    }

    /// Calls `f(pre, weight)` for every synapse entering `post`.
    #[inline]
    pub fn for_each_in(&self, post: usize, mut f: impl FnMut(usize, usize)) {
        match self {
            SynapseMap::Dense { n_pre, n_post } => {
                for i in 0..*n_pre {
                    f(i, i * n_post + post);
                }
            }
            SynapseMap::Sparse(c) => c.for_each_in(post, f),
            SynapseMap::Conv(g) => g.for_each_in(post, f),
            SynapseMap::Local(g) => g.for_each_in(post, f),
            SynapseMap::Uniform {
                n_pre, per_target, ..
            } => {
                for i in 0..*n_pre {
                    f(i, if *per_target { post } else { 0 });
                }
            }
            SynapseMap::Custom(l) => l.for_each_in(post, &mut f),
        }
    }

    /// Calls `f(pre, post, weight)` for every synapse entering any neuron
    /// of `posts` (sorted, distinct). Dense weights are walked row by row,
    /// which reads memory in order.
    #[inline]
    pub fn for_each_into(&self, posts: &[u32], mut f: impl FnMut(usize, usize, usize)) {
        match self {
            SynapseMap::Dense { n_pre, n_post } => {
                for i in 0..*n_pre {
                    let base = i * n_post;
                    for &j in posts {
                        f(i, j as usize, base + j as usize);
                    }
                }
            }
            _ => {
                for &j in posts {
                    self.for_each_in(j as usize, |i, w| f(i, j as usize, w));
                }
            }
        }
    }
}

/// Checks that an explicit weight array has the expected length.
pub(crate) fn check_len(
    object: &str,
    what: &str,
    got: usize,
    want: usize,
    shape: &str,
) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::shape(
            object,
            format!("{what} has {got} values, expected {want} ({shape})"),
        ))
    }
}
