//! Read-out pipelines through the public API: label assignment and voting,
//! n-grams, logistic regression, confusion matrices.

use std::path::Path;

use spikeflow::datasets::{Dataset, Mnist};
use spikeflow::evaluation::{
    all_activity, assign_labels, ngram, proportion_weighting, update_ngram_scores, ConfusionMatrix,
    LogReg, LogRegOptions, NgramScores, NO_PREDICTION,
};

/// A small deterministic generator (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Binomial(trials, p) count.
    fn count(&mut self, trials: u32, p: f64) -> f32 {
        (0..trials).filter(|_| self.next_f64() < p).count() as f32
    }
}

/// Synthetic spike counts: `n_neurons` neurons, neuron `n < n_tuned` prefers
/// label `n % n_labels` (rate `hi`, else `lo`), the others never fire.
fn synthetic(
    rng: &mut Lcg,
    n_samples: usize,
    n_neurons: usize,
    n_tuned: usize,
    n_labels: usize,
    hi: f64,
    lo: f64,
) -> (Vec<f32>, Vec<u8>) {
    let mut counts = Vec::with_capacity(n_samples * n_neurons);
    let mut labels = Vec::with_capacity(n_samples);
    for s in 0..n_samples {
        let label = s % n_labels;
        labels.push(label as u8);
        for n in 0..n_neurons {
            let p = if n >= n_tuned {
                0.0
            } else if n % n_labels == label {
                hi
            } else {
                lo
            };
            counts.push(rng.count(20, p));
        }
    }
    (counts, labels)
}

#[test]
fn assign_then_vote_micro_case() {
    // 3 samples × 4 neurons, labels [0, 1, 0], 2 labels.
    let counts = [
        2.0, 0.0, 1.0, 0.0, //
        0.0, 3.0, 1.0, 0.0, //
        4.0, 1.0, 0.0, 0.0,
    ];
    let a = assign_labels(&counts, 3, 4, &[0, 1, 0], 2, None, 1.0).unwrap();
    // rates: n0 (3, 0), n1 (0.5, 3), n2 (0.5, 1), n3 silent.
    assert_eq!(a.rates, vec![3.0, 0.0, 0.5, 3.0, 0.5, 1.0, 0.0, 0.0]);
    assert_eq!(a.assignments, vec![0, 1, 1, NO_PREDICTION]);
    // all_activity: sample 0: label 0 = 2, label 1 = (0 + 1)/2 → 0;
    // sample 1: 0 vs 2 → 1; sample 2: 4 vs 0.5 → 0.
    let p = all_activity(&counts, 3, 4, &a.assignments, 2).unwrap();
    assert_eq!(p, vec![0, 1, 0]);
    let q = proportion_weighting(&counts, 3, 4, &a.assignments, &a.proportions, 2).unwrap();
    assert_eq!(q, vec![0, 1, 0]);
    // A sample where only the silent neuron fires gets no prediction.
    assert_eq!(
        all_activity(&[0.0, 0.0, 0.0, 5.0], 1, 4, &a.assignments, 2).unwrap(),
        vec![-1]
    );
    let cm = ConfusionMatrix::from_predictions(&[0, 1, 0], &p, 2).unwrap();
    assert_eq!(cm.accuracy(), 1.0);
}

#[test]
fn assignment_pipeline_on_synthetic_counts() {
    let mut rng = Lcg(7);
    let (n_neurons, n_tuned, n_labels) = (24, 20, 4);
    // Two training intervals, rates carried over (alpha = 1), as BindsNET's examples do.
    let (c1, l1) = synthetic(&mut rng, 40, n_neurons, n_tuned, n_labels, 0.5, 0.1);
    let a1 = assign_labels(&c1, 40, n_neurons, &l1, n_labels, None, 1.0).unwrap();
    let (c2, l2) = synthetic(&mut rng, 40, n_neurons, n_tuned, n_labels, 0.5, 0.1);
    let a = assign_labels(&c2, 40, n_neurons, &l2, n_labels, Some(&a1.rates), 1.0).unwrap();
    for n in 0..n_neurons {
        let expected = if n < n_tuned {
            (n % n_labels) as i32
        } else {
            -1
        };
        assert_eq!(a.assignments[n], expected, "neuron {n}");
    }
    assert_eq!(a.neurons_per_label(), vec![5, 5, 5, 5]);
    // Proportions: rows sum to 1, silent rows are 0.
    for n in 0..n_neurons {
        let s: f32 = a.proportions[n * n_labels..(n + 1) * n_labels].iter().sum();
        let expected = if n < n_tuned { 1.0 } else { 0.0 };
        assert!((s - expected).abs() < 1e-5, "neuron {n}: {s}");
    }
    let (ct, lt) = synthetic(&mut rng, 100, n_neurons, n_tuned, n_labels, 0.5, 0.1);
    for preds in [
        all_activity(&ct, 100, n_neurons, &a.assignments, n_labels).unwrap(),
        proportion_weighting(
            &ct,
            100,
            n_neurons,
            &a.assignments,
            &a.proportions,
            n_labels,
        )
        .unwrap(),
    ] {
        let cm = ConfusionMatrix::from_predictions(&lt, &preds, n_labels).unwrap();
        assert!(cm.accuracy() >= 0.95, "{cm}");
    }
}

#[test]
fn ngram_pipeline() {
    // One neuron fires per step; label 0 samples fire 0,1,2,3 in order,
    // label 1 samples fire 3,2,1,0. Records [n_samples × time × n_neurons].
    let (time, n_neurons) = (6, 4);
    let record = |order: &[usize]| {
        let mut r = vec![0.0f32; time * n_neurons];
        for (t, &n) in order.iter().enumerate() {
            r[(t + 1) * n_neurons + n] = 1.0; // step 0 stays empty
        }
        r
    };
    let train: Vec<f32> = [record(&[0, 1, 2, 3]), record(&[3, 2, 1, 0])].concat();
    let mut scores = NgramScores::new(2, 2).unwrap();
    update_ngram_scores(&train, 2, time, n_neurons, &[0, 1], &mut scores).unwrap();
    assert_eq!(scores.len(), 6);
    assert_eq!(scores.get(&[2, 3]), Some(&[1, 0][..]));
    assert_eq!(scores.get(&[1, 0]), Some(&[0, 1][..]));
    // Test samples: only their last bigram is known (BindsNET would skip it).
    let test: Vec<f32> = [record(&[3, 0, 2, 3]), record(&[0, 3, 1, 0]), record(&[])].concat();
    assert_eq!(
        ngram(&test, 3, time, n_neurons, &scores).unwrap(),
        vec![0, 1, NO_PREDICTION]
    );
}

#[test]
fn logreg_separates_synthetic_classes() {
    let mut rng = Lcg(42);
    // 3 classes, 12 features; class c fires features 4c..4c+4 more.
    let gen = |rng: &mut Lcg, n: usize| {
        let mut counts = Vec::new();
        let mut labels = Vec::new();
        for s in 0..n {
            let c = s % 3;
            labels.push(c as u8);
            for j in 0..12 {
                counts.push(rng.count(10, if j / 4 == c { 0.5 } else { 0.15 }));
            }
        }
        (counts, labels)
    };
    let (train, train_labels) = gen(&mut rng, 150);
    let (test, test_labels) = gen(&mut rng, 300);
    let model = LogReg::fit(&train, 12, &train_labels, 3, &LogRegOptions::default()).unwrap();
    assert!(
        model.converged(),
        "not converged in {} iterations",
        model.iterations()
    );
    let train_acc =
        ConfusionMatrix::from_predictions(&train_labels, &model.predict(&train).unwrap(), 3)
            .unwrap()
            .accuracy();
    let cm =
        ConfusionMatrix::from_predictions(&test_labels, &model.predict(&test).unwrap(), 3).unwrap();
    assert!(train_acc >= 0.97, "training accuracy {train_acc}");
    assert!(cm.accuracy() >= 0.95, "{cm}");
    // Probabilities are rows summing to 1.
    let p = model.predict_proba(&test[..24]).unwrap();
    for row in p.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    // Deterministic.
    assert_eq!(
        model,
        LogReg::fit(&train, 12, &train_labels, 3, &LogRegOptions::default()).unwrap()
    );
}

#[test]
fn logreg_on_mnist_sample_pixels() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample");
    let mnist = Mnist::load(&dir).unwrap();
    // 500 images and 60 iterations keep the test quick in debug builds (about
    // 82 % test accuracy; the full 2000-image sample reaches about 86 %).
    let (train, test) = (mnist.train().take(500), mnist.test());
    let opts = LogRegOptions {
        max_iter: 60,
        l2: 1e-2,
        ..LogRegOptions::default()
    };
    let model = LogReg::fit(&train.images_f32(), 784, train.labels(), 10, &opts).unwrap();
    let preds = model.predict(&test.images_f32()).unwrap();
    let cm = ConfusionMatrix::from_predictions(test.labels(), &preds, test.n_classes()).unwrap();
    assert!(cm.accuracy() >= 0.78, "{cm}");
}
