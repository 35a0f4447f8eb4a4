//! `spikeflow.environment`: the library's reinforcement-learning
//! environments (`spikeflow::rl`: CartPole, BindsNET's DotSimulator and
//! CueRewardSimulator, a cue → action task) behind one Python class, `_native.Env`; the Python side
//! gives them BindsNET's names and its `reset` / `step` contract.

use crate::build::Args;
use crate::{guard, to_py};
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeflow::rl::{
    CartPole, CartPoleParams, CartPoleReward, CueChoice, CueRewardParams, CueRewardSimulator,
    DotBounds, DotFitness, DotParams, DotSimulator, Environment, Space,
};

/// One environment of the library (used from one thread at a time).
#[pyclass(module = "spikeflow._native", unsendable)]
pub(crate) struct Env {
    env: Box<dyn Environment>,
}

fn choice<T: Copy>(a: &Args<'_>, key: &str, options: &[(&str, T)], default: T) -> PyResult<T> {
    let Some(v) = a.d.get_item(key)?.filter(|v| !v.is_none()) else {
        return Ok(default);
    };
    let s: String = v.extract()?;
    options
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|o| o.0).collect();
            PyValueError::new_err(format!("{}: {key}={s:?} (one of {names:?})", a.what))
        })
}

#[pymethods]
impl Env {
    /// Cart-pole (gym's `CartPole-v0` constants; `max_steps=500` for v1).
    #[staticmethod]
    fn cartpole(kwargs: Bound<'_, PyDict>) -> PyResult<Self> {
        let a = Args {
            what: "CartPole".into(),
            d: kwargs,
        };
        let d = CartPoleParams::default();
        let p = CartPoleParams {
            max_steps: a.usize_or("max_steps", d.max_steps)?,
            reward: choice(
                &a,
                "reward",
                &[
                    ("gym", CartPoleReward::Gym),
                    ("failure", CartPoleReward::Failure),
                ],
                d.reward,
            )?,
            ..d
        };
        Ok(Env {
            env: Box::new(CartPole::new(p).map_err(to_py)?),
        })
    }

    /// BindsNET's `DotSimulator`.
    #[staticmethod]
    fn dot(kwargs: Bound<'_, PyDict>) -> PyResult<Self> {
        let a = Args {
            what: "DotSimulator".into(),
            d: kwargs,
        };
        let d = DotParams::default();
        let p = DotParams {
            steps: a.usize_or("t", d.steps)?,
            height: a.usize_or("height", d.height)?,
            width: a.usize_or("width", d.width)?,
            decay: a.usize_or("decay", d.decay)?,
            dots: a.usize_or("dots", d.dots)?,
            herrings: a.usize_or("herrs", d.herrings)?,
            speed: a.usize_or("speed", d.speed)?,
            randr: f64::from(a.f32_or("randr", d.randr as f32)?),
            allow_stay: a.bool_or("allow_stay", d.allow_stay)?,
            diagonal: a.bool_or("diag", d.diagonal)?,
            bounds: choice(
                &a,
                "bound_hand",
                &[
                    ("stay", DotBounds::Stay),
                    ("bounce", DotBounds::Bounce),
                    ("trans", DotBounds::Translate),
                ],
                d.bounds,
            )?,
            fitness: choice(
                &a,
                "fit_func",
                &[
                    ("euc", DotFitness::Euclidean),
                    ("rng", DotFitness::RangeRings),
                    ("dir", DotFitness::Directional),
                ],
                d.fitness,
            )?,
            ring_size: f64::from(a.f32_or("ring_size", d.ring_size as f32)?),
            bullseye: a.f32_or("bullseye", d.bullseye)?,
            teleport: a.bool_or("teleport", d.teleport)?,
        };
        Ok(Env {
            env: Box::new(DotSimulator::new(p).map_err(to_py)?),
        })
    }

    /// BindsNET's `CueRewardSimulator` (Backpropamine's cue-reward task).
    #[staticmethod]
    fn cue_reward(kwargs: Bound<'_, PyDict>) -> PyResult<Self> {
        let a = Args {
            what: "CueRewardSimulator".into(),
            d: kwargs,
        };
        let d = CueRewardParams::default();
        let p = CueRewardParams {
            epdur: a.usize_or("epdur", d.epdur)?,
            cuebits: a.usize_or("cuebits", d.cuebits)?,
            zprob: f64::from(a.f32_or("zprob", d.zprob as f32)?),
        };
        Ok(Env {
            env: Box::new(CueRewardSimulator::new(p).map_err(to_py)?),
        })
    }

    /// `n_actions` actions; cue `c` is rewarded (+1, else −1) for action
    /// `mapping[c]`; `trials` cues per episode.
    #[staticmethod]
    fn cue_choice(n_actions: usize, mapping: Vec<usize>, trials: usize) -> PyResult<Self> {
        Ok(Env {
            env: Box::new(CueChoice::new(n_actions, mapping, trials).map_err(to_py)?),
        })
    }

    /// Starts an episode; returns the first observation (float32).
    fn reset<'py>(&mut self, py: Python<'py>, seed: u64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let env = &mut self.env;
        let obs = guard("reset", || env.reset(seed).map_err(to_py))?;
        Ok(PyArray1::from_vec(py, obs))
    }

    /// One step: `(observation, reward, done, truncated, info)`.
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        action: usize,
    ) -> PyResult<(
        Bound<'py, PyArray1<f32>>,
        f32,
        bool,
        bool,
        Bound<'py, PyDict>,
    )> {
        let env = &mut self.env;
        let s = guard("step", || env.step(action).map_err(to_py))?;
        let info = PyDict::new(py);
        for (k, v) in &s.info {
            info.set_item(k, v)?;
        }
        Ok((
            PyArray1::from_vec(py, s.observation),
            s.reward,
            s.done,
            s.truncated,
            info,
        ))
    }

    /// The environment's name.
    #[getter]
    fn name(&self) -> String {
        self.env.name().to_string()
    }

    /// Number of actions.
    #[getter]
    fn n_actions(&self) -> usize {
        match self.env.action_space() {
            Space::Discrete(n) => n,
            Space::Box { low, .. } => low.len(),
        }
    }

    /// `(low, high)` of the observations (float32 arrays).
    #[getter]
    #[allow(clippy::type_complexity)]
    fn observation_bounds<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray1<f32>>, Bound<'py, PyArray1<f32>>) {
        let (lo, hi) = match self.env.observation_space() {
            Space::Box { low, high } => (low, high),
            Space::Discrete(n) => (vec![0.0], vec![n as f32 - 1.0]),
        };
        (PyArray1::from_vec(py, lo), PyArray1::from_vec(py, hi))
    }
}
