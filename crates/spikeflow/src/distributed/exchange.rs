//! How the processes of a distributed network talk: one collective, the
//! all-gather, behind a trait, so that the engine is the same over MPI
//! ([`MpiExchange`](super::MpiExchange), feature `mpi`), over threads of
//! one process ([`local_cluster`], for tests and for trying a partition
//! without MPI) and alone ([`Solo`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The collective a distributed network needs. Every process calls it at
/// the same point of the run (once per step when any connection leaves a
/// population), in the same order.
pub trait Exchange: Send {
    /// This process's number, `0 ≤ rank < ranks`.
    fn rank(&self) -> usize;
    /// How many processes run the network.
    fn ranks(&self) -> usize;
    /// Every process's `local`, concatenated in rank order into `out`, and
    /// their lengths into `counts` (one per rank).
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>);
}

impl Exchange for Box<dyn Exchange> {
    fn rank(&self) -> usize {
        self.as_ref().rank()
    }
    fn ranks(&self) -> usize {
        self.as_ref().ranks()
    }
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>) {
        self.as_mut().all_gather(local, out, counts);
    }
}

/// One process alone: the all-gather is a copy.
#[derive(Debug, Default, Clone, Copy)]
pub struct Solo;

impl Exchange for Solo {
    fn rank(&self) -> usize {
        0
    }
    fn ranks(&self) -> usize {
        1
    }
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(local);
        counts.clear();
        counts.push(local.len());
    }
}

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
    let slots = || (0..ranks).map(|_| Mutex::new(Vec::new())).collect();
    let shared = Arc::new(LocalShared {
        slots: [slots(), slots()],
        arrived: AtomicU64::new(0),
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

/// How long a rank of a [`local_cluster`] waits for the others in one
/// all-gather before it gives up (panics).
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a rank of a [`local_cluster`] spins for the others before it
/// sleeps. A network step exchanges once: ranks on cores of their own
/// arrive within microseconds of each other, and a sleep and wake-up
/// (a futex round trip, ~5–10 µs on a VM) would cost more than the step's
/// work at a few thousand neurons per rank.
const SPIN: Duration = Duration::from_micros(50);

/// A sleeping rank of a [`local_cluster`] wakes this often to count the
/// time it waited (see `LocalExchange::wait_for`).
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// One rank of a [`local_cluster`].
#[derive(Debug)]
pub struct LocalExchange {
    rank: usize,
    ranks: usize,
    /// All-gathers this rank has entered.
    calls: u64,
    shared: Arc<LocalShared>,
}

/// What the ranks of a [`local_cluster`] share. Call `g` of every rank
/// writes its values into `slots[g % 2][rank]` and counts itself in
/// `arrived`; it is complete when `arrived` reaches `ranks · (g + 1)`, and
/// then each rank reads every slot of its parity. Two parities suffice: a
/// rank writes call `g + 2`'s slot only after every rank has arrived at
/// call `g + 1`, i.e. after every rank has read call `g`'s slots.
#[derive(Debug)]
struct LocalShared {
    slots: [Vec<Mutex<Vec<u32>>>; 2],
    arrived: AtomicU64,
    /// Ranks asleep (or about to sleep) on `wake`.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
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
        {
            let mut slot = shared.slots[parity][self.rank]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            slot.clear();
            slot.extend_from_slice(local);
        }
        let complete = self.ranks as u64 * self.calls;
        let now = shared.arrived.fetch_add(1, Ordering::SeqCst) + 1;
        if now == complete {
            if shared.sleepers.load(Ordering::SeqCst) > 0 {
                let _guard = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
                shared.wake.notify_all();
            }
        } else {
            self.wait_for(complete);
        }
        out.clear();
        counts.clear();
        for slot in &shared.slots[parity] {
            let values = slot.lock().unwrap_or_else(|e| e.into_inner());
            out.extend_from_slice(&values);
            counts.push(values.len());
        }
    }
}

impl LocalExchange {
    /// Waits until `arrived` reaches `complete`: spins for [`SPIN`], then
    /// sleeps; panics after [`LOCAL_TIMEOUT`] of waiting (time the process
    /// was suspended does not count).
    fn wait_for(&self, complete: u64) {
        let shared = &*self.shared;
        let start = Instant::now();
        let mut spins = 0u32;
        while shared.arrived.load(Ordering::Acquire) < complete {
            std::hint::spin_loop();
            spins += 1;
            if spins % 64 == 0 && start.elapsed() > SPIN {
                break;
            }
        }
        if shared.arrived.load(Ordering::Acquire) >= complete {
            return;
        }
        let mut guard = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
        // Counted before the last look at `arrived` (both SeqCst): the last
        // rank to arrive either sees the count and wakes us, or arrived
        // before that look.
        shared.sleepers.fetch_add(1, Ordering::SeqCst);
        // The time waited counts in slices, each at most twice its length:
        // a process suspended (Ctrl-Z, SIGSTOP) for longer than the timeout
        // goes on when it is continued instead of giving up.
        let mut waited = start.elapsed().min(2 * SPIN);
        while shared.arrived.load(Ordering::SeqCst) < complete {
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
    /// sleep and are woken) or not at all, values of every length: each
    /// round gathers that round's values.
    #[test]
    fn rounds_gather_their_own_values_when_ranks_spin_or_sleep() {
        let handles: Vec<_> = local_cluster(3)
            .into_iter()
            .map(|mut x| {
                std::thread::spawn(move || {
                    let (mut out, mut counts) = (Vec::new(), Vec::new());
                    for round in 0..40u32 {
                        if x.rank() == (round as usize) % 3 && round % 4 == 0 {
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        let mine =
                            vec![round * 10 + x.rank() as u32; x.rank() + round as usize % 2];
                        x.all_gather(&mine, &mut out, &mut counts);
                        let want: Vec<u32> = (0..3)
                            .flat_map(|r| vec![round * 10 + r as u32; r + round as usize % 2])
                            .collect();
                        assert_eq!(out, want, "round {round}");
                        let lens: Vec<usize> = (0..3).map(|r| r + round as usize % 2).collect();
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
