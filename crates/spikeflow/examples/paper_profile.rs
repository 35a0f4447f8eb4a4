//! Times the paper-faithful Diehl & Cook model per image, for profiling
//! (`docs/performance.md`, "The paper model, per phase").
//!
//! ```text
//! cargo run --release -p spikeflow --example paper_profile -- \
//!     --data-dir /path/to/mnist --neurons 1600 --images 40 --warm 5 --threads 2
//! valgrind --tool=callgrind target/release/examples/paper_profile --neurons 400 --images 20
//! ```
//!
//! Options: `--data-dir DIR` [../shared/data/mnist], `--neurons N` [100],
//! `--images K` measured images [20] after `--warm W` [5] unmeasured ones
//! (the first training images, in order), `--threads T` [2], `--test`:
//! learning off (θ frozen, no normalisation), `--closed-form-rest`: with
//! `--test`, the rest ends in closed form once nothing can spike
//! (`DiehlCookPaper::closed_form_rest`), `--closed-form-training-rest`:
//! the same while learning (`DiehlCookPaper::closed_form_training_rest`),
//! `--par-scale S`: scale of
//! the parallel regions' thresholds (`parallel::set_threshold_scale`). Prints ms per image, the
//! network's per-phase profile per image, presentations per image and Ae
//! spikes per image, and a digest of the final weights and θ (to compare
//! runs for bit-identity).

use spikeflow::datasets::Mnist;
use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::Presenter;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut closed_form_rest, mut closed_form_training_rest) = (false, false);
    let (mut dir, mut n, mut k, mut warm, mut threads, mut learn) = (
        PathBuf::from("../shared/data/mnist"),
        100usize,
        20usize,
        5usize,
        2usize,
        true,
    );
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => dir = PathBuf::from(val()?),
            "--neurons" => n = val()?.parse()?,
            "--images" => k = val()?.parse()?,
            "--warm" => warm = val()?.parse()?,
            "--threads" => threads = val()?.parse()?,
            "--test" => learn = false,
            "--closed-form-rest" => closed_form_rest = true,
            "--closed-form-training-rest" => closed_form_training_rest = true,
            "--par-scale" => spikeflow::parallel::set_threshold_scale(val()?.parse()?)?,
            o => return Err(format!("unknown option {o}").into()),
        }
    }
    let data = Mnist::load(&dir)?;
    let train = data.train();
    // Worker i on core i, as the CLI pins them (unpinned, Linux sometimes
    // runs both workers of a 2-core VM on one core).
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let pin = cores.len() >= threads && threads > 1;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .start_handler(move |i| {
            if pin {
                core_affinity::set_for_current(cores[i]);
            }
        })
        .build()?;
    pool.install(|| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut p = DiehlCookPaper {
            n_neurons: n,
            closed_form_rest,
            closed_form_training_rest,
            ..Default::default()
        }
        .build()?;
        let img = |i: usize| -> Vec<f32> {
            train.images()[i * 784..(i + 1) * 784]
                .iter()
                .map(|&x| f32::from(x) / 255.0)
                .collect()
        };
        for i in 0..warm {
            p.present(&img(i), learn)?;
        }
        let shown0 = p.presentations();
        p.network_mut().set_profiling(true);
        let mut spikes = 0.0f64;
        let t0 = Instant::now();
        for i in warm..warm + k {
            spikes += f64::from(p.present(&img(i), learn)?.iter().sum::<f32>());
        }
        let wall = t0.elapsed().as_secs_f64();
        let per = |s: f64| 1e3 * s / k as f64;
        println!(
            "N={n} threads={threads} learning={learn} images={k}: {:.3} ms/image, {:.3} presentations/image, {:.1} Ae spikes/image",
            per(wall),
            (p.presentations() - shown0) as f64 / k as f64,
            spikes / k as f64
        );
        let mut line = String::from("  phases (ms/image):");
        for (name, d) in p.network().profile() {
            line += &format!(" {name} {:.3}", per(d.as_secs_f64()));
        }
        println!("{line}");
        let net = p.network();
        let digest = |v: &[f32]| {
            v.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
                (h ^ u64::from(x.to_bits())).wrapping_mul(0x100_0000_01b3)
            })
        };
        println!(
            "  digest: weights {:016x} theta {:016x}",
            digest(net.weights("X -> Ae")?),
            digest(net.population("Ae")?.variable("theta").ok_or("no theta")?)
        );
        Ok(())
    })
    .map_err(|e| e as Box<dyn std::error::Error>)
}
