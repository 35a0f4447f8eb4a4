//! A multinomial logistic-regression read-out on spike counts.

use super::{check_labels, check_n_labels};
use crate::{Error, Result};

/// Options of [`LogReg::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogRegOptions {
    /// L2 penalty `λ` on the weights (not the biases), on the mean loss over
    /// standardised features: `L = mean cross-entropy + (λ/2) ‖W‖²`. Must be
    /// finite and ≥ 0. Default `1e-3`. (scikit-learn's default `C = 1`
    /// corresponds to `λ = 1 / n_samples`.)
    pub l2: f64,
    /// Maximum number of gradient iterations. Default 1000.
    pub max_iter: usize,
    /// Stop when every component of the gradient is at most `tol` in
    /// absolute value. Default `1e-5`.
    pub tol: f64,
    /// Standardise each feature to zero mean and unit variance over the
    /// training set (constant features are only centred). Default `true`.
    pub standardize: bool,
}

impl Default for LogRegOptions {
    fn default() -> Self {
        LogRegOptions {
            l2: 1e-3,
            max_iter: 1000,
            tol: 1e-5,
            standardize: true,
        }
    }
}

/// A fitted softmax (multinomial logistic) regression:
/// `p(label = k | c) = softmax(z W + b)[k]` with `z_j = (c_j − μ_j) / σ_j`.
///
/// Fitting minimises
/// `L(W, b) = −(1/N) Σ_s log p(label_s | c_s) + (λ/2) ‖W‖²`
/// by full-batch accelerated gradient descent (Nesterov momentum with a
/// backtracking step size, doubled until the step decreases the loss enough,
/// and a momentum restart whenever the loss goes up), starting from zero.
/// The problem is convex, the method has no randomness and every sum runs in
/// a fixed order, so a fit is deterministic. Zero counts are skipped (the
/// standardisation is folded into the weights), so sparse spike counts fit
/// fast.
///
/// BindsNET's `logreg_fit` wraps scikit-learn's `LogisticRegression`
/// (L-BFGS, `C = 1`, no standardisation); the optimum differs by the
/// standardisation and the penalty, not in kind.
///
/// ```
/// use spikeflow::evaluation::{LogReg, LogRegOptions};
/// // 4 samples × 2 features: feature 0 fires for label 0, feature 1 for label 1.
/// let counts = [5.0, 0.0, 4.0, 1.0, 0.0, 6.0, 1.0, 5.0];
/// let model = LogReg::fit(&counts, 2, &[0, 0, 1, 1], 2, &LogRegOptions::default())?;
/// assert_eq!(model.predict(&[3.0, 0.0, 0.0, 3.0])?, vec![0, 1]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogReg {
    n_features: usize,
    n_classes: usize,
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// `[n_features × n_classes]`, on standardised features.
    weights: Vec<f64>,
    bias: Vec<f64>,
    iterations: usize,
    loss: f64,
    converged: bool,
}

/// Training data in compressed-row form (only non-zero counts).
struct Data {
    n: usize,
    d: usize,
    k: usize,
    row_start: Vec<usize>,
    col: Vec<usize>,
    val: Vec<f64>,
    labels: Vec<usize>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    l2: f64,
}

impl Data {
    /// Raw-space weights `A = V / σ` and biases `b − Σ_j μ_j A_j` of the
    /// parameters `θ = (V [d × k], b [k])`.
    fn effective(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        effective(theta, &self.mean, &self.scale, self.d, self.k)
    }

    /// Logits of sample `s` under effective parameters, into `z`.
    fn logits(&self, s: usize, a: &[f64], b: &[f64], z: &mut [f64]) {
        z.copy_from_slice(b);
        for idx in self.row_start[s]..self.row_start[s + 1] {
            let (j, x) = (self.col[idx], self.val[idx]);
            for (zk, &w) in z.iter_mut().zip(&a[j * self.k..(j + 1) * self.k]) {
                *zk += x * w;
            }
        }
    }

    /// The loss, and its gradient into `grad` if given.
    fn loss(&self, theta: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
        let (d, k) = (self.d, self.k);
        let (a, b) = self.effective(theta);
        let mut z = vec![0.0; k];
        let mut total = 0.0;
        if let Some(g) = grad.as_deref_mut() {
            g.iter_mut().for_each(|g| *g = 0.0);
        }
        for s in 0..self.n {
            self.logits(s, &a, &b, &mut z);
            let lse = log_sum_exp(&z);
            total += lse - z[self.labels[s]];
            if let Some(g) = grad.as_deref_mut() {
                // z ← (softmax − one-hot) / N, then accumulate Xᵀ G and 1ᵀ G.
                for zk in z.iter_mut() {
                    *zk = (*zk - lse).exp();
                }
                z[self.labels[s]] -= 1.0;
                for zk in z.iter_mut() {
                    *zk /= self.n as f64;
                }
                for idx in self.row_start[s]..self.row_start[s + 1] {
                    let (j, x) = (self.col[idx], self.val[idx]);
                    for (gk, &zk) in g[j * k..(j + 1) * k].iter_mut().zip(z.iter()) {
                        *gk += x * zk;
                    }
                }
                for (gk, &zk) in g[d * k..].iter_mut().zip(z.iter()) {
                    *gk += zk;
                }
            }
        }
        let v = &theta[..d * k];
        let penalty: f64 = v.iter().map(|w| w * w).sum::<f64>() * self.l2 / 2.0;
        if let Some(g) = grad {
            // dV[j] = (Xᵀ G[j] − μ_j 1ᵀ G) / σ_j + λ V[j]; db = 1ᵀ G.
            let (gv, gb) = g.split_at_mut(d * k);
            for j in 0..d {
                for c in 0..k {
                    let i = j * k + c;
                    gv[i] = (gv[i] - self.mean[j] * gb[c]) / self.scale[j] + self.l2 * v[i];
                }
            }
        }
        total / self.n as f64 + penalty
    }
}

fn effective(
    theta: &[f64],
    mean: &[f64],
    scale: &[f64],
    d: usize,
    k: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut a = theta[..d * k].to_vec();
    let mut b = theta[d * k..].to_vec();
    for j in 0..d {
        for c in 0..k {
            a[j * k + c] /= scale[j];
            b[c] -= mean[j] * a[j * k + c];
        }
    }
    (a, b)
}

fn log_sum_exp(z: &[f64]) -> f64 {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + z.iter().map(|&v| (v - m).exp()).sum::<f64>().ln()
}

/// Checks that `counts` holds `? × n_features` finite values; returns the
/// number of samples.
fn check_features(object: &str, counts: &[f32], n_features: usize) -> Result<usize> {
    if n_features == 0 {
        return Err(Error::param(object, "n_features must be ≥ 1"));
    }
    if counts.len() % n_features != 0 {
        return Err(Error::shape(
            object,
            format!(
                "{} values are not a whole number of rows of {n_features} features",
                counts.len()
            ),
        ));
    }
    if let Some(i) = counts.iter().position(|v| !v.is_finite()) {
        return Err(Error::param(
            object,
            format!("feature value {} at index {i} is not finite", counts[i]),
        ));
    }
    Ok(counts.len() / n_features)
}

impl LogReg {
    /// Fits the model to `counts` (`[n_samples × n_features]`, finite; one
    /// row per label) and `labels` (each `< n_classes`). See [`LogReg`] for
    /// the objective and the method.
    pub fn fit(
        counts: &[f32],
        n_features: usize,
        labels: &[u8],
        n_classes: usize,
        opts: &LogRegOptions,
    ) -> Result<LogReg> {
        const OBJECT: &str = "logistic regression";
        check_n_labels(OBJECT, n_classes)?;
        let n = check_features(OBJECT, counts, n_features)?;
        check_labels(OBJECT, labels, n, n_classes)?;
        if n == 0 {
            return Err(Error::param(OBJECT, "no training samples"));
        }
        if !(opts.l2.is_finite() && opts.l2 >= 0.0) {
            return Err(Error::param(
                OBJECT,
                format!("l2 must be finite and ≥ 0, got {}", opts.l2),
            ));
        }
        if !(opts.tol.is_finite() && opts.tol >= 0.0) {
            return Err(Error::param(
                OBJECT,
                format!("tol must be finite and ≥ 0, got {}", opts.tol),
            ));
        }
        let (d, k) = (n_features, n_classes);

        // Standardisation statistics (population variance).
        let mut mean = vec![0.0; d];
        let mut scale = vec![1.0; d];
        if opts.standardize {
            for row in counts.chunks_exact(d) {
                for (m, &x) in mean.iter_mut().zip(row) {
                    *m += f64::from(x);
                }
            }
            mean.iter_mut().for_each(|m| *m /= n as f64);
            let mut var = vec![0.0; d];
            for row in counts.chunks_exact(d) {
                for ((v, &x), &m) in var.iter_mut().zip(row).zip(&mean) {
                    *v += (f64::from(x) - m).powi(2);
                }
            }
            for (s, v) in scale.iter_mut().zip(&var) {
                let sd = (v / n as f64).sqrt();
                *s = if sd > 1e-12 { sd } else { 1.0 };
            }
        }

        let mut row_start = Vec::with_capacity(n + 1);
        let (mut col, mut val) = (Vec::new(), Vec::new());
        row_start.push(0);
        for row in counts.chunks_exact(d) {
            for (j, &x) in row.iter().enumerate() {
                if x != 0.0 {
                    col.push(j);
                    val.push(f64::from(x));
                }
            }
            row_start.push(col.len());
        }
        let data = Data {
            n,
            d,
            k,
            row_start,
            col,
            val,
            labels: labels.iter().map(|&l| usize::from(l)).collect(),
            mean,
            scale,
            l2: opts.l2,
        };

        // Accelerated gradient descent with backtracking and restarts.
        let p = d * k + k;
        let mut x = vec![0.0; p];
        let mut f_x = data.loss(&x, None);
        let mut y = x.clone();
        let mut grad = vec![0.0; p];
        let mut x_new = vec![0.0; p];
        let mut t = 1.0f64;
        let mut lip = 1.0f64;
        let mut converged = false;
        let mut iterations = 0;
        while iterations < opts.max_iter {
            iterations += 1;
            let f_y = data.loss(&y, Some(&mut grad));
            let g_max = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            if g_max <= opts.tol {
                if f_y <= f_x {
                    x.copy_from_slice(&y);
                    f_x = f_y;
                }
                converged = true;
                break;
            }
            let g2: f64 = grad.iter().map(|g| g * g).sum();
            let mut f_new;
            loop {
                for ((xn, &yi), &gi) in x_new.iter_mut().zip(&y).zip(&grad) {
                    *xn = yi - gi / lip;
                }
                f_new = data.loss(&x_new, None);
                let slack = 1e-12 * f_y.abs().max(1.0);
                if f_new <= f_y - g2 / (2.0 * lip) + slack || lip > 1e30 {
                    break;
                }
                lip *= 2.0;
            }
            if f_new > f_x && t > 1.0 {
                // Momentum overshot: restart from the last iterate.
                y.copy_from_slice(&x);
                t = 1.0;
                continue;
            }
            let t_new = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let beta = (t - 1.0) / t_new;
            for ((yi, &xn), &xo) in y.iter_mut().zip(&x_new).zip(&x) {
                *yi = xn + beta * (xn - xo);
            }
            std::mem::swap(&mut x, &mut x_new);
            f_x = f_new;
            t = t_new;
        }
        let bias = x.split_off(d * k);
        Ok(LogReg {
            n_features: d,
            n_classes: k,
            mean: data.mean,
            scale: data.scale,
            weights: x,
            bias,
            iterations,
            loss: f_x,
            converged,
        })
    }

    /// Class probabilities `[n_samples × n_classes]` for `counts`
    /// (`[n_samples × n_features]`, finite).
    pub fn predict_proba(&self, counts: &[f32]) -> Result<Vec<f32>> {
        let n = check_features("logistic regression", counts, self.n_features)?;
        let (a, b) = self.effective();
        let mut z = vec![0.0; self.n_classes];
        let mut out = Vec::with_capacity(n * self.n_classes);
        for row in counts.chunks_exact(self.n_features) {
            self.logits(row, &a, &b, &mut z);
            let lse = log_sum_exp(&z);
            out.extend(z.iter().map(|&v| (v - lse).exp() as f32));
        }
        Ok(out)
    }

    /// The most probable class of each row of `counts`
    /// (`[n_samples × n_features]`, finite); ties go to the lowest class.
    pub fn predict(&self, counts: &[f32]) -> Result<Vec<i32>> {
        check_features("logistic regression", counts, self.n_features)?;
        let (a, b) = self.effective();
        let mut z = vec![0.0; self.n_classes];
        Ok(counts
            .chunks_exact(self.n_features)
            .map(|row| {
                self.logits(row, &a, &b, &mut z);
                let mut best = 0;
                for (c, &v) in z.iter().enumerate() {
                    if v > z[best] {
                        best = c;
                    }
                }
                best as i32
            })
            .collect())
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Gradient iterations the fit took.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Final value of the training objective (mean cross-entropy + penalty).
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// Whether the fit met the gradient tolerance within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Weights on the raw (unstandardised) counts, `[n_features × n_classes]`,
    /// and biases (`n_classes`): `logits = c · W + b`.
    pub fn raw_coefficients(&self) -> (Vec<f64>, Vec<f64>) {
        self.effective()
    }

    fn effective(&self) -> (Vec<f64>, Vec<f64>) {
        let theta: Vec<f64> = self.weights.iter().chain(&self.bias).copied().collect();
        effective(
            &theta,
            &self.mean,
            &self.scale,
            self.n_features,
            self.n_classes,
        )
    }

    fn logits(&self, row: &[f32], a: &[f64], b: &[f64], z: &mut [f64]) {
        let k = self.n_classes;
        z.copy_from_slice(b);
        for (j, &x) in row.iter().enumerate() {
            if x != 0.0 {
                for (zk, &w) in z.iter_mut().zip(&a[j * k..(j + 1) * k]) {
                    *zk += f64::from(x) * w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_two_points() {
        // x = 0 (label 0), x = 2 (label 1): standardised to −1, +1; by symmetry
        // the midpoint x = 1 has probability ½ each and ties → class 0.
        let m = LogReg::fit(&[0.0, 2.0], 1, &[0, 1], 2, &LogRegOptions::default()).unwrap();
        assert!(m.converged(), "{} iterations", m.iterations());
        assert_eq!(m.predict(&[0.0, 2.0, 1.0]).unwrap(), vec![0, 1, 0]);
        let p = m.predict_proba(&[1.0, 0.0]).unwrap();
        assert!(
            (p[0] - 0.5).abs() < 1e-5 && (p[1] - 0.5).abs() < 1e-5,
            "{p:?}"
        );
        assert!(p[2] > 0.9 && (p[2] + p[3] - 1.0).abs() < 1e-6, "{p:?}");
        // In raw coordinates the two logits are equal at x = 1.
        let (a, b) = m.raw_coefficients();
        assert!((b[0] - b[1] + (a[0] - a[1])).abs() < 1e-4, "{a:?} {b:?}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        // 5 samples × 3 features (with zeros and a constant feature), 3 classes.
        let counts = [
            1.0f32, 0.0, 2.0, 0.0, 3.0, 2.0, 4.0, 1.0, 2.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0,
        ];
        let labels = [0usize, 1, 2, 1, 0];
        let (n, d, k) = (5, 3, 3);
        let mean = vec![1.4, 1.2, 2.0];
        let scale = vec![1.5, 1.1, 1.0];
        let mut row_start = vec![0];
        let (mut col, mut val) = (vec![], vec![]);
        for row in counts.chunks(d) {
            for (j, &x) in row.iter().enumerate() {
                if x != 0.0 {
                    col.push(j);
                    val.push(f64::from(x));
                }
            }
            row_start.push(col.len());
        }
        let data = Data {
            n,
            d,
            k,
            row_start,
            col,
            val,
            labels: labels.to_vec(),
            mean,
            scale,
            l2: 0.3,
        };
        let theta: Vec<f64> = (0..d * k + k)
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 10.0)
            .collect();
        let mut g = vec![0.0; theta.len()];
        let f = data.loss(&theta, Some(&mut g));
        assert!((f - data.loss(&theta, None)).abs() < 1e-12);
        for i in 0..theta.len() {
            let h = 1e-6;
            let (mut tp, mut tm) = (theta.clone(), theta.clone());
            tp[i] += h;
            tm[i] -= h;
            let num = (data.loss(&tp, None) - data.loss(&tm, None)) / (2.0 * h);
            assert!(
                (num - g[i]).abs() < 1e-6,
                "component {i}: numeric {num}, analytic {}",
                g[i]
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        let o = LogRegOptions::default();
        assert!(LogReg::fit(&[1.0, 2.0, 3.0], 2, &[0], 2, &o).is_err());
        assert!(LogReg::fit(&[1.0, 2.0], 2, &[0, 1], 2, &o).is_err());
        assert!(LogReg::fit(&[1.0, 2.0], 2, &[2], 2, &o).is_err());
        assert!(LogReg::fit(&[], 2, &[], 2, &o).is_err());
        assert!(LogReg::fit(&[1.0, f32::INFINITY], 2, &[0], 2, &o).is_err());
        assert!(LogReg::fit(&[1.0, 2.0], 0, &[0], 2, &o).is_err());
        let bad = LogRegOptions {
            l2: -1.0,
            ..o.clone()
        };
        assert!(LogReg::fit(&[1.0, 2.0], 2, &[0], 2, &bad).is_err());
        let m = LogReg::fit(&[1.0, 2.0], 2, &[0], 2, &o).unwrap();
        assert!(m.predict(&[1.0, 2.0, 3.0]).is_err());
        assert_eq!(m.predict(&[]).unwrap(), Vec::<i32>::new());
    }

    #[test]
    fn deterministic() {
        let counts: Vec<f32> = (0..60).map(|i| ((i * 37 % 17) as f32) / 3.0).collect();
        let labels: Vec<u8> = (0..20).map(|i| (i % 3) as u8).collect();
        let o = LogRegOptions::default();
        let a = LogReg::fit(&counts, 3, &labels, 3, &o).unwrap();
        let b = LogReg::fit(&counts, 3, &labels, 3, &o).unwrap();
        assert_eq!(a, b);
    }
}
