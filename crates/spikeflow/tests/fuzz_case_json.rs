//! Fuzzes the reference-case reader (`conformance::run_case` on JSON text):
//! byte mutations of the text, and structure-aware edits of the parsed case —
//! a random value anywhere in the tree replaced by 0, -1, NaN-like strings,
//! ±inf, 1e300, 10^12, a wrong type, an empty array or object, or a field
//! removed. Every input must be refused or replayed, never panic, within a
//! second. `cargo test` runs a short campaign (2·10^3, replays are costly);
//! `FUZZ_ITERS` sets the count.

mod fuzz_support;

use fuzz_support::{check, iterations, mutate_bytes, report, seed, Gen, Stats};
use serde_json::{json, Value};
use spikeflow::conformance::{run_case, Outcome};

fn seeds() -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    [
        "p01_noop_lif_b1",
        "p05_hebbian_if_bias_b1",
        "p08_postpre_b3_default_sum",
        "p17_maxpool2d_mcculloch_pitts_b1",
        "p18_conv2d_postpre_stride1_b1",
    ]
    .iter()
    .map(|n| {
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{n}.json"))).unwrap())
            .unwrap()
    })
    .collect()
}

/// Picks a random node of the tree (mutable) by a random walk.
fn random_node<'a>(g: &mut Gen, v: &'a mut Value) -> &'a mut Value {
    let mut cur = v;
    for _ in 0..g.below(6) {
        let len = match &*cur {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 {
            break;
        }
        let k = g.below(len);
        cur = match cur {
            Value::Object(m) => m.values_mut().nth(k).unwrap(),
            Value::Array(a) => &mut a[k],
            _ => unreachable!(),
        };
    }
    cur
}

fn edit(g: &mut Gen, case: &mut Value) {
    let evil = [
        json!(0),
        json!(-1),
        json!(1),
        json!(2),
        json!(1e300),
        json!(-1e300),
        json!(1e-45),
        json!("inf"),
        json!("-inf"),
        json!("nan"),
        json!(1_000_000_000_000u64),
        json!(u64::MAX),
        json!(4_000_000_000u64),
        json!(null),
        json!(true),
        json!([]),
        json!({}),
        json!([[1, 2], [3]]),
        json!("Dense"),
    ];
    let node = random_node(g, case);
    if g.chance(5) {
        if let Value::Object(m) = node {
            if !m.is_empty() {
                let k = m.keys().nth(g.below(m.len())).unwrap().clone();
                m.remove(&k);
                return;
            }
        }
    }
    *node = evil[g.below(evil.len())].clone();
}

// Defects it found, each now refused with an error: a population too big
// for memory (allocator abort), dense weights / unbounded monitors /
// rewards sized by a huge `time` (grew to 24 GB), shape products and conv
// geometry that overflowed. `FUZZ_ITERS=1000000` runs a campaign.
#[test]
fn fuzz_case_reader() {
    let seeds = seeds();
    let texts: Vec<Vec<u8>> = seeds
        .iter()
        .map(|v| serde_json::to_vec(v).unwrap())
        .collect();
    let mut g = Gen::new(seed());
    let mut stats = Stats::default();
    for _ in 0..iterations(2_000) {
        let k = g.below(seeds.len());
        let input = if g.chance(4) {
            let mut t = texts[k].clone();
            for _ in 0..1 + g.below(4) {
                mutate_bytes(&mut g, &mut t);
            }
            t
        } else {
            let mut v = seeds[k].clone();
            for _ in 0..1 + g.below(3) {
                edit(&mut g, &mut v);
            }
            serde_json::to_vec(&v).unwrap()
        };
        check("case-json", &mut stats, &input, |b| {
            let v: Value = serde_json::from_slice(b).map_err(|e| e.to_string())?;
            match run_case(&v, "fuzz").outcome {
                Outcome::Pass => Ok(()),
                o => Err(format!("{o:?}")),
            }
        });
    }
    report("case-json", &stats);
}

/// The inputs that once crashed the reader (`tests/data/fuzz-regressions/`,
/// saved by the fuzzer): each must now be refused with an error or pass.
#[test]
fn former_crashes_are_refused_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut stats = Stats::default();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        check("case-json regression", &mut stats, &bytes, |b| {
            let v: Value = serde_json::from_slice(b).map_err(|e| e.to_string())?;
            match run_case(&v, "regression").outcome {
                Outcome::Pass => Ok(()),
                o => Err(format!("{o:?}")),
            }
        });
    }
    assert!(
        files >= 3,
        "regression corpus missing from {}",
        dir.display()
    );
}
