//! Florian (2007), "Reinforcement learning through modulation of
//! spike-timing-dependent synaptic plasticity", Neural Computation 19:1468
//! — the XOR experiments of its §4.2 (rate-coded input) and §4.3
//! (temporally coded input), learned by BindsNET's `MSTDP` and `MSTDPET`
//! unchanged.
//!
//! Neurons (§4.1): discrete-time leaky integrate-and-fire, dt = 1 ms,
//! `V ← V_r + (V − V_r)·e^{−dt/τ_m} + Σ_j w_j·s_j`, τ_m = 20 ms, rest and
//! reset −70 mV, threshold −54 mV, no refractory period; a weight is the
//! voltage jump (mV) one step after the presynaptic spike — BindsNET's
//! `LIFNodes` with those parameters. Rules (§3, §4.1): τ₊ = τ₋ = 20 ms,
//! A₊ = 1, A₋ = −1, τ_z = 25 ms; `Δw = γ·r(t+1)·ζ(t)` (MSTDP) and
//! `Δw = γ·dt·r(t+1)·z(t+1)` (MSTDPET), i.e. `nu_pre = γ`; weights clipped
//! to their bounds, initially uniform within them.
//!
//! | | rate-coded (§4.2) | temporally coded (§4.3) |
//! |---|---|---|
//! | network | 60 inputs → 60 hidden → 1 output | 2 inputs → 20 hidden → 1 output |
//! | input | 30 neurons per bit, Poisson 40 Hz for 1, silent for 0 | one neuron per bit, emitting one of two fixed random trains of 50 spikes in 500 ms (one train for 0, one for 1), drawn once per experiment |
//! | bounds | input → hidden: [0, 5] mV from the 30 excitatory inputs (15 per bit), [−5, 0] mV from the 30 inhibitory ones; hidden → output [0, 5] mV | input → hidden [−10, 10] mV, hidden → output [0, 10] mV |
//! | γ (MSTDP / MSTDPET) | 0.1 / 0.625 mV | 0.01 / 0.25 mV |
//!
//! Protocol (§4.2): the four patterns, each shown for 500 ms in random order
//! per epoch, 200 epochs (400 s), the network run continuously (nothing is
//! reset between patterns). The reward is `+1` for each output spike while
//! the target is 1 (patterns 01 and 10) and `−1` for each output spike while
//! it is 0 (00 and 11), delivered at the next step; no spike, no reward.
//! Success: after learning, the output fires less for both target-0 patterns
//! than for both target-1 patterns ([`XorEpoch::solved`]); the paper reports
//! 99.1 % / 98.2 % (rate-coded, MSTDP / MSTDPET) and 89.7 % / 99.5 %
//! (temporally coded) of 1000 experiments solved.
//!
//! The values above are the paper's as its reimplementations quote them
//! (with its section and equation numbers); where a detail was not found
//! (the exact split of inhibitory inputs between the bits, how the
//! temporally coded success test treats pattern 00) the choice is said here:
//! 15 inhibitory inputs per bit, and pattern 00 is held to the same test as
//! 11 in both codings (with rate coding it is silent anyway).
//!
//! ```
//! use spikeflow::rl::{FlorianXor, XorCoding};
//! let mut xor = FlorianXor { coding: XorCoding::Rate, seed: 3, ..Default::default() }.build()?;
//! let epoch = xor.run_epoch()?;
//! assert_eq!(epoch.epoch, 1);
//! assert_eq!(epoch.rates_hz[0], 0.0); // pattern 00: no input, no output
//! # Ok::<(), spikeflow::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::learning::{Mstdp, MstdpEt};
use crate::network::{Connect, Network, Reward, RunOptions};
use crate::nodes::{Input, LifNodes, NodeOptions};
use crate::rng::Rng;
use crate::topology::Dense;
use crate::Tensor;

const HIDDEN: &str = "H";
const OUT: &str = "O";

/// Lower and upper weight bound (mV).
type Bounds = (f32, f32);
/// A population feeding the next layer: name, neurons, bounds of its
/// outgoing weights.
type Layer = (&'static str, usize, Bounds);

/// How the two input bits reach the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XorCoding {
    /// §4.2: 30 input neurons per bit, Poisson 40 Hz for 1, silent for 0.
    Rate,
    /// §4.3: one input neuron per bit, emitting one of two fixed random
    /// 50-spike trains (one for 0, one for 1).
    Temporal,
}

/// Which of Florian's rules learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModulatedRule {
    /// MSTDP: the reward times the eligibility `ζ` of the step before.
    Mstdp,
    /// MSTDPET: the reward times an eligibility trace (τ_z = 25 ms).
    MstdpEt,
}

/// The experiment's parameters (defaults: the paper's rate-coded XOR with
/// MSTDP).
#[derive(Debug, Clone, PartialEq)]
pub struct FlorianXor {
    /// Input coding. Default [`XorCoding::Rate`].
    pub coding: XorCoding,
    /// Learning rule. Default [`ModulatedRule::Mstdp`].
    pub rule: ModulatedRule,
    /// Learning rate γ (mV); `None`: the paper's for the coding and rule.
    pub gamma: Option<f32>,
    /// Presentation time of a pattern (ms). Default 500.
    pub pattern_ms: usize,
    /// Poisson rate of an input bit at 1 (rate coding, Hz). Default 40.
    pub rate_hz: f32,
    /// Spikes in each fixed train (temporal coding). Default 50.
    pub train_spikes: usize,
    /// Rewards given (`false`: the control — weights never change).
    /// Default true.
    pub rewarded: bool,
    /// Seed of the weights, the input trains and the pattern order.
    pub seed: u64,
}

impl Default for FlorianXor {
    fn default() -> Self {
        FlorianXor {
            coding: XorCoding::Rate,
            rule: ModulatedRule::Mstdp,
            gamma: None,
            pattern_ms: 500,
            rate_hz: 40.0,
            train_spikes: 50,
            rewarded: true,
            seed: 0,
        }
    }
}

/// Output firing rate for each pattern during one epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XorEpoch {
    /// Epochs completed (1 after the first).
    pub epoch: usize,
    /// Output rate (Hz) while showing pattern `00`, `01`, `10`, `11`.
    pub rates_hz: [f32; 4],
    /// Sum of the rewards delivered during the epoch.
    pub reward: f32,
}

impl XorEpoch {
    /// Whether the output fired less for both target-0 patterns (00, 11)
    /// than for both target-1 patterns (01, 10).
    pub fn solved(&self) -> bool {
        self.margin_hz() > 0.0
    }

    /// How far the target-1 patterns fire above the target-0 ones (Hz):
    /// `min(rate 01, rate 10) − max(rate 00, rate 11)`, positive when
    /// [`solved`](Self::solved).
    pub fn margin_hz(&self) -> f32 {
        let r = self.rates_hz;
        r[1].min(r[2]) - r[0].max(r[3])
    }
}

impl FlorianXor {
    /// The paper's γ for this coding and rule (§4.2, §4.3).
    pub fn paper_gamma(&self) -> f32 {
        match (self.coding, self.rule) {
            (XorCoding::Rate, ModulatedRule::Mstdp) => 0.1,
            (XorCoding::Rate, ModulatedRule::MstdpEt) => 0.625,
            (XorCoding::Temporal, ModulatedRule::Mstdp) => 0.01,
            (XorCoding::Temporal, ModulatedRule::MstdpEt) => 0.25,
        }
    }

    /// Builds the network, draws its weights and (temporal coding) the two
    /// input trains.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero pattern time, a rate outside
    /// `[0, 1000]` Hz, a train with more spikes than the pattern has steps,
    /// or a γ that is not finite and positive.
    pub fn build(&self) -> Result<FlorianXorRun> {
        let bad = |what: String| Err(Error::param("FlorianXor", what));
        if self.pattern_ms == 0 {
            return bad("pattern_ms must be at least 1".into());
        }
        if !(0.0..=1000.0).contains(&self.rate_hz) {
            return bad(format!("rate_hz {} is outside [0, 1000]", self.rate_hz));
        }
        if self.coding == XorCoding::Temporal
            && (self.train_spikes == 0 || self.train_spikes > self.pattern_ms)
        {
            return bad(format!(
                "train_spikes {} must be between 1 and pattern_ms {}",
                self.train_spikes, self.pattern_ms
            ));
        }
        let gamma = self.gamma.unwrap_or_else(|| self.paper_gamma());
        if !(gamma.is_finite() && gamma > 0.0) {
            return bad(format!("gamma {gamma} must be finite and > 0"));
        }
        let mut rng = Rng::seed_from_u64(self.seed ^ 0xF10_2007_0000_0042);
        // Populations, first the inputs: (name, neurons, weight bounds of
        // its synapses onto the next layer).
        let (inputs, n_hidden, out_bounds): (&[Layer], usize, Bounds) = match self.coding {
            XorCoding::Rate => (
                &[("Xe", 30, (0.0, 5.0)), ("Xi", 30, (-5.0, 0.0))],
                60,
                (0.0, 5.0),
            ),
            XorCoding::Temporal => (&[("X", 2, (-10.0, 10.0))], 20, (0.0, 10.0)),
        };
        let mut b = Network::builder().dt(1.0).seed(self.seed);
        let lif = LifNodes {
            thresh: (-54.0).into(),
            rest: (-70.0).into(),
            reset: (-70.0).into(),
            refrac: 0.0.into(),
            tc_decay: 20.0.into(),
            ..Default::default()
        };
        for &(name, n, _) in inputs {
            b.add_population(name, &[n], Input, NodeOptions::default());
        }
        b.add_population(HIDDEN, &[n_hidden], lif.clone(), NodeOptions::default());
        b.add_population(OUT, &[1], lif, NodeOptions::default());
        let hidden = [(HIDDEN, n_hidden, out_bounds)];
        for (&(pre, n_pre, (lo, hi)), post, n_post) in inputs
            .iter()
            .map(|l| (l, HIDDEN, n_hidden))
            .chain(hidden.iter().map(|l| (l, OUT, 1)))
        {
            let w = (0..n_pre * n_post)
                .map(|_| lo + (hi - lo) * rng.uniform_f32())
                .collect();
            let c = Connect::new(pre, post, Dense::with_weights(w))
                .nu((gamma, 0.0))
                .wmin(lo)
                .wmax(hi);
            b.connect(match self.rule {
                ModulatedRule::Mstdp => c.rule(Mstdp::default()),
                ModulatedRule::MstdpEt => c.rule(MstdpEt {
                    mstdp: Mstdp::default(),
                    tc_e_trace: 25.0,
                }),
            });
        }
        let net = b.build()?;
        // Temporal coding: a fixed train for 0 and one for 1, each
        // `train_spikes` distinct steps of the pattern.
        let trains = if self.coding == XorCoding::Temporal {
            [0, 1].map(|_| {
                let mut steps = vec![false; self.pattern_ms];
                let mut got = 0;
                while got < self.train_spikes {
                    let t = rng.below(self.pattern_ms);
                    got += usize::from(!std::mem::replace(&mut steps[t], true));
                }
                steps
            })
        } else {
            [Vec::new(), Vec::new()]
        };
        let inputs = inputs
            .iter()
            .map(|&(name, n, _)| (name.to_string(), n))
            .collect();
        Ok(FlorianXorRun {
            cfg: self.clone(),
            net,
            rng,
            inputs,
            trains,
            epoch: 0,
            pending_reward: 0.0,
        })
    }
}

/// The experiment, run an epoch (four patterns) at a time.
#[derive(Debug)]
pub struct FlorianXorRun {
    cfg: FlorianXor,
    net: Network,
    rng: Rng,
    /// Input populations and their sizes.
    inputs: Vec<(String, usize)>,
    /// Temporal coding: the train of bit value 0 and of 1.
    trains: [Vec<bool>; 2],
    epoch: usize,
    /// The reward for the last step's output spike, delivered next step.
    pending_reward: f32,
}

impl FlorianXorRun {
    /// The network (connections `"Xe -> H"`, `"Xi -> H"` or `"X -> H"`,
    /// and `"H -> O"`).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Shows the four patterns once each, in random order.
    ///
    /// # Errors
    /// An engine error (none expected for a network built by
    /// [`FlorianXor::build`]).
    pub fn run_epoch(&mut self) -> Result<XorEpoch> {
        let mut order = [0usize, 1, 2, 3];
        for i in (1..4).rev() {
            order.swap(i, self.rng.below(i + 1));
        }
        let mut rates_hz = [0.0; 4];
        let mut reward = 0.0;
        for p in order {
            let (spikes, r) = self.show(p)?;
            rates_hz[p] = spikes as f32 * 1000.0 / self.cfg.pattern_ms as f32;
            reward += r;
        }
        self.epoch += 1;
        Ok(XorEpoch {
            epoch: self.epoch,
            rates_hz,
            reward,
        })
    }

    /// Shows pattern `p` (bits `p >> 1`, `p & 1`) for `pattern_ms` steps, a
    /// step at a time (the reward of a step depends on the step before);
    /// returns the output spikes and the reward delivered.
    fn show(&mut self, p: usize) -> Result<(u32, f32)> {
        let bits = [p >> 1, p & 1];
        let sign = if bits[0] != bits[1] { 1.0 } else { -1.0 };
        let p_fire = self.cfg.rate_hz / 1000.0;
        let mut tensors: Vec<Tensor> = self
            .inputs
            .iter()
            .map(|(_, n)| Tensor::zeros(vec![1, 1, *n]))
            .collect();
        let (mut spikes, mut delivered) = (0, 0.0);
        for t in 0..self.cfg.pattern_ms {
            for (x, (_, n)) in tensors.iter_mut().zip(&self.inputs) {
                let x = x.data_mut();
                for (k, v) in x.iter_mut().enumerate() {
                    let fire = match self.cfg.coding {
                        // Neuron k of a 30-neuron population: bit k / 15.
                        XorCoding::Rate => bits[k * 2 / n] == 1 && self.rng.uniform_f32() < p_fire,
                        XorCoding::Temporal => self.trains[bits[k]][t],
                    };
                    *v = if fire { 1.0 } else { 0.0 };
                }
            }
            let inputs: Vec<(&str, &Tensor)> = self
                .inputs
                .iter()
                .zip(&tensors)
                .map(|((name, _), x)| (name.as_str(), x))
                .collect();
            let r = if self.cfg.rewarded {
                self.pending_reward
            } else {
                0.0
            };
            let options = RunOptions {
                reward: Reward::Scalar(r),
                ..Default::default()
            };
            self.net.run(&inputs, 1, &options)?;
            delivered += r;
            let fired = !self
                .net
                .population(OUT)?
                .core()
                .spikes()
                .active(0)
                .is_empty();
            spikes += u32::from(fired);
            self.pending_reward = if fired { sign } else { 0.0 };
        }
        Ok((spikes, delivered))
    }
}
