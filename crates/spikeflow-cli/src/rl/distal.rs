//! `spikeflow rl distal-reward`: Izhikevich's (2007) distal reward
//! experiment (`spikeflow::rl::DistalReward`), a simulated second at a
//! time, with a progress bar (simulated s per s, the chosen weight),
//! `summary.json` and `weights.png` (the chosen synapse's weight against
//! the mean excitatory weight, over simulated time).

use super::{plot, Args};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::json;
use spikeflow::rl::DistalReward;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Runs the experiment for `a.seconds` simulated seconds.
pub fn run(a: &Args) -> Result<ExitCode> {
    if a.seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    if a.resume || a.checkpoint_every > 0 {
        bail!("distal-reward has no checkpoints (--resume, --checkpoint-every)");
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let cfg = DistalReward {
        seed: a.seed,
        rewarded: !a.no_reward,
        ..Default::default()
    };
    let mut exp = cfg.build()?;
    let tty = std::io::stderr().is_terminal() && !a.quiet;
    let bar = if tty {
        ProgressBar::with_draw_target(Some(a.seconds), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(crate::train::bar_style(true));
    bar.set_prefix("simulated s");
    let wall = Instant::now();
    let (mut chosen, mut mean, mut rate) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..a.seconds {
        let s = exp.run_second()?;
        chosen.push(s.chosen_weight);
        mean.push(s.mean_exc_weight);
        rate.push(s.spikes as f32 / exp.network().population("N")?.core().n() as f32);
        bar.inc(1);
        bar.set_message(format!(
            "chosen weight {:.3}, mean {:.3}",
            s.chosen_weight, s.mean_exc_weight
        ));
    }
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let w = exp.network().weights("N -> N")?;
    let n_exc_w = cfg.n_exc * cfg.synapses;
    let last = *chosen.last().unwrap_or(&0.0);
    let above = w[..n_exc_w].iter().filter(|&&x| x < last).count();
    let percentile = 100.0 * above as f64 / n_exc_w as f64;
    let (earned, delivered) = exp.rewards();
    let (n1, n2) = exp.chosen();
    let summary = json!({
        "task": "DistalReward",
        "seed": a.seed,
        "rewarded": cfg.rewarded,
        "seconds": a.seconds,
        "chosen_synapse": [n1, n2],
        "final_chosen_weight": last,
        "final_mean_exc_weight": mean.last(),
        "chosen_weight_percentile": percentile,
        "w_max": cfg.w_max,
        "rewards_earned": earned,
        "rewards_delivered": delivered,
        "mean_rate_hz": rate.iter().sum::<f32>() / rate.len() as f32,
        "elapsed_s": elapsed,
        "wall_s_per_simulated_hour": elapsed * 3600.0 / a.seconds as f64,
        "chosen_weight": chosen,
        "mean_exc_weight": mean,
    });
    let path = a.out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let title = format!(
        "distal reward, seed {}{}",
        a.seed,
        if cfg.rewarded {
            ""
        } else {
            ", rewards withheld"
        }
    );
    plot::weights_over_time(
        &a.out.join("weights.png"),
        &title,
        &chosen,
        &mean,
        cfg.w_max,
    )?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "DistalReward seed {}: {} s simulated in {:.1} s ({:.0} s per simulated hour); chosen \
         synapse {n1} -> {n2} weight {last:.3} (above {percentile:.1} % of the excitatory \
         weights), mean {:.3}; rewards {delivered} of {earned} earned",
        a.seed,
        a.seconds,
        elapsed,
        elapsed * 3600.0 / a.seconds as f64,
        mean.last().copied().unwrap_or(0.0),
    );
    let _ = writeln!(stdout, "wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
