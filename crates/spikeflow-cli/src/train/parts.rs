//! `train --parts K`: the paper model's training images shown to its
//! network cut into K parts, each on a core of its own for the whole run
//! ([`PaperParts`]), with the results of one network bit for bit.
//!
//! The whole network (the presenter the rest of the command uses: labelling
//! and testing in blocks, checkpoints, pictures) is brought up to date from
//! the parts at every checkpoint and at the end of training
//! ([`Presenter::sync`]); checkpoints are the whole network's, so a run
//! resumes with any number of parts.

use anyhow::{bail, Context, Result};
use spikeflow::models::diehl_cook_paper::PaperParts;
use spikeflow::models::Presenter;
use spikeflow::rng::Rng;
use spikeflow::Network;

use crate::model_choice::ModelSpec;

/// Refuses `--parts` that cannot run: none, or more than one for a model
/// other than the paper's.
pub(super) fn check(spec: &ModelSpec, parts: usize) -> Result<()> {
    if parts == 0 {
        bail!("--parts must be at least 1");
    }
    if parts > 1 && spec.paper_config().is_none() {
        bail!(
            "--parts {parts}: only the paper model (--model diehl-cook-2015-paper) is cut into parts"
        );
    }
    Ok(())
}

/// The whole presenter, and the parts that train in its place.
pub(super) struct PartsPresenter {
    whole: Box<dyn Presenter>,
    parts: PaperParts,
    /// The whole presenter was changed from outside (`network_mut`,
    /// `set_encoder_rng`): the parts take its state before presenting.
    whole_changed: bool,
}

impl PartsPresenter {
    /// `parts` parts starting from `whole`'s state (network and encoder).
    pub fn new(spec: &ModelSpec, whole: Box<dyn Presenter>, parts: usize) -> Result<Self> {
        check(spec, parts)?;
        let cfg = spec
            .paper_config()
            .context("--parts: not the paper model")?;
        Ok(PartsPresenter {
            whole,
            parts: cfg.build_parts(parts)?,
            whole_changed: true,
        })
    }

    /// The whole presenter, up to date.
    pub fn into_whole(mut self) -> Result<Box<dyn Presenter>> {
        self.sync()?;
        Ok(self.whole)
    }
}

impl Presenter for PartsPresenter {
    /// The whole network as of the last [`sync`](Presenter::sync).
    fn network(&self) -> &Network {
        self.whole.network()
    }
    fn network_mut(&mut self) -> &mut Network {
        self.whole_changed = true;
        self.whole.network_mut()
    }
    fn readout(&self) -> &str {
        self.whole.readout()
    }
    fn input_connection(&self) -> &str {
        self.whole.input_connection()
    }
    fn present(&mut self, images: &[f32], learning: bool) -> spikeflow::Result<Vec<f32>> {
        if self.whole_changed {
            self.parts.restore(&self.whole.network().snapshot())?;
            self.parts.set_encoder_rng(self.whole.encoder_rng())?;
            self.whole_changed = false;
        }
        self.parts.present(images, learning)
    }
    fn sync(&mut self) -> spikeflow::Result<()> {
        if self.whole_changed {
            // Nothing presented since: the whole presenter is the state.
            return Ok(());
        }
        let snap = self.parts.snapshot()?;
        self.whole.network_mut().restore(&snap)?;
        self.whole.set_encoder_rng(self.parts.encoder_rng()?);
        Ok(())
    }
    fn encoder_rng(&self) -> &Rng {
        self.whole.encoder_rng()
    }
    fn set_encoder_rng(&mut self, rng: Rng) {
        self.whole_changed = true;
        self.whole.set_encoder_rng(rng);
    }
}
