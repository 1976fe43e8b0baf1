//! Calendar and header arithmetic for the HTTP layer, restated by counting.
//!
//! Dates are found by walking from 1970 one year and one month at a time, subtracting their
//! lengths, rather than with era arithmetic; wire seconds are found by looping over whole
//! seconds rather than by division. Slow and obviously right, for the instants the tests use.

/// Whether `year` has a 29 February, by the Gregorian rule.
pub fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// `(year, month, day, hour, minute, second, weekday)` of `unix_secs`, weekday 0 = Sunday.
pub fn civil(unix_secs: u64) -> (u64, u64, u64, u64, u64, u64, u64) {
    let mut days = unix_secs / 86_400;
    let weekday = (days + 4) % 7; // 1970-01-01 was a Thursday
    let rem = unix_secs % 86_400;
    let mut year = 1970;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let lengths = [
        31,
        if is_leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 1;
    for len in lengths {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    (
        year,
        month,
        days + 1,
        rem / 3_600,
        rem / 60 % 60,
        rem % 60,
        weekday,
    )
}

/// `2025-01-26T12:00:12Z`.
pub fn rfc3339(unix_secs: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(unix_secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn imf_fixdate(unix_secs: u64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(unix_secs);
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} GMT",
        days[wd as usize],
        months[(mo - 1) as usize]
    )
}

/// The whole number of seconds a client must wait to be no earlier than `nanos`: the least
/// `s` with `s * 10^9 >= nanos`, found by counting (for the small values the tests use, or
/// by a guarded division for large ones).
pub fn wire_secs(nanos: u64) -> u64 {
    let mut s = nanos / 1_000_000_000;
    while u128::from(s) * 1_000_000_000 < u128::from(nanos) {
        s += 1;
    }
    s
}
