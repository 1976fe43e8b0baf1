//! What every algorithm target shares: quotas, instants and costs decoded from fuzz input,
//! and the checks every single decision must pass.

use core::fmt;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use ratecell::{Burst, Decision, Error, FixedWindow, Gcra, Limiter, Nanos, Quota, SlidingWindow};

/// At most this many operations per input, so that one input stays fast.
pub const MAX_OPS: usize = 256;

/// Decodes `data` as a `T`, or `None` when the bytes run out before a value is complete.
///
/// With `RATECELL_FUZZ_DEBUG` set in the environment the decoded value is printed, to read
/// a reproducer: `RATECELL_FUZZ_DEBUG=1 cargo +nightly fuzz run <target> <file>`.
pub fn decode<'a, T: Arbitrary<'a> + fmt::Debug>(data: &'a [u8]) -> Option<T> {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    let value = T::arbitrary_take_rest(Unstructured::new(data)).ok();
    if *DEBUG.get_or_init(|| std::env::var_os("RATECELL_FUZZ_DEBUG").is_some()) {
        eprintln!("{value:#?}");
    }
    value
}

/// Names an operation in failure messages, formatted only when one is printed.
pub struct At<'a, T>(pub usize, pub &'a T);

impl<T: fmt::Debug> fmt::Display for At<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {} ({:?})", self.0, self.1)
    }
}

/// A number of admissions: the small and round values quotas use, and any `u64`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Count {
    /// `1 + n % 16`.
    Tiny(u8),
    /// `1 + n`, up to 256.
    Small(u8),
    /// A round number: 10, 60, 100, 1,000, 10^6, 10^10, 997, 7.
    Round(u8),
    /// Any value (zero included, which no quota accepts).
    Any(u64),
}

impl Count {
    /// The number.
    pub fn get(self) -> u64 {
        const ROUND: [u64; 8] = [10, 60, 100, 1_000, 1_000_000, 10_000_000_000, 997, 7];
        match self {
            Count::Tiny(n) => 1 + u64::from(n % 16),
            Count::Small(n) => 1 + u64::from(n),
            Count::Round(i) => ROUND[usize::from(i) % ROUND.len()],
            Count::Any(n) => n,
        }
    }
}

/// A span of time in nanoseconds: the named periods, small spans and any `u64`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Span {
    /// A second, a minute, an hour, a day, a week, a millisecond, 1.5 s, 7,000,000,001 ns.
    Named(u8),
    /// `1 + n` ns.
    Small(u16),
    /// `1 + n` ns, up to about 4.3 s.
    Medium(u32),
    /// Any value (zero included).
    Any(u64),
}

impl Span {
    /// The span in nanoseconds.
    pub fn get(self) -> u64 {
        const SEC: u64 = 1_000_000_000;
        const NAMED: [u64; 8] = [
            SEC,
            60 * SEC,
            3_600 * SEC,
            86_400 * SEC,
            604_800 * SEC,
            1_000_000,
            1_500_000_000,
            7_000_000_001,
        ];
        match self {
            Span::Named(i) => NAMED[usize::from(i) % NAMED.len()],
            Span::Small(n) => 1 + u64::from(n),
            Span::Medium(n) => 1 + u64::from(n),
            Span::Any(n) => n,
        }
    }
}

/// `limit` per `period` with an optional burst: the numbers of a [`Quota`], valid or not.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Rate {
    /// Admissions per period.
    pub limit: Count,
    /// The period.
    pub period: Span,
    /// The burst, `None` for the default (`limit`).
    pub burst: Option<Count>,
}

impl Rate {
    /// The three numbers.
    pub fn numbers(self) -> (u64, u64, Option<u64>) {
        (
            self.limit.get(),
            self.period.get(),
            self.burst.map(Count::get),
        )
    }

    /// The quota, or the error building it gives.
    pub fn quota(self) -> Result<Quota, ratecell::QuotaError> {
        let (limit, period, burst) = self.numbers();
        let quota = Quota::from_nanos(limit, period)?;
        match burst {
            Some(b) => quota.with_burst(b),
            None => Ok(quota),
        }
    }
}

/// One limiter of any algorithm [`Limiter`] carries.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum LimiterSpec {
    /// A GCRA cell.
    Gcra(Rate),
    /// A fixed window.
    FixedWindow(Rate),
    /// A sliding window counter.
    SlidingWindow(Rate),
    /// A burst tier: the rate's burst (or limit) per period over the window.
    Burst(Rate, Span),
}

impl LimiterSpec {
    /// The limiter, `None` for numbers that build none.
    pub fn build(self) -> Option<Limiter> {
        Some(match self {
            LimiterSpec::Gcra(r) => Gcra::new(r.quota().ok()?).into(),
            LimiterSpec::FixedWindow(r) => FixedWindow::new(r.quota().ok()?).into(),
            LimiterSpec::SlidingWindow(r) => SlidingWindow::new(r.quota().ok()?).into(),
            LimiterSpec::Burst(r, window) => {
                let (limit, period, burst) = r.numbers();
                Burst::from_nanos(limit, period, burst.unwrap_or(limit), window.get())
                    .ok()?
                    .into()
            }
        })
    }
}

/// A clock step that suits `limiter`: its emission interval, or its window's period.
pub fn step_unit(limiter: &Limiter) -> u64 {
    let per = |q: &Quota| q.period_nanos().as_nanos() / q.limit();
    match limiter {
        Limiter::Gcra(g) => per(g.quota()),
        Limiter::Burst(b) => per(b.peak().quota()),
        Limiter::FixedWindow(w) => w.quota().period_nanos().as_nanos(),
        Limiter::SlidingWindow(w) => w.quota().period_nanos().as_nanos(),
        _ => 1,
    }
}

/// Where the clock starts.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Start {
    /// At 0.
    Zero,
    /// Within the first 4.3 seconds.
    Early(u32),
    /// Seconds since the Unix epoch, as a wall clock would give (1970 to 2106).
    Unix(u32),
    /// Anywhere.
    Any(u64),
    /// Within `2^16` ns of the end of representable time.
    NearEnd(u16),
}

impl Start {
    /// The first instant.
    pub fn get(self) -> u64 {
        match self {
            Start::Zero => 0,
            Start::Early(n) => u64::from(n),
            Start::Unix(s) => u64::from(s) * 1_000_000_000,
            Start::Any(n) => n,
            Start::NearEnd(n) => u64::MAX - u64::from(n),
        }
    }
}

/// How the clock moves before an operation. Steps are measured in 1/64 of a unit that suits
/// the policy (an emission interval or a period), so that edges are met often.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Time {
    /// The same instant.
    Stay,
    /// `n` nanoseconds later.
    Tick(u8),
    /// `n/64` units later.
    Step(u16),
    /// Exactly `n` units later.
    Units(u8),
    /// Any number of nanoseconds later.
    Leap(u64),
    /// `n/64` units earlier.
    Back(u16),
    /// `n` nanoseconds earlier.
    BackTick(u8),
    /// An arbitrary instant.
    At(u64),
    /// Within `2^16` ns of the end of representable time.
    NearEnd(u16),
}

/// A caller's clock, driven by [`Time`] steps. Saturates at both ends of `u64` time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The current instant.
    pub now: u64,
    /// The step unit in nanoseconds (at least 1).
    unit: u64,
    /// The latest instant seen since the last [`Clock::restart`].
    pub latest: u64,
    /// The latest instant ever seen.
    pub peak: u64,
    /// False once the clock has stepped back behind an instant it showed before.
    pub monotone: bool,
}

impl Clock {
    /// A clock at `start` stepping in `unit`s.
    pub fn new(start: Start, unit: u64) -> Clock {
        let now = start.get();
        Clock {
            now,
            unit: unit.max(1),
            latest: now,
            peak: now,
            monotone: true,
        }
    }

    fn fraction(&self, n: u16) -> u64 {
        let step = u128::from(self.unit) * u128::from(n) / 64;
        u64::try_from(step).unwrap_or(u64::MAX)
    }

    /// Moves the clock and returns the new instant.
    pub fn advance(&mut self, t: Time) -> u64 {
        self.now = match t {
            Time::Stay => self.now,
            Time::Tick(n) => self.now.saturating_add(u64::from(n)),
            Time::Step(n) => self.now.saturating_add(self.fraction(n)),
            Time::Units(n) => self
                .now
                .saturating_add(self.unit.saturating_mul(u64::from(n))),
            Time::Leap(n) => self.now.saturating_add(n),
            Time::Back(n) => self.now.saturating_sub(self.fraction(n)),
            Time::BackTick(n) => self.now.saturating_sub(u64::from(n)),
            Time::At(n) => n,
            Time::NearEnd(n) => u64::MAX - u64::from(n),
        };
        if self.now < self.latest {
            self.monotone = false;
        }
        self.latest = self.latest.max(self.now);
        self.peak = self.peak.max(self.now);
        self.now
    }

    /// Starts a new epoch for [`Clock::monotone`]: the next steps are compared with `now`.
    pub fn restart(&mut self) {
        self.latest = self.now;
        self.monotone = true;
    }
}

/// A request's cost relative to a capacity.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Cost {
    /// 1.
    Unit,
    /// 0: a peek.
    Zero,
    /// `n % (capacity + 1)`: within the capacity.
    Within(u8),
    /// The whole capacity.
    Full,
    /// `capacity + 1 + n`: always an error.
    Over(u8),
    /// Any value.
    Any(u64),
}

impl Cost {
    /// The cost against `capacity`.
    pub fn get(self, capacity: u64) -> u64 {
        match self {
            Cost::Unit => 1,
            Cost::Zero => 0,
            Cost::Within(n) => u64::from(n) % capacity.saturating_add(1).max(1),
            Cost::Full => capacity,
            Cost::Over(n) => capacity.saturating_add(1).saturating_add(u64::from(n)),
            Cost::Any(n) => n,
        }
    }
}

/// A decision as the reference models report it: `(allowed, limit, remaining, retry_after,
/// reset_after)` in nanoseconds.
pub type Numbers = (bool, u64, u64, u64, u64);

/// The numbers of a core decision.
pub fn numbers(d: &Decision) -> Numbers {
    (
        d.allowed,
        d.limit,
        d.remaining,
        d.retry_after.as_nanos(),
        d.reset_after.as_nanos(),
    )
}

/// A reference model's outcome (every model has its own type, with the same fields).
pub trait ModelOutcome {
    /// The outcome's numbers.
    fn numbers(&self) -> Numbers;
}

macro_rules! model_outcome {
    ($($t:ty),+) => {
        $(impl ModelOutcome for $t {
            fn numbers(&self) -> Numbers {
                (self.allowed, self.limit, self.remaining, self.retry_after, self.reset_after)
            }
        })+
    };
}

model_outcome!(
    ratecell_reference::gcra::Outcome,
    ratecell_reference::fixed_window::Outcome,
    ratecell_reference::sliding_window::Outcome,
    ratecell_reference::sliding_log::Outcome,
    ratecell_reference::credits::Outcome,
    ratecell_reference::token_bucket::Outcome
);

/// Asserts that the core's result is the model's: the same numbers, or both over capacity
/// (the model says `None`) with the core naming `capacity`.
///
/// # Panics
/// When they differ.
pub fn assert_same(
    what: &dyn fmt::Display,
    core: Result<Decision, Error>,
    model: Option<impl ModelOutcome>,
    capacity: u64,
) {
    match (core, model.map(|m| m.numbers())) {
        (Ok(d), Some(m)) => assert_eq!(numbers(&d), m, "{what}: the core and the model differ"),
        (Err(e), None) => assert_eq!(e, Error::InsufficientCapacity { capacity }, "{what}"),
        (core, model) => panic!("{what}: the core says {core:?}, the model {model:?}"),
    }
}

/// What holds of every decision of every algorithm: an error exactly above the capacity,
/// `limit` the capacity, `remaining` within it, no wait when admitted, and nothing stored by
/// a denial, a peek or an error (`changed` says whether the state changed).
///
/// # Panics
/// When one of these fails.
pub fn assert_well_formed(
    what: &dyn fmt::Display,
    capacity: u64,
    cost: u64,
    result: Result<Decision, Error>,
    changed: bool,
) {
    match result {
        Err(e) => {
            assert!(
                cost > capacity,
                "{what}: {e:?} for cost {cost} <= {capacity}"
            );
            assert_eq!(e, Error::InsufficientCapacity { capacity }, "{what}");
            assert!(!changed, "{what}: an error changed the state");
        }
        Ok(d) => {
            assert!(cost <= capacity, "{what}: cost {cost} > {capacity} decided");
            assert_eq!(d.limit, capacity, "{what}: limit");
            assert!(d.remaining <= capacity, "{what}: remaining {d:?}");
            if d.allowed {
                assert_eq!(d.retry_after, Nanos::ZERO, "{what}: admitted with a wait");
            }
            if !d.allowed || cost == 0 {
                assert!(!changed, "{what}: a denial or a peek changed the state");
            }
        }
    }
}

/// True while a GCRA key under `gcra`, whose latest instant since it was fresh is `latest`
/// ns, stays in the range the rational model describes: every tick count the cell may store
/// (`latest` in ticks plus two tolerances) fits in `u64`, so nothing saturates or fails
/// closed at the end of representable time.
pub fn gcra_in_range(gcra: &Gcra, latest: u64) -> bool {
    let [_, _, burst, scale, interval, _] = gcra.to_raw();
    let tolerance = u128::from(burst) * u128::from(interval);
    let ticks = u128::from(latest) * u128::from(scale);
    ticks + 2 * tolerance <= u128::from(u64::MAX)
}
