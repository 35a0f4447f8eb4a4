//! The output of `spikeflow bench`: one JSON line per repetition on stdout
//! (WORKLOADS.md §5 fields), a per-phase profile, medians.

use super::system::unix_time;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Prints one JSON line, stamped with the time.
pub(super) fn emit(mut rec: Map<String, Value>) {
    rec.insert("unix_time".into(), json!(unix_time()));
    println!("{}", Value::Object(rec));
}

/// Per-phase seconds of a profile (`Network::profile`), as JSON.
pub(super) fn profile_json(phases: &[(&str, Duration)]) -> Value {
    let mut m = Map::new();
    let mut total = 0.0;
    for &(name, d) in phases {
        m.insert(format!("{name}_s"), json!(d.as_secs_f64()));
        total += d.as_secs_f64();
    }
    m.insert("total_s".into(), json!(total));
    Value::Object(m)
}

/// One stderr line of a profile: milliseconds and share per phase (the
/// exchange only where processes exchanged spikes).
pub(super) fn profile_line(label: &str, phases: &[(&str, Duration)]) {
    let total = phases
        .iter()
        .map(|(_, d)| d.as_secs_f64())
        .sum::<f64>()
        .max(1e-12);
    let mut s = format!("[profile] {label}:");
    for &(name, d) in phases {
        if name == "exchange" && d.is_zero() {
            continue;
        }
        let v = d.as_secs_f64();
        s += &format!(" {name} {:.2} ms ({:.0} %)", v * 1e3, 100.0 * v / total);
    }
    eprintln!("{s}");
}

/// The median (mean of the middle two for an even count; `NaN` if empty).
pub(super) fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len();
    if m == 0 {
        f64::NAN
    } else if m % 2 == 1 {
        v[m / 2]
    } else {
        0.5 * (v[m / 2 - 1] + v[m / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
