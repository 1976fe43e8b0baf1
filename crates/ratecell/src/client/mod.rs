//! Client-side behaviour: how long to wait before the next request.
//!
//! - [`Backoff`]: capped exponential backoff with no, full, equal or decorrelated jitter.
//! - [`RetryPolicy`]: classifies a response or connection failure into retry-after-a-wait,
//!   stop, top up credits, or give up, within a bounded number of attempts and total time.
//! - [`Pacer`]: proactive throttling from the rate-limit fields of the last response, so
//!   that a client spends its remaining quota evenly until the reset instead of running
//!   into 429s.
//!
//! Like the rest of ratecell, nothing here reads a clock or sleeps: time is an argument and
//! the answer is a [`Nanos`](crate::Nanos) to wait. Randomness is injected through
//! [`Random`], so a seeded [`SplitMix64`] makes every wait reproducible in tests.
//!
//! ```
//! use ratecell::Nanos;
//! use ratecell::client::{Backoff, Jitter, Outcome, RetryDecision, RetryPolicy, RetryState, SplitMix64};
//! use ratecell::http::RateLimitInfo;
//!
//! let policy = RetryPolicy::new(
//!     Backoff::new(Nanos::from_millis(100), Nanos::from_secs(10), Jitter::Full)?,
//!     5,                    // attempts at most
//!     Nanos::from_secs(60), // in at most a minute
//! );
//! let mut rng = SplitMix64::new(7);
//! let mut state = RetryState::new(Nanos::ZERO);
//!
//! // A 429 with `Retry-After: 3`: wait at least three seconds.
//! let info = RateLimitInfo::from_fields([("Retry-After", "3")], Nanos::ZERO);
//! match policy.decide(&mut state, Nanos::ZERO, Outcome::response(429, &info), &mut rng) {
//!     RetryDecision::Retry { after } => assert!(after >= Nanos::from_secs(3)),
//!     other => panic!("{other:?}"),
//! }
//! // A 402 is never retried: the client must top up its credits.
//! let d = policy.decide(&mut state, Nanos::from_secs(3), Outcome::response(402, &info), &mut rng);
//! assert_eq!(d, RetryDecision::TopUpCredits);
//! # Ok::<(), ratecell::client::BackoffError>(())
//! ```

pub mod backoff;
pub mod pacer;
pub mod retry;
pub mod rng;

pub use backoff::{Backoff, BackoffError, BackoffState, Jitter};
pub use pacer::Pacer;
pub use retry::{GiveUpReason, Outcome, RetryDecision, RetryPolicy, RetryState};
pub use rng::{Random, SplitMix64};
