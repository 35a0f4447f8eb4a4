//! Sweep helper for the spiking Q cart-pole controller
//! (`spikeflow::rl::SpikingQ`): its defaults changed by `KEY=VALUE`
//! arguments; prints per seed the last-100 mean return, the best
//! 100-episode mean, the first episode whose trailing 100-episode mean
//! reaches 195, the wall time and the 100-episode mean at each tenth of
//! the run.
//!
//! ```sh
//! cargo run --release -p spikeflow --example spiking_q_sweep -- \
//!     seeds=0,1,2 episodes=500 gamma=0.9 q=0.25 nu=30 boxes=6x12x0.87
//! ```
//!
//! Keys: `boxes` (`barto`, `liupan`, or `THETAxOMEGAxOMEGA_MAX` for
//! [`StateBoxes::angle`]), `per_action`, `window`, `wlo`/`whi` (initial
//! weights), `wmin`, `wmax`, `tc_e`, `nu`, `q` (Q per spike), `gamma`,
//! `eps`, `explore`, `decay`, `epsmin`, `episodes`, `seeds`.
use spikeflow::rl::{trailing_mean, SpikingQ, StateBoxes};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut c = SpikingQ::default();
    let mut seeds = vec![0u64, 1, 2, 3, 4];
    let mut episodes = 1000usize;
    for arg in std::env::args().skip(1) {
        let (k, v) = arg.split_once('=').ok_or("KEY=VALUE")?;
        let f = || v.parse::<f32>();
        match k {
            "boxes" => {
                c.boxes = match v {
                    "barto" => StateBoxes::barto_162(),
                    "liupan" => StateBoxes::liu_pan_360(),
                    _ => {
                        let p = v
                            .split('x')
                            .map(str::parse::<f32>)
                            .collect::<Result<Vec<_>, _>>()?;
                        if p.len() != 3 {
                            return Err("boxes=THETAxOMEGAxOMEGA_MAX".into());
                        }
                        StateBoxes::angle(p[0] as usize, p[1] as usize, p[2])?
                    }
                }
            }
            "per_action" => c.per_action = v.parse()?,
            "window" => c.window = v.parse()?,
            "wlo" => c.w_init.0 = f()?,
            "whi" => c.w_init.1 = f()?,
            "wmin" => c.wmin = f()?,
            "wmax" => c.wmax = f()?,
            "tc_e" => c.tc_e = f()?,
            "nu" => c.nu = f()?,
            "q" => c.q_scale = f()?,
            "gamma" => c.gamma = f()?,
            "eps" => c.epsilon_start = f()?,
            "explore" => c.explore_episodes = v.parse()?,
            "decay" => c.epsilon_decay = f()?,
            "epsmin" => c.epsilon_min = f()?,
            "episodes" => episodes = v.parse()?,
            "seeds" => {
                seeds = v
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => return Err(format!("unknown {k}").into()),
        }
    }
    for seed in seeds {
        let t = Instant::now();
        let mut run = SpikingQ { seed, ..c.clone() }.build()?;
        let mut solved = None;
        for _ in 0..episodes {
            run.run_episode()?;
            let r = run.recorder().returns();
            if r.len() >= 100 && solved.is_none() {
                let m: f32 = r[r.len() - 100..].iter().sum::<f32>() / 100.0;
                if m >= 195.0 {
                    solved = Some(r.len());
                }
            }
        }
        let r = run.recorder().returns();
        let ma = trailing_mean(r, 100);
        let best = ma[99.min(ma.len() - 1)..]
            .iter()
            .copied()
            .fold(0.0f32, f32::max);
        let last = run.recorder().mean_return_last(100).unwrap_or(0.0);
        let curve: Vec<String> = (1..=10)
            .map(|k| format!("{:.0}", ma[(k * ma.len() / 10) - 1]))
            .collect();
        println!(
            "seed {seed}: last100 {last:.1} best100 {best:.1} solved_at {solved:?} {:.1}s ma[{}]",
            t.elapsed().as_secs_f64(),
            curve.join(" ")
        );
    }
    Ok(())
}
