//! The learning-off phases (labelling, validation, test) in independent
//! blocks of consecutive images, one block per pool thread at a time.
//!
//! Diehl & Cook's own protocol carries the network's state from one image to
//! the next (150 ms of rest leave about a fifth of a neuron's distance to
//! rest), and it runs at batch 1, so the engine's lanes (batch rows on
//! separate threads) cannot serve it. Blocks can: each block of `block`
//! consecutive images starts from the same saved state (the trained
//! network), draws its spike trains from a generator of its own (derived
//! from the seed, the phase and the block's index), and shows its images in
//! order, carrying the state within the block as the serial pass does. The
//! blocks are independent, so the counts do not depend on the thread count
//! (bit for bit); they differ from one serial pass only in where the carried
//! state restarts and in the spike trains drawn — see `docs/performance.md`
//! for the accuracy measured both ways.

use super::readout::present_rows;
use crate::model_choice::ModelSpec;
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;
use spikeflow::datasets::Split;
use spikeflow::models::Presenter;
use spikeflow::rng::{splitmix64, Rng};
use spikeflow::Snapshot;
use std::time::Instant;

/// The learning-off phases a run shows images in; each draws its own spike
/// trains.
#[derive(Clone, Copy, Debug)]
pub enum Phase {
    /// Label assignment from a window of training images.
    Labels,
    /// The validation hold-out.
    Validation,
    /// The test set.
    Test,
    /// The `--assign-sweep` tuning aid.
    Sweep,
}

impl Phase {
    fn stream(self) -> u64 {
        match self {
            Phase::Labels => 0x1AB3_15F0_0000_0001,
            Phase::Validation => 0x7A11_DA7E_0000_0002,
            Phase::Test => 0x7E57_0000_0000_0003,
            Phase::Sweep => 0x5EE9_A551_6000_0004,
        }
    }
}

/// How the learning-off phases show their images.
pub struct LearningOff<'a> {
    spec: &'a ModelSpec,
    /// The state every block starts from.
    from: Snapshot,
    /// Images per block; 0: one serial pass on the caller's presenter.
    block: usize,
    /// The paper model's rest ends in closed form (`--closed-form-rest`).
    closed_form_rest: bool,
}

impl<'a> LearningOff<'a> {
    /// Blocks of `block` images (0: serial) starting from `from`, the
    /// rest after each image ended in closed form or not.
    ///
    /// # Errors
    /// `closed_form_rest` where it does not apply: a model without a rest,
    /// or one serial pass (shown on the training presenter, built without
    /// it).
    pub fn new(
        spec: &'a ModelSpec,
        from: Snapshot,
        block: usize,
        closed_form_rest: bool,
    ) -> Result<Self> {
        check_closed_form_rest(spec, block, closed_form_rest)?;
        Ok(LearningOff {
            spec,
            from,
            block,
            closed_form_rest,
        })
    }

    /// Whether the rest ends in closed form.
    pub fn closed_form_rest(&self) -> bool {
        self.closed_form_rest
    }

    /// Images per block (0: serial).
    pub fn block(&self) -> usize {
        self.block
    }

    /// Read-out counts `[rows.len() × n]` of the images `rows` of `data`,
    /// learning off, with the wall time. Serial (`block` 0): shown on `p`
    /// in order, carrying its state. In blocks: `p` is left untouched.
    pub fn present(
        &self,
        p: &mut dyn Presenter,
        phase: Phase,
        data: &Split<'_>,
        rows: &[usize],
        n: usize,
        bar: Option<&ProgressBar>,
    ) -> Result<(Vec<f32>, f64)> {
        if self.block == 0 {
            return present_rows(p, data, rows, n, bar);
        }
        let t0 = Instant::now();
        let parts: Vec<Vec<f32>> = rows
            .par_chunks(self.block)
            .enumerate()
            .map(|(k, chunk)| {
                let mut q = self.spec.build_learning_off(self.closed_form_rest)?;
                q.network_mut()
                    .restore(&self.from)
                    .context("restoring the trained state for a block")?;
                q.set_encoder_rng(block_rng(self.spec.seed, phase, k));
                Ok(present_rows(q.as_mut(), data, chunk, n, bar)?.0)
            })
            .collect::<Result<_>>()?;
        Ok((parts.concat(), t0.elapsed().as_secs_f64()))
    }
}

/// Refuses `--closed-form-rest` where it does not apply: a model without a
/// rest between images, or one serial pass (shown on the training
/// presenter, which the flag does not build: it only chooses how the
/// learning-off blocks rest).
pub fn check_closed_form_rest(spec: &ModelSpec, block: usize, on: bool) -> Result<()> {
    if on && !spec.model.is_paper() {
        bail!("--closed-form-rest: only the paper model (--model diehl-cook-2015-paper) rests between images");
    }
    if on && block == 0 {
        bail!("--closed-form-rest applies to learning-off images shown in blocks (--eval-block above 0)");
    }
    Ok(())
}

/// The spike-train generator of block `k` of `phase`.
fn block_rng(seed: u64, phase: Phase, k: usize) -> Rng {
    let mut s = seed ^ phase.stream();
    s = s.wrapping_add((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    Rng::seed_from_u64(splitmix64(&mut s))
}

/// The default `--eval-block`: blocks for the paper's protocol (batch 1,
/// state carried, the slow phases), one serial pass for BindsNET's models
/// (which reset their state per image and run batches in lanes).
pub fn default_block(spec: &ModelSpec) -> usize {
    if spec.model.is_paper() {
        DEFAULT_PAPER_BLOCK
    } else {
        0
    }
}

/// Images per block for the paper model: enough blocks to keep two to
/// eight threads busy on the 10,000 test images, few enough restarts of
/// the carried state to leave it the serial pass's almost everywhere.
pub const DEFAULT_PAPER_BLOCK: usize = 500;
