//! Writes one W5 network's graph and initial voltages, for
//! `bench/w5_nest_graph.py` to build the very same network in NEST: the
//! multapse count of every (source, target) pair of the four recurrent
//! connections (`u16`, little endian, `[n_pre × n_post]`, row-major) and
//! the initial `V_m` of E and I (`f32`). With the graph equal, what is left
//! to differ between the two simulators is the dynamics and the drive's
//! draws.
//!
//! ```text
//! cargo run --release -p spikeflow --example w5_graph -- 0.1 1 target/w5_graph
//! ```

use spikeflow::models::HpcBenchmark;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scale, seed, out] = &args[..] else {
        return Err("usage: w5_graph SCALE SEED OUT_DIR".into());
    };
    let model = HpcBenchmark {
        scale: scale.parse()?,
        seed: seed.parse()?,
        plastic: false,
    };
    let net = model.build()?;
    std::fs::create_dir_all(out)?;
    let je = model.je_pa();
    for (conn, file, unit) in [
        ("E -> E", "ee", je),
        ("E -> I", "ei", je),
        ("I -> E", "ie", -5.0 * je),
        ("I -> I", "ii", -5.0 * je),
    ] {
        let w = net.weights_tensor(conn)?;
        let mut bytes = Vec::with_capacity(2 * w.data().len());
        for &x in w.data() {
            let count = (f64::from(x) / unit).round();
            if !(0.0..=65535.0).contains(&count) {
                return Err(format!("{conn}: weight {x} is not a multiple of {unit}").into());
            }
            bytes.extend_from_slice(&(count as u16).to_le_bytes());
        }
        std::fs::File::create(format!("{out}/{file}.u16"))?.write_all(&bytes)?;
    }
    for pop in ["E", "I"] {
        let v = net.population(pop)?.variable("v").ok_or("no v")?;
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::File::create(format!("{out}/v_{pop}.f32"))?.write_all(&bytes)?;
    }
    println!("{}: NE {} NI {}", out, model.n_e(), model.n_i());
    Ok(())
}
