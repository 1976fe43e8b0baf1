//! Calendar and header arithmetic for the HTTP layer, restated by counting.
//!
//! Dates are found by walking from 1970 one year and one month at a time, subtracting their
//! lengths, rather than with era arithmetic; wire seconds are found by looping over whole
//! seconds rather than by division. Slow and obviously right, for the instants the tests use.

/// Every response field a client reads (`ratecell::http::FieldParser` knows these), as
/// servers spell them: what the parser tests and fuzz target feed it.
pub const FIELD_NAMES: [&str; 12] = [
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "Date",
    "X-API-Credits-Remaining",
    "X-API-Credits-Used",
];

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

/// What one limiter tells clients about itself, as every binding derives it from the limiter's
/// parameters: a rate limit advertises `limit` per `period` (its sustained rate, never the
/// burst), a concurrency cap `limit` concurrent requests (no window), and a credit budget is
/// reported as a balance, not as a limit.
#[derive(Clone, Copy, Debug)]
pub enum Advert {
    /// `limit` requests per `period_ns`.
    Rate {
        /// Requests per period.
        limit: u64,
        /// The period.
        period_ns: u64,
    },
    /// `limit` concurrent requests.
    Concurrency {
        /// Requests in flight at once.
        limit: u64,
    },
    /// A budget of credits: `X-API-Credits-Remaining` and `X-API-Credits-Used`.
    Credits,
}

/// A decision, as the fields need it.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Whether the request was admitted.
    pub allowed: bool,
    /// The capacity.
    pub limit: u64,
    /// Unit requests admitted at this instant.
    pub remaining: u64,
    /// Until the request would be admitted (`u64::MAX`: never).
    pub retry_after_ns: u64,
    /// Until the key is fresh.
    pub reset_after_ns: u64,
}

/// The response fields, in order, for one limiter named `name` that took decision `d`, in
/// `style` (`ietf`, `draft-8`, `draft-7`, `draft-6` or `legacy`), the decision taken at
/// `unix_now_s` on the wall clock. Written out style by style from the drafts' examples.
pub fn fields(
    style: &str,
    name: &str,
    advert: Advert,
    d: Standing,
    unix_now_s: u64,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str, v: String| out.push((n.to_owned(), v));
    let reset = wire_secs(d.reset_after_ns);
    let policy = match advert {
        Advert::Rate { limit, period_ns } => Some((limit, format!("w={}", wire_secs(period_ns)))),
        Advert::Concurrency { limit } => Some((limit, String::new())),
        Advert::Credits => None,
    };
    if let Some((quota, window)) = policy {
        let quoted = format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
        let unit = matches!(advert, Advert::Concurrency { .. });
        // The parameters of an IETF policy item after its name, joined by `sep`.
        let params = |sep: &str| {
            let mut p = vec![format!("q={quota}")];
            if unit {
                p.push("qu=\"concurrent-requests\"".to_owned());
            }
            if !window.is_empty() {
                p.push(window.clone());
            }
            p.iter().fold(String::new(), |acc, x| acc + sep + x)
        };
        let numeric_policy = if window.is_empty() {
            format!("{quota}")
        } else {
            format!("{quota};{window}")
        };
        match style {
            "ietf" => {
                add("RateLimit-Policy", format!("{quoted}{}", params(";")));
                add("RateLimit", format!("{quoted};r={};t={reset}", d.remaining));
            }
            "draft-8" => {
                add("RateLimit-Policy", format!("{quoted}{}", params("; ")));
                add(
                    "RateLimit",
                    format!("{quoted}; r={}; t={reset}", d.remaining),
                );
            }
            "draft-7" => {
                add("RateLimit-Policy", numeric_policy);
                add(
                    "RateLimit",
                    format!("limit={quota}, remaining={}, reset={reset}", d.remaining),
                );
            }
            "draft-6" => {
                add("RateLimit-Policy", numeric_policy);
                add("RateLimit-Limit", format!("{quota}"));
                add("RateLimit-Remaining", format!("{}", d.remaining));
                if reset != 0 {
                    add("RateLimit-Reset", format!("{reset}"));
                }
            }
            "legacy" => {
                add("X-RateLimit-Limit", format!("{quota}"));
                add("X-RateLimit-Remaining", format!("{}", d.remaining));
                add("X-RateLimit-Reset", format!("{}", unix_now_s + reset));
            }
            other => panic!("unknown style {other}"),
        }
        if !d.allowed && d.retry_after_ns != u64::MAX {
            add("Retry-After", format!("{}", wire_secs(d.retry_after_ns)));
        }
    } else {
        add("X-API-Credits-Remaining", format!("{}", d.remaining));
        add("X-API-Credits-Used", format!("{}", d.limit - d.remaining));
    }
    out
}
