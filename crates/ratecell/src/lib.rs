//! ratecell: exact rate limiting for API providers and their clients.
//!
//! One `no_std` core, without allocation, that every ratecell binding (C, Python, Node) runs.
//! Decisions are exact to the nanosecond, time is always an argument, and a refusal is a
//! value ([`Decision`]) rather than an error.
//!
//! # GCRA
//!
//! The generic cell rate algorithm keeps 8 bytes per key and answers every question a
//! client asks: may I, how many more, when may I retry, when am I fresh again.
//!
//! ```
//! use ratecell::{Gcra, GcraState, Nanos, Quota};
//!
//! let free_tier = Gcra::new(Quota::parse("100/minute burst 120")?);
//! let mut key = GcraState::default();
//!
//! let d = free_tier.check(&mut key, Nanos::from_secs(5), 1)?;
//! assert!(d.allowed);
//! assert_eq!(d.limit, 120);
//! assert_eq!(d.remaining, 119);
//! assert_eq!(d.reset_after, Nanos::from_millis(600));
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Token bucket
//!
//! The same exact arithmetic seen as tokens, with reservations: a caller may take tokens the
//! bucket does not have yet and learn when to proceed, and may cancel to give them back.
//!
//! ```
//! use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};
//!
//! let bucket = TokenBucket::new(Quota::parse("10/second")?);
//! let mut key = TokenBucketState::default();
//! assert!(bucket.check(&mut key, Nanos::ZERO, 10)?.allowed);
//!
//! // Willing to wait up to a second for 5 more tokens: go at 500 ms.
//! let mut r = bucket.reserve(&mut key, Nanos::ZERO, 5, Nanos::from_secs(1))?;
//! assert_eq!(r.ready_at(), Nanos::from_millis(500));
//! // Changed our mind: the tokens go back.
//! assert_eq!(bucket.cancel(&mut key, &mut r, Nanos::from_millis(100)), 5);
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Credits
//!
//! A budget that never replenishes by itself (HTTP `402`, not `429`): running out is a denial
//! that no wait can fix, and a top-up can.
//!
//! ```
//! use ratecell::{Credits, CreditsState, Nanos};
//!
//! let credits = Credits::new(1_000);
//! let mut key = CreditsState::default();
//! assert!(credits.check(&mut key, Nanos::ZERO, 600)?.allowed);
//! let d = credits.check(&mut key, Nanos::ZERO, 600)?;
//! assert!(!d.allowed);
//! assert_eq!((d.remaining, d.retry_after), (400, Nanos::MAX)); // never, whatever the wait
//! credits.top_up(&mut key, 200)?;
//! assert!(credits.check(&mut key, Nanos::ZERO, 600)?.allowed);
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Time
//!
//! Every decision takes `now` as [`Nanos`]: nanoseconds since any origin you choose. The
//! core never reads a clock; [`Clock`], [`ManualClock`] and (with `std`) [`MonotonicClock`]
//! are conveniences for the layers above.
//!
//! ```
//! use ratecell::{Clock, Gcra, GcraState, ManualClock, Nanos, Quota};
//!
//! let clock = ManualClock::new();
//! let gcra = Gcra::new(Quota::per_second(1)?);
//! let mut key = GcraState::default();
//! assert!(gcra.check(&mut key, clock.now(), 1)?.allowed);
//! assert!(!gcra.check(&mut key, clock.now(), 1)?.allowed);
//! clock.advance(Nanos::from_secs(1));
//! assert!(gcra.check(&mut key, clock.now(), 1)?.allowed);
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Features
//!
//! - `std` (default): [`MonotonicClock`]. Without it the crate is `no_std` and allocation-free,
//!   and builds for `thumbv6m-none-eabi` and `thumbv7em-none-eabihf`.
#![no_std]
#![forbid(unsafe_code)]
// The core must not panic on any input: no indexing, unwrapping or explicit panics. Integer
// overflow is excluded by saturating/checked time arithmetic and by the property tests and
// fuzz targets, which run with overflow checks on (`clippy::arithmetic_side_effects` is not
// enabled: it also flags every division by a value already proven non-zero).
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[cfg(feature = "std")]
extern crate std;

pub mod credits;
pub mod decision;
pub mod error;
pub mod gcra;
pub mod quota;
pub mod time;
pub mod token_bucket;

pub use credits::{Credits, CreditsState};
pub use decision::Decision;
pub use error::{Error, ParseError, ParseErrorKind, QuotaError};
pub use gcra::{Gcra, GcraState};
pub use quota::Quota;
#[cfg(feature = "std")]
pub use time::MonotonicClock;
pub use time::{Clock, ManualClock, Nanos};
pub use token_bucket::{Reservation, TokenBucket, TokenBucketState};

/// A rate-limiting algorithm: immutable policy on one side, per-key state on the other.
///
/// Keyed tables, atomics and bindings are written once against this trait, so every
/// algorithm gets them.
///
/// ```
/// use ratecell::{Algorithm, Gcra, Nanos, Quota};
///
/// fn admit_all<A: Algorithm>(policy: &A, now: Nanos) -> u64 {
///     let mut state = A::State::default();
///     let mut n = 0;
///     while policy.check(&mut state, now, 1).is_ok_and(|d| d.allowed) {
///         n += 1;
///     }
///     n
/// }
/// assert_eq!(admit_all(&Gcra::new(Quota::per_minute(10)?), Nanos::ZERO), 10);
/// # Ok::<(), ratecell::Error>(())
/// ```
pub trait Algorithm {
    /// Per-key state; `Default` is a fresh key.
    type State: Default;

    /// The largest cost a single request may have.
    fn capacity(&self) -> u64;

    /// Decides a request of `cost` at `now`, recording it in `state` when admitted.
    /// `cost == 0` peeks; `cost > capacity()` is [`Error::InsufficientCapacity`].
    fn check(&self, state: &mut Self::State, now: Nanos, cost: u64) -> Result<Decision, Error>;

    /// The key's standing at `now`, recording nothing.
    fn peek(&self, state: &Self::State, now: Nanos) -> Decision;

    /// True when the state at `now` is indistinguishable from a fresh key (reclaimable).
    fn is_fresh(&self, state: &Self::State, now: Nanos) -> bool;
}

impl Algorithm for Gcra {
    type State = GcraState;

    fn capacity(&self) -> u64 {
        Gcra::capacity(self)
    }

    fn check(&self, state: &mut GcraState, now: Nanos, cost: u64) -> Result<Decision, Error> {
        Gcra::check(self, state, now, cost)
    }

    fn peek(&self, state: &GcraState, now: Nanos) -> Decision {
        Gcra::peek(self, state, now)
    }

    fn is_fresh(&self, state: &GcraState, now: Nanos) -> bool {
        Gcra::is_fresh(self, state, now)
    }
}

/// The README's Rust examples, compiled and run as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
