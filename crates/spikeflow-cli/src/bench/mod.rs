//! `spikeflow bench`: the workloads W1–W4 of the shared `peer/bench/WORKLOADS.md`,
//! built from the same pinned random draws as the peer scripts
//! (`bench_bindsnet.py`, `bench_brian2.py`), timed the same way, and
//! printed as one JSON line per repetition with the fields of §5 (so that
//! `make_tables.py` tables them next to the peers).
//!
//! * W1 `dense-lif`: n Poisson inputs → n LIF, dense `w ~ N(0,1)`, 1000 steps.
//! * W2 `dense-lif-stdp`: W1 plus traces and PostPre `nu = (1e-4, 1e-2)`.
//! * W3 `diehl-cook-train`: `DiehlAndCook2015` (inh 120) on MNIST, learning on.
//! * W4 `diehl-cook-infer`: the same with learning off, batch 1 or 32.
//! * `paper`: Diehl & Cook's own model (`diehl_cook_paper`), learning on
//!   then off, per image; spikeflow only (no peer has it).
//! * W5 `hpc-benchmark`: NEST's `hpc_benchmark` (`HpcBenchmark`) at
//!   `--scale`, `--seconds` simulated after NEST's 50 ms presimulation; its
//!   peer is NEST (`bench/w5_nest.py`).
//!
//! W1/W2 print `spikes_ok` (the output spike count against the reference).
//!
//! Files: this one (arguments, the `meta` line, dispatch), `draws.rs` (the
//! portable counter-based draws and the inputs built from them),
//! `dense.rs` (W1/W2), `diehl_cook.rs` (W3/W4), `paper.rs`, `w5.rs`, `report.rs` (JSON lines,
//! profiles, medians), `system.rs` (load, CPU, time).

mod dense;
mod diehl_cook;
mod draws;
mod lazy_weights;
mod paper;
mod report;
mod system;
mod w5;

use anyhow::{bail, Result};
use serde_json::{json, Map};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Dense LIF, no learning.
    W1,
    /// Dense LIF with PostPre STDP.
    W2,
    /// Diehl & Cook 2015, training on MNIST.
    W3,
    /// Diehl & Cook 2015, inference on MNIST.
    W4,
    /// Diehl & Cook's own model (the paper's), training then testing.
    Paper,
    /// NEST's hpc_benchmark (balanced network, power-law STDP).
    W5,
}

#[derive(clap::Args)]
pub struct Args {
    /// Workload (W1–W4 of WORKLOADS.md, the paper model, W5).
    #[arg(value_enum)]
    workload: Workload,
    /// Sizes: n for W1/W2 (default 1000 2500 5000 10000 / 1000 2500 5000),
    /// N excitatory neurons for W3/W4/paper (default 100 400 1600 6400).
    #[arg(long, num_args = 1..)]
    sizes: Vec<usize>,
    /// Worker threads (rayon pool).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// W4 batch sizes (W3 always uses batch 1).
    #[arg(long, num_args = 1.., default_values_t = vec![1usize])]
    batch: Vec<usize>,
    /// W1/W2 repetitions per size (default 5 up to n = 2500, 3 above; W2: 3, 2 at 5000); W5
    /// repetitions (default 1).
    #[arg(long)]
    reps: Option<usize>,
    /// W3/W4 measured samples at batch 1 (default 30, 8 for N ≥ 6400), or
    /// measured batches at batch > 1 (default 3, 2 for N ≥ 6400).
    #[arg(long)]
    samples: Option<usize>,
    /// W3/W4 warm-up samples at batch 1 (default 3) / batches at batch > 1 (default 1).
    #[arg(long)]
    warmup: Option<usize>,
    /// MNIST folder with `train-images-idx3-ubyte.gz` (default: the sample shipped in the repository).
    #[arg(long)]
    mnist: Option<PathBuf>,
    /// Seed of the portable draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// W1/W2 steps (1000 = 1 simulated second).
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// W5 scale (11,250 neurons at 1; the in-degrees do not scale).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// W5 simulated seconds, measured (NEST's hpc_benchmark.py: 0.25).
    #[arg(long, default_value_t = 0.25)]
    seconds: f64,
    /// W5 with static E → E synapses (no STDP), for diagnosis.
    #[arg(long)]
    static_ee: bool,
    /// W5: also `mean_w_ee_nest_view`, the E → E weights as NEST reports
    /// them (each as of its source's last spike: NEST applies potentiation
    /// lazily); copies each step's spiking rows, so not for timing (in one
    /// process; a lone MPI rank runs one step per call).
    #[arg(long)]
    nest_weights: bool,
    /// W5 presimulation before the measured time (ms; not measured).
    #[arg(long, default_value_t = 50.0)]
    presim_ms: f64,
    /// W5: after the run, write the whole network's state to this folder
    /// (over MPI ranks put together from every rank's part, as one process
    /// would write it).
    #[arg(long)]
    save_state: Option<std::path::PathBuf>,
    /// W5: start from the state `--save-state` wrote (with any number of
    /// ranks), instead of presimulating.
    #[arg(long)]
    resume_state: Option<std::path::PathBuf>,
    /// Per-phase timing (propagate / integrate / learn / observe / normalise),
    /// added to each JSON line and summarised on stderr.
    #[arg(long)]
    profile: bool,
    /// Paper model: cut the network into this many parts, each on a thread
    /// of its own for the whole run, meeting once per step (1: one network,
    /// whose steps use the pool's threads where a phase is large enough).
    #[arg(long, default_value_t = 1)]
    parts: usize,
    /// Paper model: learning-off images end their rest in closed form once
    /// nothing can spike any more (training steps it all, unless
    /// --closed-form-training-rest).
    #[arg(long)]
    closed_form_rest: bool,
    /// Paper model: training images end their rest in closed form too, once
    /// nothing can spike any more (θ and the rule's traces decayed with the
    /// rest; not the stepped training bit for bit).
    #[arg(long)]
    closed_form_training_rest: bool,
    /// Paper model: the largest Euler factor `dt/τ_m·(1 + g_e + g_i)` the
    /// neurons step as the authors' script does; above it `v` lands on the
    /// step's equilibrium (`ConductanceLifNodes::euler_limit`; 2: the
    /// script's step wherever it is stable; inf: always, which runs away
    /// from 1600 neurons on). Each JSON line records it as a number, or as
    /// the string "inf" (JSON has no infinity).
    #[arg(long, default_value_t = 1.0)]
    euler_limit: f32,
    /// Scale of the work thresholds above which a step's regions run in
    /// parallel (`spikeflow::parallel::set_threshold_scale`; smaller goes
    /// parallel sooner), to tune for a machine.
    #[arg(long, default_value_t = 1.0)]
    parallel_scale: f32,
}

/// Runs `spikeflow bench`: pins the worker pool, prints the `meta` line,
/// then the workload on a pool worker. Exit status 1 when a W1/W2 output
/// spike count differs from its reference.
pub fn run(a: &Args) -> Result<ExitCode> {
    if a.threads == 0 {
        bail!("--threads must be ≥ 1");
    }
    // MPI starts on the main thread, before the pool.
    let ranks = crate::ranks::join()?;
    if a.workload != Workload::W5 {
        crate::ranks::refuse_many(&ranks, "this workload")?;
    }
    let root = ranks.as_ref().is_none_or(|x| x.rank() == 0);
    let pinned = crate::pool::init(a.threads)?;
    spikeflow::parallel::set_threshold_scale(a.parallel_scale)?;
    let mut meta = Map::new();
    meta.insert("bench".into(), json!("meta"));
    meta.insert("impl".into(), json!("spikeflow"));
    meta.insert(
        "argv".into(),
        json!(std::env::args().skip(1).collect::<Vec<_>>()),
    );
    meta.insert("spikeflow".into(), json!(env!("CARGO_PKG_VERSION")));
    meta.insert("threads".into(), json!(a.threads));
    meta.insert("pinned_workers".into(), json!(pinned));
    meta.insert("parallel_scale".into(), json!(a.parallel_scale));
    meta.insert("cpu".into(), json!(system::cpu_model()));
    meta.insert("nproc".into(), json!(system::nproc()));
    meta.insert("debug_build".into(), json!(cfg!(debug_assertions)));
    meta.insert(
        "ranks".into(),
        json!(ranks.as_ref().map_or(1, |x| x.ranks())),
    );
    if root {
        report::emit(meta);
    }
    if cfg!(debug_assertions) && root {
        eprintln!("warning: this is a debug build; measure with --release");
    }
    let body = || -> Result<ExitCode> {
        match a.workload {
            Workload::W1 | Workload::W2 => {
                let ok = dense::run(a, a.workload == Workload::W2)?;
                if !ok {
                    eprintln!("error: output spike counts differ from the reference");
                    return Ok(ExitCode::from(1));
                }
            }
            Workload::W3 => diehl_cook::run(a, true)?,
            Workload::W4 => diehl_cook::run(a, false)?,
            Workload::Paper => paper::run(a)?,
            Workload::W5 => w5::run(a, ranks)?,
        }
        Ok(ExitCode::SUCCESS)
    };
    crate::pool::on_worker(body)
}
