//! Max-pooling connections (`MaxPool1dConnection`, `MaxPool2dConnection`,
//! `MaxPool3dConnection`).
//!
//! Each step, per batch row and channel, a running firing-rate estimate of
//! the source is updated, `R ← R − decay·R + s`, and each pooling window
//! passes on the *current spike* of the position with the highest `R` (the
//! first maximum in row-major window order). There are no weights: learning
//! rules cannot be attached (a build-time error), and the network's
//! learning switch leaves pooling alone (BindsNET crashes there).

use super::{ConvGeometry, Ends, SynapseMap, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A max-pooling connection over 1 to 3 spatial axes.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPool {
    /// Window size per axis.
    pub kernel: Vec<usize>,
    /// Stride per axis (BindsNET's default 1).
    pub stride: Vec<usize>,
    /// Padding per axis (padded positions never win).
    pub padding: Vec<usize>,
    /// Dilation per axis.
    pub dilation: Vec<usize>,
    /// Rate-estimate decay per step, in `[0, 1]` (1 makes `R = s`).
    pub decay: f32,
}

impl MaxPool {
    /// Pooling with `kernel`, stride 1, no padding or dilation.
    pub fn new(kernel: Vec<usize>, decay: f32) -> Self {
        let d = kernel.len();
        MaxPool {
            kernel,
            stride: vec![1; d],
            padding: vec![0; d],
            dilation: vec![1; d],
            decay,
        }
    }
    /// Sets the stride.
    pub fn stride(mut self, s: Vec<usize>) -> Self {
        self.stride = s;
        self
    }
}

impl TopologySpec for MaxPool {
    fn type_name(&self) -> &'static str {
        match self.kernel.len() {
            1 => "MaxPool1dConnection",
            3 => "MaxPool3dConnection",
            _ => "MaxPool2dConnection",
        }
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        if !(0.0..=1.0).contains(&self.decay) {
            return Err(Error::param(
                ends.name,
                format!("decay must be in [0, 1], got {}", self.decay),
            ));
        }
        if ends.source_shape.first() != ends.target_shape.first() {
            return Err(Error::shape(
                ends.name,
                format!(
                    "pooling keeps the channels: source {:?}, target {:?}",
                    ends.source_shape, ends.target_shape
                ),
            ));
        }
        let g = ConvGeometry::new(
            ends.name,
            &self.kernel,
            &self.stride,
            &self.padding,
            &self.dilation,
            ends.source_shape,
            ends.target_shape,
        )?;
        Ok(Box::new(PoolTopology {
            type_name: self.type_name(),
            decay: self.decay,
            rates: vec![0.0; ends.batch * g.n_pre()],
            g,
        }))
    }
}

#[derive(Debug)]
struct PoolTopology {
    type_name: &'static str,
    g: ConvGeometry,
    decay: f32,
    /// `[batch × n_pre]` running rate estimate.
    rates: Vec<f32>,
}

impl Topology for PoolTopology {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n_pre = self.g.n_pre();
        let n_post = self.g.n_post();
        for (r, &s) in self.rates.iter_mut().zip(src.values()) {
            *r = *r - self.decay * *r + s;
        }
        for b in 0..src.batch() {
            let rates = &self.rates[b * n_pre..(b + 1) * n_pre];
            let vals = src.row(b);
            for j in 0..n_post {
                let mut best: Option<(f32, usize)> = None;
                self.g.for_each_window(j, |i, _| {
                    if best.is_none_or(|(m, _)| rates[i] > m) {
                        best = Some((rates[i], i));
                    }
                });
                if let Some((_, i)) = best {
                    out[b * n_post + j] += vals[i];
                }
            }
        }
    }
    fn weights(&self) -> Option<&[f32]> {
        None
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        None
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        None
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        None
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        None
    }
    fn reset_state(&mut self) {
        self.rates.fill(0.0);
    }
    fn variable(&self, name: &str) -> Option<&[f32]> {
        (name == "firing_rates").then_some(self.rates.as_slice())
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        (name == "firing_rates").then_some(self.rates.as_mut_slice())
    }
    fn variable_names(&self) -> &'static [&'static str] {
        &["firing_rates"]
    }
}
