//! A small seeded, structure-aware mutator shared by the `fuzz_*` tests
//! (also included by `spikeflow-cli`'s tests through `#[path]`). No
//! dependency: a xorshift generator, byte-level mutations (bit flips, byte
//! insert / delete / overwrite, truncation, splices, "interesting" values
//! such as 0, 0xff, u32::MAX, 10^12 written at random offsets) and
//! caller-supplied structure-aware edits (header fields, JSON values).
//!
//! The number of inputs per parser is `FUZZ_ITERS` (default: the value the
//! test passes, ~10^4, so `cargo test` stays fast); `FUZZ_SEED` picks the
//! seed. Every input runs under `catch_unwind` and is timed: a panic or an
//! input slower than `FUZZ_SLOW_MS` (default 1000) fails the test and
//! writes the input to `target/fuzz-crashes/` for the regression corpus.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// xorshift64* — deterministic, seeded.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Values that break parsers: limits, 10^12, off-by-ones.
pub const INTERESTING_U64: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    8,
    0x7f,
    0x80,
    0xff,
    0x100,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1_000_000_000_000,
    u64::MAX / 2,
    u64::MAX - 7,
    u64::MAX,
];

/// One random byte-level mutation of `data`, in place.
pub fn mutate_bytes(g: &mut Gen, data: &mut Vec<u8>) {
    let len = data.len();
    match g.below(9) {
        0 if len > 0 => {
            let i = g.below(len);
            data[i] ^= 1 << g.below(8);
        }
        1 if len > 0 => {
            let i = g.below(len);
            data[i] = g.next() as u8;
        }
        2 => {
            let i = g.below(len + 1);
            let n = 1 + g.below(8);
            for _ in 0..n {
                data.insert(i, g.next() as u8);
            }
        }
        3 if len > 0 => {
            let i = g.below(len);
            let n = (1 + g.below(16)).min(len - i);
            data.drain(i..i + n);
        }
        4 => data.truncate(g.below(len + 1)),
        5 if len > 0 => {
            // An interesting value, big or little endian, 1/2/4/8 bytes wide.
            let v = INTERESTING_U64[g.below(INTERESTING_U64.len())];
            let w = [1usize, 2, 4, 8][g.below(4)];
            let bytes = if g.chance(2) {
                v.to_be_bytes()[8 - w..].to_vec()
            } else {
                v.to_le_bytes()[..w].to_vec()
            };
            let i = g.below(len);
            for (k, b) in bytes.into_iter().enumerate() {
                if i + k < data.len() {
                    data[i + k] = b;
                }
            }
        }
        6 if len > 1 => {
            // Duplicate a chunk somewhere else.
            let a = g.below(len);
            let n = (1 + g.below(64)).min(len - a);
            let chunk = data[a..a + n].to_vec();
            let at = g.below(data.len() + 1);
            data.splice(at..at, chunk);
        }
        7 if len > 0 => {
            // Flip a run of bits.
            let i = g.below(len);
            let n = (1 + g.below(4)).min(len - i);
            for b in &mut data[i..i + n] {
                *b = !*b;
            }
        }
        _ => {
            let i = g.below(len + 1);
            data.insert(i, [0u8, 0xff, b'"', b'{', b'[', b'-', b'9'][g.below(7)]);
        }
    }
}

/// Counts of a campaign.
#[derive(Default, Debug)]
pub struct Stats {
    pub inputs: u64,
    pub ok: u64,
    pub err: u64,
    pub slowest: Duration,
}

/// How many inputs a fuzz test runs: `FUZZ_ITERS` or `default`.
pub fn iterations(default: u64) -> u64 {
    std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed)
}

fn slow_limit() -> Duration {
    Duration::from_millis(
        std::env::var("FUZZ_SLOW_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1000),
    )
}

/// Runs `parse` on `input` under `catch_unwind` with a time limit; records
/// the outcome in `stats`. On a panic or a slow input, saves the input to
/// `target/fuzz-crashes/<target>-<n>.bin` and panics with the reason.
pub fn check<T, E>(
    target: &str,
    stats: &mut Stats,
    input: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) {
    stats.inputs += 1;
    let t = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| parse(input)));
    let dt = t.elapsed();
    stats.slowest = stats.slowest.max(dt);
    let failure = match r {
        Ok(Ok(_)) => {
            stats.ok += 1;
            None
        }
        Ok(Err(_)) => {
            stats.err += 1;
            None
        }
        Err(p) => Some(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    };
    let failure = failure.or_else(|| (dt > slow_limit()).then(|| format!("slow input: {dt:?}")));
    if let Some(why) = failure {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-crashes");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{target}-{}.bin", stats.inputs));
        let _ = std::fs::write(&file, input);
        panic!(
            "{target}: input #{} ({} bytes, saved to {}): {why}",
            stats.inputs,
            input.len(),
            file.display()
        );
    }
}

/// Prints a campaign's one-line summary (the scripts collect these lines).
pub fn report(target: &str, stats: &Stats) {
    eprintln!(
        "FUZZ {target}: {} inputs, {} accepted, {} refused with an error, 0 panics, slowest {:?}",
        stats.inputs, stats.ok, stats.err, stats.slowest
    );
}
