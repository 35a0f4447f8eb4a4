//! Refusing, before anything is allocated, what would not fit in memory: an
//! allocation larger than the machine makes the allocator abort the
//! process, which a library must never do on a user's input.

use crate::error::{Error, Result};

/// `Err` naming `object` and the bytes needed unless `elements ×
/// bytes_per_element` (`None`: the element count itself overflowed) fits in
/// the address space and in the machine's memory (`MemTotal` of
/// `/proc/meminfo`, where there is one).
pub(crate) fn check_fits(
    object: &str,
    what: &str,
    elements: Option<u128>,
    bytes_per_element: u128,
) -> Result<()> {
    let bytes = elements.and_then(|e| e.checked_mul(bytes_per_element));
    let total = memory_total();
    let too_big = match bytes {
        None => true,
        // Small requests (every run call checks its monitors) stop here.
        Some(b) if b <= SURELY_FITS => false,
        Some(b) => b > usize::MAX as u128 / 2 || total.is_some_and(|m| b > m),
    };
    if too_big {
        return Err(Error::param(
            object,
            format!(
                "{what} needs about {} bytes, more than this machine's memory ({}); refused before allocating",
                bytes.map_or_else(|| "more than 2^128".to_string(), |b| b.to_string()),
                total.map_or_else(|| "unknown".to_string(), |m| format!("{m} bytes")),
            ),
        ));
    }
    Ok(())
}

/// Requests up to this size are not compared with the machine's memory.
const SURELY_FITS: u128 = 1 << 30;

/// The product of `dims` as a `u128`, `None` if even that overflows.
pub(crate) fn product(dims: &[usize]) -> Option<u128> {
    dims.iter()
        .try_fold(1u128, |a, &d| a.checked_mul(d as u128))
}

/// Total physical memory in bytes (`/proc/meminfo`, read once), if known.
fn memory_total() -> Option<u128> {
    static TOTAL: std::sync::OnceLock<Option<u128>> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    })
}
