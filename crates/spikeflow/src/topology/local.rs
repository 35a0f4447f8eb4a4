//! BindsNET's legacy 2-D `LocalConnection`: every filter has its own
//! (unshared) kernel at every position.
//!
//! Target neuron `j = f·P + c1·cw + c2` (filter `f`, patch `(c1, c2)`, `P`
//! patches) reads the source pixels `(c1·sh + k1)·W + c2·sw + k2` for kernel
//! offsets `(k1, k2)` of an `H × W` input. BindsNET stores this as a dense
//! `[n_pre, n_post]` matrix plus a mask of its initial zeros; spikeflow stores
//! only the unmasked synapses (compressed rows), which gives identical
//! results with memory proportional to the synapses. Normalisation uses
//! `norm·kh·kw` over the plain column sum, as BindsNET.

use super::sparse::SparseTopology;
use super::{check_len, Ends, NormMode, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;

/// A legacy 2-D local connection.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalConnection {
    /// Kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Stride `(sh, sw)`.
    pub stride: (usize, usize),
    /// Number of filters.
    pub n_filters: usize,
    /// Input `(H, W)`; `None` takes a square `√n_pre × √n_pre`.
    pub input_shape: Option<(usize, usize)>,
    /// Dense weights `[n_pre × n_post]`, zero outside the receptive fields
    /// (every zero is masked for ever, as in BindsNET); `None` draws them.
    pub w: Option<Vec<f32>>,
    /// Bias `[n_post]`.
    pub b: Option<Vec<f32>>,
}

impl LocalConnection {
    /// A local connection with square-input inference, drawn weights and no
    /// bias: `kernel` and `stride` as `(h, w)`, `n_filters` per position.
    ///
    /// ```
    /// use spikeflow::prelude::*;
    /// let mut b = Network::builder();
    /// b.add_population("X", &[16], Input, NodeOptions::default());
    /// b.add_population("Y", &[2 * 3 * 3], LifNodes::default(), NodeOptions::default());
    /// b.connect(Connect::new("X", "Y", LocalConnection::new((2, 2), (1, 1), 2)).wmax(1.0));
    /// b.build()?;
    /// # Ok::<(), spikeflow::Error>(())
    /// ```
    pub fn new(kernel: (usize, usize), stride: (usize, usize), n_filters: usize) -> Self {
        LocalConnection {
            kernel,
            stride,
            n_filters,
            input_shape: None,
            w: None,
            b: None,
        }
    }

    fn geometry(&self, ends: &Ends<'_>) -> Result<((usize, usize), (usize, usize))> {
        let n_pre = ends.n_pre();
        let (h, w) = match self.input_shape {
            Some(s) => s,
            None => {
                let side = (n_pre as f64).sqrt().floor() as usize;
                (side, side)
            }
        };
        let (kh, kw) = self.kernel;
        let (sh, sw) = self.stride;
        if h * w != n_pre {
            return Err(Error::shape(
                ends.name,
                format!("input shape ({h}, {w}) does not hold the {n_pre} source neurons"),
            ));
        }
        if kh == 0 || kw == 0 || sh == 0 || sw == 0 || kh > h || kw > w || self.n_filters == 0 {
            return Err(Error::param(ends.name, format!("kernel ({kh}, {kw}) and stride ({sh}, {sw}) must be ≥ 1 and the kernel within the input ({h}, {w}); n_filters ≥ 1")));
        }
        let conv = if (kh, kw) == (h, w) {
            (1, 1)
        } else {
            ((h - kh) / sh + 1, (w - kw) / sw + 1)
        };
        let expect = self.n_filters * conv.0 * conv.1;
        if ends.n_post() != expect {
            return Err(Error::shape(
                ends.name,
                format!(
                    "target has {} neurons, expected n_filters·patches = {}·{} = {expect}",
                    ends.n_post(),
                    self.n_filters,
                    conv.0 * conv.1
                ),
            ));
        }
        Ok(((h, w), conv))
    }
}

impl TopologySpec for LocalConnection {
    fn type_name(&self) -> &'static str {
        "LocalConnection"
    }
    fn norm_scale(&self) -> f32 {
        (self.kernel.0 * self.kernel.1) as f32
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let ((_, w_in), (ch, cw)) = self.geometry(ends)?;
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        let (kh, kw) = self.kernel;
        let (sh, sw) = self.stride;
        let dense = match &self.w {
            Some(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    n_pre * n_post,
                    &format!("[{n_pre}, {n_post}]"),
                )?;
                w.clone()
            }
            None => {
                let scaled = ends.wmin.all_finite() && ends.wmax.all_finite();
                let mut d = vec![0.0; n_pre * n_post];
                for f in 0..self.n_filters {
                    for c1 in 0..ch {
                        for c2 in 0..cw {
                            let j = f * ch * cw + c1 * cw + c2;
                            for k1 in 0..kh {
                                for k2 in 0..kw {
                                    let i = (c1 * sh + k1) * w_in + c2 * sw + k2;
                                    let k = i * n_post + j;
                                    let u = rng.uniform_f32();
                                    let (lo, hi) = (ends.wmin.at(k), ends.wmax.at(k));
                                    d[k] = if scaled {
                                        lo + u * (hi - lo)
                                    } else {
                                        u.max(lo).min(hi)
                                    };
                                }
                            }
                        }
                    }
                }
                d
            }
        };
        if let Some(b) = &self.b {
            check_len(ends.name, "b", b.len(), n_post, &format!("[{n_post}]"))?;
        }
        Ok(Box::new(SparseTopology::from_dense_nonzero(
            "LocalConnection",
            n_pre,
            n_post,
            &dense,
            Some(self.b.clone().unwrap_or_else(|| vec![0.0; n_post])),
            NormMode::ColumnSum,
        )))
    }
}
