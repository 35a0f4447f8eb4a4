//! The all-gather between threads of one process ([`local_cluster`]): for
//! tests, for trying a partition without MPI, and for the paper model cut
//! over the cores (`PaperParts`), where it runs once per 0.5 ms step and its
//! own cost counts.
//!
//! Each rank owns a slot per call parity, on cache lines of its own: the
//! last call it published there, the number of values and the values
//! (inline when they fit, as relaxed atomics, which compile to plain loads
//! and stores), in that order, so that a short message shares the line of
//! the count the others wait on. A call writes the rank's slot, publishes
//! it, and reads each other rank's slot once that rank has published the
//! same call. Nothing is written by two ranks (no lock, no shared counter):
//! with two ranks on two cores a call costs the few hundred nanoseconds the
//! lines take to cross (0.56 µs with a shared counter and a lock per slot,
//! 0.29 with a count per rank, 0.21 with the count beside the values).
//!
//! Two parities suffice: a rank writes call `g + 2`'s slot only after every
//! other rank has published call `g + 1`, which each does only after
//! reading call `g`'s slots.

use super::exchange::Exchange;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a rank spins for the others before it sleeps. A network step
/// exchanges once: ranks on cores of their own arrive within microseconds
/// of each other, and a sleep and wake-up (a futex round trip, ~5–10 µs on
/// a VM) would cost more than the step's work at a few thousand neurons
/// per rank.
const SPIN: Duration = Duration::from_micros(50);

/// A sleeping rank wakes this often to count the time it waited (see
/// `LocalExchange::wait_for`).
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Values a slot holds inline; more go through its spill vector (a lock).
/// A paper-model step sends a few dozen words.
const INLINE: usize = 252;

/// How long a rank waits for the others in one all-gather before it gives
/// up (panics).
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(60);

/// `ranks` exchanges for threads of one process, one per rank: run each
/// rank's part on its own thread. Every thread must call the collective
/// the same number of times (as MPI ranks must); a rank that waits more
/// than [`LOCAL_TIMEOUT`] for the others (one stopped early, or the ranks
/// diverged) panics with that message rather than waiting for ever.
///
/// ```
/// use spikeflow::distributed::{local_cluster, Exchange};
/// let handles: Vec<_> = local_cluster(3)
///     .into_iter()
///     .map(|mut x| {
///         std::thread::spawn(move || {
///             let (mut out, mut counts) = (Vec::new(), Vec::new());
///             let mine = vec![x.rank() as u32; x.rank()];
///             x.all_gather(&mine, &mut out, &mut counts);
///             (out, counts)
///         })
///     })
///     .collect();
/// for h in handles {
///     assert_eq!(h.join().unwrap(), (vec![1, 2, 2], vec![0, 1, 2]));
/// }
/// ```
pub fn local_cluster(ranks: usize) -> Vec<LocalExchange> {
    let slots = || (0..ranks).map(|_| Slot::default()).collect();
    let shared = Arc::new(Shared {
        slots: [slots(), slots()],
        sleepers: AtomicUsize::new(0),
        sleep: Mutex::new(()),
        wake: Condvar::new(),
    });
    (0..ranks)
        .map(|rank| LocalExchange {
            rank,
            ranks,
            calls: 0,
            shared: Arc::clone(&shared),
        })
        .collect()
}

/// One rank of a [`local_cluster`].
pub struct LocalExchange {
    rank: usize,
    ranks: usize,
    /// All-gathers this rank has entered.
    calls: u64,
    shared: Arc<Shared>,
}

/// One rank's values of one call parity.
#[repr(C, align(128))]
struct Slot {
    /// The calls this rank had made when it published these values: call
    /// `g`'s are readable once this is `g + 1` (Acquire).
    published: AtomicU64,
    len: AtomicU32,
    inline: [AtomicU32; INLINE],
    /// The values when there are more than [`INLINE`].
    spill: Mutex<Vec<u32>>,
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            published: AtomicU64::new(0),
            len: AtomicU32::new(0),
            inline: std::array::from_fn(|_| AtomicU32::new(0)),
            spill: Mutex::new(Vec::new()),
        }
    }
}

struct Shared {
    /// `[parity][rank]`.
    slots: [Vec<Slot>; 2],
    /// Ranks asleep (or about to sleep) on `wake`; written only when a rank
    /// sleeps, so reading it costs a publisher nothing.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
}

impl std::fmt::Debug for LocalExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalExchange")
            .field("rank", &self.rank)
            .field("ranks", &self.ranks)
            .field("calls", &self.calls)
            .finish()
    }
}

impl Slot {
    /// Writes `values` and publishes them as call `calls − 1`'s.
    fn publish(&self, values: &[u32], calls: u64) {
        if values.len() <= INLINE {
            for (a, &v) in self.inline.iter().zip(values) {
                a.store(v, Ordering::Relaxed);
            }
        } else {
            let mut spill = self.spill.lock().unwrap_or_else(|e| e.into_inner());
            spill.clear();
            spill.extend_from_slice(values);
        }
        // Above INLINE only "spilled" matters: the spill holds the length.
        let len = u32::try_from(values.len()).unwrap_or(u32::MAX);
        self.len.store(len, Ordering::Relaxed);
        // Release for the values; SeqCst against a rank that counts itself
        // among the sleepers and then looks at the counts (see `wait_for`).
        self.published.store(calls, Ordering::SeqCst);
    }

    fn read_into(&self, out: &mut Vec<u32>) -> usize {
        let len = self.len.load(Ordering::Relaxed) as usize;
        if len <= INLINE {
            out.extend(self.inline[..len].iter().map(|a| a.load(Ordering::Relaxed)));
            len
        } else {
            let spill = self.spill.lock().unwrap_or_else(|e| e.into_inner());
            out.extend_from_slice(&spill);
            spill.len()
        }
    }
}

impl Exchange for LocalExchange {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.ranks
    }
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>) {
        let shared = &*self.shared;
        let parity = (self.calls % 2) as usize;
        self.calls += 1;
        shared.slots[parity][self.rank].publish(local, self.calls);
        if shared.sleepers.load(Ordering::SeqCst) > 0 {
            let _guard = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
            shared.wake.notify_all();
        }
        self.wait_for(self.calls);
        out.clear();
        counts.clear();
        for slot in &shared.slots[parity] {
            counts.push(slot.read_into(out));
        }
    }
}

impl LocalExchange {
    /// Whether every rank has published `call` (Acquire: their values are
    /// then visible).
    fn all_published(&self, call: u64, order: Ordering) -> bool {
        let parity = ((call - 1) % 2) as usize;
        self.shared.slots[parity]
            .iter()
            .all(|s| s.published.load(order) >= call)
    }

    /// Waits until every rank has published `call`: spins for [`SPIN`],
    /// then sleeps; panics after [`LOCAL_TIMEOUT`] of waiting (time the
    /// process was suspended does not count).
    fn wait_for(&self, call: u64) {
        let shared = &*self.shared;
        let start = Instant::now();
        let mut spins = 0u32;
        while !self.all_published(call, Ordering::Acquire) {
            std::hint::spin_loop();
            spins += 1;
            if spins % 64 == 0 && start.elapsed() > SPIN {
                break;
            }
        }
        if self.all_published(call, Ordering::Acquire) {
            return;
        }
        let mut guard = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
        // Counted before the next look at the counts (both SeqCst): a rank
        // publishing after that look sees the count and wakes us.
        shared.sleepers.fetch_add(1, Ordering::SeqCst);
        // The time waited counts in slices, each at most twice its length:
        // a process suspended (Ctrl-Z, SIGSTOP) for longer than the timeout
        // goes on when it is continued instead of giving up.
        let mut waited = start.elapsed().min(2 * SPIN);
        while !self.all_published(call, Ordering::SeqCst) {
            if waited >= LOCAL_TIMEOUT {
                shared.sleepers.fetch_sub(1, Ordering::SeqCst);
                drop(guard);
                panic!(
                    "rank {} of a local cluster waited {} s for the other ranks' all-gather: \
                     a rank stopped early or the ranks diverged",
                    self.rank,
                    LOCAL_TIMEOUT.as_secs()
                );
            }
            let slice = WAIT_SLICE.min(LOCAL_TIMEOUT - waited);
            let t = Instant::now();
            guard = shared
                .wake
                .wait_timeout(guard, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            waited += t.elapsed().min(2 * slice);
        }
        shared.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many rounds with one rank late by more than the spin (the others
    /// sleep and are woken) or not at all, values of every length (inline
    /// and spilled): each round gathers that round's values.
    #[test]
    fn rounds_gather_their_own_values_when_ranks_spin_or_sleep() {
        let handles: Vec<_> = local_cluster(3)
            .into_iter()
            .map(|mut x| {
                std::thread::spawn(move || {
                    let (mut out, mut counts) = (Vec::new(), Vec::new());
                    let len = |r: usize, round: u32| match round % 3 {
                        0 => r,
                        1 => INLINE - 1 + r, // around the inline size
                        _ => 3 * INLINE + r,
                    };
                    for round in 0..60u32 {
                        if x.rank() == (round as usize) % 3 && round % 4 == 0 {
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        let mine = vec![round * 10 + x.rank() as u32; len(x.rank(), round)];
                        x.all_gather(&mine, &mut out, &mut counts);
                        let want: Vec<u32> = (0..3)
                            .flat_map(|r| vec![round * 10 + r as u32; len(r, round)])
                            .collect();
                        assert_eq!(out, want, "round {round}");
                        let lens: Vec<usize> = (0..3).map(|r| len(r, round)).collect();
                        assert_eq!(counts, lens, "round {round}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
