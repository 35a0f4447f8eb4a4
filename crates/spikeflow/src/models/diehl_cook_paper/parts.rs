//! [`PaperParts`]: the paper's network and protocol cut over threads of
//! one process.

use super::presenter::{counter, Protocol, Stage, COUNTS, INPUT_CONN};
use super::DiehlCookPaper;
use crate::distributed::{local_cluster, DistributedNetwork, LocalExchange};
use crate::error::{Error, Result};
use crate::network::{RunInput, RunOptions, Snapshot};
use crate::rng::Rng;
use crate::{SpikeRaster, Tensor};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The paper's network and protocol cut over threads of one process, so
/// that every core works on one training image.
///
/// One image at a time, batch 1, leaves nothing to share between cores
/// but the network itself. Forking every phase of a step over a thread
/// pool costs more than the phases at a few thousand neurons, and moves
/// the arrays between the cores' caches. Here each thread owns a part of
/// the network for the whole run, as a process of a
/// [distributed](crate::distributed) network does: its block of `Ae` and
/// `Ai`, the input synapses onto its `Ae` block with their delays and
/// learning state, and its inhibition. The parts meet once per step, to
/// exchange that step's input and `Ai` spikes; every part runs the same
/// protocol (the same Poisson draws, the same normalisation of its own
/// columns, the same decision to show an image again, from the whole
/// population's counts), so the spikes, weights and presentations are
/// those of one [`PaperPresenter`](super::PaperPresenter), bit for bit.
///
/// Give it at most one part per core: the parts wait for each other every
/// step, spinning for a moment first, so parts sharing a core (or a core
/// busy with other work) slow every step down. It pays from about 1600
/// excitatory neurons on (`docs/performance.md`).
///
/// Built by
/// [`DiehlCookPaper::build_parts`](super::DiehlCookPaper::build_parts).
///
/// ```
/// use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
/// use spikeflow::models::Presenter;
/// let cfg = DiehlCookPaper { n_neurons: 10, ..Default::default() };
/// let image = vec![0.5; 784];
/// let mut parts = cfg.build_parts(2)?;
/// let mut one = cfg.build()?;
/// assert_eq!(parts.present(&image, true)?, one.present(&image, true)?);
/// assert_eq!(parts.input_weights()?.data(), one.network().weights("X -> Ae")?);
/// # Ok::<(), spikeflow::Error>(())
/// ```
#[derive(Debug)]
pub struct PaperParts {
    parts: Vec<Part>,
    presentations: u64,
    last_intensity: f32,
}

/// A part's thread and its two channels.
#[derive(Debug)]
struct Part {
    commands: Sender<Command>,
    replies: Receiver<Result<Reply>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
enum Command {
    Present(Arc<[f32]>, bool),
    InputWeights,
    Variable(String, String),
    Snapshot,
    Restore(Arc<Snapshot>),
    EncoderRng,
    SetEncoderRng(Rng),
}

#[derive(Debug)]
enum Reply {
    Ready,
    Done,
    Snapshot(Snapshot),
    EncoderRng(Rng),
    Counts {
        counts: Vec<f32>,
        presentations: u64,
        last_intensity: f32,
    },
    Tensor(Tensor),
}

/// One part's network, as the protocol runs it.
struct PartStage {
    net: DistributedNetwork,
    /// `X → Ae` in the part's network.
    input: String,
    /// The part's `Ae` neurons.
    n_local: usize,
}

impl Stage for PartStage {
    fn dt(&self) -> f32 {
        self.net.network().dt()
    }
    fn set_learning(&mut self, on: bool) {
        self.net.network_mut().set_learning(on);
    }
    fn input_weights_mut(&mut self) -> Result<(&mut [f32], usize)> {
        let w = self.net.network_mut().weights_mut(&self.input)?;
        Ok((w, self.n_local))
    }
    fn run(&mut self, x: Option<&SpikeRaster>, steps: usize) -> Result<()> {
        match x {
            Some(x) => {
                self.net
                    .run_inputs(&[("X", RunInput::from(x))], steps, &RunOptions::default())
            }
            None => self.net.run(steps, &RunOptions::default()),
        }
    }
    fn counts(&mut self) -> Result<Vec<f32>> {
        Ok(self.net.gather_recording(COUNTS, "s")?.into_data())
    }
    /// All parts together: each runs the same protocol, so each asks at
    /// the same step.
    fn relax(&mut self, steps: usize) -> bool {
        self.net.relax(steps)
    }
}

/// Builds part `exchange.rank()` and serves its commands until the
/// command channel closes.
fn serve(
    cfg: DiehlCookPaper,
    exchange: LocalExchange,
    commands: Receiver<Command>,
    replies: Sender<Result<Reply>>,
) {
    let built = (|| {
        let mut net = DistributedNetwork::build(cfg.builder()?, exchange)?;
        net.add_monitor(COUNTS, counter())?;
        let input = net.local_connection(INPUT_CONN)?.to_string();
        let n_local = net.neurons("Ae")?.len();
        let protocol = Protocol::new(&cfg)?;
        Ok((
            PartStage {
                net,
                input,
                n_local,
            },
            protocol,
        ))
    })();
    let (mut stage, mut protocol) = match built {
        Ok(x) => x,
        Err(e) => {
            let _ = replies.send(Err(e));
            return;
        }
    };
    if replies.send(Ok(Reply::Ready)).is_err() {
        return;
    }
    for command in commands {
        let reply = match command {
            Command::Present(image, learning) => protocol
                .present(&mut stage, &image, learning)
                .map(|counts| Reply::Counts {
                    counts,
                    presentations: protocol.presentations(),
                    last_intensity: protocol.last_intensity(),
                }),
            Command::InputWeights => stage.net.gather_weights(INPUT_CONN).map(Reply::Tensor),
            Command::Variable(pop, var) => {
                stage.net.gather_population(&pop, &var).map(Reply::Tensor)
            }
            Command::Snapshot => stage.net.whole_snapshot().map(Reply::Snapshot),
            Command::Restore(snap) => stage.net.restore_whole(&snap).map(|()| Reply::Done),
            Command::EncoderRng => Ok(Reply::EncoderRng(protocol.rng().clone())),
            Command::SetEncoderRng(rng) => {
                protocol.set_rng(rng);
                Ok(Reply::Done)
            }
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

impl PaperParts {
    /// The network of `cfg` cut into `parts` parts, each built and run on
    /// a thread of its own.
    ///
    /// # Errors
    /// As [`DiehlCookPaper::build`](super::DiehlCookPaper::build); no
    /// parts, or fewer neurons than parts.
    pub fn new(cfg: &DiehlCookPaper, parts: usize) -> Result<Self> {
        if parts == 0 {
            return Err(Error::param("DiehlCookPaper", "at least one part"));
        }
        Protocol::new(cfg)?;
        // A thread inherits its creator's cores: from a thread pinned to one
        // core (a pinned pool worker, as the command line's) every part
        // would share that core. So part `r` takes core `r` of the cores
        // this thread may use, or, when those are fewer than the parts (a
        // pinned caller), the machine's CPU `r`.
        let cores = core_affinity::get_core_ids().unwrap_or_default();
        let pin: Vec<_> = if cores.len() >= parts {
            cores
        } else {
            (0..parts).map(|id| core_affinity::CoreId { id }).collect()
        };
        let mut handles = Vec::with_capacity(parts);
        for exchange in local_cluster(parts) {
            let (commands, command_rx) = channel();
            let (reply_tx, replies) = channel();
            let cfg = cfg.clone();
            let core = pin[handles.len()];
            let thread = std::thread::Builder::new()
                .name(format!("paper part {}", handles.len()))
                .spawn(move || {
                    // Best effort: an unpinned part computes the same (no
                    // such CPU, or not allowed to this process).
                    core_affinity::set_for_current(core);
                    // The part is the unit of work of its core: its steps
                    // open no parallel region (from a thread outside a pool
                    // each would go to the global pool and wait for it).
                    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                        Ok(pool) => pool.install(|| serve(cfg, exchange, command_rx, reply_tx)),
                        Err(e) => {
                            let _ = reply_tx.send(Err(Error::param(
                                "DiehlCookPaper",
                                format!("no thread for a part: {e}"),
                            )));
                        }
                    }
                })
                .map_err(|e| Error::param("DiehlCookPaper", format!("no thread: {e}")))?;
            handles.push(Part {
                commands,
                replies,
                thread: Some(thread),
            });
        }
        let mut p = PaperParts {
            parts: handles,
            presentations: 0,
            last_intensity: cfg.intensity,
        };
        p.collect()?;
        Ok(p)
    }

    /// The number of parts.
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    /// Presentations so far, repeats at higher intensity included.
    pub fn presentations(&self) -> u64 {
        self.presentations
    }

    /// The intensity of the last accepted presentation.
    pub fn last_intensity(&self) -> f32 {
        self.last_intensity
    }

    /// Shows one image (784 values in `[0, 1]`), learning on or off, and
    /// returns `Ae`'s spike counts, as
    /// [`PaperPresenter`](super::PaperPresenter) does.
    ///
    /// # Errors
    /// Input of the wrong size; a part that failed or stopped.
    pub fn present(&mut self, image: &[f32], learning: bool) -> Result<Vec<f32>> {
        let image: Arc<[f32]> = image.into();
        let (counts, presentations, last_intensity) = self.ask(
            || Command::Present(Arc::clone(&image), learning),
            |r| match r {
                Reply::Counts {
                    counts,
                    presentations,
                    last_intensity,
                } => Ok((counts, presentations, last_intensity)),
                other => Err(other),
            },
        )?;
        self.presentations = presentations;
        self.last_intensity = last_intensity;
        Ok(counts)
    }

    /// The whole `X → Ae` weight matrix `[784, N]`, gathered from the parts.
    ///
    /// # Errors
    /// A part that failed or stopped.
    pub fn input_weights(&mut self) -> Result<Tensor> {
        self.ask(|| Command::InputWeights, tensor)
    }

    /// A variable of a whole population (`"v"`, `"theta"`, …) `[1, N]`,
    /// gathered from the parts.
    ///
    /// # Errors
    /// An unknown population or variable; a part that failed or stopped.
    pub fn population_variable(&mut self, pop: &str, var: &str) -> Result<Tensor> {
        self.ask(
            || Command::Variable(pop.to_string(), var.to_string()),
            tensor,
        )
    }

    /// The snapshot of the whole network, as one
    /// [`PaperPresenter`](super::PaperPresenter)'s network would take it
    /// after the same images: restore it there, or into parts of any number
    /// ([`restore`](Self::restore)).
    ///
    /// # Errors
    /// A part that failed or stopped.
    pub fn snapshot(&mut self) -> Result<Snapshot> {
        self.ask(
            || Command::Snapshot,
            |r| match r {
                Reply::Snapshot(s) => Ok(s),
                other => Err(other),
            },
        )
    }

    /// Restores a snapshot of the whole network (from [`snapshot`](Self::snapshot)
    /// or from one presenter's network).
    ///
    /// # Errors
    /// A snapshot of another network (nothing is changed); a part that
    /// failed or stopped.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<()> {
        let snap = Arc::new(snap.clone());
        self.ask(|| Command::Restore(Arc::clone(&snap)), done)
    }

    /// The generator of the input encoding (the same in every part).
    ///
    /// # Errors
    /// A part that failed or stopped.
    pub fn encoder_rng(&mut self) -> Result<Rng> {
        self.ask(
            || Command::EncoderRng,
            |r| match r {
                Reply::EncoderRng(r) => Ok(r),
                other => Err(other),
            },
        )
    }

    /// Sets the generator of the input encoding (of every part).
    ///
    /// # Errors
    /// A part that failed or stopped.
    pub fn set_encoder_rng(&mut self, rng: &Rng) -> Result<()> {
        self.ask(|| Command::SetEncoderRng(rng.clone()), done)
    }

    /// Sends `command` to every part and takes part 0's reply apart with
    /// `take` (which hands back a reply of another kind).
    fn ask<T>(
        &mut self,
        command: impl Fn() -> Command,
        take: impl FnOnce(Reply) -> std::result::Result<T, Reply>,
    ) -> Result<T> {
        self.send(command)?;
        take(self.collect()?).map_err(|other| {
            Error::Unsupported(format!("a part of the paper model replied {other:?}"))
        })
    }

    fn send(&self, command: impl Fn() -> Command) -> Result<()> {
        for (r, p) in self.parts.iter().enumerate() {
            p.commands.send(command()).map_err(|_| stopped(r))?;
        }
        Ok(())
    }

    /// Every part's reply to the last command; part 0's (all parts reply
    /// alike), or the first part's error.
    fn collect(&mut self) -> Result<Reply> {
        let mut first = None;
        let mut error = None;
        for (r, p) in self.parts.iter().enumerate() {
            match p.replies.recv() {
                Ok(Ok(reply)) => {
                    first.get_or_insert(reply);
                }
                Ok(Err(e)) => {
                    error.get_or_insert(e);
                }
                Err(_) => {
                    error.get_or_insert(stopped(r));
                }
            }
        }
        match (error, first) {
            (Some(e), _) => Err(e),
            (None, Some(reply)) => Ok(reply),
            (None, None) => Err(stopped(0)),
        }
    }
}

fn stopped(part: usize) -> Error {
    Error::Unsupported(format!(
        "part {part} of the paper model stopped (its thread ended; see the message it printed)"
    ))
}

fn tensor(reply: Reply) -> std::result::Result<Tensor, Reply> {
    match reply {
        Reply::Tensor(t) => Ok(t),
        other => Err(other),
    }
}

fn done(reply: Reply) -> std::result::Result<(), Reply> {
    match reply {
        Reply::Done => Ok(()),
        other => Err(other),
    }
}

impl Drop for PaperParts {
    fn drop(&mut self) {
        // Closing the command channels ends every part's loop.
        let threads: Vec<_> = self
            .parts
            .iter_mut()
            .filter_map(|p| p.thread.take())
            .collect();
        self.parts.clear();
        for t in threads {
            let _ = t.join();
        }
    }
}
