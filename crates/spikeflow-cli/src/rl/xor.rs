//! `spikeflow rl xor-rate | xor-temporal`: Florian's (2007) XOR
//! experiments (`spikeflow::rl::FlorianXor`), `--runs` independent
//! experiments (seeds `--seed`, `--seed + 1`, …) on every core, with a
//! progress bar (epochs), `summary.json` (fraction solved, epochs to solve,
//! the last epoch's rates of every run) and two PNGs: `rates.png` (the
//! first run's output rate per pattern and epoch, the paper's learning
//! curve) and `solved.png` (the fraction of runs whose epoch solves XOR).

use super::{plot, Args, Rule, Task};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget};
use rayon::prelude::*;
use serde_json::json;
use spikeflow::rl::{FlorianXor, ModulatedRule, XorCoding, XorEpoch};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Consecutive solving epochs that count as "solved from" an epoch.
const STREAK: usize = 10;

/// One experiment's epochs.
struct Experiment {
    seed: u64,
    epochs: Vec<XorEpoch>,
}

impl Experiment {
    fn solved(&self) -> bool {
        self.epochs.last().is_some_and(XorEpoch::solved)
    }
    /// The first epoch (1-based) that begins `STREAK` solving epochs in a
    /// row which last to the end (or to the last epoch, when fewer remain).
    fn solved_from(&self) -> Option<usize> {
        let n = self.epochs.len();
        let mut from = None;
        for (k, e) in self.epochs.iter().enumerate().rev() {
            if !e.solved() {
                break;
            }
            from = Some(k);
        }
        from.filter(|&k| n - k >= STREAK.min(n)).map(|k| k + 1)
    }
}

/// Runs the experiments.
pub fn run(a: &Args) -> Result<ExitCode> {
    if a.epochs == 0 || a.runs == 0 {
        bail!("--epochs and --runs must be at least 1");
    }
    if a.resume || a.checkpoint_every > 0 {
        bail!("xor has no checkpoints (--resume, --checkpoint-every): one run takes seconds");
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let coding = match a.task {
        Task::XorTemporal => XorCoding::Temporal,
        _ => XorCoding::Rate,
    };
    let rule = match a.rule() {
        Rule::Mstdp => ModulatedRule::Mstdp,
        Rule::Mstdpet => ModulatedRule::MstdpEt,
    };
    let cfg = |seed| FlorianXor {
        coding,
        rule,
        gamma: a.nu,
        rewarded: !a.no_reward,
        seed,
        ..Default::default()
    };
    cfg(a.seed).build()?; // a bad parameter is reported once, before the runs
    let tty = std::io::stderr().is_terminal() && !a.quiet;
    let total = (a.runs * a.epochs) as u64;
    let bar = if tty {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(crate::train::bar_style(true));
    bar.set_prefix("epochs");
    let wall = Instant::now();
    let runs: Vec<Experiment> = (0..a.runs as u64)
        .into_par_iter()
        .map(|k| -> Result<Experiment> {
            let seed = a.seed + k;
            let mut xor = cfg(seed).build()?;
            let mut epochs = Vec::with_capacity(a.epochs);
            for _ in 0..a.epochs {
                epochs.push(xor.run_epoch()?);
                bar.inc(1);
            }
            Ok(Experiment { seed, epochs })
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();

    let solved = runs.iter().filter(|r| r.solved()).count();
    let from: Vec<usize> = runs.iter().filter_map(Experiment::solved_from).collect();
    let name = format!("{:?} {:?}", coding, rule);
    let gamma = cfg(a.seed)
        .gamma
        .unwrap_or_else(|| cfg(a.seed).paper_gamma());
    let per_epoch_solved: Vec<f32> = (0..a.epochs)
        .map(|e| runs.iter().filter(|r| r.epochs[e].solved()).count() as f32 / a.runs as f32)
        .collect();
    let margins = |e: usize| -> Vec<f32> { runs.iter().map(|r| r.epochs[e].margin_hz()).collect() };
    let (first_margin, last_margin) = (mean_sd(&margins(0)), mean_sd(&margins(a.epochs - 1)));
    let summary = json!({
        "task": format!("{:?}", a.task),
        "coding": format!("{coding:?}"),
        "rule": format!("{rule:?}"),
        "gamma": gamma,
        "rewarded": !a.no_reward,
        "seed": a.seed,
        "runs": a.runs,
        "epochs": a.epochs,
        "episodes": a.epochs,
        "solved": solved,
        "solved_fraction": solved as f64 / a.runs as f64,
        "solved_from_streak": STREAK,
        "solved_from_epoch_median": median(&from),
        "solved_from_epoch": runs.iter().map(|r| r.solved_from()).collect::<Vec<_>>(),
        "fraction_solved_per_epoch": per_epoch_solved,
        "margin_hz_first_epoch_mean_sd": first_margin,
        "margin_hz_last_epoch_mean_sd": last_margin,
        "elapsed_s": elapsed,
        "seconds_per_run": elapsed / a.runs as f64,
        "last_epoch_rates_hz": runs.iter().map(|r| json!({
            "seed": r.seed,
            "rates_hz": r.epochs.last().map(|e| e.rates_hz),
            "solved": r.solved(),
        })).collect::<Vec<_>>(),
        "first_run_rates_hz": runs[0].epochs.iter().map(|e| e.rates_hz).collect::<Vec<_>>(),
    });
    let path = a.out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;

    let x: Vec<f64> = (1..=a.epochs).map(|e| e as f64).collect();
    let first = &runs[0].epochs;
    let series: Vec<(String, Vec<f32>)> = ["00", "01", "10", "11"]
        .iter()
        .enumerate()
        .map(|(p, label)| {
            (
                format!("input {label}"),
                first.iter().map(|e| e.rates_hz[p]).collect(),
            )
        })
        .collect();
    let control = if a.no_reward {
        ", rewards withheld"
    } else {
        ""
    };
    plot::lines(
        &a.out.join("rates.png"),
        &format!("XOR {name}, seed {}{control}: output rate", a.seed),
        ("epoch", "output rate (Hz)"),
        &x,
        &series,
    )?;
    plot::lines(
        &a.out.join("solved.png"),
        &format!("XOR {name}{control}: fraction of {} runs solving", a.runs),
        ("epoch", "fraction of runs"),
        &x,
        &[(
            "rate(00), rate(11) < rate(01), rate(10)".into(),
            per_epoch_solved,
        )],
    )?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "XOR {name}{control}, γ {gamma}: {solved} of {} runs solved after {} epochs ({:.1} %); \
         solved for good from epoch {} (median of {} runs); margin min(01, 10) − max(00, 11) \
         {:.1} ± {:.1} Hz at the first epoch, {:.1} ± {:.1} Hz at the last; {:.1} s ({:.2} s per run)",
        a.runs,
        a.epochs,
        100.0 * solved as f64 / a.runs as f64,
        median(&from).map_or("–".into(), |m| format!("{m:.0}")),
        from.len(),
        first_margin.0,
        first_margin.1,
        last_margin.0,
        last_margin.1,
        elapsed,
        elapsed / a.runs as f64,
    );
    let _ = writeln!(stdout, "wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

fn median(v: &[usize]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// Mean and (sample) standard deviation.
fn mean_sd(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}
