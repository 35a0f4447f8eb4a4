//! Dense all-to-all connection (BindsNET's `Connection`).
//!
//! Weights `w[i][j]` laid out `[n_pre, n_post]`; optional bias `b[j]`.
//! `post[b] = Σ_i s[b, i]·w[i, :] (+ bias)`, computed event-driven: only the
//! rows of sources with non-zero spikes are read, so the cost grows with the
//! number of spikes, not with the number of synapses.

use super::{check_len, draw_weights, Ends, SynapseMap, Topology, TopologySpec};
use crate::error::Result;
use crate::nodes::Spikes;
use crate::rng::Rng;

/// A dense connection. Without explicit weights, `w ~ U(0, 1)` drawn from
/// the network's generator (scaled into `[wmin, wmax]` when both are finite,
/// as BindsNET).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dense {
    /// Weights `[n_pre × n_post]`, row-major; `None` draws them.
    pub w: Option<Vec<f32>>,
    /// Bias `[n_post]`.
    pub b: Option<Vec<f32>>,
}

impl Dense {
    /// A dense connection with the given weights `[n_pre × n_post]`.
    pub fn with_weights(w: Vec<f32>) -> Self {
        Dense {
            w: Some(w),
            b: None,
        }
    }
    /// Adds a bias `[n_post]`.
    pub fn bias(mut self, b: Vec<f32>) -> Self {
        self.b = Some(b);
        self
    }
}

impl TopologySpec for Dense {
    fn type_name(&self) -> &'static str {
        "Connection"
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        let w = match &self.w {
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
            None => draw_weights(n_pre * n_post, ends.wmin, ends.wmax, rng),
        };
        if let Some(b) = &self.b {
            check_len(ends.name, "b", b.len(), n_post, &format!("[{n_post}]"))?;
        }
        Ok(Box::new(DenseTopology {
            n_pre,
            n_post,
            w,
            b: self.b.clone(),
        }))
    }
}

#[derive(Debug)]
struct DenseTopology {
    n_pre: usize,
    n_post: usize,
    w: Vec<f32>,
    b: Option<Vec<f32>>,
}

impl Topology for DenseTopology {
    fn type_name(&self) -> &'static str {
        "Connection"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.n_post;
        for b in 0..src.batch() {
            let row_out = &mut out[b * n..(b + 1) * n];
            let vals = src.row(b);
            for &i in src.active(b) {
                let wrow = &self.w[i as usize * n..(i as usize + 1) * n];
                let s = vals[i as usize];
                if s == 1.0 {
                    for (o, &w) in row_out.iter_mut().zip(wrow) {
                        *o += w;
                    }
                } else {
                    for (o, &w) in row_out.iter_mut().zip(wrow) {
                        *o += s * w;
                    }
                }
            }
            if let Some(bias) = &self.b {
                for (o, &x) in row_out.iter_mut().zip(bias) {
                    *o += x;
                }
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
        Some((vec![self.n_pre, self.n_post], self.w.clone()))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((
            SynapseMap::Dense {
                n_pre: self.n_pre,
                n_post: self.n_post,
            },
            &mut self.w,
        ))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Dense {
            n_pre: self.n_pre,
            n_post: self.n_post,
        })
    }
    fn bias(&self) -> Option<&[f32]> {
        self.b.as_deref()
    }
}
