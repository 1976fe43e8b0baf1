//! Calendar arithmetic for HTTP: RFC 3339 timestamps (`2025-01-26T12:00:12Z`) and HTTP-dates
//! (`Sun, 06 Nov 1994 08:49:37 GMT`), to and from Unix seconds, without a dependency.
//!
//! Dates use the proleptic Gregorian calendar and ignore leap seconds, as Unix time does.
//! Days are converted with 400-year eras: an era is always exactly 146,097 days long, so a day
//! count splits into an era and a day within it, and the day within the era into a year of
//! the era and a day of a year that starts on 1 March (which puts the leap day last).
//!
//! Formatting is limited to the years 1970 through 9999, the range both formats can write:
//! later instants are written as `9999-12-31T23:59:59Z`. Parsing accepts the three HTTP-date
//! forms every HTTP recipient must read (RFC 9110, section 5.6.7), and returns `None` for
//! anything else, never panicking.

use core::fmt;

const SECS_PER_DAY: i64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_SHIFT: i64 = 719_468;
/// Days in a 400-year era.
const DAYS_PER_ERA: i64 = 146_097;
/// The last second representable with a four-digit year: 9999-12-31T23:59:59Z.
pub const MAX_FORMATTED: u64 = 253_402_300_799;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A calendar date and time of day in UTC.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Civil {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// 1 through 12.
    pub month: u8,
    /// 1 through 31.
    pub day: u8,
    /// 0 through 23.
    pub hour: u8,
    /// 0 through 59.
    pub minute: u8,
    /// 0 through 59.
    pub second: u8,
}

/// The number of days from 1970-01-01 to the given date (negative before it).
///
/// `month` must be 1 through 12; the day is not range-checked (day 0 is the last day of the
/// previous month).
pub const fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    // Years start on 1 March, so January and February belong to the previous year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    // Months counted from March: 0 is March, 11 is February.
    let m = if month > 2 { month - 3 } else { month + 9 } as i64;
    // March through January alternate 31 and 30 days in a 153-day five-month pattern.
    let day_of_year = (153 * m + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// The calendar date `days` days after 1970-01-01: `(year, month, day)`.
pub const fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z.rem_euclid(DAYS_PER_ERA);
    // Remove the leap days before this day of the era: one every 4 years (1460 days), less
    // one every century (36,524 days), plus the one at the end of the era.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let m = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * m + 2) / 5 + 1).cast_unsigned() as u8;
    let month = if m < 10 { m + 3 } else { m - 9 }.cast_unsigned() as u8;
    let year = era * 400 + year_of_era + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// Whether `year` has a 29 February.
const fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1 through 12) of `year`.
const fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Civil {
    /// The UTC calendar time of `unix_secs` seconds after the Unix epoch.
    pub const fn from_unix(unix_secs: u64) -> Civil {
        // u64 seconds are at most 2.2e14 days: no overflow in i64.
        let days = (unix_secs / SECS_PER_DAY.cast_unsigned()).cast_signed();
        let secs = unix_secs % SECS_PER_DAY.cast_unsigned();
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (secs / 3_600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
        }
    }

    /// Seconds since the Unix epoch (negative before it), or `None` when a field is out of
    /// range. A second of 60 (a leap second) counts as the first second of the next minute.
    pub const fn to_unix(self) -> Option<i64> {
        if self.month < 1
            || self.month > 12
            || self.day < 1
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
            || self.year < 0
            || self.year > 9_999
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        Some(
            days * SECS_PER_DAY
                + self.hour as i64 * 3_600
                + self.minute as i64 * 60
                + self.second as i64,
        )
    }

    /// Day of the week, 0 for Monday through 6 for Sunday.
    const fn weekday(self) -> usize {
        // 1970-01-01 was a Thursday (3).
        (days_from_civil(self.year, self.month, self.day) + 3).rem_euclid(7) as usize
    }
}

/// Writes `2025-01-26T12:00:12Z`: an RFC 3339 timestamp in UTC, with whole seconds.
///
/// ```
/// use ratecell::http::Rfc3339;
/// assert_eq!(Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
/// assert_eq!(Rfc3339(1_706_284_812).to_string(), "2024-01-26T16:00:12Z");
/// assert_eq!(Rfc3339(u64::MAX).to_string(), "9999-12-31T23:59:59Z"); // clamped
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rfc3339(pub u64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix(self.0.min(MAX_FORMATTED));
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
}

/// Writes `Sun, 06 Nov 1994 08:49:37 GMT`: the IMF-fixdate form of an HTTP-date (RFC 9110),
/// for `Date`, `Retry-After` and similar fields.
///
/// ```
/// use ratecell::http::{HttpDate, parse_http_date};
/// assert_eq!(HttpDate(784_111_777).to_string(), "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HttpDate(pub u64);

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix(self.0.min(MAX_FORMATTED));
        let weekday = WEEKDAYS.get(c.weekday()).copied().unwrap_or("Mon");
        let month = MONTHS
            .get(usize::from(c.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan");
        write!(
            f,
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            c.day, c.year, c.hour, c.minute, c.second
        )
    }
}

/// A cursor over ASCII bytes for the date grammars.
struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        let rest = self.s.strip_prefix(lit)?;
        self.s = rest;
        Some(())
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let (head, rest) = self.s.split_at_checked(n)?;
        let mut v = 0_u32;
        for &b in head {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.s = rest;
        Some(v)
    }

    /// One of `names`, matched case-insensitively; its index.
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        for (i, name) in names.iter().enumerate() {
            let n = name.len();
            if let Some((head, rest)) = self.s.split_at_checked(n)
                && head.eq_ignore_ascii_case(name.as_bytes())
            {
                self.s = rest;
                return Some(i);
            }
        }
        None
    }

    fn month(&mut self) -> Option<u8> {
        self.name(&MONTHS).map(|i| i as u8 + 1)
    }

    /// `HH:MM:SS`.
    fn time(&mut self) -> Option<(u8, u8, u8)> {
        let h = self.digits(2)?;
        self.eat(b":")?;
        let m = self.digits(2)?;
        self.eat(b":")?;
        let s = self.digits(2)?;
        Some((h as u8, m as u8, s as u8))
    }
}

fn trim_ows(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// Parses an HTTP-date in any of the three forms of RFC 9110 (section 5.6.7) to Unix seconds
/// (negative before 1970): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850
/// form `Sunday, 06-Nov-94 08:49:37 GMT` and the asctime form `Sun Nov  6 08:49:37 1994`.
///
/// Names match case-insensitively and surrounding whitespace is ignored; the weekday must be
/// a weekday name but is not checked against the date. A two-digit RFC 850 year below 70 is
/// in the 2000s. Anything else is `None`.
pub fn parse_http_date(value: &[u8]) -> Option<i64> {
    let s = trim_ows(value);
    imf_fixdate(s).or_else(|| rfc850(s)).or_else(|| asctime(s))
}

fn imf_fixdate(s: &[u8]) -> Option<i64> {
    let mut c = Cursor { s };
    c.name(&WEEKDAYS)?;
    c.eat(b", ")?;
    let day = c.digits(2)?;
    c.eat(b" ")?;
    let month = c.month()?;
    c.eat(b" ")?;
    let year = c.digits(4)?;
    c.eat(b" ")?;
    let (hour, minute, second) = c.time()?;
    c.eat(b" GMT")?;
    finish(&c, year, month, day, hour, minute, second)
}

fn rfc850(s: &[u8]) -> Option<i64> {
    let mut c = Cursor { s };
    c.name(&LONG_WEEKDAYS)?;
    c.eat(b", ")?;
    let day = c.digits(2)?;
    c.eat(b"-")?;
    let month = c.month()?;
    c.eat(b"-")?;
    let yy = c.digits(2)?;
    let year = if yy < 70 { 2_000 + yy } else { 1_900 + yy };
    c.eat(b" ")?;
    let (hour, minute, second) = c.time()?;
    c.eat(b" GMT")?;
    finish(&c, year, month, day, hour, minute, second)
}

fn asctime(s: &[u8]) -> Option<i64> {
    let mut c = Cursor { s };
    c.name(&WEEKDAYS)?;
    c.eat(b" ")?;
    let month = c.month()?;
    c.eat(b" ")?;
    let day = if c.eat(b" ").is_some() {
        c.digits(1)?
    } else {
        c.digits(2)?
    };
    c.eat(b" ")?;
    let (hour, minute, second) = c.time()?;
    c.eat(b" ")?;
    let year = c.digits(4)?;
    finish(&c, year, month, day, hour, minute, second)
}

fn finish(
    c: &Cursor<'_>,
    year: u32,
    month: u8,
    day: u32,
    hour: u8,
    minute: u8,
    second: u8,
) -> Option<i64> {
    if !c.s.is_empty() {
        return None;
    }
    Civil {
        year: i64::from(year),
        month,
        day: u8::try_from(day).ok()?,
        hour,
        minute,
        second,
    }
    .to_unix()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn the_three_http_date_forms_agree() {
        let t = Some(784_111_777);
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), t);
        assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), t);
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), t);
        assert_eq!(parse_http_date(b"  sun, 06 nov 1994 08:49:37 GMT "), t);
    }

    #[test]
    fn malformed_dates_are_none() {
        for bad in [
            &b""[..],
            b"Sun, 06 Nov 1994 08:49:37",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 31 Feb 1994 08:49:37 GMT",
            b"Sun, 29 Feb 1900 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:60:00 GMT",
            b"Xyz, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT trailing",
            b"Sun, 06 Nov 1994 08:49:3\xff GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_http_date(b"Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
    }

    #[test]
    fn days_round_trip_across_eras() {
        // A coarser stride under Miri, which interprets every conversion.
        let stride = if cfg!(miri) { 4_999 } else { 97 };
        for days in (-800_000..800_000).step_by(stride) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(Rfc3339(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Rfc3339(MAX_FORMATTED).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(HttpDate(0).to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
