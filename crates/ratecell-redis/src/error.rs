//! [`Error`]: what can go wrong between a limiter and Redis.

use core::fmt;
use core::time::Duration;

use redis::{ErrorKind, ServerErrorKind};

/// Everything a Redis limiter can report instead of a decision.
///
/// A denial is never an error: it is a [`Decision`](ratecell::Decision) with `allowed == false`.
/// Errors are either the core's own ([`Error::Limit`]: a cost above the capacity, a top-up that
/// would overflow) or say that Redis could not decide ([`Error::is_unavailable`]), in which case
/// the limiter's [`FailurePolicy`](crate::FailurePolicy) may decide instead.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The core's answer: waiting cannot help (`InsufficientCapacity`, `CreditsOverflow`).
    Limit(ratecell::Error),
    /// Redis did not answer within the configured timeout.
    Timeout(Duration),
    /// Recent failures opened the circuit: Redis is not asked again before `retry_in`.
    CircuitOpen {
        /// How long until the next attempt (a single probe) is allowed.
        retry_in: Duration,
    },
    /// Redis failed: it could not be reached, dropped the connection, or answered with an error.
    Redis(redis::RedisError),
    /// The reply was not what the scripts send: the scripts and this crate disagree.
    Protocol(String),
    /// A configuration this crate cannot use (a key prefix with braces, an empty share, ...).
    Config(&'static str),
}

impl Error {
    /// True when Redis could not decide: it was unreachable, too slow, overloaded or the
    /// circuit is open. These errors count as failures for the circuit breaker and are handled
    /// by the limiter's failure policy; the others are returned as they are.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::CircuitOpen { .. } => true,
            Error::Redis(e) => {
                e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || matches!(
                        e.kind(),
                        ErrorKind::Server(
                            ServerErrorKind::BusyLoading
                                | ServerErrorKind::TryAgain
                                | ServerErrorKind::ClusterDown
                                | ServerErrorKind::MasterDown
                        )
                    )
                    || e.code() == Some("BUSY")
            }
            Error::Limit(_) | Error::Protocol(_) | Error::Config(_) => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Limit(e) => write!(f, "{e}"),
            Error::Timeout(after) => write!(f, "redis did not answer within {after:?}"),
            Error::CircuitOpen { retry_in } => write!(
                f,
                "redis failed recently; not trying again for {retry_in:?}"
            ),
            Error::Redis(e) => write!(f, "redis: {e}"),
            Error::Protocol(what) => write!(f, "unexpected reply from the ratecell script: {what}"),
            Error::Config(what) => write!(f, "invalid configuration: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Limit(e) => Some(e),
            Error::Redis(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ratecell::Error> for Error {
    fn from(e: ratecell::Error) -> Error {
        Error::Limit(e)
    }
}

impl From<ratecell::QuotaError> for Error {
    fn from(e: ratecell::QuotaError) -> Error {
        Error::Limit(e.into())
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Error {
        Error::Redis(e)
    }
}
