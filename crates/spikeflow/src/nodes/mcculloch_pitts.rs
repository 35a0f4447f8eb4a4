//! `McCullochPitts`: a threshold unit without memory.
//!
//! `v ← input`; `s ← v ≥ thresh`.

use super::{BuildContext, NodeCore, NodeModel, Param, Population, Result, StepContext};

/// BindsNET's `McCullochPitts` nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct McCullochPitts {
    /// Firing threshold. Default 1.
    pub thresh: Param,
}

impl Default for McCullochPitts {
    fn default() -> Self {
        McCullochPitts { thresh: 1.0.into() }
    }
}

impl NodeModel for McCullochPitts {
    fn type_name(&self) -> &'static str {
        "McCullochPitts"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        let core = NodeCore::new(ctx)?;
        Ok(Box::new(McCullochPittsPopulation {
            thresh: ctx.expand("thresh", &self.thresh)?,
            v: vec![0.0; ctx.batch * core.n()],
            core,
        }))
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(McCullochPitts {
            thresh: self.thresh.slice(range),
        }))
    }
}

#[derive(Debug, Clone)]
struct McCullochPittsPopulation {
    core: NodeCore,
    thresh: Vec<f32>,
    v: Vec<f32>,
}

impl Population for McCullochPittsPopulation {
    population_accessors!("v" => v);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v)
    }
    fn type_name(&self) -> &'static str {
        "McCullochPitts"
    }
    fn step(&mut self, input: &mut [f32], _ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        for b in 0..self.core.batch() {
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let v = input[b * n + j];
                self.v[b * n + j] = v;
                let fire = v >= self.thresh[j];
                s[j] = fire as u8 as f32;
                if fire {
                    active.push(j as u32);
                }
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        self.v.fill(0.0);
    }
}
