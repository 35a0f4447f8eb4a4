//! `Input`: a population whose spikes are whatever it is given.
//!
//! `s ← input` (no threshold). Real values pass through unchanged, so an
//! `Input` population can carry currents (e.g. the `repeat` encoder).

use super::{BuildContext, NodeCore, NodeModel, Population, Result, StepContext};

/// BindsNET's `Input` layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input;

impl NodeModel for Input {
    fn type_name(&self) -> &'static str {
        "Input"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        Ok(Box::new(InputPopulation {
            core: NodeCore::new(ctx)?,
        }))
    }
    fn slice(&self, _range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(Input))
    }
}

#[derive(Debug, Clone)]
struct InputPopulation {
    core: NodeCore,
}

impl Population for InputPopulation {
    population_accessors!();
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows;)
    }
    fn type_name(&self) -> &'static str {
        "Input"
    }
    fn step(&mut self, input: &mut [f32], _ctx: &mut StepContext<'_>) {
        self.core.pass_through(input);
    }
    fn step_external(&mut self, external: &[f32], _: &mut [f32], _: &mut StepContext<'_>) {
        // Values pass through unchanged: read the caller's array directly
        // (`0 + x`, as the buffered path would give, is folded into the copy).
        self.core.pass_through(external);
    }
    fn step_external_spikes(&mut self, spikes: &[bool], _: &mut [f32], _: &mut StepContext<'_>) {
        self.core.pass_through(spikes);
    }
    fn reset_state(&mut self) {
        self.core.reset();
    }
    fn quiet(&self, _steps: usize, _learning: bool) -> bool {
        true // its spikes are its input
    }
    fn relax(&mut self, steps: usize, _learning: bool) {
        self.core.relax_trace(steps);
    }
}
