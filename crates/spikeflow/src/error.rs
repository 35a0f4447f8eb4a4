//! The one error type of the library.
//!
//! Every fallible public function returns [`Result`]. Messages name the object
//! (population, connection, file, case) and the offending values, so that a
//! command-line front end can print them as they are.

use thiserror::Error;

/// Everything that can go wrong when building or running a network, or when
/// reading data and reference files.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of its valid range (NaN, non-positive time
    /// constant, zero size, …).
    #[error("{object}: {message}")]
    InvalidParameter {
        /// The population, connection or option concerned.
        object: String,
        /// What is wrong, with the values.
        message: String,
    },
    /// Two shapes that must agree do not.
    #[error("{object}: shape mismatch: {message}")]
    Shape {
        /// The object whose shapes disagree.
        object: String,
        /// Expected and given shapes.
        message: String,
    },
    /// A population, connection or monitor name that does not exist, or one
    /// given twice.
    #[error("{0}")]
    Name(String),
    /// A learning rule that cannot be used where it was attached.
    #[error("connection {connection}: rule {rule}: {message}")]
    Rule {
        /// The connection the rule is attached to (`"X -> Y"`).
        connection: String,
        /// The rule's name.
        rule: String,
        /// Why it cannot be used.
        message: String,
    },
    /// A feature that exists in the reference but is not supported here.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A malformed input file (replay case, dataset, checkpoint).
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A run stopped early by its [`Cancel`](crate::Cancel) flag;
    /// the network holds the state after the `steps` steps it completed.
    #[error("run interrupted after {steps} of {of} steps")]
    Interrupted {
        /// Steps completed (and kept).
        steps: usize,
        /// Steps requested.
        of: usize,
    },
    /// An I/O error, with the path that caused it.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::InvalidParameter`] (for code outside the crate too:
    /// a topology's `build`, a rule's checks).
    pub fn param(object: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            object: object.into(),
            message: message.into(),
        }
    }
    /// An [`Error::Shape`].
    pub fn shape(object: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Shape {
            object: object.into(),
            message: message.into(),
        }
    }
    pub(crate) fn format(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Checks that a value is finite; the error names `object` and `what`.
pub(crate) fn finite(object: &str, what: &str, v: f32) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::param(
            object,
            format!("{what} must be finite, got {v}"),
        ))
    }
}

/// Checks that a time constant (or other scale) is finite and > 0.
pub(crate) fn positive(object: &str, what: &str, v: f32) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            object,
            format!("{what} must be finite and > 0, got {v}"),
        ))
    }
}
