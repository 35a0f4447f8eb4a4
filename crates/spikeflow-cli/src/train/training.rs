//! BindsNET's `eth_mnist.py` training loop: every image with learning on;
//! every `--update-interval` images the running accuracy (with the previous
//! assignments) and new class rates (α = 1, carried over); checkpoints
//! every `--checkpoint-every` images.

use super::data::epoch_order;
use super::output::{bar_style, pct};
use super::readout::{accuracy, assignment_from_rates};
use super::state::{save_checkpoint, Point, RunInfo, State};
use super::N_LABELS;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget};
use spikeflow::datasets::{Dataset, Split};
use spikeflow::evaluation::{all_activity, assign_labels, proportion_weighting};
use spikeflow::models::Presenter;
use std::path::Path;
use std::time::Instant;

/// How the loop runs (besides the run's parameters).
pub(super) struct LoopOptions<'a> {
    pub n: usize,
    pub per_epoch: usize,
    pub tty: bool,
    pub quiet: bool,
    pub throttle_ms: u64,
    pub ck_dir: &'a Path,
    /// Images already seen when this process started (resume).
    pub start_seen: u64,
}

/// Trains from `st` to the end of the last epoch, then folds the last
/// partial interval into the rates.
pub(super) fn train(
    info: &RunInfo<'_>,
    o: &LoopOptions<'_>,
    train: &Split<'_>,
    presenter: &mut dyn Presenter,
    st: &mut State,
) -> Result<()> {
    let params = info.params;
    let spec = &params.spec;
    let (n, per_epoch, total) = (o.n, o.per_epoch, info.total);
    let b = spec.batch;
    let window_start = total.saturating_sub(params.logreg_window as u64);
    let bar = if o.tty {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(bar_style(true));
    bar.set_prefix("train");
    bar.set_position(st.seen);
    if let Some(p) = st.history.last() {
        bar.set_message(format!("acc {} (last interval)", pct(p.all_activity)));
    }
    let mut next_log = st.seen + (total / 20).max(1);

    let px = train.image_len();
    let mut images = vec![0.0f32; b * px];
    let mut labels = vec![0u8; b];
    let mut t_last = Instant::now();
    let started = Instant::now();
    // A run given more epochs than it started with moves its regression
    // window to the new end: keep only what a run started with them holds.
    let keep = (st.seen.saturating_sub(window_start) as usize).min(st.window_labels.len());
    let stale = st.window_labels.len() - keep;
    st.window_labels.drain(..stale);
    st.window_counts.drain(..stale * n);
    let mut next_ck = if params.checkpoint_every > 0 {
        (st.seen / params.checkpoint_every as u64 + 1) * params.checkpoint_every as u64
    } else {
        u64::MAX
    };
    while st.epoch < params.epochs {
        let order = epoch_order(train.len(), spec.seed, st.epoch, params.order);
        while st.pos < per_epoch {
            for r in 0..b {
                let i = order[st.pos + r];
                train.image_f32_into(i, &mut images[r * px..(r + 1) * px]);
                labels[r] = train.label(i);
            }
            let counts = presenter.present(&images, true)?;
            st.train_spikes += counts.iter().map(|&c| f64::from(c)).sum::<f64>();
            for r in 0..b {
                let row = &counts[r * n..(r + 1) * n];
                st.interval_counts.extend_from_slice(row);
                st.interval_labels.push(labels[r]);
                if st.seen + r as u64 >= window_start {
                    st.window_counts.extend_from_slice(row);
                    st.window_labels.push(labels[r]);
                }
            }
            st.pos += b;
            st.seen += b as u64;
            if st.interval_labels.len() >= params.update_interval {
                update(st, n)?;
                if let Some(p) = st.history.last() {
                    bar.set_message(format!(
                        "acc {} (last {}, all-activity)",
                        pct(p.all_activity),
                        params.update_interval
                    ));
                }
            }
            bar.set_position(st.seen);
            let now = Instant::now();
            st.train_seconds += (now - t_last).as_secs_f64();
            t_last = now;
            if !o.tty && !o.quiet && st.seen >= next_log {
                next_log += (total / 20).max(1);
                let acc = st
                    .history
                    .last()
                    .map(|p| format!(", running accuracy {}", pct(p.all_activity)))
                    .unwrap_or_default();
                eprintln!(
                    "  {}/{total} images, {:.1} images/s{acc}",
                    st.seen,
                    (st.seen - o.start_seen) as f64 / started.elapsed().as_secs_f64().max(1e-9)
                );
            }
            if o.throttle_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(o.throttle_ms));
            }
            // Every K images, and at each epoch's end (the last one's too:
            // a finished run trains on for more epochs from it).
            let boundary = st.pos >= per_epoch;
            let due = st.seen >= next_ck || (boundary && params.checkpoint_every > 0);
            if due {
                let every = params.checkpoint_every as u64;
                next_ck = (st.seen / every + 1) * every;
                // At an epoch's end, record the boundary as the next
                // epoch's start.
                if boundary {
                    st.epoch += 1;
                    st.pos = 0;
                }
                presenter.sync()?;
                let meta = info.meta(st, presenter, false);
                save_checkpoint(o.ck_dir, &meta, st, presenter, per_epoch)?;
                if boundary {
                    st.epoch -= 1;
                    st.pos = per_epoch;
                }
                t_last = Instant::now();
            }
        }
        st.epoch += 1;
        st.pos = 0;
    }
    presenter.sync()?;
    if !st.interval_labels.is_empty() {
        update(st, n)?;
    }
    bar.finish_and_clear();
    Ok(())
}

/// End of an update interval: running accuracy with the previous
/// assignments, then new class rates.
fn update(st: &mut State, n: usize) -> Result<()> {
    let m = st.interval_labels.len();
    if let Some(r) = &st.rates {
        let a = assignment_from_rates(r, n)?;
        let aa = all_activity(&st.interval_counts, m, n, &a.assignments, N_LABELS)?;
        let pw = proportion_weighting(
            &st.interval_counts,
            m,
            n,
            &a.assignments,
            &a.proportions,
            N_LABELS,
        )?;
        st.history.push(Point {
            samples: st.seen,
            all_activity: accuracy(&aa, &st.interval_labels),
            proportion_weighting: accuracy(&pw, &st.interval_labels),
        });
    }
    let a = assign_labels(
        &st.interval_counts,
        m,
        n,
        &st.interval_labels,
        N_LABELS,
        st.rates.as_deref(),
        1.0,
    )?;
    st.rates = Some(a.rates);
    st.interval_counts.clear();
    st.interval_labels.clear();
    Ok(())
}
