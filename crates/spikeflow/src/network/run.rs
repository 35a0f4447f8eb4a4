//! Options of [`Network::run`](crate::Network::run).

use crate::spike_raster::SpikeRaster;
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

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
    /// A flag another thread may raise to stop the run between two steps
    /// (Ctrl-C in the Python package). See [`Cancel`].
    pub cancel: Option<Cancel>,
    /// Where the run counts the steps it has done, for another thread to
    /// read while it runs. See [`Progress`].
    pub progress: Option<Progress>,
}

/// The steps a [`Network::run`](crate::Network::run) has done so far,
/// readable from any thread while it runs (a progress bar, a watchdog, the
/// time per step of a long run): set after every step of a run that steps
/// the whole network at once, and at the end of a run split into
/// independent lanes. One relaxed atomic store per step.
///
/// ```
/// use spikeflow::Progress;
/// let p = Progress::new();
/// assert_eq!(p.steps(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }
    /// Steps done by the run using it (of that run; 0 before it starts).
    pub fn steps(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    pub(crate) fn set(&self, steps: usize) {
        self.0.store(steps as u64, Ordering::Relaxed);
    }
}

/// A flag that stops a [`Network::run`](crate::Network::run) between two
/// steps: raise it from any thread ([`cancel`](Self::cancel)) and the run
/// returns [`Error::Interrupted`](crate::Error::Interrupted) after the step
/// in progress.
///
/// What an interrupted run leaves is what a run of the steps it completed
/// would have left: those steps' state, monitor records and weight changes
/// are kept, pending learning is flushed and weights are normalised as at
/// the end of any run, and the network can run again. The flag is read once
/// per step (one atomic load), never inside a step. It stays raised until
/// [`reset`](Self::reset): a raised flag stops the next run before its first
/// step.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag, not raised.
    pub fn new() -> Self {
        Self::default()
    }
    /// Raises the flag: runs using it stop after their current step.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether the flag is raised.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    /// Lowers the flag.
    pub fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl RunOptions {
    /// Whether the run's [`Cancel`] flag is raised.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(Cancel::is_cancelled)
    }
    pub(crate) fn report(&self, steps: usize) {
        if let Some(p) = &self.progress {
            p.set(steps);
        }
    }
}
