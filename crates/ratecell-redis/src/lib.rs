//! ratecell-redis: ratecell's exact limiters with their state in Redis (or Valkey), for when
//! one process is not enough.
//!
//! Every decision is one atomic Lua script call (loaded once, called with `EVALSHA`), and it
//! is the decision the in-process core makes for the same state and instant: the same
//! [`Decision`](ratecell::Decision), to the nanosecond. The scripts live in `redis/scripts/` at
//! the repository root and are shared by every language; `redis/README.md` documents their
//! calling convention.
//!
//! ```no_run
//! use core::time::Duration;
//! use ratecell::{Burst, Gcra, Limiter, Quota};
//! use ratecell_redis::sync::RedisStore;
//! use ratecell_redis::{FailurePolicy, Options, Share};
//!
//! let store = RedisStore::open("redis://127.0.0.1/", Options::default())?;
//!
//! // The Free tier, shared by every instance of the service.
//! let free = store
//!     .limiter("free", Burst::new(Quota::parse("100/minute burst 120")?, Duration::from_secs(10))?)?
//!     // If Redis goes away, each of 4 instances enforces a quarter of the quota on its own.
//!     .on_failure(FailurePolicy::Fallback(Share::new(1, 4)?))?;
//! let d = free.check("api-key-42", 1)?;
//! println!("{d}");
//!
//! // A plan limit and an endpoint-group limit, all or nothing, in one round trip.
//! let analysis = store.all_of([
//!     ("plan", Limiter::from(Gcra::new(Quota::per_minute(120)?))),
//!     ("analysis", Limiter::from(Gcra::new(Quota::per_minute(30)?))),
//! ])?;
//! let d = analysis.check("api-key-42", 1)?;
//! assert!(d.decision.allowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Exactness
//!
//! Redis runs Lua 5.1, whose numbers are doubles, exact only up to 2^53; the core's state is
//! `u64` ticks with `u128` intermediates. The scripts therefore compute with exact naturals of
//! 24-bit limbs (`redis/scripts/lib.lua`) and store every value as a decimal string in a hash.
//! The tests replay the conformance vectors and random traffic through Redis and the core and
//! compare every field.
//!
//! # Time
//!
//! By default the server's clock decides ([`Now::Server`]): nanoseconds since the store's
//! epoch (2024-01-01 unless [`Options::with_epoch`] says otherwise), so clients with skewed
//! clocks agree. The `*_at` methods and [`Now::At`] take the caller's instant instead, used as
//! given.
//!
//! # Keys
//!
//! `<prefix>:{<key>}:<limiter name>`, a hash per key and limiter. A key expires when its state
//! is fresh again (`PEXPIRE`, rounded up to the millisecond plus one), so idle keys cost nothing; keys
//! that are never fresh again (spent credits, a bucket that starts empty) persist. The braces
//! are the Redis Cluster hash tag: every limit of one key lives in one slot.
//!
//! # When Redis fails
//!
//! Calls time out ([`Options::with_timeout`]); after repeated failures a circuit breaker stops
//! calling Redis for a backoff, then probes, and closes on the first success. Meanwhile each
//! limiter's [`FailurePolicy`] decides: return the [`Error`], fail open, fail closed, or fall
//! back to an in-process core limiter with a [`Share`] of the quota.
//!
//! # Features
//!
//! - `sync` (default): [`sync`], blocking limiters over a small connection pool.
//! - `tokio`: [`aio`], async limiters over a multiplexed connection.

#[cfg(feature = "tokio")]
pub mod aio;
mod breaker;
mod error;
mod local;
mod options;
mod policy;
mod protocol;
pub mod scripts;
#[cfg(feature = "sync")]
pub mod sync;
mod target;

pub use breaker::Health;
pub use error::Error;
pub use options::{Breaker, DEFAULT_EPOCH, FailurePolicy, Now, Options, Outcome, Share};
pub use policy::{RedisPolicy, Spec};
pub use scripts::Script;
pub use target::{RedisLease, RedisReservation};
