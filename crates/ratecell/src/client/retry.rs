//! [`RetryPolicy`]: what to do after a response or a failed connection.
//!
//! | outcome | decision |
//! |---|---|
//! | 429 Too Many Requests | retry after `max(Retry-After, backoff)` |
//! | 402 Payment Required | [`RetryDecision::TopUpCredits`]: no wait helps |
//! | 500 through 599 | retry after `max(Retry-After, backoff)` (`Retry-After` as sent with 503) |
//! | connection error | retry after the backoff |
//! | anything else | [`RetryDecision::Stop`]: success, or an error a retry cannot fix |
//!
//! Retries are bounded twice: by the number of attempts (the first request counts), and
//! by the total time since the first request was sent: a wait that would end past that
//! budget is not started. Both end in [`RetryDecision::GiveUp`].

use super::backoff::{Backoff, BackoffState};
use super::rng::Random;
use crate::http::RateLimitInfo;
use crate::time::Nanos;

/// How a request attempt ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A response arrived.
    Response {
        /// The HTTP status code.
        status: u16,
        /// Its `Retry-After`, as a delay.
        retry_after: Option<Nanos>,
    },
    /// No response: the connection failed, was reset, or timed out.
    ConnectionError,
}

impl Outcome {
    /// A response with `status`, taking `Retry-After` from the parsed fields.
    pub const fn response(status: u16, info: &RateLimitInfo) -> Outcome {
        Outcome::Response {
            status,
            retry_after: info.retry_after,
        }
    }
}

/// What to do next.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Send the request again after waiting this long.
    Retry {
        /// The wait.
        after: Nanos,
    },
    /// Done: the response is final (a success, or an error retrying cannot change).
    Stop,
    /// 402: the credits are exhausted. No retry will succeed until they are topped up.
    TopUpCredits,
    /// The response was retryable but the budget is spent.
    GiveUp(GiveUpReason),
}

/// Which budget ran out.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The maximum number of attempts was made.
    Attempts,
    /// The next wait would end after the total time allowed.
    Deadline,
}

/// A retry policy: a backoff schedule, a maximum number of attempts, and a maximum total
/// time. Immutable; one retry sequence's progress lives in a [`RetryState`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    backoff: Backoff,
    max_attempts: u32,
    max_elapsed: Nanos,
}

/// One request's retry sequence: when it started, attempts made, and its backoff state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RetryState {
    started: Nanos,
    attempts: u32,
    backoff: BackoffState,
}

impl RetryState {
    /// A sequence whose first attempt was sent at `started`.
    pub const fn new(started: Nanos) -> RetryState {
        RetryState {
            started,
            attempts: 0,
            backoff: BackoffState::new(),
        }
    }

    /// Attempts whose outcome was decided so far.
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When the first attempt was sent.
    pub const fn started(&self) -> Nanos {
        self.started
    }

    /// The backoff schedule's progress.
    pub const fn backoff(&self) -> BackoffState {
        self.backoff
    }

    /// Rebuilds a state from [`RetryState::started`], [`RetryState::attempts`] and
    /// [`RetryState::backoff`], for keeping it outside Rust (a C struct).
    ///
    /// ```
    /// use ratecell::Nanos;
    /// use ratecell::client::{BackoffState, RetryState};
    /// let s = RetryState::new(Nanos::from_secs(5));
    /// assert_eq!(RetryState::from_parts(s.started(), s.attempts(), s.backoff()), s);
    /// ```
    pub const fn from_parts(started: Nanos, attempts: u32, backoff: BackoffState) -> RetryState {
        RetryState {
            started,
            attempts,
            backoff,
        }
    }
}

impl RetryPolicy {
    /// At most `max_attempts` attempts in total (values below 1 count as 1), and no wait
    /// ending more than `max_elapsed` after the first attempt started.
    pub const fn new(backoff: Backoff, max_attempts: u32, max_elapsed: Nanos) -> RetryPolicy {
        RetryPolicy {
            backoff,
            max_attempts: if max_attempts == 0 { 1 } else { max_attempts },
            max_elapsed,
        }
    }

    /// The backoff schedule.
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// Decides what follows `outcome`, observed at `now`, and records the attempt.
    pub fn decide<R: Random + ?Sized>(
        &self,
        state: &mut RetryState,
        now: Nanos,
        outcome: Outcome,
        rng: &mut R,
    ) -> RetryDecision {
        state.attempts = state.attempts.saturating_add(1);
        let at_least = match outcome {
            Outcome::Response { status: 402, .. } => return RetryDecision::TopUpCredits,
            Outcome::Response {
                status: 429 | 500..=599,
                retry_after,
            } => retry_after.unwrap_or(Nanos::ZERO),
            Outcome::ConnectionError => Nanos::ZERO,
            Outcome::Response { .. } => return RetryDecision::Stop,
        };
        if state.attempts >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUpReason::Attempts);
        }
        let wait = self.backoff.next(&mut state.backoff, rng).max(at_least);
        let ends = now.saturating_sub(state.started).saturating_add(wait);
        if ends > self.max_elapsed {
            return RetryDecision::GiveUp(GiveUpReason::Deadline);
        }
        RetryDecision::Retry { after: wait }
    }
}
