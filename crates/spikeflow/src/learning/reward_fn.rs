//! Reward functions: turn the reward given to `run` into the one the rules
//! see (BindsNET's `reward_fn`).

/// Transforms the reward of a `run` call: `compute` sees each given value
/// once — a scalar reward once per call, as BindsNET — and a per-step or
/// per-row reward once per value.
pub trait RewardFn: Send + Sync + std::fmt::Debug {
    /// The reward the rules see, from the reward given to `run`.
    fn compute(&mut self, reward: f32) -> f32;
    /// Per-episode bookkeeping: the reward accumulated over `steps` steps.
    fn update(&mut self, accumulated_reward: f32, steps: usize);
}

/// Reward-prediction error with an exponential moving average
/// (BindsNET's `MovingAvgRPE`): `compute(r) = r − r̂`, and at the end of an
/// episode `r̂ ← (1 − 1/W)·r̂ + (1/W)·A/n`, `R̂ ← (1 − 1/W)·R̂ + (1/W)·A`.
#[derive(Debug, Clone, PartialEq)]
pub struct MovingAvgRpe {
    /// Averaging window `W` (episodes). Default 10.
    pub ema_window: f32,
    /// Per-step reward prediction `r̂`.
    pub reward_predict: f32,
    /// Per-episode reward prediction `R̂`.
    pub reward_predict_episode: f32,
    /// `R̂` after each episode.
    pub history: Vec<f32>,
}

impl Default for MovingAvgRpe {
    fn default() -> Self {
        MovingAvgRpe {
            ema_window: 10.0,
            reward_predict: 0.0,
            reward_predict_episode: 0.0,
            history: Vec::new(),
        }
    }
}

impl RewardFn for MovingAvgRpe {
    fn compute(&mut self, reward: f32) -> f32 {
        reward - self.reward_predict
    }
    fn update(&mut self, accumulated_reward: f32, steps: usize) {
        let a = 1.0 / self.ema_window;
        let per_step = accumulated_reward / steps.max(1) as f32;
        self.reward_predict = (1.0 - a) * self.reward_predict + a * per_step;
        self.reward_predict_episode =
            (1.0 - a) * self.reward_predict_episode + a * accumulated_reward;
        self.history.push(self.reward_predict_episode);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_prediction_error() {
        let mut r = MovingAvgRpe::default();
        assert_eq!(r.compute(1.0), 1.0);
        r.update(10.0, 10);
        assert!((r.reward_predict - 0.1).abs() < 1e-7);
        assert!((r.reward_predict_episode - 1.0).abs() < 1e-6);
        assert!((r.compute(1.0) - 0.9).abs() < 1e-7);
        assert_eq!(r.history.len(), 1);
    }
}
