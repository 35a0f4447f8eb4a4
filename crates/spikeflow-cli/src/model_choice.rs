//! Which model `spikeflow train`/`eval` runs, with its parameters, and the
//! [`Presenter`] that shows it images.

use anyhow::{bail, Result};
use serde_json::{json, Value};
use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::{
    DiehlAndCook2015, DiehlAndCook2015v2, IncreasingInhibitionNetwork, LocallyConnectedNetwork,
    PoissonPresenter, Presenter, TwoLayerNetwork,
};

/// The models the CLI can train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelName {
    /// BindsNET's DiehlAndCook2015 (X → Ae ⇄ Ai), as `eth_mnist.py`.
    #[value(name = "diehl-cook-2015")]
    DiehlCook2015,
    /// BindsNET's DiehlAndCook2015v2 (X → Y with recurrent inhibition).
    #[value(name = "diehl-cook-2015-v2")]
    DiehlCook2015V2,
    /// BindsNET's IncreasingInhibitionNetwork as `SOM_LM-SNNs.py` builds it
    /// (start_inhib 10, max_inhib −40).
    #[value(name = "increasing-inhibition")]
    IncreasingInhibition,
    /// BindsNET's TwoLayerNetwork (X → Y, LIF, no inhibition).
    #[value(name = "two-layer")]
    TwoLayer,
    /// BindsNET's LocallyConnectedNetwork (kernel 12, stride 4: 25 patches
    /// of the 28×28 image; `--neurons` = 25 · filters, `--inh` default 25).
    #[value(name = "locally-connected")]
    LocallyConnected,
    /// Diehl & Cook's own model and protocol (conductance-based, dt 0.5 ms,
    /// 350 ms + 150 ms rest, adaptive intensity).
    #[value(name = "diehl-cook-2015-paper")]
    DiehlCook2015Paper,
}

impl ModelName {
    /// The name on the command line and in checkpoints.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelName::DiehlCook2015 => "diehl-cook-2015",
            ModelName::DiehlCook2015V2 => "diehl-cook-2015-v2",
            ModelName::IncreasingInhibition => "increasing-inhibition",
            ModelName::TwoLayer => "two-layer",
            ModelName::LocallyConnected => "locally-connected",
            ModelName::DiehlCook2015Paper => "diehl-cook-2015-paper",
        }
    }

    /// Parses [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Result<ModelName> {
        for m in [
            ModelName::DiehlCook2015,
            ModelName::DiehlCook2015V2,
            ModelName::IncreasingInhibition,
            ModelName::TwoLayer,
            ModelName::LocallyConnected,
            ModelName::DiehlCook2015Paper,
        ] {
            if m.as_str() == s {
                return Ok(m);
            }
        }
        bail!("unknown model {s:?}")
    }

    pub(crate) fn is_paper(self) -> bool {
        self == ModelName::DiehlCook2015Paper
    }
}

/// Patches of `--model locally-connected` (kernel 12, stride 4 on 28×28:
/// 5 × 5 positions).
const LOCAL_PATCHES: usize = 25;

/// Everything that fixes a model and its presentation protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Which model.
    pub model: ModelName,
    /// Excitatory neurons.
    pub neurons: usize,
    /// Presentation time (ms).
    pub time_ms: f32,
    /// Time step (ms).
    pub dt: f32,
    /// Input intensity (Hz at a white pixel for the Poisson models; the
    /// paper's starting intensity for the paper model).
    pub intensity: f32,
    /// Inhibition strength (`inh`; BindsNET models only).
    pub inh: f32,
    /// Seed of weights, network and encoder.
    pub seed: u64,
    /// Images per presentation.
    pub batch: usize,
    /// Paper model: training images end their rest in closed form
    /// ([`DiehlCookPaper::closed_form_training_rest`]); it changes what is
    /// learned, so it is part of the model.
    pub closed_form_training_rest: bool,
}

impl ModelSpec {
    /// Fills the model-specific defaults of the flags left out and checks
    /// every value (one-line errors).
    pub fn new(
        model: ModelName,
        neurons: usize,
        time_ms: Option<f32>,
        dt: Option<f32>,
        intensity: Option<f32>,
        inh: Option<f32>,
        seed: u64,
        batch: usize,
    ) -> Result<ModelSpec> {
        let paper = model.is_paper();
        let spec = ModelSpec {
            model,
            neurons,
            time_ms: time_ms.unwrap_or(if paper { 350.0 } else { 250.0 }),
            dt: dt.unwrap_or(if paper { 0.5 } else { 1.0 }),
            intensity: intensity.unwrap_or(if paper { 2.0 } else { 128.0 }),
            inh: inh.unwrap_or(match model {
                ModelName::DiehlCook2015Paper => 17.0,
                ModelName::LocallyConnected => 25.0,
                _ => 120.0,
            }),
            seed,
            batch,
            closed_form_training_rest: false,
        };
        if neurons == 0 {
            bail!("--neurons must be at least 1");
        }
        if !(spec.dt.is_finite() && spec.dt > 0.0) {
            bail!("--dt must be a positive number of ms, got {}", spec.dt);
        }
        if !(spec.time_ms.is_finite() && spec.time_ms > 0.0) {
            bail!(
                "--time must be a positive number of ms, got {}",
                spec.time_ms
            );
        }
        if spec.steps() == 0 {
            bail!(
                "--time {} ms at --dt {} ms is less than one step",
                spec.time_ms,
                spec.dt
            );
        }
        if !(spec.intensity.is_finite() && spec.intensity >= 0.0) {
            bail!("--intensity must be finite and ≥ 0, got {}", spec.intensity);
        }
        if !(spec.inh.is_finite() && spec.inh >= 0.0) {
            bail!("--inh must be finite and ≥ 0, got {}", spec.inh);
        }
        if batch == 0 {
            bail!("--batch must be at least 1");
        }
        if model == ModelName::LocallyConnected && neurons % LOCAL_PATCHES != 0 {
            bail!(
                "--model locally-connected has {LOCAL_PATCHES} patches per filter: --neurons must be a multiple of {LOCAL_PATCHES}, got {neurons}"
            );
        }
        if paper && batch != 1 {
            bail!("--model diehl-cook-2015-paper shows one image at a time: use --batch 1");
        }
        if paper && inh.is_some() {
            bail!("--inh applies to the BindsNET models, not to --model diehl-cook-2015-paper");
        }
        Ok(spec)
    }

    /// The paper model's training rest in closed form
    /// (`--closed-form-training-rest`); refused for any other model.
    pub fn with_closed_form_training_rest(mut self, on: bool) -> Result<ModelSpec> {
        if on && !self.model.is_paper() {
            bail!("--closed-form-training-rest: only the paper model (--model diehl-cook-2015-paper) rests between images");
        }
        self.closed_form_training_rest = on;
        Ok(self)
    }

    /// Simulation steps per presentation (`⌊time / dt⌋`, as BindsNET's
    /// encoders).
    pub fn steps(&self) -> usize {
        (f64::from(self.time_ms) / f64::from(self.dt) + 1e-9).floor() as usize
    }

    /// The JSON form stored in checkpoints.
    pub fn to_json(&self) -> Value {
        json!({
            "model": self.model.as_str(),
            "neurons": self.neurons,
            "time_ms": self.time_ms,
            "dt": self.dt,
            "intensity": self.intensity,
            "inh": self.inh,
            "seed": self.seed,
            "batch": self.batch,
            "closed_form_training_rest": self.closed_form_training_rest,
        })
    }

    /// Reads [`to_json`](Self::to_json).
    pub fn from_json(v: &Value) -> Result<ModelSpec> {
        let f = |k: &str| -> Result<f32> {
            v[k].as_f64()
                .map(|x| x as f32)
                .ok_or_else(|| anyhow::anyhow!("checkpoint model parameters lack {k:?}"))
        };
        let u = |k: &str| -> Result<u64> {
            v[k].as_u64()
                .ok_or_else(|| anyhow::anyhow!("checkpoint model parameters lack {k:?}"))
        };
        let name = v["model"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("checkpoint model parameters lack \"model\""))?;
        let spec = ModelSpec {
            model: ModelName::parse(name)?,
            neurons: u("neurons")? as usize,
            time_ms: f("time_ms")?,
            dt: f("dt")?,
            intensity: f("intensity")?,
            inh: f("inh")?,
            seed: u("seed")?,
            batch: u("batch")? as usize,
            // Absent in checkpoints written before it existed: stepped.
            closed_form_training_rest: v["closed_form_training_rest"].as_bool().unwrap_or(false),
        };
        if spec.closed_form_training_rest && !spec.model.is_paper() {
            bail!(
                "checkpoint model parameters: closed_form_training_rest for a model without a rest"
            );
        }
        if spec.neurons == 0 || spec.batch == 0 || spec.steps() == 0 {
            bail!("checkpoint model parameters are out of range");
        }
        Ok(spec)
    }

    /// A human-readable one-liner.
    pub fn describe(&self) -> String {
        format!(
            "{} with {} neurons, {} ms at dt {} ms ({} steps), intensity {}{}, batch {}, seed {}{}",
            self.model.as_str(),
            self.neurons,
            self.time_ms,
            self.dt,
            self.steps(),
            self.intensity,
            if self.model.is_paper() {
                String::new()
            } else {
                format!(", inh {}", self.inh)
            },
            self.batch,
            self.seed,
            if self.closed_form_training_rest {
                ", training rest in closed form"
            } else {
                ""
            }
        )
    }

    /// The paper model's configuration, for the paper model.
    pub fn paper_config(&self) -> Option<DiehlCookPaper> {
        (self.model == ModelName::DiehlCook2015Paper).then(|| paper_config(self))
    }

    /// Builds the presenter learning-off images are shown to; with
    /// `closed_form_rest` (checked by the caller to be the paper model) the
    /// rest after each image ends in closed form once nothing can spike
    /// ([`DiehlCookPaper::closed_form_rest`]).
    pub fn build_learning_off(&self, closed_form_rest: bool) -> Result<Box<dyn Presenter>> {
        match self.paper_config() {
            Some(cfg) if closed_form_rest => Ok(Box::new(
                DiehlCookPaper {
                    closed_form_rest,
                    ..cfg
                }
                .build()?,
            )),
            _ => self.build(),
        }
    }

    /// Builds the network and its presenter.
    pub fn build(&self) -> Result<Box<dyn Presenter>> {
        let dc = DiehlAndCook2015 {
            n_neurons: self.neurons,
            inh: self.inh,
            dt: self.dt,
            batch_size: self.batch,
            seed: self.seed,
            ..Default::default()
        };
        let steps = self.steps();
        let poisson = |net, readout: &str| -> Result<Box<dyn Presenter>> {
            Ok(Box::new(PoissonPresenter::new(
                net,
                "X",
                readout,
                &format!("X -> {readout}"),
                steps,
                self.intensity,
                self.seed,
            )?))
        };
        match self.model {
            ModelName::DiehlCook2015 => poisson(dc.build()?, "Ae"),
            ModelName::DiehlCook2015V2 => poisson(DiehlAndCook2015v2 { params: dc }.build()?, "Y"),
            ModelName::IncreasingInhibition => poisson(
                IncreasingInhibitionNetwork {
                    params: dc,
                    start_inhib: 10.0,
                    max_inhib: -40.0,
                }
                .build()?,
                "Y",
            ),
            ModelName::TwoLayer => poisson(
                TwoLayerNetwork {
                    n_neurons: self.neurons,
                    dt: self.dt,
                    batch_size: self.batch,
                    seed: self.seed,
                    ..Default::default()
                }
                .build()?,
                "Y",
            ),
            ModelName::LocallyConnected => poisson(
                LocallyConnectedNetwork {
                    params: DiehlAndCook2015 {
                        inpt_shape: None,
                        ..dc
                    },
                    n_filters: self.neurons / LOCAL_PATCHES,
                    inh: self.inh,
                    ..Default::default()
                }
                .build()?,
                "Y",
            ),
            ModelName::DiehlCook2015Paper => paper(self),
        }
    }
}

fn paper(spec: &ModelSpec) -> Result<Box<dyn Presenter>> {
    Ok(Box::new(paper_config(spec).build()?))
}

/// The paper model's configuration for a spec.
fn paper_config(spec: &ModelSpec) -> DiehlCookPaper {
    DiehlCookPaper {
        n_neurons: spec.neurons,
        seed: spec.seed,
        dt: spec.dt,
        exposure_ms: spec.time_ms,
        intensity: spec.intensity,
        closed_form_training_rest: spec.closed_form_training_rest,
        ..Default::default()
    }
}
