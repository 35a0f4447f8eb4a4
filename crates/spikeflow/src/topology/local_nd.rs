//! Compact locally connected layers (`LocalConnection1D/2D/3D`): like a
//! convolution without weight sharing — every output position has its own
//! kernel per filter and input channel.
//!
//! Source `[C_in, *spatial]`, target `[n_filters · P]` (or any shape with
//! that many neurons), `P = Π ⌊(in − k)/stride⌋ + 1` positions; target
//! neuron `j = f·P + p`. Weights `[C_in, n_filters·P, K]` (`K = Π k`):
//! `post[b, j] = Σ_c Σ_κ w[c, j, κ] · s[b, c, window_p(κ)]`. Unlike
//! BindsNET, any number of input channels and any batch size work, and
//! `norm` scales each `(c, j)` kernel to sum to `norm`.

use super::{
    check_len, draw_weights, ConvGeometry, Ends, NormMode, SynapseMap, Topology, TopologySpec,
};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A compact local connection over 1 to 3 spatial axes.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalNd {
    /// Kernel per spatial axis.
    pub kernel: Vec<usize>,
    /// Stride per axis.
    pub stride: Vec<usize>,
    /// Number of filters.
    pub n_filters: usize,
    /// Weights `[C_in × n_filters·P × K]`; `None` draws them.
    pub w: Option<Vec<f32>>,
}

impl LocalNd {
    /// A local connection with `kernel`, `stride` and `n_filters`.
    pub fn new(kernel: Vec<usize>, stride: Vec<usize>, n_filters: usize) -> Self {
        LocalNd {
            kernel,
            stride,
            n_filters,
            w: None,
        }
    }
}

/// Index mapping of a compact local connection onto a convolution with
/// `n_filters` output channels (same windows, unshared weights).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalGeometry {
    conv: ConvGeometry,
    c_in: usize,
    k: usize,
    n_post: usize,
}

impl LocalGeometry {
    /// Number of weights.
    pub fn n_weights(&self) -> usize {
        self.c_in * self.n_post * self.k
    }
    /// Kernel size `K`.
    pub fn kernel_len(&self) -> usize {
        self.k
    }
    /// Source neurons.
    pub fn n_pre(&self) -> usize {
        self.conv.n_pre()
    }
    /// Target neurons.
    pub fn n_post(&self) -> usize {
        self.n_post
    }
    #[inline]
    fn weight(&self, post: usize, conv_widx: usize) -> usize {
        let kappa = conv_widx % self.k;
        let c = (conv_widx / self.k) % self.c_in;
        (c * self.n_post + post) * self.k + kappa
    }
    /// Calls `f(post, weight)` for every synapse leaving `pre`.
    #[inline]
    pub fn for_each_out(&self, pre: usize, mut f: impl FnMut(usize, usize)) {
        self.conv
            .for_each_out(pre, |j, kc| f(j, self.weight(j, kc)));
    }
    /// Calls `f(pre, weight)` for every synapse entering `post`.
    #[inline]
    pub fn for_each_in(&self, post: usize, mut f: impl FnMut(usize, usize)) {
        self.conv
            .for_each_in(post, |i, kc| f(i, self.weight(post, kc)));
    }
}

impl TopologySpec for LocalNd {
    fn type_name(&self) -> &'static str {
        match self.kernel.len() {
            1 => "LocalConnection1D",
            3 => "LocalConnection3D",
            _ => "LocalConnection2D",
        }
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let d = self.kernel.len();
        let src = ends.source_shape;
        if src.len() != d + 1 || self.n_filters == 0 {
            return Err(Error::shape(ends.name, format!("a {d}-D local connection needs a source [channels, {d} axes], got {src:?}; n_filters ≥ 1")));
        }
        if self.stride.len() != d {
            return Err(Error::param(
                ends.name,
                format!("stride {:?} must have {d} values", self.stride),
            ));
        }
        let mut out = vec![self.n_filters];
        for a in 0..d {
            if self.kernel[a] == 0 || self.stride[a] == 0 || self.kernel[a] > src[a + 1] {
                return Err(Error::param(
                    ends.name,
                    format!(
                        "kernel {:?} / stride {:?} do not fit the input {:?}",
                        self.kernel,
                        self.stride,
                        &src[1..]
                    ),
                ));
            }
            out.push((src[a + 1] - self.kernel[a]) / self.stride[a] + 1);
        }
        let n_post: usize = out.iter().product();
        if ends.n_post() != n_post {
            return Err(Error::shape(
                ends.name,
                format!(
                    "target has {} neurons, expected n_filters·positions = {n_post} ({out:?})",
                    ends.n_post()
                ),
            ));
        }
        let conv = ConvGeometry::new(
            ends.name,
            &self.kernel,
            &self.stride,
            &vec![0; d],
            &vec![1; d],
            src,
            &out,
        )?;
        let g = LocalGeometry {
            c_in: src[0],
            k: self.kernel.iter().product(),
            n_post,
            conv,
        };
        let w = match &self.w {
            Some(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    g.n_weights(),
                    &format!("[{}, {n_post}, {}]", g.c_in, g.k),
                )?;
                w.clone()
            }
            None => draw_weights(g.n_weights(), ends.wmin, ends.wmax, rng),
        };
        Ok(Box::new(LocalNdTopology {
            type_name: self.type_name(),
            g,
            w,
        }))
    }
}

#[derive(Debug)]
struct LocalNdTopology {
    type_name: &'static str,
    g: LocalGeometry,
    w: Vec<f32>,
}

impl Topology for LocalNdTopology {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.g.n_post;
        for b in 0..src.batch() {
            let row_out = &mut out[b * n..(b + 1) * n];
            let vals = src.row(b);
            for &i in src.active(b) {
                let s = vals[i as usize];
                let w = &self.w;
                self.g
                    .for_each_out(i as usize, |j, k| row_out[j] += s * w[k]);
            }
        }
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        Some((vec![self.g.c_in, self.g.n_post, self.g.k], self.w.clone()))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((SynapseMap::Local(&self.g), &mut self.w))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Local(&self.g))
    }
    fn norm_mode(&self) -> NormMode {
        NormMode::Kernel
    }
}
