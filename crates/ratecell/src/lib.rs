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
//! # Keyed limiters
//!
//! One policy, a state per key, in bounded memory: [`KeyedTable`] holds `N` keys without
//! allocation (32 bytes per GCRA key), [`KeyedStore`] (with `std`) is shared between threads.
//! A key back to fresh is reclaimed on its own; a full table fails closed or evicts
//! ([`WhenFull`]).
//!
//! ```
//! use ratecell::{Gcra, KeyedTable, Nanos, Quota, WhenFull};
//!
//! let mut per_key: KeyedTable<u64, Gcra, 10_000> =
//!     KeyedTable::new(Gcra::new(Quota::parse("5/second")?), WhenFull::FailClosed);
//! assert!(per_key.check(42, Nanos::ZERO, 5)?.allowed());
//! assert!(!per_key.check(42, Nanos::ZERO, 1)?.allowed());
//! assert!(per_key.check(7, Nanos::ZERO, 1)?.allowed());
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Concurrency leases
//!
//! [`Concurrency`] caps how many requests are in flight: a [`Lease`] is held from
//! `acquire` to `release`, and expires after a TTL unless renewed.
//!
//! ```
//! use core::time::Duration;
//! use ratecell::{Concurrency, ConcurrencyState, Nanos};
//!
//! let sessions = Concurrency::<10>::new(10, Duration::from_secs(60))?;
//! let mut key = ConcurrencyState::default();
//! let (d, lease) = sessions.acquire(&mut key, Nanos::ZERO);
//! assert!(d.allowed);
//! assert!(sessions.release(&mut key, lease.expect("granted"), Nanos::from_secs(5)));
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # One cell, many threads
//!
//! [`AtomicGcra`] keeps a GCRA state in one `AtomicU64` and decides with compare-and-swap,
//! without a lock (on targets with 64-bit atomics).
//!
//! ```
//! use ratecell::{AtomicGcra, Gcra, Nanos, Quota};
//!
//! let shared = AtomicGcra::new(Gcra::new(Quota::per_second(100)?));
//! std::thread::scope(|s| {
//!     s.spawn(|| shared.check(Nanos::ZERO, 1));
//!     s.spawn(|| shared.check(Nanos::ZERO, 1));
//! });
//! assert_eq!(shared.peek(Nanos::ZERO).remaining, 98);
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
//! - `std` also adds [`KeyedStore`] and [`HashSeed::random`]. [`AtomicGcra`] exists where
//!   the target has 64-bit atomics (not on the two Cortex-M targets above).
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

#[cfg(target_has_atomic = "64")]
pub mod atomic;
pub mod concurrency;
pub mod decision;
pub mod error;
pub mod gcra;
pub mod keyed;
pub mod quota;
pub mod time;

#[cfg(target_has_atomic = "64")]
pub use atomic::AtomicGcra;
pub use concurrency::{Concurrency, ConcurrencyState, Lease};
pub use decision::Decision;
pub use error::{Error, ParseError, ParseErrorKind, QuotaError};
pub use gcra::{Gcra, GcraState};
#[cfg(feature = "std")]
pub use keyed::KeyedStore;
pub use keyed::{HashSeed, Keyed, KeyedTable, WhenFull};
pub use quota::Quota;
#[cfg(feature = "std")]
pub use time::MonotonicClock;
pub use time::{Clock, ManualClock, Nanos};

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
