//! Pins the bits of a short run of the paper-faithful Diehl & Cook model
//! (`models::diehl_cook_paper`), so that a speed change to it, its neurons,
//! its delayed connection or its learning rule can show that it left every
//! result as it was: spike counts, presentations, weights, θ, every state
//! array of the final snapshot and the generators.
//!
//! The digest was recorded at `c5db685`, before any of the speed changes
//! of issue #18. If a change is meant to alter results, say so in its
//! commit and re-pin; a speed change must not.

use spikeflow::datasets::Mnist;
use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::Presenter;
use std::path::Path;

/// FNV-1a over 32-bit words.
struct Digest(u64);

impl Digest {
    fn word(&mut self, x: u32) {
        for b in x.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn floats(&mut self, v: &[f32]) {
        self.word(v.len() as u32);
        v.iter().for_each(|x| self.word(x.to_bits()));
    }
}

/// Shows the first 6 sample training images learning, then 3 with learning
/// off, and digests everything the run leaves.
fn run(n_neurons: usize, threads: usize) -> (u64, Vec<f32>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample");
    let data = Mnist::load(&dir).unwrap();
    let images = data.train().images();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut p = DiehlCookPaper {
            n_neurons,
            seed: 7,
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut d = Digest(0xcbf2_9ce4_8422_2325);
        let mut all = Vec::new();
        for k in 0..9 {
            let img: Vec<f32> = images[k * 784..(k + 1) * 784]
                .iter()
                .map(|&x| f32::from(x) / 255.0)
                .collect();
            let counts = p.present(&img, k < 6).unwrap();
            d.floats(&counts);
            d.word(p.last_intensity().to_bits());
            all.extend_from_slice(&counts);
        }
        d.word(p.presentations() as u32);
        let snap = p.network().snapshot();
        // `theta_low` (θ below its f32 image) joined the snapshot after the
        // pin was recorded; θ itself is digested, and a wrong θ64 would
        // change the spikes and θ of later presentations.
        for (name, a) in snap
            .arrays
            .iter()
            .filter(|(n, _)| !n.ends_with("/theta_low"))
        {
            name.bytes().for_each(|b| d.word(u32::from(b)));
            d.floats(a);
        }
        snap.rng
            .iter()
            .for_each(|&x| d.word(x as u32 ^ (x >> 32) as u32));
        let enc = p.encoder_rng().clone().next_u64();
        d.word(enc as u32 ^ (enc >> 32) as u32);
        (d.0, all)
    })
}

/// The digests at `c5db685` (1 thread; 2 threads gave the same).
const PINNED: [(usize, u64); 3] = [
    (60, 0x531c_653f_faf6_475c),
    (400, 0x3228_4b8f_68cb_af86),
    (1600, 0x53ff_e37d_0aa4_39ec),
];

#[test]
fn a_short_paper_run_keeps_its_bits() {
    // Small thresholds: every parallel region of the step is taken.
    spikeflow::parallel::set_threshold_scale(1.0 / 1024.0).unwrap();
    for (n, want) in PINNED {
        let (one, counts) = run(n, 1);
        assert!(counts.iter().sum::<f32>() > 20.0, "N = {n} must spike");
        assert_eq!(one, want, "N = {n}, 1 thread: digest {one:#018x}");
        let (two, _) = run(n, 2);
        assert_eq!(two, want, "N = {n}, 2 threads: digest {two:#018x}");
    }
}
