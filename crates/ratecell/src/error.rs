//! Errors: kept for what no amount of waiting can fix.
//!
//! A request that is refused because it came too early is not an error: it is a
//! [`Decision`](crate::Decision) with `allowed == false`. The types here describe an invalid
//! configuration, a malformed quota string, or a request that can never be admitted.

use core::fmt;

/// Everything that can go wrong in ratecell.
///
/// ```
/// use ratecell::{Error, Gcra, GcraState, Nanos, Quota};
///
/// let gcra = Gcra::new(Quota::per_second(5)?);
/// let mut state = GcraState::default();
/// let err = gcra.check(&mut state, Nanos::ZERO, 6).unwrap_err();
/// assert_eq!(err, Error::InsufficientCapacity { capacity: 5 });
/// assert_eq!(err.to_string(), "a cost of more than 5 can never be admitted: it exceeds the limiter's capacity");
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The request costs more than the limiter can ever hold: waiting will not help.
    InsufficientCapacity {
        /// The largest cost the limiter can admit at once (its burst).
        capacity: u64,
    },
    /// The quota's numbers are unusable.
    InvalidQuota(QuotaError),
    /// A quota string did not parse.
    Parse(ParseError),
    /// An [`AllOf`](crate::AllOf) over a slice was given a different number of states or
    /// costs than it has members.
    LengthMismatch {
        /// How many members the combination has.
        members: usize,
        /// How many states or costs it was given.
        given: usize,
    },
    /// A credits top-up would take what the key has been granted past `u64::MAX`; nothing was
    /// added.
    CreditsOverflow {
        /// The most that can still be added to the key.
        headroom: u64,
    },
}

/// Why a quota's numbers were rejected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuotaError {
    /// `limit` is zero: a limiter that admits nothing is a configuration mistake.
    ZeroLimit,
    /// `period` is zero: the rate would be infinite.
    ZeroPeriod,
    /// `burst` is zero: not even one request could ever be admitted.
    ZeroBurst,
    /// The period does not fit in `u64` nanoseconds (584 years).
    PeriodTooLong,
    /// `burst * period / limit`, the time a full burst takes to refill, is not representable.
    BurstTooLarge,
    /// A [`Burst`](crate::Burst) window is shorter than one request at the burst rate
    /// (`period / burst`), so the peak bucket could hold nothing.
    BurstWindowTooShort,
    /// `limit` is larger than the fixed number of slots reserved for the state (a const generic).
    LimitExceedsSlots,
}

/// Where and why a quota string failed to parse.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// Byte offset in the input where the problem starts.
    pub position: usize,
}

/// What was wrong with a quota string.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The string is empty or only whitespace.
    Empty,
    /// A whole number was expected here.
    ExpectedNumber,
    /// The number does not fit in 64 bits.
    NumberTooLarge,
    /// `/` or `per` was expected between the limit and the period.
    ExpectedSeparator,
    /// A time unit (`ns`, `us`, `ms`, `s`, `second`, `minute`, `hour`, `day`, `week`, ...) was expected.
    UnknownUnit,
    /// The period has more decimal places than whole nanoseconds allow.
    TooPrecise,
    /// Something follows a complete quota; only `burst N` may.
    TrailingInput,
    /// The numbers parsed but do not make a valid quota.
    Invalid(QuotaError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InsufficientCapacity { capacity } => write!(
                f,
                "a cost of more than {capacity} can never be admitted: it exceeds the limiter's capacity"
            ),
            Error::InvalidQuota(e) => write!(f, "invalid quota: {e}"),
            Error::Parse(e) => write!(f, "invalid quota string: {e}"),
            Error::LengthMismatch { members, given } => write!(
                f,
                "an all-of limiter with {members} members was given {given} states or costs"
            ),
            Error::CreditsOverflow { headroom } => write!(
                f,
                "a top-up of more than {headroom} credits would overflow what the key can be granted"
            ),
        }
    }
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuotaError::ZeroLimit => "limit must be at least 1",
            QuotaError::ZeroPeriod => "period must be longer than zero",
            QuotaError::ZeroBurst => "burst must be at least 1",
            QuotaError::PeriodTooLong => "period must be at most 584 years (u64 nanoseconds)",
            QuotaError::BurstTooLarge => {
                "burst is too large: refilling it (burst * period / limit) would take longer than 584 years"
            }
            QuotaError::BurstWindowTooShort => {
                "burst window is too short: it must hold at least one request at the burst rate (period / burst)"
            }
            QuotaError::LimitExceedsSlots => {
                "limit exceeds the number of slots reserved for the state (raise the SLOTS parameter)"
            }
        })
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ParseErrorKind::Empty => "the string is empty; expected a quota like \"100/minute\"",
            ParseErrorKind::ExpectedNumber => "expected a whole number",
            ParseErrorKind::NumberTooLarge => "the number is too large",
            ParseErrorKind::ExpectedSeparator => "expected \"/\" or \"per\" after the limit",
            ParseErrorKind::UnknownUnit => {
                "expected a time unit (ns, us, ms, s, second, minute, hour, day, week)"
            }
            ParseErrorKind::TooPrecise => "the period is finer than one nanosecond",
            ParseErrorKind::TrailingInput => {
                "unexpected text after the quota; only \"burst N\" may follow"
            }
            ParseErrorKind::Invalid(e) => return write!(f, "{e} (at byte {})", self.position),
        };
        write!(f, "{what} (at byte {})", self.position)
    }
}

impl From<QuotaError> for Error {
    fn from(e: QuotaError) -> Error {
        Error::InvalidQuota(e)
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(e)
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::InvalidQuota(e) => Some(e),
            Error::Parse(e) => Some(e),
            Error::InsufficientCapacity { .. }
            | Error::LengthMismatch { .. }
            | Error::CreditsOverflow { .. } => None,
        }
    }
}
impl core::error::Error for QuotaError {}
impl core::error::Error for ParseError {}
