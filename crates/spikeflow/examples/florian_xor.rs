//! Florian (2007) XOR: one experiment per coding and rule, printing the
//! output rates of the four patterns every 20 epochs and whether the last
//! epoch solves XOR.
//!
//!     cargo run --release -p spikeflow --example florian_xor [seed]
//!
//! `spikeflow rl xor` runs many experiments and counts how many solve it.

use spikeflow::rl::{FlorianXor, ModulatedRule, XorCoding};
use std::time::Instant;

fn main() -> spikeflow::Result<()> {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for coding in [XorCoding::Rate, XorCoding::Temporal] {
        for rule in [ModulatedRule::Mstdp, ModulatedRule::MstdpEt] {
            let t0 = Instant::now();
            let mut xor = FlorianXor {
                coding,
                rule,
                seed,
                ..Default::default()
            }
            .build()?;
            println!("{coding:?} {rule:?} (seed {seed}): output Hz for 00 01 10 11");
            let mut last = None;
            for _ in 0..200 {
                let e = xor.run_epoch()?;
                if e.epoch % 20 == 0 || e.epoch == 1 {
                    let r = e.rates_hz;
                    println!(
                        "  epoch {:3}: {:5.1} {:5.1} {:5.1} {:5.1}",
                        e.epoch, r[0], r[1], r[2], r[3]
                    );
                }
                last = Some(e);
            }
            let solved = last.is_some_and(|e| e.solved());
            println!("  solved: {solved} ({:.1} s)", t0.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
