//! Cart-pole balancing (Barto, Sutton & Anderson 1983), with gym's
//! classic-control constants and explicit Euler integration.
//!
//! State `(x, ẋ, θ, θ̇)`; action 0 pushes the cart left with `−F`, action 1
//! right with `+F`. With total mass `M = m_c + m_p`, half pole length `l`
//! and `m_p l` the pole's mass-length:
//!
//! ```text
//! tmp = (F + m_p l θ̇² sin θ) / M
//! θ̈  = (g sin θ − cos θ · tmp) / (l (4/3 − m_p cos²θ / M))
//! ẍ  = tmp − m_p l θ̈ cos θ / M
//! x ← x + τ ẋ,  ẋ ← ẋ + τ ẍ,  θ ← θ + τ θ̇,  θ̇ ← θ̇ + τ θ̈
//! ```
//!
//! (positions move with the velocities of the step before; gym's `euler`).
//! The episode terminates when `|x| > 2.4` or `|θ| > 12°` and is
//! truncated after `max_steps` steps (200 for gym's `CartPole-v0`, whose
//! "solved" threshold is an average return of 195 over 100 consecutive
//! episodes; 500 for `v1`). Each state variable starts uniform in
//! `[−0.05, 0.05)`. The reward is 1 for every step, the failing one
//! included (gym), or with [`CartPoleReward::Failure`] Barto et al.'s
//! failure signal: 0 while balancing, −1 on failure. The state is kept in
//! `f64` as gym does; observations are its `f32` rounding.

use super::env::{check_action, not_running, Environment, Space, Step};
use crate::error::positive;
use crate::rng::Rng;
use crate::{Error, Result};

/// The reward a cart-pole step gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CartPoleReward {
    /// 1 for every step (gym).
    #[default]
    Gym,
    /// 0 for every step, −1 on the step that fails (not on truncation):
    /// Barto, Sutton & Anderson's (1983) failure signal.
    Failure,
}

/// Cart-pole constants (defaults: gym's `CartPole-v0`).
#[derive(Debug, Clone, PartialEq)]
pub struct CartPoleParams {
    /// Gravity `g` (m/s²). 9.8.
    pub gravity: f64,
    /// Cart mass `m_c` (kg). 1.0.
    pub masscart: f64,
    /// Pole mass `m_p` (kg). 0.1.
    pub masspole: f64,
    /// Half the pole's length `l` (m). 0.5.
    pub length: f64,
    /// Push magnitude `F` (N). 10.
    pub force_mag: f64,
    /// Time step `τ` (s). 0.02.
    pub tau: f64,
    /// Failure angle (rad). 12° = 12·2π/360.
    pub theta_threshold: f64,
    /// Failure position (m). 2.4.
    pub x_threshold: f64,
    /// Steps after which an episode is truncated. 200 (`v0`); 500 for `v1`.
    pub max_steps: usize,
    /// The reward signal.
    pub reward: CartPoleReward,
}

impl Default for CartPoleParams {
    fn default() -> Self {
        CartPoleParams {
            gravity: 9.8,
            masscart: 1.0,
            masspole: 0.1,
            length: 0.5,
            force_mag: 10.0,
            tau: 0.02,
            theta_threshold: 12.0 * 2.0 * std::f64::consts::PI / 360.0,
            x_threshold: 2.4,
            max_steps: 200,
            reward: CartPoleReward::Gym,
        }
    }
}

impl CartPoleParams {
    /// gym's `CartPole-v1`: as `v0` with 500 steps.
    pub fn v1() -> Self {
        CartPoleParams {
            max_steps: 500,
            ..Default::default()
        }
    }
}

/// The cart-pole environment.
#[derive(Debug, Clone)]
pub struct CartPole {
    p: CartPoleParams,
    state: [f64; 4],
    steps: usize,
    running: bool,
}

impl CartPole {
    /// A cart-pole with these constants.
    ///
    /// # Errors
    /// A non-finite or non-positive constant, or `max_steps` 0.
    pub fn new(p: CartPoleParams) -> Result<Self> {
        let o = "CartPole";
        for (what, v) in [
            ("gravity", p.gravity),
            ("masscart", p.masscart),
            ("masspole", p.masspole),
            ("length", p.length),
            ("force_mag", p.force_mag),
            ("tau", p.tau),
            ("theta_threshold", p.theta_threshold),
            ("x_threshold", p.x_threshold),
        ] {
            positive(o, what, v as f32)?;
        }
        if p.max_steps == 0 {
            return Err(Error::param(o, "max_steps must be > 0"));
        }
        Ok(CartPole {
            p,
            state: [0.0; 4],
            steps: 0,
            running: false,
        })
    }

    /// The constants.
    pub fn params(&self) -> &CartPoleParams {
        &self.p
    }

    /// The state `(x, ẋ, θ, θ̇)` in `f64`.
    pub fn state(&self) -> [f64; 4] {
        self.state
    }

    /// Sets the state and starts an episode from it (for tests and
    /// hand-made starts).
    pub fn set_state(&mut self, state: [f64; 4]) {
        self.state = state;
        self.steps = 0;
        self.running = true;
    }

    /// Steps taken in this episode.
    pub fn steps(&self) -> usize {
        self.steps
    }

    fn observation(&self) -> Vec<f32> {
        self.state.iter().map(|&v| v as f32).collect()
    }
}

impl Environment for CartPole {
    fn name(&self) -> &str {
        "CartPole"
    }

    fn observation_space(&self) -> Space {
        let h = [
            2.0 * self.p.x_threshold as f32,
            f32::MAX,
            2.0 * self.p.theta_threshold as f32,
            f32::MAX,
        ];
        Space::Box {
            low: h.iter().map(|v| -v).collect(),
            high: h.to_vec(),
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(2)
    }

    fn reset(&mut self, seed: u64) -> Result<Vec<f32>> {
        let mut rng = Rng::seed_from_u64(seed);
        for v in &mut self.state {
            *v = -0.05 + 0.1 * rng.uniform_f64();
        }
        self.steps = 0;
        self.running = true;
        Ok(self.observation())
    }

    fn step(&mut self, action: usize) -> Result<Step> {
        check_action("CartPole", action, 2)?;
        if !self.running {
            return Err(not_running("CartPole"));
        }
        let p = &self.p;
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 {
            p.force_mag
        } else {
            -p.force_mag
        };
        let total_mass = p.masscart + p.masspole;
        let polemass_length = p.masspole * p.length;
        let (sin, cos) = theta.sin_cos();
        let tmp = (force + polemass_length * theta_dot * theta_dot * sin) / total_mass;
        let theta_acc = (p.gravity * sin - cos * tmp)
            / (p.length * (4.0 / 3.0 - p.masspole * cos * cos / total_mass));
        let x_acc = tmp - polemass_length * theta_acc * cos / total_mass;
        self.state = [
            x + p.tau * x_dot,
            x_dot + p.tau * x_acc,
            theta + p.tau * theta_dot,
            theta_dot + p.tau * theta_acc,
        ];
        self.steps += 1;
        let [x, _, theta, _] = self.state;
        let terminated = x.abs() > p.x_threshold || theta.abs() > p.theta_threshold;
        let truncated = self.steps >= p.max_steps;
        let done = terminated || truncated;
        self.running = !done;
        let reward = match p.reward {
            CartPoleReward::Gym => 1.0,
            CartPoleReward::Failure if terminated => -1.0,
            CartPoleReward::Failure => 0.0,
        };
        Ok(Step {
            observation: self.observation(),
            reward,
            done,
            truncated: truncated && !terminated,
            info: vec![("steps".into(), self.steps as f64)],
        })
    }
}
