//! Times one all-gather of a two-rank `local_cluster` with no work between
//! calls (each rank pinned to a core, four values each): the exchange's
//! own cost per step of `PaperParts` (`docs/performance.md`).
//!
//! ```text
//! cargo run --release -p spikeflow --example local_exchange
//! ```

use spikeflow::distributed::{local_cluster, Exchange};
use std::time::Instant;

fn main() {
    let rounds = 200_000u32;
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let handles: Vec<_> = local_cluster(2)
        .into_iter()
        .enumerate()
        .map(|(r, mut x)| {
            let core = cores.get(r).copied();
            std::thread::spawn(move || {
                if let Some(c) = core {
                    core_affinity::set_for_current(c);
                }
                let (mut out, mut counts) = (Vec::new(), Vec::new());
                let t = Instant::now();
                for k in 0..rounds {
                    x.all_gather(&[k, 1, 2, 3], &mut out, &mut counts);
                }
                t.elapsed().as_secs_f64() / f64::from(rounds)
            })
        })
        .collect();
    for (r, h) in handles.into_iter().enumerate() {
        let s = h.join().expect("a rank panicked");
        println!("rank {r}: {:.3} µs per all-gather", 1e6 * s);
    }
}
