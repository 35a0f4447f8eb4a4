//! Per-episode records: return (sum of the environment's rewards), length
//! (environment steps) and their trailing moving averages.

use serde::{Deserialize, Serialize};

/// Returns and lengths of the episodes run so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecorder {
    returns: Vec<f32>,
    lengths: Vec<usize>,
}

impl EpisodeRecorder {
    /// Records one finished episode.
    pub fn push(&mut self, episode_return: f32, length: usize) {
        self.returns.push(episode_return);
        self.lengths.push(length);
    }
    /// Number of episodes recorded.
    pub fn len(&self) -> usize {
        self.returns.len()
    }
    /// Whether no episode was recorded.
    pub fn is_empty(&self) -> bool {
        self.returns.is_empty()
    }
    /// Each episode's return.
    pub fn returns(&self) -> &[f32] {
        &self.returns
    }
    /// Each episode's length in environment steps.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }
    /// The trailing moving average of the returns: element `k` is the mean
    /// of episodes `max(0, k − window + 1) ..= k` (fewer at the start).
    pub fn moving_average(&self, window: usize) -> Vec<f32> {
        trailing_mean(&self.returns, window)
    }
    /// The mean return of the last `n` episodes (all if fewer); `None`
    /// when nothing was recorded or `n` is 0.
    pub fn mean_return_last(&self, n: usize) -> Option<f32> {
        let k = self.returns.len().min(n);
        (k > 0).then(|| {
            let tail = &self.returns[self.returns.len() - k..];
            (tail.iter().map(|&x| f64::from(x)).sum::<f64>() / k as f64) as f32
        })
    }
}

/// Trailing means over `window` values (`window` 0 is taken as 1).
pub fn trailing_mean(values: &[f32], window: usize) -> Vec<f32> {
    let w = window.max(1);
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0f64;
    for (k, &x) in values.iter().enumerate() {
        sum += f64::from(x);
        if k >= w {
            sum -= f64::from(values[k - w]);
        }
        out.push((sum / (k + 1).min(w) as f64) as f32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_and_tail_mean() {
        let mut r = EpisodeRecorder::default();
        assert_eq!(r.mean_return_last(100), None);
        for (x, n) in [(1.0, 1), (3.0, 3), (5.0, 5), (7.0, 7)] {
            r.push(x, n);
        }
        assert_eq!(r.moving_average(2), vec![1.0, 2.0, 4.0, 6.0]);
        assert_eq!(r.moving_average(10), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.mean_return_last(3), Some(5.0));
        assert_eq!(r.mean_return_last(100), Some(4.0));
        assert_eq!(r.lengths(), &[1, 3, 5, 7]);
    }
}
