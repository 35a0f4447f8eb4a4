//! Convolutional connections (`Conv1dConnection`, `Conv2dConnection`,
//! `Conv3dConnection`): cross-correlation with shared kernels.
//!
//! Source shape `[C_in, *spatial]`, target `[C_out, *spatial_out]` with
//! `out = ⌊(in + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1` per axis.
//! Weights `[C_out][C_in][k…]`, bias `[C_out]`. Forward is event-driven: a
//! source spike adds its kernel slice to every output position it reaches.
//! Any number of input and output channels, for 1, 2 and 3 spatial axes
//! (internally always three, missing axes of size 1).

use super::{check_len, draw_weights, Ends, NormMode, SynapseMap, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A convolution connection with `D` spatial axes (1, 2 or 3).
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// Kernel size per spatial axis.
    pub kernel: Vec<usize>,
    /// Stride per axis (default 1).
    pub stride: Vec<usize>,
    /// Zero padding per axis (default 0).
    pub padding: Vec<usize>,
    /// Dilation per axis (default 1).
    pub dilation: Vec<usize>,
    /// Weights `[C_out × C_in × k…]`; `None` draws them.
    pub w: Option<Vec<f32>>,
    /// Bias `[C_out]` (zeros if `None`).
    pub b: Option<Vec<f32>>,
}

impl Conv {
    /// A convolution with `kernel` (one size per spatial axis), stride 1,
    /// no padding, no dilation.
    pub fn new(kernel: Vec<usize>) -> Self {
        let d = kernel.len();
        Conv {
            kernel,
            stride: vec![1; d],
            padding: vec![0; d],
            dilation: vec![1; d],
            w: None,
            b: None,
        }
    }
    /// Sets the stride per axis.
    pub fn stride(mut self, s: Vec<usize>) -> Self {
        self.stride = s;
        self
    }
    /// Sets the padding per axis.
    pub fn padding(mut self, p: Vec<usize>) -> Self {
        self.padding = p;
        self
    }
    /// Sets the dilation per axis.
    pub fn dilation(mut self, d: Vec<usize>) -> Self {
        self.dilation = d;
        self
    }
    /// Sets the weights `[C_out × C_in × k…]`.
    pub fn weights(mut self, w: Vec<f32>) -> Self {
        self.w = Some(w);
        self
    }
    /// Sets the bias `[C_out]`.
    pub fn bias(mut self, b: Vec<f32>) -> Self {
        self.b = Some(b);
        self
    }
}

/// The geometry of a convolution, padded to three spatial axes.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvGeometry {
    c_in: usize,
    c_out: usize,
    input: [usize; 3],
    output: [usize; 3],
    kernel: [usize; 3],
    stride: [usize; 3],
    padding: [usize; 3],
    dilation: [usize; 3],
}

fn pad3(v: &[usize], fill: usize) -> [usize; 3] {
    let mut a = [fill; 3];
    a[3 - v.len()..].copy_from_slice(v);
    a
}

impl ConvGeometry {
    /// Validates a geometry against the two shapes.
    pub(crate) fn new(
        name: &str,
        spec_kernel: &[usize],
        stride: &[usize],
        padding: &[usize],
        dilation: &[usize],
        src: &[usize],
        tgt: &[usize],
    ) -> Result<Self> {
        let d = spec_kernel.len();
        if !(1..=3).contains(&d) {
            return Err(Error::param(
                name,
                format!("kernel must have 1 to 3 axes, got {spec_kernel:?}"),
            ));
        }
        for (what, v) in [
            ("stride", stride),
            ("padding", padding),
            ("dilation", dilation),
        ] {
            if v.len() != d {
                return Err(Error::param(
                    name,
                    format!("{what} {v:?} must have {d} values like the kernel {spec_kernel:?}"),
                ));
            }
        }
        if src.len() != d + 1 || tgt.len() != d + 1 {
            return Err(Error::shape(name, format!("a {d}-D convolution needs [channels, {d} axes] at both ends, got source {src:?} and target {tgt:?}")));
        }
        if spec_kernel.contains(&0) || stride.contains(&0) || dilation.contains(&0) {
            return Err(Error::param(name, format!("kernel {spec_kernel:?}, stride {stride:?} and dilation {dilation:?} must be ≥ 1")));
        }
        if spec_kernel.iter().any(|&k| k > 64) {
            return Err(Error::param(
                name,
                format!("kernel {spec_kernel:?}: at most 64 per axis"),
            ));
        }
        let mut out = vec![0; d];
        for a in 0..d {
            // Checked: huge dilations or paddings must be refused, not wrap.
            let span = dilation[a]
                .checked_mul(spec_kernel[a] - 1)
                .and_then(|x| x.checked_add(1));
            let padded = padding[a]
                .checked_mul(2)
                .and_then(|p| p.checked_add(src[a + 1]));
            let (Some(span), Some(padded)) = (span, padded) else {
                return Err(Error::param(
                    name,
                    format!("dilation {dilation:?} or padding {padding:?} too large"),
                ));
            };
            if span > padded {
                return Err(Error::param(name, format!("kernel {spec_kernel:?} (dilation {dilation:?}) is larger than the padded input {:?}", &src[1..])));
            }
            out[a] = (padded - span) / stride[a] + 1;
        }
        if tgt[1..] != out[..] {
            return Err(Error::shape(name, format!("target spatial shape {:?} does not match the convolution output {out:?} of source {src:?}", &tgt[1..])));
        }
        Ok(ConvGeometry {
            c_in: src[0],
            c_out: tgt[0],
            input: pad3(&src[1..], 1),
            output: pad3(&out, 1),
            kernel: pad3(spec_kernel, 1),
            stride: pad3(stride, 1),
            padding: pad3(padding, 0),
            dilation: pad3(dilation, 1),
        })
    }

    /// Number of weights.
    pub fn n_weights(&self) -> usize {
        self.c_out * self.kernel_len() * self.c_in
    }
    /// Weights per (out, in) kernel.
    pub fn kernel_len(&self) -> usize {
        self.kernel.iter().product()
    }
    /// Number of source neurons.
    pub fn n_pre(&self) -> usize {
        self.c_in * self.input.iter().product::<usize>()
    }
    /// Number of target neurons.
    pub fn n_post(&self) -> usize {
        self.c_out * self.output.iter().product::<usize>()
    }

    /// Calls `f(post, weight)` for each (output position, kernel entry) that
    /// source neuron `pre` reaches.
    #[inline]
    pub fn for_each_out(&self, pre: usize, mut f: impl FnMut(usize, usize)) {
        let [ia, ib, ic] = self.input;
        let c = pre / (ia * ib * ic);
        let rem = pre % (ia * ib * ic);
        let pos = [rem / (ib * ic), (rem / ic) % ib, rem % ic];
        let [ka, kb, kc] = self.kernel;
        let [oa, ob, oc] = self.output;
        // Per axis, the (kernel offset, output index) pairs that reach `pos`.
        let mut hits: [[(usize, usize); 64]; 3] = [[(0, 0); 64]; 3];
        let mut counts = [0usize; 3];
        for a in 0..3 {
            for k in 0..self.kernel[a] {
                let t =
                    pos[a] as isize + self.padding[a] as isize - (k * self.dilation[a]) as isize;
                if t >= 0 && t as usize % self.stride[a] == 0 {
                    let o = t as usize / self.stride[a];
                    if o < self.output[a] && counts[a] < 64 {
                        hits[a][counts[a]] = (k, o);
                        counts[a] += 1;
                    }
                }
            }
        }
        for o_ch in 0..self.c_out {
            let kbase = (o_ch * self.c_in + c) * ka * kb * kc;
            let obase = o_ch * oa * ob * oc;
            for &(k0, o0) in &hits[0][..counts[0]] {
                for &(k1, o1) in &hits[1][..counts[1]] {
                    for &(k2, o2) in &hits[2][..counts[2]] {
                        f(
                            obase + (o0 * ob + o1) * oc + o2,
                            kbase + (k0 * kb + k1) * kc + k2,
                        );
                    }
                }
            }
        }
    }

    /// Calls `f(pre, weight)` for each in-bounds input position and kernel
    /// entry feeding target neuron `post` (padding is no synapse).
    #[inline]
    pub fn for_each_in(&self, post: usize, f: impl FnMut(usize, usize)) {
        self.for_each_in_channels(post, 0..self.c_in, f);
    }

    /// Like [`for_each_in`](Self::for_each_in), restricted to the input
    /// channel equal to the output channel (depth-wise: pooling windows).
    pub(crate) fn for_each_window(&self, post: usize, f: impl FnMut(usize, usize)) {
        let c = post / self.out_positions();
        self.for_each_in_channels(post, c..c + 1, f);
    }

    #[inline]
    fn for_each_in_channels(
        &self,
        post: usize,
        channels: std::ops::Range<usize>,
        mut f: impl FnMut(usize, usize),
    ) {
        let [oa, ob, oc] = self.output;
        let o_ch = post / (oa * ob * oc);
        let rem = post % (oa * ob * oc);
        let opos = [rem / (ob * oc), (rem / oc) % ob, rem % oc];
        let [ia, ib, ic] = self.input;
        let [ka, kb, kc] = self.kernel;
        for c in channels {
            let kbase = (o_ch * self.c_in + c) * ka * kb * kc;
            for k0 in 0..ka {
                let Some(i0) = self.source_index(0, opos[0], k0) else {
                    continue;
                };
                for k1 in 0..kb {
                    let Some(i1) = self.source_index(1, opos[1], k1) else {
                        continue;
                    };
                    for k2 in 0..kc {
                        let Some(i2) = self.source_index(2, opos[2], k2) else {
                            continue;
                        };
                        f(
                            ((c * ia + i0) * ib + i1) * ic + i2,
                            kbase + (k0 * kb + k1) * kc + k2,
                        );
                    }
                }
            }
        }
    }

    #[inline]
    fn source_index(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let t = (o * self.stride[axis] + k * self.dilation[axis]) as isize
            - self.padding[axis] as isize;
        (t >= 0 && (t as usize) < self.input[axis]).then_some(t as usize)
    }

    /// Positions per output channel.
    pub fn out_positions(&self) -> usize {
        self.output.iter().product()
    }
}

impl TopologySpec for Conv {
    fn type_name(&self) -> &'static str {
        match self.kernel.len() {
            1 => "Conv1dConnection",
            3 => "Conv3dConnection",
            _ => "Conv2dConnection",
        }
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let g = ConvGeometry::new(
            ends.name,
            &self.kernel,
            &self.stride,
            &self.padding,
            &self.dilation,
            ends.source_shape,
            ends.target_shape,
        )?;
        let mut shape = vec![g.c_out, g.c_in];
        shape.extend_from_slice(&self.kernel);
        let w = match &self.w {
            Some(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    g.n_weights(),
                    &format!("{shape:?}"),
                )?;
                w.clone()
            }
            None => draw_weights(g.n_weights(), ends.wmin, ends.wmax, rng),
        };
        let b = match &self.b {
            Some(b) => {
                check_len(ends.name, "b", b.len(), g.c_out, &format!("[{}]", g.c_out))?;
                b.clone()
            }
            None => vec![0.0; g.c_out],
        };
        Ok(Box::new(ConvTopology {
            type_name: self.type_name(),
            shape,
            g,
            w,
            b,
        }))
    }
}

#[derive(Debug)]
struct ConvTopology {
    type_name: &'static str,
    shape: Vec<usize>,
    g: ConvGeometry,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Topology for ConvTopology {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.g.n_post();
        let per = self.g.out_positions();
        for b in 0..src.batch() {
            let row_out = &mut out[b * n..(b + 1) * n];
            let vals = src.row(b);
            for &i in src.active(b) {
                let s = vals[i as usize];
                let w = &self.w;
                self.g
                    .for_each_out(i as usize, |j, k| row_out[j] += s * w[k]);
            }
            for (o, &bias) in self.b.iter().enumerate() {
                if bias != 0.0 {
                    for x in &mut row_out[o * per..(o + 1) * per] {
                        *x += bias;
                    }
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
        Some((self.shape.clone(), self.w.clone()))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((SynapseMap::Conv(&self.g), &mut self.w))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Conv(&self.g))
    }
    fn norm_mode(&self) -> NormMode {
        NormMode::Kernel
    }
    fn bias(&self) -> Option<&[f32]> {
        Some(&self.b)
    }
}
