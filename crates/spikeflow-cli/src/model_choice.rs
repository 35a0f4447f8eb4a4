//! Which model `spikeflow train`/`eval` runs, with its parameters, and the
//! [`Presenter`] that shows it images.

use anyhow::{bail, Context, Result};
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
    /// Paper model: the largest Euler factor `dt/τ_m·(1 + g_e + g_i)` its
    /// neurons step as the authors' script does; above it `v` lands on the
    /// step's equilibrium ([`ConductanceLifNodes::euler_limit`], default
    /// 1). It changes the spikes where it acts, so it is part of the model.
    ///
    /// [`ConductanceLifNodes::euler_limit`]: spikeflow::nodes::ConductanceLifNodes::euler_limit
    pub euler_limit: f32,
}

/// The paper model's default Euler limit (`DiehlCookPaper::default()`'s,
/// checked by a test): `v` lands on the step's equilibrium wherever
/// forward Euler would overshoot it.
pub const DEFAULT_EULER_LIMIT: f32 = 1.0;

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
            euler_limit: DEFAULT_EULER_LIMIT,
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

    /// The paper model's Euler limit (`--euler-limit`; `None`: the default,
    /// 1); refused for any other model, below 1 (where the step would land
    /// on the equilibrium even where Euler undershoots it) and NaN.
    pub fn with_euler_limit(mut self, limit: Option<f32>) -> Result<ModelSpec> {
        let Some(limit) = limit else {
            return Ok(self);
        };
        if !self.model.is_paper() {
            bail!("--euler-limit: only the paper model (--model diehl-cook-2015-paper) has conductance neurons");
        }
        check_euler_limit(limit).context("--euler-limit")?;
        self.euler_limit = limit;
        Ok(self)
    }

    /// Simulation steps per presentation (`⌊time / dt⌋`, as BindsNET's
    /// encoders).
    pub fn steps(&self) -> usize {
        (f64::from(self.time_ms) / f64::from(self.dt) + 1e-9).floor() as usize
    }

    /// The JSON form stored in checkpoints.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "model": self.model.as_str(),
            "neurons": self.neurons,
            "time_ms": self.time_ms,
            "dt": self.dt,
            "intensity": self.intensity,
            "inh": self.inh,
            "seed": self.seed,
            "batch": self.batch,
            "closed_form_training_rest": self.closed_form_training_rest,
        });
        // Only the paper model has conductance neurons to limit.
        if self.model.is_paper() {
            v["euler_limit"] = euler_limit_to_json(self.euler_limit);
        }
        v
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
            // Absent in checkpoints written before it existed: the default.
            euler_limit: euler_limit_from_json(&v["euler_limit"])?,
        };
        if spec.closed_form_training_rest && !spec.model.is_paper() {
            bail!(
                "checkpoint model parameters: closed_form_training_rest for a model without a rest"
            );
        }
        if spec.euler_limit != DEFAULT_EULER_LIMIT && !spec.model.is_paper() {
            bail!(
                "checkpoint model parameters: euler_limit for a model without conductance neurons"
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
            "{} with {} neurons, {} ms at dt {} ms ({} steps), intensity {}{}, batch {}, seed {}{}{}",
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
            },
            if self.euler_limit == DEFAULT_EULER_LIMIT {
                String::new()
            } else {
                format!(", Euler limit {}", self.euler_limit)
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
    let mut cfg = DiehlCookPaper {
        n_neurons: spec.neurons,
        seed: spec.seed,
        dt: spec.dt,
        exposure_ms: spec.time_ms,
        intensity: spec.intensity,
        closed_form_training_rest: spec.closed_form_training_rest,
        ..Default::default()
    };
    cfg.excitatory.euler_limit = spec.euler_limit;
    cfg.inhibitory.euler_limit = spec.euler_limit;
    cfg
}

/// Refuses an Euler limit below 1 or NaN (infinity: the script's step
/// everywhere).
fn check_euler_limit(limit: f32) -> Result<()> {
    if limit.is_nan() || limit < 1.0 {
        bail!("the Euler limit must be at least 1 (or inf), got {limit}");
    }
    Ok(())
}

/// The limit as JSON: a number, or the string "inf" (JSON has no infinity).
fn euler_limit_to_json(limit: f32) -> Value {
    if limit.is_finite() {
        json!(limit)
    } else {
        json!("inf")
    }
}

/// Reads [`euler_limit_to_json`]; absent (`null`): the default.
fn euler_limit_from_json(v: &Value) -> Result<f32> {
    let limit = match v {
        Value::Null => return Ok(DEFAULT_EULER_LIMIT),
        Value::String(s) if s == "inf" => f32::INFINITY,
        v => v.as_f64().ok_or_else(|| {
            anyhow::anyhow!(
                "checkpoint model parameters: euler_limit is neither a number nor \"inf\": {v}"
            )
        })? as f32,
    };
    check_euler_limit(limit).context("checkpoint model parameters")?;
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper_spec() -> ModelSpec {
        ModelSpec::new(
            ModelName::DiehlCook2015Paper,
            6,
            None,
            None,
            None,
            None,
            0,
            1,
        )
        .unwrap()
    }

    #[test]
    fn the_euler_limit_reaches_both_populations_and_survives_a_checkpoint() {
        for limit in [2.0, 1.5, f32::INFINITY] {
            let spec = paper_spec().with_euler_limit(Some(limit)).unwrap();
            let cfg = spec.paper_config().unwrap();
            assert_eq!(cfg.excitatory.euler_limit, limit);
            assert_eq!(cfg.inhibitory.euler_limit, limit);
            let back = ModelSpec::from_json(&spec.to_json()).unwrap();
            assert_eq!(back.euler_limit, limit);
            assert!(
                spec.describe().contains("Euler limit"),
                "{}",
                spec.describe()
            );
        }
        assert_eq!(
            ModelSpec::from_json(
                &paper_spec()
                    .with_euler_limit(Some(f32::INFINITY))
                    .unwrap()
                    .to_json()
            )
            .unwrap()
            .to_json()["euler_limit"],
            "inf"
        );
        // Left out, and absent from older checkpoints: the default, which
        // the description does not mention.
        let spec = paper_spec().with_euler_limit(None).unwrap();
        assert_eq!(spec.euler_limit, DEFAULT_EULER_LIMIT);
        assert!(!spec.describe().contains("Euler"));
        let mut old = spec.to_json();
        old.as_object_mut().unwrap().remove("euler_limit");
        assert_eq!(ModelSpec::from_json(&old).unwrap().euler_limit, 1.0);
        let cfg = spec.paper_config().unwrap();
        let default = DiehlCookPaper::default();
        assert_eq!(cfg.excitatory.euler_limit, default.excitatory.euler_limit);
        assert_eq!(cfg.inhibitory.euler_limit, default.inhibitory.euler_limit);
    }

    #[test]
    fn bad_euler_limits_are_refused() {
        let err = |r: Result<ModelSpec>| format!("{:#}", r.unwrap_err());
        for bad in [0.5, 0.0, -1.0, f32::NAN] {
            let e = err(paper_spec().with_euler_limit(Some(bad)));
            assert!(
                e.contains("--euler-limit") && e.contains("at least 1"),
                "{e}"
            );
        }
        let bindsnet = ModelSpec::new(ModelName::DiehlCook2015, 4, None, None, None, None, 0, 1);
        let e = err(bindsnet.unwrap().with_euler_limit(Some(2.0)));
        assert!(e.contains("only the paper model"), "{e}");
        // In a checkpoint: a stranger, a limit below 1, or one on a model
        // without conductance neurons.
        for (v, says) in [
            (json!("infinity"), "neither a number nor"),
            (json!(0.5), "at least 1"),
        ] {
            let mut j = paper_spec().to_json();
            j["euler_limit"] = v;
            let e = err(ModelSpec::from_json(&j));
            assert!(e.contains(says), "{e}");
        }
        let mut j = ModelSpec::new(ModelName::DiehlCook2015, 4, None, None, None, None, 0, 1)
            .unwrap()
            .to_json();
        j["euler_limit"] = json!(2.0);
        assert!(err(ModelSpec::from_json(&j)).contains("without conductance neurons"));
    }
}
