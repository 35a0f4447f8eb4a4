//! How the processes of a distributed network talk: one collective, the
//! all-gather, behind a trait, so that the engine is the same over MPI
//! ([`MpiExchange`](super::MpiExchange), feature `mpi`), over threads of
//! one process ([`local_cluster`](super::local_cluster), for tests and for trying a partition
//! without MPI) and alone ([`Solo`]).

/// The collective a distributed network needs. Every process calls it at
/// the same point of the run (once per exchange interval when any
/// connection leaves a population), in the same order.
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
