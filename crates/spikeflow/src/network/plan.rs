//! A run's plan: its inputs, clamps, voltage injections and rewards,
//! validated before anything is stepped (so an error leaves the network as
//! it was).

use super::run::{Mask, Reward, RunInput, RunOptions};
use super::Network;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Network {
    pub(crate) fn plan<'a>(
        &self,
        inputs: &[(&str, RunInput<'a>)],
        steps: usize,
        o: &'a RunOptions,
    ) -> Result<Plan<'a>> {
        let mut ext: Vec<Option<RunInput<'a>>> = vec![None; self.pops.len()];
        for &(name, t) in inputs {
            let p = self.pop_index(name)?;
            let n = self.pops[p].core().n();
            let want = steps * self.batch * n;
            // [steps, batch, *shape] or [steps, batch, n].
            let shape_ok = t.shape().len() >= 3
                && t.shape()[0] == steps
                && t.shape()[1] == self.batch
                && (t.shape()[2..] == *self.pops[p].core().shape() || t.shape()[2..] == [n]);
            if !shape_ok || t.len() != want {
                return Err(Error::shape(
                    format!("input of population {name:?}"),
                    format!(
                        "got {:?}, expected [{steps}, {}, {:?}] (steps, batch, shape)",
                        t.shape(),
                        self.batch,
                        self.pops[p].core().shape()
                    ),
                ));
            }
            // Values are checked finite before anything is stepped: by
            // `Plan::check_finite`, or lane by lane (`lanes.rs`).
            if ext[p].replace(t).is_some() {
                return Err(Error::Name(format!(
                    "input for population {name:?} given twice"
                )));
            }
        }
        let mut clamps = Vec::new();
        for (list, value) in [(&o.clamp, 1.0f32), (&o.unclamp, 0.0)] {
            for (name, mask) in list {
                let p = self.pop_index(name)?;
                let n = self.pops[p].core().n();
                if let Mask::PerStep(v) = mask {
                    if v.len() != steps {
                        return Err(Error::shape(
                            format!("clamp of {name:?}"),
                            format!("{} steps of indices for a run of {steps}", v.len()),
                        ));
                    }
                }
                for t in 0..match mask {
                    Mask::PerStep(_) => steps,
                    _ => 1,
                } {
                    if let Some(&bad) = mask.at(t).iter().find(|&&i| i >= n) {
                        return Err(Error::param(
                            format!("clamp of {name:?}"),
                            format!("neuron index {bad} ≥ n = {n}"),
                        ));
                    }
                }
                clamps.push((p, mask, value));
            }
        }
        let mut injects = Vec::new();
        for (name, t) in &o.inject_v {
            let p = self.pop_index(name)?;
            let n = self.pops[p].core().n();
            if self.pops[p].variable("v").is_none() {
                return Err(Error::param(
                    format!("inject_v of {name:?}"),
                    "population has no voltage",
                ));
            }
            let per_step = match t.data().len() {
                l if l == n => false,
                l if l == n * steps => true,
                _ => {
                    return Err(Error::shape(
                        format!("inject_v of {name:?}"),
                        format!("got {:?}, expected [{n}] or [{steps}, {n}]", t.shape()),
                    ))
                }
            };
            injects.push((p, t, per_step));
        }
        // Unbounded monitors grow with the run: refuse one that would not fit.
        for (name, m) in &self.monitors {
            crate::memory::check_fits(
                &format!("monitor {name:?}"),
                &format!("recording {steps} more steps"),
                m.values_after(steps),
                4,
            )?;
        }
        let mut weight_masks = Vec::new();
        for (name, mask) in &o.weight_masks {
            let ci = self.conn_index(name)?;
            let c = &self.conns[ci];
            let n = c.topology.weights().map_or(0, <[f32]>::len);
            if n == 0 {
                return Err(Error::param(
                    format!("weight mask of {name:?}"),
                    "the connection has no weights",
                ));
            }
            if mask.len() != n {
                return Err(Error::shape(
                    format!("weight mask of {name:?}"),
                    format!("{} flags for {n} weights", mask.len()),
                ));
            }
            if weight_masks.iter().any(|&(k, _)| k == ci) {
                return Err(Error::Name(format!("weight mask of {name:?} given twice")));
            }
            weight_masks.push((ci, mask.as_slice()));
        }
        let input_only = (0..self.pops.len())
            .map(|p| ext[p].is_some() && !self.conns.iter().any(|c| c.target == p))
            .collect();
        Ok(Plan {
            ext,
            input_only,
            clamps,
            injects,
            weight_masks,
        })
    }

    pub(crate) fn rewards(&mut self, steps: usize, o: &RunOptions) -> Result<Option<Vec<f32>>> {
        let b = self.batch;
        // The values as given, checked.
        let given: Option<&[f32]> = match &o.reward {
            Reward::None => None,
            Reward::Scalar(x) => Some(std::slice::from_ref(x)),
            Reward::PerStep(v) => {
                if v.len() != steps {
                    return Err(Error::shape(
                        "reward",
                        format!("{} values for {steps} steps", v.len()),
                    ));
                }
                Some(v)
            }
            Reward::PerRow(v) => {
                if v.len() != b {
                    return Err(Error::shape(
                        "reward",
                        format!("{} values for batch {b}", v.len()),
                    ));
                }
                Some(v)
            }
            Reward::PerStepRow(t) => {
                if t.data().len() != steps * b {
                    return Err(Error::shape(
                        "reward",
                        format!("got {:?}, expected [{steps}, {b}]", t.shape()),
                    ));
                }
                Some(t.data())
            }
        };
        if let Some(bad) = given.into_iter().flatten().find(|x| !x.is_finite()) {
            return Err(Error::param("reward", format!("must be finite, got {bad}")));
        }
        // The reward function sees each given value once — a scalar once
        // per run, as BindsNET's `reward_fn.compute` — before the values are
        // spread over the steps and batch rows.
        if given.is_some() {
            // The rewards are spread over every step and batch row below.
            crate::memory::check_fits(
                "reward",
                &format!("{steps} steps × batch {b}"),
                crate::memory::product(&[steps, b]),
                4,
            )?;
        }
        let mut given = given.map(<[f32]>::to_vec);
        if let (Some(v), Some(f)) = (&mut given, &mut self.reward_fn) {
            for x in v.iter_mut() {
                *x = f.compute(*x);
            }
        }
        let r = given.map(|v| match &o.reward {
            Reward::Scalar(_) => vec![v[0]; steps * b],
            Reward::PerStep(_) => v.iter().flat_map(|&x| std::iter::repeat_n(x, b)).collect(),
            Reward::PerRow(_) => (0..steps).flat_map(|_| v.iter().copied()).collect(),
            Reward::None | Reward::PerStepRow(_) => v,
        });
        if r.is_none() && self.learning {
            if let Some(c) = self.conns.iter().find(|c| c.needs_reward) {
                return Err(Error::Rule {
                    connection: c.name.clone(),
                    rule: c.rule_name.clone(),
                    message: "needs a reward: pass RunOptions::reward".into(),
                });
            }
        }
        Ok(r)
    }
}

/// Whether every value is finite: a block at a time with no early exit
/// inside a block, so that the test vectorises.
fn all_finite(values: &[f32]) -> bool {
    let finite = |c: &[f32]| c.iter().fold(true, |ok, x| ok & x.is_finite());
    values.chunks(256).all(finite)
}

impl Plan<'_> {
    /// Errors unless every external input value is finite, naming the
    /// first non-finite value of the first such input.
    pub fn check_finite(&self, names: &[String]) -> Result<()> {
        use rayon::prelude::*;
        for (p, x) in self.ext.iter().enumerate() {
            // Spikes are always finite.
            let Some(RunInput::Values(x)) = x else {
                continue;
            };
            // A raster can be millions of values: blocks over the pool's
            // threads.
            let ok = if crate::parallel::worth(x.data().len(), 1 << 18) {
                x.data().par_chunks(1 << 16).all(all_finite)
            } else {
                all_finite(x.data())
            };
            if ok {
                continue;
            }
            if let Some(bad) = x.data().iter().find(|v| !v.is_finite()) {
                return Err(Error::param(
                    format!("input of population {:?}", names[p]),
                    format!("values must be finite, got {bad}"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the external inputs of step `t` are finite in batch rows
    /// `rows` (`n[p]` neurons in population `p`).
    pub fn finite_at(&self, t: usize, rows: &std::ops::Range<usize>, n: &[usize]) -> bool {
        self.ext.iter().zip(n).all(|(x, &n)| match x {
            Some(RunInput::Values(x)) => all_finite(&x.slab(t)[rows.start * n..rows.end * n]),
            _ => true,
        })
    }
}

/// Validated per-run inputs.
pub(crate) struct Plan<'a> {
    pub ext: Vec<Option<RunInput<'a>>>,
    /// Per population: external input and no connection into it.
    pub input_only: Vec<bool>,
    pub clamps: Vec<(usize, &'a Mask, f32)>,
    pub injects: Vec<(usize, &'a Tensor, bool)>,
    /// Connection index and flags of `RunOptions::weight_masks`.
    pub weight_masks: Vec<(usize, &'a [bool])>,
}
