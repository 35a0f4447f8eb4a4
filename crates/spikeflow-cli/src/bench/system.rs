//! What the JSON lines record about the machine a run measured on: the
//! load, the CPU model, the logical CPUs and the time (Linux `/proc`; other
//! systems get `NaN` / empty values).

/// The 1-minute load average, `NaN` where `/proc/loadavg` is missing.
pub(super) fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Seconds since the Unix epoch, to the millisecond.
pub(super) fn unix_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The CPU's model name from `/proc/cpuinfo`, empty where unknown.
pub(super) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split_once(':').map_or("", |x| x.1).trim().to_string())
        })
        .unwrap_or_default()
}

/// Logical CPUs available to the process, 0 where unknown.
pub(super) fn nproc() -> usize {
    std::thread::available_parallelism().map_or(0, |x| x.get())
}
