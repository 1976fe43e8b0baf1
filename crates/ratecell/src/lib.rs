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
//! # Windows
//!
//! [`FixedWindow`] counts per epoch-aligned window (the classic `X-RateLimit-Reset`),
//! [`SlidingWindow`] weighs the previous window in (O(1), approximate with a stated bound) and
//! [`SlidingLog`] logs each request (exact over every window, `N` entries per key).
//!
//! ```
//! use ratecell::{FixedWindow, FixedWindowState, Nanos, Quota, SlidingLog, SlidingLogState};
//!
//! let quota = Quota::parse("60/minute")?;
//! let fixed = FixedWindow::new(quota);
//! let mut key = FixedWindowState::default();
//! let d = fixed.check(&mut key, Nanos::from_secs(90), 1)?;
//! assert_eq!((d.remaining, d.reset_after), (59, Nanos::from_secs(30)));
//!
//! let exact = SlidingLog::<64>::new(quota);
//! let mut key = SlidingLogState::default();
//! assert!(exact.check(&mut key, Nanos::from_secs(90), 60)?.allowed);
//! let d = exact.check(&mut key, Nanos::from_secs(120), 1)?;
//! assert_eq!(d.retry_after, Nanos::from_secs(30)); // until 90 s leave the window
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # Burst tiers
//!
//! A sustained rate and a short-term peak, enforced together: [`Burst`] is two exact GCRA
//! buckets in 16 bytes, both admit or neither records.
//!
//! ```
//! use core::time::Duration;
//! use ratecell::{Burst, BurstState, Nanos, Quota};
//!
//! // 100 per minute sustained; up to 120 per minute measured over 10 seconds.
//! let free = Burst::new(Quota::parse("100/minute burst 120")?, Duration::from_secs(10))?;
//! let mut key = BurstState::default();
//!
//! let d = free.check(&mut key, Nanos::ZERO, 20)?;
//! assert!(d.allowed);
//! assert_eq!((d.limit, d.remaining), (20, 0));
//! assert_eq!(free.check(&mut key, Nanos::ZERO, 1)?.retry_after, Nanos::from_millis(500));
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # All or nothing
//!
//! [`AllOf`] checks several limiters as one: a plan limit and an endpoint limit, messages
//! and bytes per second. Every member admits and records, or no member changes.
//!
//! ```
//! use ratecell::{AllOf, Gcra, GcraState, Nanos, Quota};
//!
//! let socket = AllOf::new((
//!     Gcra::new(Quota::per_second(500)?),       // messages
//!     Gcra::new(Quota::per_second(64_000)?), // bytes
//! ));
//! let mut key = (GcraState::default(), GcraState::default());
//! let d = socket.check_costs(&mut key, Nanos::ZERO, [1, 1_500])?; // one 1,500-byte message
//! assert!(d.decision.allowed);
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! # One type for every algorithm
//!
//! [`Limiter`] and [`LimiterState`] carry any algorithm chosen at runtime, for bindings and
//! configuration files; [`AllOf`] combines a slice of them.
//!
//! # Keyed limiters
//!
//! One policy, a state per key, in bounded memory: [`KeyedTable`] holds `N` keys without
//! allocation (32 bytes per GCRA key), [`KeyedStore`] (with `std`) is shared between threads,
//! and [`CompactTable`] (with `std`) holds millions of keys in 17 bytes each and finds a key in
//! one step. A key back to fresh is reclaimed on its own; a full table fails closed or evicts
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
//! without a lock (on targets with 64-bit atomics). [`AtomicGcra::admit`] records the same
//! way and returns an [`Admission`], which works out the full decision only when asked: for
//! callers that only need to know whether to proceed. [`Gcra::admit`] and
//! [`CompactTable::admit`] do the same for a caller-owned state and for a table of keys.
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
//! # HTTP
//!
//! [`http`] writes a decision as response header fields (the IETF `RateLimit` drafts, the
//! forms express-rate-limit writes, or the legacy `X-RateLimit-*`) and reads them back;
//! [`client`] turns what a client reads into waits (backoff, retries, pacing).
//!
//! ```
//! use ratecell::{Gcra, GcraState, Nanos, Quota};
//! use ratecell::http::{HeaderStyle, Policy, RateLimitInfo, ResponseFields};
//!
//! let quota = Quota::parse("2/second")?;
//! let gcra = Gcra::new(quota);
//! let mut key = GcraState::default();
//! gcra.check(&mut key, Nanos::ZERO, 2)?;
//! let denied = gcra.check(&mut key, Nanos::ZERO, 1)?;
//!
//! let policies = [Policy::from_quota("api", &quota, denied)?];
//! let mut response = Vec::new();
//! ResponseFields::new(HeaderStyle::Draft7, &policies)
//!     .for_each(|name, value| response.push((name.to_owned(), value.to_owned())))?;
//! assert_eq!(response[2], ("Retry-After".to_owned(), "1".to_owned()));
//!
//! let seen = RateLimitInfo::from_fields(response, Nanos::ZERO);
//! assert_eq!((seen.limit, seen.remaining), (Some(2), Some(0)));
//! assert_eq!(seen.retry_after, Some(Nanos::from_secs(1)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `std` (default): [`MonotonicClock`]. Without it the crate is `no_std` and allocation-free,
//!   and builds for `thumbv6m-none-eabi` and `thumbv7em-none-eabihf`.
//! - `std` also adds [`KeyedStore`], [`CompactTable`], [`HashSeed::random`], [`DynKeyedStore`] (a keyed store
//!   whose algorithm is chosen at runtime), and the algorithms sized at runtime for bindings
//!   ([`SizedSlidingLog`], [`SizedConcurrency`], [`DynSlidingLog`] and [`DynConcurrency`]). [`AtomicGcra`] exists where
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

/// Implements [`Algorithm`] for a policy whose inherent `capacity`, `check`, `peek` and
/// `is_fresh` (and, when `decide` is named, a by-value `decide(State, ..)`) already mean what
/// the trait's methods mean.
macro_rules! forward_algorithm {
    ([$($generics:tt)*] $policy:ty => $state:ty $(, $decide:ident)?) => {
        impl<$($generics)*> $crate::Algorithm for $policy {
            type State = $state;

            #[inline]
            fn capacity(&self) -> u64 {
                <$policy>::capacity(self)
            }

            #[inline]
            fn check(
                &self,
                state: &mut $state,
                now: $crate::Nanos,
                cost: u64,
            ) -> Result<$crate::Decision, $crate::Error> {
                <$policy>::check(self, state, now, cost)
            }

            #[inline]
            fn peek(&self, state: &$state, now: $crate::Nanos) -> $crate::Decision {
                <$policy>::peek(self, state, now)
            }

            #[inline]
            fn is_fresh(&self, state: &$state, now: $crate::Nanos) -> bool {
                <$policy>::is_fresh(self, state, now)
            }

            $(forward_algorithm!(@$decide $policy => $state);)?
        }
    };
    (@decide $policy:ty => $state:ty) => {
        #[inline]
        fn decide(
            &self,
            state: &$state,
            now: $crate::Nanos,
            cost: u64,
        ) -> Result<($crate::Decision, $state), $crate::Error> {
            <$policy>::decide(self, *state, now, cost)
        }
    };
}

pub mod all_of;
#[cfg(target_has_atomic = "64")]
pub mod atomic;
pub mod burst;
pub mod client;
pub mod concurrency;
pub mod credits;
pub mod decision;
mod divisor;
pub mod error;
pub mod fixed_window;
pub mod gcra;
pub mod http;
pub mod keyed;
pub mod limiter;
pub mod quota;
#[cfg(feature = "std")]
pub mod sized;
pub mod sliding_log;
pub mod sliding_window;
pub mod time;
pub mod token_bucket;

pub use all_of::{AllOf, AllOfDecision};
#[cfg(target_has_atomic = "64")]
pub use atomic::AtomicGcra;
pub use burst::{Burst, BurstState};
pub use concurrency::{Concurrency, ConcurrencyState, Lease};
pub use credits::{Credits, CreditsState};
pub use decision::Decision;
pub use error::{Error, ParseError, ParseErrorKind, QuotaError};
pub use fixed_window::{FixedWindow, FixedWindowState};
pub use gcra::{Admission, Gcra, GcraState};
#[cfg(feature = "std")]
pub use keyed::{
    CompactTable, ConcurrencyStore, DynKeyedStore, KeyedAllOf, KeyedStore, Locking, SingleThread,
    SlidingLogStore, ThreadSafe,
};
pub use keyed::{HashSeed, Keyed, KeyedTable, WhenFull};
pub use limiter::{Limiter, LimiterState};
pub use quota::Quota;
#[cfg(feature = "std")]
pub use sized::{
    DynConcurrency, DynSlidingLog, SizedConcurrency, SizedConcurrencyState, SizedSlidingLog,
    SizedSlidingLogState,
};
pub use sliding_log::{SlidingLog, SlidingLogState};
pub use sliding_window::{SlidingWindow, SlidingWindowState};
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

    /// The pure transition: the decision [`check`](Algorithm::check) would make, and the
    /// state it would store, leaving `state` untouched. Denials and peeks return `state`
    /// unchanged; errors are the same as `check`'s.
    ///
    /// [`AllOf`] decides every member with it before it commits any, which is what makes the
    /// combination all-or-nothing. The provided version runs `check` on a copy of the state;
    /// algorithms with a direct pure form ([`Gcra::decide`], [`Burst::decide`]) override it.
    ///
    /// ```
    /// use ratecell::{Algorithm, Gcra, GcraState, Nanos, Quota};
    ///
    /// let gcra = Gcra::new(Quota::per_second(1)?);
    /// let key = GcraState::default();
    /// let (d, next) = Algorithm::decide(&gcra, &key, Nanos::ZERO, 1)?;
    /// assert!(d.allowed);
    /// assert_eq!(key, GcraState::FRESH); // untouched: storing `next` is the caller's choice
    /// assert!(!Algorithm::decide(&gcra, &next, Nanos::ZERO, 1)?.0.allowed);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    fn decide(
        &self,
        state: &Self::State,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, Self::State), Error>
    where
        Self::State: Clone,
    {
        let mut next = state.clone();
        let decision = self.check(&mut next, now, cost)?;
        Ok((decision, next))
    }
}

forward_algorithm!([] Gcra => GcraState, decide);

/// The README's Rust examples, compiled and run as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
