//! Long runs of a Diehl & Cook network (issue #17): resident memory flat
//! after warm-up, time per step flat, bounded monitors bounded. Both tests
//! are campaigns (ignored by default; `scripts/long-run-memory.sh` runs
//! them in a release build):
//!
//! * `LONG_RUNS` consecutive short runs (250 steps, learning on, state reset
//!   between, as in training), resident memory sampled after every run;
//! * one run of `LONG_STEPS` steps, resident memory and the steps done
//!   (`RunOptions::progress`) sampled every 50 ms by a second thread while
//!   it runs: the time per step in ten windows of the run.
//!
//! Resident memory is the process's `VmRSS`; nothing else runs in this
//! test binary (the two tests take a lock so that they never overlap).

#![cfg(target_os = "linux")]

use spikeflow::models::DiehlAndCook2015;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::Progress;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Diehl & Cook, 100 neurons, learning on, with a summed spike monitor and
/// a ring of the last 100 steps of `v` (both bounded whatever the length).
fn network() -> Network {
    let mut net = DiehlAndCook2015 {
        n_neurons: 100,
        inh: 120.0,
        seed: 1,
        ..Default::default()
    }
    .build()
    .unwrap();
    net.add_monitor("count", MonitorSpec::new("Ae", &["s"]).summed())
        .unwrap();
    net.add_monitor("ring", MonitorSpec::new("Ae", &["v", "s"]).capacity(100))
        .unwrap();
    net
}

/// Poisson spikes of a random image (up to 128 Hz, dt 1 ms).
fn image(steps: usize, seed: u64) -> SpikeRaster {
    let mut r = Rng::seed_from_u64(seed);
    let px: Vec<f32> = (0..784).map(|_| r.uniform_f32()).collect();
    let d = (0..steps * 784)
        .map(|k| r.uniform_f32() < 0.128 * px[k % 784])
        .collect();
    SpikeRaster::new(vec![steps, 1, 1, 28, 28], d).unwrap()
}

fn ring_is_bounded(net: &Network) {
    let v = net.monitor("ring").unwrap().get("v").unwrap();
    assert_eq!(v.shape()[0], 100, "the ring monitor grew: {:?}", v.shape());
}

#[test]
#[ignore = "campaign: scripts/long-run-memory.sh"]
fn consecutive_short_runs_keep_memory_and_time_per_step_flat() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let runs = env("LONG_RUNS", 20_000).max(100);
    let steps = 250;
    let images: Vec<SpikeRaster> = (0..16).map(|k| image(steps, k)).collect();
    let mut net = network();
    let warm = runs / 10;
    let windows = 10;
    let per_window = (runs - warm) / windows;
    let mut rss_after_warm = 0;
    let mut rss_max = 0;
    let mut window_ms = Vec::new();
    let mut t = Instant::now();
    for k in 0..runs {
        let x = &images[k % images.len()];
        net.run_inputs(&[("X", RunInput::from(x))], steps, &RunOptions::default())
            .unwrap();
        if k + 1 == runs {
            ring_is_bounded(&net);
        }
        net.reset_state();
        if k + 1 == warm {
            rss_after_warm = rss_kib();
            t = Instant::now();
        } else if k >= warm {
            rss_max = rss_max.max(rss_kib());
            if (k + 1 - warm) % per_window == 0 && window_ms.len() < windows {
                let us_per_step = t.elapsed().as_secs_f64() * 1e6 / (per_window * steps) as f64;
                window_ms.push(us_per_step);
                t = Instant::now();
            }
        }
    }
    let growth = rss_max as f64 / rss_after_warm as f64 - 1.0;
    let (first, last) = (window_ms[0], window_ms[window_ms.len() - 1]);
    println!(
        "LONG-RUNS runs={runs} steps_per_run={steps} rss_after_warmup_kib={rss_after_warm} \
         rss_max_kib={rss_max} growth={:.3}% us_per_step_windows={:?}",
        100.0 * growth,
        window_ms
            .iter()
            .map(|x| (x * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    assert!(
        growth <= 0.01,
        "resident memory grew by {:.2}%",
        100.0 * growth
    );
    // Time per step: the machine is shared, so only a trend is refused.
    assert!(
        last <= 1.5 * first,
        "time per step rose from {first:.2} to {last:.2} µs"
    );
}

#[test]
#[ignore = "campaign: scripts/long-run-memory.sh"]
fn one_long_run_keeps_memory_flat_and_monitors_bounded() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let steps = env("LONG_STEPS", 1_000_000);
    let mut net = network();
    // No input raster (10^7 steps of one would not fit): a constant drive
    // of the excitatory neurons and 20 always-spiking inputs, learning on.
    let n = 100;
    let progress = Progress::new();
    let options = RunOptions {
        progress: Some(progress.clone()),
        inject_v: vec![(
            "Ae".into(),
            Tensor::new(vec![n], (0..n).map(|j| 0.5 + 0.01 * j as f32).collect()).unwrap(),
        )],
        clamp: vec![("X".into(), Mask::Always((0..784).step_by(40).collect()))],
        ..Default::default()
    };
    // Warm-up: a short run of the same kind.
    net.run(&[], 1000, &options).unwrap();
    let before = rss_kib();
    let max = AtomicU64::new(before);
    let done = AtomicBool::new(false);
    // When the run passed each tenth of its steps (seconds since the start).
    let windows = 10;
    let marks = Mutex::new(vec![f64::NAN; windows]);
    let t = Instant::now();
    // Read before the sampling thread ends: joining it (not the run) added
    // 128 KiB of resident memory in one measurement.
    let mut after = 0;
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                max.fetch_max(rss_kib(), Ordering::Relaxed);
                let k = (progress.steps() as usize * windows / steps).min(windows);
                let mut m = marks.lock().unwrap();
                for mark in m[..k].iter_mut().filter(|x| x.is_nan()) {
                    *mark = t.elapsed().as_secs_f64();
                }
                drop(m);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        net.run(&[], steps, &options).unwrap();
        after = rss_kib();
        done.store(true, Ordering::Relaxed);
    });
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(progress.steps() as usize, steps);
    // Time per step in each window (the last one ends with the run).
    let mut marks = marks.into_inner().unwrap();
    marks[windows - 1] = secs;
    let per_window = (steps / windows) as f64;
    let us: Vec<f64> = (0..windows)
        .map(|k| {
            let start = if k == 0 { 0.0 } else { marks[k - 1] };
            (marks[k] - start) * 1e6 / per_window
        })
        .collect();
    let max = max.load(Ordering::Relaxed).max(after);
    ring_is_bounded(&net);
    let spikes: f32 = net
        .monitor("count")
        .unwrap()
        .get("s")
        .unwrap()
        .data()
        .iter()
        .sum();
    let growth = max as f64 / before as f64 - 1.0;
    let shown: Vec<String> = us.iter().map(|u| format!("{u:.2}")).collect();
    println!(
        "LONG-STEPS steps={steps} seconds={secs:.1} us_per_step={:.2} rss_before_kib={before} \
         rss_max_kib={max} growth={:.3}% ae_spikes={spikes} us_per_step_windows=[{}]",
        secs * 1e6 / steps as f64,
        100.0 * growth,
        shown.join(", ")
    );
    assert!(spikes > 0.0, "the network must spike");
    assert!(
        us.iter().all(|u| u.is_finite()),
        "a window was not sampled: {us:?}"
    );
    assert!(
        us[windows - 1] <= 1.5 * us[0],
        "the last tenth ran slower than the first: {us:?}"
    );
    assert!(
        growth <= 0.01,
        "resident memory grew by {:.2}%",
        100.0 * growth
    );
}
