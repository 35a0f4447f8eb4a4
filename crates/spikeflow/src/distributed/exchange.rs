//! How the processes of a distributed network talk: one collective, the
//! all-gather, behind a trait, so that the engine is the same over MPI
//! ([`MpiExchange`](super::MpiExchange), feature `mpi`), over threads of
//! one process ([`local_cluster`], for tests and for trying a partition
//! without MPI) and alone ([`Solo`]).

use std::sync::{Arc, Barrier, Mutex};

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
/// the same number of times (as MPI ranks must); a thread that stops early
/// leaves the others waiting.
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
        barrier: Barrier::new(ranks),
        slots: Mutex::new(vec![Vec::new(); ranks]),
    });
    (0..ranks)
        .map(|rank| LocalExchange {
            rank,
            ranks,
            shared: Arc::clone(&shared),
        })
        .collect()
}

/// One rank of a [`local_cluster`].
#[derive(Debug)]
pub struct LocalExchange {
    rank: usize,
    ranks: usize,
    shared: Arc<LocalShared>,
}

#[derive(Debug)]
struct LocalShared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<u32>>>,
}

impl Exchange for LocalExchange {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.ranks
    }
    fn all_gather(&mut self, local: &[u32], out: &mut Vec<u32>, counts: &mut Vec<usize>) {
        {
            let mut slots = self.shared.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots[self.rank].clear();
            slots[self.rank].extend_from_slice(local);
        }
        // Everyone has written before anyone reads …
        self.shared.barrier.wait();
        {
            let slots = self.shared.slots.lock().unwrap_or_else(|e| e.into_inner());
            out.clear();
            counts.clear();
            for s in slots.iter() {
                out.extend_from_slice(s);
                counts.push(s.len());
            }
        }
        // … and everyone has read before anyone writes the next round.
        self.shared.barrier.wait();
    }
}
