//! Options of [`Network::run`](crate::Network::run).

use crate::spike_raster::SpikeRaster;
use crate::tensor::Tensor;

/// One population's external input to
/// [`Network::run_inputs`](crate::Network::run_inputs), shaped
/// `[steps, batch, *shape]` (or `[steps, batch, n]`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum RunInput<'a> {
    /// Values: the spikes of an `Input` population (any real value passes
    /// through), current added to the input of any other population.
    Values(&'a Tensor),
    /// Spikes: exactly the same run as `Values` holding 1 for a spike and 0
    /// otherwise, from a quarter of the memory.
    Spikes(&'a SpikeRaster),
}

impl<'a> From<&'a Tensor> for RunInput<'a> {
    fn from(t: &'a Tensor) -> Self {
        RunInput::Values(t)
    }
}

impl<'a> From<&'a SpikeRaster> for RunInput<'a> {
    fn from(s: &'a SpikeRaster) -> Self {
        RunInput::Spikes(s)
    }
}

impl<'a> RunInput<'a> {
    pub(crate) fn shape(&self) -> &'a [usize] {
        match *self {
            RunInput::Values(t) => t.shape(),
            RunInput::Spikes(s) => s.shape(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match *self {
            RunInput::Values(t) => t.data().len(),
            RunInput::Spikes(s) => s.data().len(),
        }
    }

    /// Values `range` of step `t`.
    pub(crate) fn at(&self, t: usize, range: std::ops::Range<usize>) -> StepInput<'a> {
        match *self {
            RunInput::Values(x) => StepInput::Values(&x.slab(t)[range]),
            RunInput::Spikes(x) => StepInput::Spikes(&x.slab(t)[range]),
        }
    }
}

/// Part of one step of a [`RunInput`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum StepInput<'a> {
    Values(&'a [f32]),
    Spikes(&'a [bool]),
}

/// The reward given to a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Reward {
    /// No reward (rules that need one return an error).
    #[default]
    None,
    /// The same reward at every step and batch row.
    Scalar(f32),
    /// One reward per step (`len` = steps), shared by the batch rows.
    PerStep(Vec<f32>),
    /// One reward per batch row, at every step.
    PerRow(Vec<f32>),
    /// One reward per step and batch row, `[steps, batch]`.
    PerStepRow(Tensor),
}

/// Neurons whose spikes are forced on (clamp) or off (unclamp) after a
/// population's update and before its trace update (BindsNET 0.3.4): a
/// forced spike is in this step's trace, learning and propagation, but does
/// not reset the voltage, start refractoriness or raise a threshold; a
/// suppressed spike has done all that, but is absent from the spikes and
/// the trace.
#[derive(Debug, Clone, PartialEq)]
pub enum Mask {
    /// The same flat neuron indices at every step.
    Always(Vec<usize>),
    /// Flat neuron indices per step (`len` = steps).
    PerStep(Vec<Vec<usize>>),
}

impl Mask {
    pub(crate) fn at(&self, t: usize) -> &[usize] {
        match self {
            Mask::Always(v) => v,
            Mask::PerStep(v) => &v[t],
        }
    }
}

/// Options of one `run` call; `RunOptions::default()` is a plain run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Reward for reward-modulated rules.
    pub reward: Reward,
    /// Spikes forced to 1 after the population's update, before its trace
    /// update (BindsNET's `clamp`): in this step's trace, seen by learning
    /// and propagated, but no reset, refractoriness or threshold rise.
    pub clamp: Vec<(String, Mask)>,
    /// Spikes forced to 0 at the same point (`unclamp`; wins over
    /// `clamp`): the neuron was reset, but the spike is not in the trace.
    pub unclamp: Vec<(String, Mask)>,
    /// Weight masks (BindsNET's `masks=`): connection name → one flag per
    /// weight, in the connection's weight order (that of
    /// [`Network::weights`](crate::Network::weights); for a dense
    /// connection `[n_pre, n_post]`). At the end of every step's learning
    /// phase — also when the network does not learn or the connection has
    /// no rule — the flagged weights are set to 0. Step 0 still propagates
    /// with the weights as they were.
    pub weight_masks: Vec<(String, Vec<bool>)>,
    /// Voltage added before the update (`injects_v`): a tensor `[n]` (every
    /// step) or `[steps, n]`, broadcast over the batch.
    pub inject_v: Vec<(String, Tensor)>,
    /// Feed-forward mode: a population's input is computed just before it
    /// is updated, so spikes cross a whole feed-forward chain in one step.
    /// External input is added (BindsNET drops it).
    pub one_step: bool,
}
