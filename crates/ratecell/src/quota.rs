//! [`Quota`]: `limit` admissions per `period`, with a `burst` capacity, and its string form.

use core::fmt;
use core::num::NonZeroU64;
use core::str::FromStr;
use core::time::Duration;

use crate::error::{ParseError, ParseErrorKind, QuotaError};
use crate::time::Nanos;

const NS_PER_SEC: u64 = 1_000_000_000;

/// A rate: `limit` admissions per `period`, and a `burst` capacity (how many unit requests a
/// fresh key may make at one instant; `limit` unless set).
///
/// A quota is validated once, when it is built: every `Quota` value is usable by every
/// algorithm. Rates are exact: `7` per minute is an emission interval of exactly
/// 60/7 seconds, never a rounded nanosecond count.
///
/// ```
/// use ratecell::Quota;
/// use core::time::Duration;
///
/// let free = Quota::per_minute(100)?.with_burst(120)?;
/// assert_eq!((free.limit(), free.burst()), (100, 120));
/// assert_eq!(free.period(), Duration::from_secs(60));
///
/// // The same quota from a string, as API providers publish them.
/// assert_eq!("100/minute burst 120".parse::<Quota>()?, free);
/// assert_eq!(Quota::parse("1000 per hour")?, Quota::per_hour(1000)?);
/// assert_eq!(Quota::parse("10/5s")?, Quota::new(10, Duration::from_secs(5))?);
/// assert_eq!(free.to_string(), "100/minute burst 120");
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    limit: NonZeroU64,
    period: NonZeroU64,
    burst: NonZeroU64,
}

/// The greatest common divisor (Euclid), `gcd(0, b) == b`.
pub(crate) const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

impl Quota {
    /// `limit` admissions per `period` nanoseconds, burst `limit`: the constructor the others
    /// use, and the one for C callers that count in nanoseconds.
    pub const fn from_nanos(limit: u64, period_ns: u64) -> Result<Quota, QuotaError> {
        let Some(limit) = NonZeroU64::new(limit) else {
            return Err(QuotaError::ZeroLimit);
        };
        let Some(period) = NonZeroU64::new(period_ns) else {
            return Err(QuotaError::ZeroPeriod);
        };
        Quota {
            limit,
            period,
            burst: limit,
        }
        .validated()
    }

    /// `limit` admissions per `period`, burst `limit`.
    pub const fn new(limit: u64, period: Duration) -> Result<Quota, QuotaError> {
        let ns = period.as_nanos();
        if ns > u64::MAX as u128 {
            return Err(QuotaError::PeriodTooLong);
        }
        Quota::from_nanos(limit, ns as u64)
    }

    /// `limit` admissions per second.
    pub const fn per_second(limit: u64) -> Result<Quota, QuotaError> {
        Quota::from_nanos(limit, NS_PER_SEC)
    }

    /// `limit` admissions per minute.
    pub const fn per_minute(limit: u64) -> Result<Quota, QuotaError> {
        Quota::from_nanos(limit, 60 * NS_PER_SEC)
    }

    /// `limit` admissions per hour.
    pub const fn per_hour(limit: u64) -> Result<Quota, QuotaError> {
        Quota::from_nanos(limit, 3_600 * NS_PER_SEC)
    }

    /// `limit` admissions per day (86,400 seconds).
    pub const fn per_day(limit: u64) -> Result<Quota, QuotaError> {
        Quota::from_nanos(limit, 86_400 * NS_PER_SEC)
    }

    /// The same rate with capacity `burst`: how many unit requests a fresh key may make at
    /// one instant. It may be smaller or larger than `limit`.
    pub const fn with_burst(self, burst: u64) -> Result<Quota, QuotaError> {
        let Some(burst) = NonZeroU64::new(burst) else {
            return Err(QuotaError::ZeroBurst);
        };
        Quota { burst, ..self }.validated()
    }

    /// Parses `"100/minute"`, `"5/second"`, `"1000 per hour"`, `"10/5s"`, `"2/1.5s"`,
    /// `"100/minute burst 120"`. Case and spaces do not matter.
    ///
    /// ```
    /// use ratecell::{ParseErrorKind, Quota};
    /// let err = Quota::parse("100/fortnight").unwrap_err();
    /// assert_eq!(err.kind, ParseErrorKind::UnknownUnit);
    /// assert_eq!(err.position, 4);
    /// assert_eq!(err.to_string(), "expected a time unit (ns, us, ms, s, second, minute, hour, day, week) (at byte 4)");
    /// ```
    pub fn parse(s: &str) -> Result<Quota, ParseError> {
        Parser::new(s).quota()
    }

    const fn validated(self) -> Result<Quota, QuotaError> {
        // A full burst must take a representable number of ticks to refill (see `ticks`).
        let (_, interval) = self.ticks();
        match interval.get().checked_mul(self.burst.get()) {
            Some(_) => Ok(self),
            None => Err(QuotaError::BurstTooLarge),
        }
    }

    /// Rebuilds a quota from numbers taken from a valid quota, checking only that none is zero
    /// (cheap enough for every call through a C struct; see `Gcra::from_raw`).
    pub(crate) const fn from_raw_parts(limit: u64, period_ns: u64, burst: u64) -> Option<Quota> {
        match (
            NonZeroU64::new(limit),
            NonZeroU64::new(period_ns),
            NonZeroU64::new(burst),
        ) {
            (Some(limit), Some(period), Some(burst)) => Some(Quota {
                limit,
                period,
                burst,
            }),
            _ => None,
        }
    }

    /// The admissions per period.
    pub const fn limit(&self) -> u64 {
        self.limit.get()
    }

    /// The capacity: unit requests a fresh key may make at one instant.
    pub const fn burst(&self) -> u64 {
        self.burst.get()
    }

    /// The period.
    pub const fn period(&self) -> Duration {
        Duration::from_nanos(self.period.get())
    }

    /// The period in nanoseconds.
    pub const fn period_nanos(&self) -> Nanos {
        Nanos::new(self.period.get())
    }

    /// The emission interval `period / limit` as `(scale, interval)`: one tick is `1/scale`
    /// nanoseconds and the interval is a whole number of ticks.
    ///
    /// `scale` is the smallest that makes the interval exact, `limit / gcd(period, limit)`: 1
    /// for quotas whose interval is whole nanoseconds (`100/minute`), 7 for `7/minute`, 10 for
    /// `10^10/second`. Ticks are stored in `u64`, so a larger scale brings the end of
    /// representable time closer (`u64::MAX / scale` ns). Scales above [`Quota::MAX_SCALE`]
    /// (exotic quotas such as `997/minute`) therefore use ticks of `1/MAX_SCALE` ns and round the
    /// interval *up* to whole ticks: never more permissive than the exact rate, slower by less
    /// than `1/MAX_SCALE` ns per request (under 3 parts in 10^10 for `997/minute`).
    pub(crate) const fn ticks(&self) -> (NonZeroU64, NonZeroU64) {
        let l = self.limit.get();
        let p = self.period.get();
        let g = gcd(p, l);
        let (scale, interval) = if l / g <= Quota::MAX_SCALE {
            (l / g, p / g)
        } else {
            // p * MAX_SCALE / l, rounded up; below p * MAX_SCALE / (MAX_SCALE + 1) < p, so it fits.
            let wide = (p as u128 * Quota::MAX_SCALE as u128).div_ceil(l as u128);
            (Quota::MAX_SCALE, wide as u64)
        };
        // `g` divides both and is at least 1, and the rounded interval is at least 1.
        match (NonZeroU64::new(scale), NonZeroU64::new(interval)) {
            (Some(scale), Some(interval)) => (scale, interval),
            _ => (NonZeroU64::MIN, NonZeroU64::MIN),
        }
    }

    /// The finest time unit ratecell's exact arithmetic uses is `1/MAX_SCALE` ns. Every quota
    /// whose `limit / gcd(limit, period_ns)` is at most this (all round quotas, `7/minute`,
    /// `13/minute`, `32768/second`, `10^10/second`) is enforced exactly; see [`Quota::is_exact`].
    pub const MAX_SCALE: u64 = 64;

    /// True when decisions under this quota are exact to the nanosecond (see
    /// [`Quota::MAX_SCALE`]); otherwise the emission interval is rounded up by less than
    /// `1/MAX_SCALE` ns.
    ///
    /// ```
    /// use ratecell::Quota;
    /// assert!(Quota::per_minute(7)?.is_exact());
    /// assert!(Quota::per_second(10_000_000_000)?.is_exact());
    /// assert!(!Quota::per_minute(997)?.is_exact());
    /// # Ok::<(), ratecell::QuotaError>(())
    /// ```
    pub const fn is_exact(&self) -> bool {
        let l = self.limit.get();
        l / gcd(self.period.get(), l) <= Quota::MAX_SCALE
    }
}

impl FromStr for Quota {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Quota, ParseError> {
        Quota::parse(s)
    }
}

impl fmt::Display for Quota {
    /// The canonical string form, which [`Quota::parse`] reads back to the same quota.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.limit)?;
        let p = self.period.get();
        let named = [
            (604_800 * NS_PER_SEC, "week"),
            (86_400 * NS_PER_SEC, "day"),
            (3_600 * NS_PER_SEC, "hour"),
            (60 * NS_PER_SEC, "minute"),
            (NS_PER_SEC, "second"),
        ];
        let mut done = false;
        for (unit, name) in named {
            if p == unit {
                f.write_str(name)?;
                done = true;
                break;
            }
        }
        if !done {
            let short = [
                (NS_PER_SEC, "s"),
                (1_000_000, "ms"),
                (1_000, "us"),
                (1, "ns"),
            ];
            for (unit, name) in short {
                if p.is_multiple_of(unit) {
                    write!(f, "{}{name}", p / unit)?;
                    break;
                }
            }
        }
        if self.burst != self.limit {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

/// Time units accepted in quota strings, with their length in nanoseconds.
const UNITS: &[(&str, u64)] = &[
    ("nanoseconds", 1),
    ("nanosecond", 1),
    ("ns", 1),
    ("microseconds", 1_000),
    ("microsecond", 1_000),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("milliseconds", 1_000_000),
    ("millisecond", 1_000_000),
    ("ms", 1_000_000),
    ("seconds", NS_PER_SEC),
    ("second", NS_PER_SEC),
    ("secs", NS_PER_SEC),
    ("sec", NS_PER_SEC),
    ("s", NS_PER_SEC),
    ("minutes", 60 * NS_PER_SEC),
    ("minute", 60 * NS_PER_SEC),
    ("mins", 60 * NS_PER_SEC),
    ("min", 60 * NS_PER_SEC),
    ("m", 60 * NS_PER_SEC),
    ("hours", 3_600 * NS_PER_SEC),
    ("hour", 3_600 * NS_PER_SEC),
    ("hrs", 3_600 * NS_PER_SEC),
    ("hr", 3_600 * NS_PER_SEC),
    ("h", 3_600 * NS_PER_SEC),
    ("days", 86_400 * NS_PER_SEC),
    ("day", 86_400 * NS_PER_SEC),
    ("d", 86_400 * NS_PER_SEC),
    ("weeks", 604_800 * NS_PER_SEC),
    ("week", 604_800 * NS_PER_SEC),
    ("w", 604_800 * NS_PER_SEC),
];

/// A hand-written recursive-descent parser over bytes; every failure carries its position.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser { s, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            kind,
            position: self.pos,
        }
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Consumes `word` (ASCII, case-insensitive) if the input continues with it and the word
    /// is not followed by another letter.
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..word.len()) else {
            return false;
        };
        if !head.eq_ignore_ascii_case(word) {
            return false;
        }
        let next = rest.get(word.len()..).and_then(|t| t.chars().next());
        if next.is_some_and(char::is_alphabetic) {
            return false;
        }
        self.pos += word.len();
        true
    }

    fn digits(&mut self) -> &'a str {
        let rest = self.rest();
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        self.pos += n;
        rest.get(..n).unwrap_or("")
    }

    fn number(&mut self) -> Result<u64, ParseError> {
        let start = self.pos;
        let digits = self.digits();
        if digits.is_empty() {
            return Err(self.err(ParseErrorKind::ExpectedNumber));
        }
        digits.parse::<u64>().map_err(|_| ParseError {
            kind: ParseErrorKind::NumberTooLarge,
            position: start,
        })
    }

    /// An optional decimal multiplier and a unit: `minute`, `5s`, `1.5 hours`, `500ms`.
    fn period(&mut self) -> Result<u64, ParseError> {
        let start = self.pos;
        let has_number = self
            .rest()
            .starts_with(|c: char| c.is_ascii_digit() || c == '.');
        // The multiplier as an exact fraction `num / den` with `den` a power of ten.
        let (mut num, mut den) = (1_u128, 1_u128);
        if has_number {
            let whole = self.digits();
            let frac = if self.rest().starts_with('.') {
                self.pos += 1;
                self.digits()
            } else {
                ""
            };
            if whole.is_empty() && frac.is_empty() {
                return Err(self.err(ParseErrorKind::ExpectedNumber));
            }
            num = 0;
            for b in whole.bytes().chain(frac.bytes()) {
                num = num
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u128::from(b - b'0')))
                    .filter(|&n| n <= u128::from(u64::MAX) * 1_000_000_000_000_000_000)
                    .ok_or(ParseError {
                        kind: ParseErrorKind::NumberTooLarge,
                        position: start,
                    })?;
            }
            for _ in 0..frac.len() {
                den = den.checked_mul(10).ok_or(ParseError {
                    kind: ParseErrorKind::TooPrecise,
                    position: start,
                })?;
            }
            self.skip_ws();
        }
        let unit_pos = self.pos;
        let unit = UNITS
            .iter()
            .find(|(name, _)| self.eat_word(name))
            .map(|&(_, ns)| ns)
            .ok_or(ParseError {
                kind: ParseErrorKind::UnknownUnit,
                position: unit_pos,
            })?;
        let total = num.checked_mul(u128::from(unit)).ok_or(ParseError {
            kind: ParseErrorKind::NumberTooLarge,
            position: start,
        })?;
        if total % den != 0 {
            return Err(ParseError {
                kind: ParseErrorKind::TooPrecise,
                position: start,
            });
        }
        u64::try_from(total / den).map_err(|_| ParseError {
            kind: ParseErrorKind::Invalid(QuotaError::PeriodTooLong),
            position: start,
        })
    }

    fn quota(&mut self) -> Result<Quota, ParseError> {
        self.skip_ws();
        if self.rest().is_empty() {
            return Err(self.err(ParseErrorKind::Empty));
        }
        let limit_pos = self.pos;
        let limit = self.number()?;
        self.skip_ws();
        if self.rest().starts_with('/') {
            self.pos += 1;
        } else if !self.eat_word("per") {
            return Err(self.err(ParseErrorKind::ExpectedSeparator));
        }
        self.skip_ws();
        let period_pos = self.pos;
        let period = self.period()?;
        let invalid = |position, e| ParseError {
            kind: ParseErrorKind::Invalid(e),
            position,
        };
        let mut quota = match Quota::from_nanos(limit, period) {
            Ok(q) => q,
            Err(e @ QuotaError::ZeroLimit) => return Err(invalid(limit_pos, e)),
            Err(e) => return Err(invalid(period_pos, e)),
        };
        self.skip_ws();
        if self.eat_word("burst") {
            self.skip_ws();
            if self.rest().starts_with(['=', ':']) {
                self.pos += 1;
                self.skip_ws();
            }
            let burst_pos = self.pos;
            let burst = self.number()?;
            quota = quota.with_burst(burst).map_err(|e| invalid(burst_pos, e))?;
            self.skip_ws();
        }
        if !self.rest().is_empty() {
            return Err(self.err(ParseErrorKind::TrailingInput));
        }
        Ok(quota)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    fn q(limit: u64, period_ns: u64) -> Quota {
        Quota::from_nanos(limit, period_ns).unwrap()
    }

    #[test]
    fn parses_the_published_forms() {
        let min = 60 * NS_PER_SEC;
        assert_eq!(Quota::parse("100/minute"), Ok(q(100, min)));
        assert_eq!(Quota::parse("5/second"), Ok(q(5, NS_PER_SEC)));
        assert_eq!(
            Quota::parse("1000 per hour"),
            Ok(q(1000, 3600 * NS_PER_SEC))
        );
        assert_eq!(Quota::parse("10/5s"), Ok(q(10, 5 * NS_PER_SEC)));
        assert_eq!(
            Quota::parse("100/minute burst 120"),
            Ok(q(100, min).with_burst(120).unwrap())
        );
        assert_eq!(Quota::parse("  60 / MIN  "), Ok(q(60, min)));
        assert_eq!(Quota::parse("2/1.5s"), Ok(q(2, 1_500_000_000)));
        assert_eq!(Quota::parse("1/day"), Ok(q(1, 86_400 * NS_PER_SEC)));
        assert_eq!(
            Quota::parse("3 per 2 weeks"),
            Ok(q(3, 1_209_600 * NS_PER_SEC))
        );
        assert_eq!(Quota::parse("10/500ms"), Ok(q(10, 500_000_000)));
        assert_eq!(Quota::parse("10/250us"), Ok(q(10, 250_000)));
        assert_eq!(Quota::parse("10/250\u{b5}s"), Ok(q(10, 250_000)));
        assert_eq!(Quota::parse("7/100ns"), Ok(q(7, 100)));
        assert_eq!(
            Quota::parse("5/s burst=1"),
            Ok(q(5, NS_PER_SEC).with_burst(1).unwrap())
        );
        assert_eq!(
            Quota::parse("5/s burst: 9"),
            Ok(q(5, NS_PER_SEC).with_burst(9).unwrap())
        );
        assert_eq!(
            Quota::parse("10000000000/second"),
            Ok(q(10_000_000_000, NS_PER_SEC))
        );
    }

    fn err(s: &str) -> (ParseErrorKind, usize) {
        let e = Quota::parse(s).unwrap_err();
        (e.kind, e.position)
    }

    #[test]
    fn malformed_strings_say_what_and_where() {
        use ParseErrorKind as K;
        assert_eq!(err(""), (K::Empty, 0));
        assert_eq!(err("   "), (K::Empty, 3));
        assert_eq!(err("minute"), (K::ExpectedNumber, 0));
        assert_eq!(err("-5/second"), (K::ExpectedNumber, 0));
        assert_eq!(err("100 minute"), (K::ExpectedSeparator, 4));
        assert_eq!(err("100/"), (K::UnknownUnit, 4));
        assert_eq!(err("100/fortnight"), (K::UnknownUnit, 4));
        assert_eq!(err("100/minutes2"), (K::TrailingInput, 11));
        assert_eq!(err("100/secondly"), (K::UnknownUnit, 4));
        assert_eq!(err("100/minute burst"), (K::ExpectedNumber, 16));
        assert_eq!(err("100/minute burst -1"), (K::ExpectedNumber, 17));
        assert_eq!(err("100/minute extra"), (K::TrailingInput, 11));
        assert_eq!(err("99999999999999999999/s"), (K::NumberTooLarge, 0));
        assert_eq!(err("0/minute"), (K::Invalid(QuotaError::ZeroLimit), 0));
        assert_eq!(err("5/0s"), (K::Invalid(QuotaError::ZeroPeriod), 2));
        assert_eq!(err("5/0.5ns"), (K::TooPrecise, 2));
        assert_eq!(err("5/s burst 0"), (K::Invalid(QuotaError::ZeroBurst), 10));
        assert_eq!(
            err("5/100000 weeks"),
            (K::Invalid(QuotaError::PeriodTooLong), 2)
        );
        assert_eq!(err("5/./s"), (K::ExpectedNumber, 3));
        assert_eq!(err("5/s/s"), (K::TrailingInput, 3));
        assert_eq!(err("\u{b5}/s"), (K::ExpectedNumber, 0));
        assert_eq!(
            err("1/second burst 18446744073709551615"),
            (K::Invalid(QuotaError::BurstTooLarge), 15)
        );
    }

    #[test]
    fn constructors_reject_unusable_numbers() {
        assert_eq!(Quota::per_second(0), Err(QuotaError::ZeroLimit));
        assert_eq!(Quota::new(1, Duration::ZERO), Err(QuotaError::ZeroPeriod));
        assert_eq!(Quota::new(1, Duration::MAX), Err(QuotaError::PeriodTooLong));
        assert_eq!(
            Quota::per_second(1).unwrap().with_burst(0),
            Err(QuotaError::ZeroBurst)
        );
        assert_eq!(
            Quota::per_day(1).unwrap().with_burst(u64::MAX),
            Err(QuotaError::BurstTooLarge)
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "100/minute",
            "7/second",
            "1/day",
            "3/week",
            "10/5s",
            "10/1500ms",
            "10/7ns",
            "100/minute burst 120",
            "1000/hour burst 1",
        ] {
            let quota = Quota::parse(s).unwrap();
            assert_eq!(quota.to_string(), s);
            assert_eq!(Quota::parse(&quota.to_string()), Ok(quota));
        }
    }

    #[test]
    fn ticks_are_exact_and_minimal() {
        let ticks = |q: Quota| (q.ticks().0.get(), q.ticks().1.get());
        assert_eq!(ticks(q(100, 60 * NS_PER_SEC)), (1, 600_000_000));
        assert_eq!(ticks(q(7, 60 * NS_PER_SEC)), (7, 60 * NS_PER_SEC));
        assert_eq!(ticks(q(10_000_000_000, NS_PER_SEC)), (10, 1));
        assert_eq!(ticks(q(32_768, NS_PER_SEC)), (64, 1_953_125));
        // 997/minute: 60.180541624... ms, in 1/64 ns ticks rounded up.
        assert_eq!(ticks(q(997, 60 * NS_PER_SEC)), (64, 3_851_554_664));
        assert_eq!(ticks(q(u64::MAX, 1)), (64, 1));
    }
}
