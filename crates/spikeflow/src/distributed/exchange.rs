//! How the processes of a distributed network talk: one collective, the
//! all-gather, behind a trait, so that the engine is the same over MPI
//! ([`MpiExchange`](super::MpiExchange), feature `mpi`), over threads of
//! one process ([`local_cluster`], for tests and for trying a partition
//! without MPI) and alone ([`Solo`]).

use std::sync::atomic::{AtomicU64, Ordering};
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
    let shared = Arc::new(LocalShared {
        round: Mutex::new(Round {
            slots: vec![Vec::new(); ranks],
            arrived: 0,
            generation: 0,
            sleepers: 0,
            result: Arc::new(Vec::new()),
        }),
        done: Condvar::new(),
        generation: AtomicU64::new(0),
    });
    (0..ranks)
        .map(|rank| LocalExchange {
            rank,
            ranks,
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

/// One rank of a [`local_cluster`].
#[derive(Debug)]
pub struct LocalExchange {
    rank: usize,
    ranks: usize,
    shared: Arc<LocalShared>,
}

#[derive(Debug)]
struct LocalShared {
    round: Mutex<Round>,
    done: Condvar,
    /// `Round::generation`, readable without the lock (for spinning).
    generation: AtomicU64,
}

/// The all-gather in progress: the slots written so far; the last rank to
/// arrive moves them into `result` and starts the next generation.
#[derive(Debug)]
struct Round {
    slots: Vec<Vec<u32>>,
    arrived: usize,
    generation: u64,
    /// Ranks waiting on the condition variable (the last to arrive wakes
    /// them only if there are any).
    sleepers: usize,
    result: Arc<Vec<Vec<u32>>>,
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
        let mut round = shared.round.lock().unwrap_or_else(|e| e.into_inner());
        round.slots[self.rank] = local.to_vec();
        round.arrived += 1;
        let generation = round.generation;
        if round.arrived == self.ranks {
            let slots = std::mem::replace(&mut round.slots, vec![Vec::new(); self.ranks]);
            round.result = Arc::new(slots);
            round.arrived = 0;
            round.generation += 1;
            shared.generation.store(round.generation, Ordering::Release);
            if round.sleepers > 0 {
                shared.done.notify_all();
            }
        } else {
            drop(round);
            let start = Instant::now();
            let mut spins = 0u32;
            while shared.generation.load(Ordering::Acquire) == generation {
                std::hint::spin_loop();
                spins += 1;
                if spins % 64 == 0 && start.elapsed() > SPIN {
                    break;
                }
            }
            round = shared.round.lock().unwrap_or_else(|e| e.into_inner());
            if round.generation == generation {
                round.sleepers += 1;
                let (r, timeout) = shared
                    .done
                    .wait_timeout_while(round, LOCAL_TIMEOUT, |r| r.generation == generation)
                    .unwrap_or_else(|e| e.into_inner());
                round = r;
                round.sleepers -= 1;
                if timeout.timed_out() {
                    panic!(
                        "rank {} of a local cluster waited {} s for the other ranks' all-gather: \
                         a rank stopped early or the ranks diverged",
                        self.rank,
                        LOCAL_TIMEOUT.as_secs()
                    );
                }
            }
        }
        let result = Arc::clone(&round.result);
        drop(round);
        out.clear();
        counts.clear();
        for s in result.iter() {
            out.extend_from_slice(s);
            counts.push(s.len());
        }
    }
}
