//! Replay of BindsNET reference runs (the conformance runner).
//!
//! A case is a JSON file in the format of `vectors/FORMAT.md`: the network
//! (populations, connections with initial weights, rule options), the
//! inputs, the protocol, and the states BindsNET 0.3.4 recorded step by
//! step. [`run_case`] builds the network from the file alone, runs it, and
//! compares every recorded state: spikes exactly, floats within the file's
//! tolerance (`|got − expected| ≤ atol + rtol·|expected|`).
//!
//! Every field and type FORMAT.md documents is read: spike `clamp` /
//! `unclamp` (as [`RunOptions::clamp`](crate::RunOptions::clamp), per step),
//! a connection's run-time `mask` (as
//! [`RunOptions::weight_masks`](crate::RunOptions::weight_masks)), dense,
//! sparse, conv 1-3-D, max-pool 1-3-D (BindsNET's 3-D class is spelled
//! `MaxPoo3dConnection`; both names are read), legacy and 1-3-D local,
//! mean-field connections, and every node type including BoostedLIF and CSRM.
//! Rule kwargs that are absent take BindsNET 0.3.4's defaults (MSTDP/MSTDPET
//! `tc_plus` 20, `tc_minus` 20, `zero_lag` false, `tc_e_trace` 25;
//! DiehlAndCook `x_tar` 0, `mu` 1; Rmax `tc_c` 5, `tc_e_trace` 25).
//!
//! Where spikeflow's own semantics differ from BindsNET's
//! (`docs/differences-from-bindsnet.md`), the runner builds what reproduces
//! BindsNET: a learning `SparseConnection` as a dense connection whose zeros
//! learn, a `MeanFieldConnection` as
//! [`MeanFieldOverBatch`](crate::topology::MeanFieldOverBatch). Where it
//! cannot (CSRM with changing weights or a bias, compact local learning with
//! several input channels, initial weights BindsNET leaves outside their
//! bounds), the case is reported unsupported.
//!
//! A field the runner does not know — at the top level, in a layer, a
//! connection, its rule kwargs, an input, the tolerance or `expected` — makes
//! the case fail as unsupported, naming the field and where it is: ignoring
//! it could hide a difference.

mod build;
mod compare;
mod connections;
mod engine;
mod json;
mod layers;

use crate::error::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub use compare::Mismatch;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every recorded state matched.
    Pass,
    /// The first state that did not match.
    Fail(Mismatch),
    /// The case uses something spikeflow does not build.
    Unsupported(String),
    /// The file is not a valid case.
    Invalid(String),
}

/// One case's name and outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The case's `name` (or the file name when unreadable).
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }
}

impl std::fmt::Display for CaseResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            Outcome::Pass => write!(f, "ok {}", self.name),
            Outcome::Fail(m) => write!(f, "FAIL {}: {m}", self.name),
            Outcome::Unsupported(u) => write!(f, "FAIL {}: unsupported: {u}", self.name),
            Outcome::Invalid(e) => write!(f, "FAIL {}: invalid case: {e}", self.name),
        }
    }
}

/// Reads and replays one case file.
pub fn run_case_file(path: &Path) -> CaseResult {
    with_case_file(path, run_case)
}

/// Reads one case file and replays it cut across `ranks` processes
/// (threads; see [`run_case_ranks`]).
pub fn run_case_file_ranks(path: &Path, ranks: usize) -> CaseResult {
    with_case_file(path, |case, name| run_case_ranks(case, name, ranks))
}

/// Reads a case file and hands it to `replay` with its file name, or says
/// why it could not be read.
fn with_case_file(path: &Path, replay: impl FnOnce(&Value, &str) -> CaseResult) -> CaseResult {
    let fallback = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return CaseResult {
                name: fallback,
                outcome: Outcome::Invalid(format!("{}: {e}", path.display())),
            }
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => replay(&v, &fallback),
        Err(e) => CaseResult {
            name: fallback,
            outcome: Outcome::Invalid(format!("{}: not JSON: {e}", path.display())),
        },
    }
}

/// Replays a parsed case. `fallback_name` names it if it has no `name`.
pub fn run_case(case: &Value, fallback_name: &str) -> CaseResult {
    let name = case
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(fallback_name)
        .to_string();
    let outcome = outcome(case, build::replay(case));
    CaseResult { name, outcome }
}

/// Replays a parsed case cut across `ranks` processes — threads of this
/// one, each building its part ([`crate::distributed`]) — and compares the
/// gathered states with the case's expected ones, as [`run_case`] does.
/// What cannot be cut (models drawing from the network's generator,
/// convolutions, weight masks…) or is not gathered across processes (a
/// connection's weights every step, rule state) is `Unsupported`, saying
/// so; every process must reach the same outcome, or the case is
/// `Invalid`.
pub fn run_case_ranks(case: &Value, fallback_name: &str, ranks: usize) -> CaseResult {
    let name = case
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(fallback_name)
        .to_string();
    let outcomes: Vec<std::thread::Result<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = crate::distributed::local_cluster(ranks)
            .into_iter()
            .map(|x| {
                s.spawn(move || {
                    let built = build::replay_on(case, |b| {
                        crate::distributed::DistributedNetwork::build(b, x)
                    });
                    outcome(case, built)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|_| Outcome::Invalid("a process's replay panicked".into())));
    let first = outcomes
        .next()
        .unwrap_or_else(|| Outcome::Invalid(format!("{ranks} processes")));
    let outcome = if outcomes.all(|o| o == first) {
        first
    } else {
        Outcome::Invalid("the processes' replays disagree".into())
    };
    CaseResult { name, outcome }
}

/// A replay's outcome: compared, or why it could not be.
fn outcome<E: engine::Engine>(case: &Value, built: Result<build::Recording<E>>) -> Outcome {
    match built {
        Ok(rec) => match compare::compare(case, &rec) {
            Ok(None) => Outcome::Pass,
            Ok(Some(m)) => Outcome::Fail(m),
            Err(Error::Unsupported(u)) => Outcome::Unsupported(u),
            Err(e) => Outcome::Invalid(e.to_string()),
        },
        Err(Error::Unsupported(u)) => Outcome::Unsupported(u),
        Err(e) => Outcome::Invalid(e.to_string()),
    }
}

/// The case files of a folder (`*.json` except `index.json`), sorted; or
/// the file itself.
///
/// # Errors
/// A path that cannot be read.
pub fn case_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let rd = std::fs::read_dir(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "index.json")
        })
        .collect();
    files.sort();
    Ok(files)
}
