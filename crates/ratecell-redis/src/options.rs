//! [`Options`] of a store, the [`FailurePolicy`] of a limiter, and the small types around them.

use core::num::NonZeroU64;
use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use ratecell::Nanos;

use crate::error::Error;

/// 2024-01-01T00:00:00Z in Unix seconds: the default origin of server time.
pub const DEFAULT_EPOCH: u64 = 1_704_067_200;

/// How a store names keys, reads time, waits for Redis and stops trying when Redis fails.
///
/// ```
/// use core::time::Duration;
/// use ratecell_redis::Options;
///
/// let options = Options::default()
///     .with_prefix("api")
///     .with_timeout(Duration::from_millis(20));
/// assert_eq!(options.key("user-42", "per-minute"), "api:{user-42}:per-minute");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    prefix: String,
    epoch: u64,
    timeout: Duration,
    ttl_floor: Duration,
    breaker: Breaker,
    pool: usize,
}

/// When the circuit breaker stops asking Redis, and for how long.
///
/// After `failures` consecutive failures (timeouts, refused or dropped connections) the circuit
/// opens: for `open_for` no call reaches Redis and every limiter applies its failure policy at
/// once. Then one call probes Redis; success closes the circuit, failure opens it again for
/// twice as long, up to `max_open_for`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Breaker {
    /// Consecutive failures that open the circuit (at least 1).
    pub failures: u32,
    /// How long the circuit first stays open.
    pub open_for: Duration,
    /// The longest it stays open after repeated failed probes.
    pub max_open_for: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            failures: 3,
            open_for: Duration::from_millis(250),
            max_open_for: Duration::from_secs(10),
        }
    }
}

impl Default for Options {
    /// Prefix `ratecell`, server time from 2024-01-01, a 100 ms timeout, keys that expire as
    /// soon as they are fresh, the default [`Breaker`], up to 16 pooled blocking connections.
    fn default() -> Self {
        Options {
            prefix: "ratecell".to_owned(),
            epoch: DEFAULT_EPOCH,
            timeout: Duration::from_millis(100),
            ttl_floor: Duration::ZERO,
            breaker: Breaker::default(),
            pool: 16,
        }
    }
}

impl Options {
    /// Keys are named `<prefix>:{<key>}:<limiter name>`. The braces make `<key>` the Redis
    /// Cluster hash tag, so every limit of one key (the members of an `AllOf`) lives in one
    /// slot. The prefix must not contain braces (checked when a store is built). Redis Cluster
    /// ignores an empty tag (`{}`): on a cluster, an all-of needs non-empty user keys.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Server time counts nanoseconds from this instant, in Unix seconds (default: 2024-01-01).
    ///
    /// Ticks are stored in `u64`, and for exotic quotas (a tick of 1/64 ns) the last
    /// representable instant is 9 years after the origin (see the core's `Gcra::horizon`), so
    /// time is counted from a recent origin rather than from 1970. Changing it moves every
    /// stored instant: reset the keys when you do.
    #[must_use]
    pub fn with_epoch(mut self, unix_secs: u64) -> Self {
        self.epoch = unix_secs;
        self
    }

    /// How long a call may take, connecting included, before it fails with
    /// [`Error::Timeout`] (default 100 ms).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Keys live at least this long after a write (default zero: they expire when fresh,
    /// rounded up to the millisecond plus one). Callers that supply instants of their own that do
    /// not advance with the server's clock (tests, replays) set a floor so that keys do not
    /// expire in real time while their simulated time stands still.
    #[must_use]
    pub fn with_ttl_floor(mut self, floor: Duration) -> Self {
        self.ttl_floor = floor;
        self
    }

    /// The circuit breaker's settings.
    #[must_use]
    pub fn with_breaker(mut self, breaker: Breaker) -> Self {
        self.breaker = breaker;
        self
    }

    /// How many idle connections a blocking store keeps (default 16).
    #[must_use]
    pub fn with_pool(mut self, connections: usize) -> Self {
        self.pool = connections;
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The origin of server time, in Unix seconds.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The timeout of a call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The shortest life of a written key.
    pub fn ttl_floor(&self) -> Duration {
        self.ttl_floor
    }

    /// The circuit breaker's settings.
    pub fn breaker(&self) -> Breaker {
        self.breaker
    }

    /// How many idle connections a blocking store keeps.
    pub fn pool(&self) -> usize {
        self.pool
    }

    /// The Redis key of `key` under the limiter called `name`.
    pub fn key(&self, key: &str, name: &str) -> String {
        format!("{}:{{{key}}}:{name}", self.prefix)
    }

    pub(crate) fn validated(self) -> Result<Options, Error> {
        if self.prefix.contains(['{', '}']) {
            return Err(Error::Config(
                "the key prefix must not contain braces: they would change the hash tag",
            ));
        }
        if self.breaker.failures == 0 {
            return Err(Error::Config(
                "the breaker needs at least one failure to open",
            ));
        }
        if self.timeout.is_zero() {
            return Err(Error::Config("the timeout must be longer than zero"));
        }
        Ok(self)
    }

    /// The local clock on the same time line as server time: nanoseconds since the epoch.
    pub(crate) fn local_now(&self) -> Nanos {
        let origin = UNIX_EPOCH + Duration::from_secs(self.epoch);
        SystemTime::now()
            .duration_since(origin)
            .map_or(Nanos::ZERO, Nanos::from_duration)
    }
}

/// The instant a decision is made at.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Now {
    /// The Redis server's clock (`TIME`), in nanoseconds since the store's epoch: every client
    /// agrees, whatever its own clock says.
    #[default]
    Server,
    /// An instant chosen by the caller, used as given (nanoseconds on the caller's time line).
    At(Nanos),
}

impl From<Nanos> for Now {
    fn from(at: Nanos) -> Now {
        Now::At(at)
    }
}

/// What a limiter does when Redis cannot decide (unreachable, too slow, circuit open).
///
/// Errors that are not about availability (a cost above the capacity) are always returned.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Return the error (the default).
    #[default]
    Error,
    /// Admit every request, reporting the key as fresh.
    FailOpen,
    /// Refuse every request, with `retry_after` the time until Redis is tried again.
    FailClosed,
    /// Decide in this process with the same algorithm and `share` of the quota (for example
    /// 1/n of it with n application instances). Local state starts fresh and is forgotten when
    /// Redis answers again.
    Fallback(Share),
}

/// A fraction of a quota, `numerator / denominator`, between 0 (excluded) and 1.
///
/// Counts (limits, bursts, budgets) are scaled and rounded down, but never below 1; periods
/// and windows are kept.
///
/// ```
/// use ratecell_redis::Share;
/// let quarter = Share::new(1, 4)?;
/// assert_eq!(quarter.of(100), 25);
/// assert_eq!(quarter.of(3), 1);
/// # Ok::<(), ratecell_redis::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Share {
    numerator: NonZeroU64,
    denominator: NonZeroU64,
}

impl Share {
    /// The whole quota.
    pub const ALL: Share = Share {
        numerator: NonZeroU64::MIN,
        denominator: NonZeroU64::MIN,
    };

    /// `numerator / denominator`; both must be positive and the share at most 1.
    pub fn new(numerator: u64, denominator: u64) -> Result<Share, Error> {
        match (NonZeroU64::new(numerator), NonZeroU64::new(denominator)) {
            (Some(n), Some(d)) if n <= d => Ok(Share {
                numerator: n,
                denominator: d,
            }),
            _ => Err(Error::Config(
                "a share is numerator/denominator with 0 < numerator <= denominator",
            )),
        }
    }

    /// `count` scaled by the share, rounded down, at least 1.
    pub fn of(&self, count: u64) -> u64 {
        let scaled = u128::from(count) * u128::from(self.numerator.get())
            / u128::from(self.denominator.get());
        u64::try_from(scaled).unwrap_or(u64::MAX).max(1)
    }
}

/// A value decided for a key, with the instant it was decided at and, when Redis could not
/// decide, why (the failure policy decided instead).
#[derive(Clone, Debug)]
#[must_use = "an Outcome says whether the request may proceed"]
pub struct Outcome<T> {
    /// The decision (or reservation, lease, ...).
    pub value: T,
    /// The instant it was decided at: the server's clock or the caller's instant (for a
    /// degraded decision under server time, this process's clock on the same time line).
    pub now: Nanos,
    /// `Some(cause)` when the failure policy decided because Redis could not.
    pub degraded: Option<Error>,
}
