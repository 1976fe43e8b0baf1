//! [`ResponseFields`]: the header fields of a response, from one or more [`Policy`]s.
//!
//! # Several policies
//!
//! The IETF and draft-8 styles name each policy, so both fields list every policy, in the
//! order given, separated by `", "` (the Structured Fields serialization of a List). The
//! other styles carry one set of numbers: they report the *binding* policy, the one closest
//! to refusing (a denying policy first, then the lowest `remaining`, then the longest reset),
//! as draft-7 requires ("the time window with the lower remaining"). Their
//! `RateLimit-Policy` still lists every policy's quota.
//!
//! # Retry-After
//!
//! When any policy denied, `Retry-After` carries the longest `retry_after` among them, in
//! seconds rounded up: the request is admitted by every policy once that much time has
//! passed (with no other traffic). A denial that no wait can cure (`retry_after ==
//! Nanos::MAX`, such as an exhausted credit budget) gets no `Retry-After`: answer it with
//! 402 rather than 429.
//!
//! # Rounding
//!
//! Reset values and windows are whole seconds rounded up (a 600 ms reset is `t=1`); the
//! legacy `X-RateLimit-Reset` is the Unix second at or after the reset instant, computed from
//! the wall-clock time the caller supplies with [`ResponseFields::with_unix_now`].

use core::cmp::Reverse;
use core::fmt::{self, Write as _};

use super::{FieldError, HeaderStyle, Policy, QuotaUnit};
use crate::decision::Decision;
use crate::time::Nanos;

/// A credit (prepaid budget) balance, written as `X-API-Credits-Remaining` and
/// `X-API-Credits-Used`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CreditBalance {
    /// Credits left.
    pub remaining: u64,
    /// Credits spent.
    pub used: u64,
}

impl CreditBalance {
    /// The balance a credit budget's decision reports: `remaining` left of `limit`.
    pub const fn from_decision(decision: &Decision) -> CreditBalance {
        CreditBalance {
            remaining: decision.remaining,
            used: decision.limit.saturating_sub(decision.remaining),
        }
    }
}

/// The size of the stack buffer [`ResponseFields::for_each`] formats each value into.
pub const FIELD_CAPACITY: usize = 512;

/// The rate-limit header fields of one response: a style, the policies the request was
/// checked against, and optionally the wall-clock time and a credit balance.
///
/// Fields come out as an iterator of [`Field`]s (name and a `Display` value, no size limit),
/// through a callback with `&str` values ([`ResponseFields::for_each`]), or as
/// `Name: value\r\n` lines ([`ResponseFields::write_to`]).
///
/// ```
/// use ratecell::{Decision, Nanos};
/// use ratecell::http::{CreditBalance, HeaderStyle, Policy, ResponseFields};
///
/// let denied = Decision { allowed: false, limit: 100, remaining: 0,
///                         retry_after: Nanos::from_millis(11_200),
///                         reset_after: Nanos::from_millis(11_200) };
/// let policies = [Policy::new("api", denied)?.with_quota(100, Nanos::from_secs(60))];
/// let fields = ResponseFields::new(HeaderStyle::Legacy, &policies)
///     .with_unix_now(Nanos::from_secs(1_706_284_800))
///     .with_credits(CreditBalance { remaining: 412, used: 588 });
///
/// let mut text = String::new();
/// fields.write_to(&mut text)?;
/// assert_eq!(text, "X-RateLimit-Limit: 100\r\n\
///                   X-RateLimit-Remaining: 0\r\n\
///                   X-RateLimit-Reset: 1706284812\r\n\
///                   Retry-After: 12\r\n\
///                   X-API-Credits-Remaining: 412\r\n\
///                   X-API-Credits-Used: 588\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ResponseFields<'a> {
    style: HeaderStyle,
    policies: &'a [Policy<'a>],
    unix_now: Option<Nanos>,
    credits: Option<CreditBalance>,
}

/// Which field, and so how to write its value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    IetfPolicy,
    IetfLimit,
    Draft8Policy,
    Draft8Limit,
    /// `100;w=60, 1000;w=3600`: the draft-6 and draft-7 `RateLimit-Policy`.
    NumericPolicy,
    Draft7Limit,
    Draft6Limit,
    Draft6Remaining,
    Draft6Reset,
    LegacyLimit,
    LegacyRemaining,
    LegacyReset,
    RetryAfter,
    CreditsRemaining,
    CreditsUsed,
}

const TAIL: [Kind; 3] = [Kind::RetryAfter, Kind::CreditsRemaining, Kind::CreditsUsed];

impl Kind {
    const fn for_style(style: HeaderStyle) -> &'static [Kind] {
        match style {
            HeaderStyle::Ietf => &[Kind::IetfPolicy, Kind::IetfLimit],
            HeaderStyle::Draft8 => &[Kind::Draft8Policy, Kind::Draft8Limit],
            HeaderStyle::Draft7 => &[Kind::NumericPolicy, Kind::Draft7Limit],
            HeaderStyle::Draft6 => &[
                Kind::NumericPolicy,
                Kind::Draft6Limit,
                Kind::Draft6Remaining,
                Kind::Draft6Reset,
            ],
            HeaderStyle::Legacy => &[Kind::LegacyLimit, Kind::LegacyRemaining, Kind::LegacyReset],
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Kind::IetfPolicy | Kind::Draft8Policy | Kind::NumericPolicy => "RateLimit-Policy",
            Kind::IetfLimit | Kind::Draft8Limit | Kind::Draft7Limit => "RateLimit",
            Kind::Draft6Limit => "RateLimit-Limit",
            Kind::Draft6Remaining => "RateLimit-Remaining",
            Kind::Draft6Reset => "RateLimit-Reset",
            Kind::LegacyLimit => "X-RateLimit-Limit",
            Kind::LegacyRemaining => "X-RateLimit-Remaining",
            Kind::LegacyReset => "X-RateLimit-Reset",
            Kind::RetryAfter => "Retry-After",
            Kind::CreditsRemaining => "X-API-Credits-Remaining",
            Kind::CreditsUsed => "X-API-Credits-Used",
        }
    }
}

/// Whole seconds, rounded up.
const fn secs(n: Nanos) -> u64 {
    n.as_secs_ceil()
}

impl<'a> ResponseFields<'a> {
    /// The fields of `style` for a request checked against `policies` (none: only the
    /// credit fields, if any).
    pub const fn new(style: HeaderStyle, policies: &'a [Policy<'a>]) -> ResponseFields<'a> {
        ResponseFields {
            style,
            policies,
            unix_now: None,
            credits: None,
        }
    }

    /// The wall-clock time, as a duration since the Unix epoch, of the instant the decisions
    /// were taken. The legacy style needs it for `X-RateLimit-Reset` (left out without it),
    /// and so does [`RateLimitExceeded`](super::RateLimitExceeded)'s `reset_at`.
    #[must_use]
    pub const fn with_unix_now(self, unix_now: Nanos) -> ResponseFields<'a> {
        ResponseFields {
            unix_now: Some(unix_now),
            ..self
        }
    }

    /// Adds `X-API-Credits-Remaining` and `X-API-Credits-Used`.
    #[must_use]
    pub const fn with_credits(self, credits: CreditBalance) -> ResponseFields<'a> {
        ResponseFields {
            credits: Some(credits),
            ..self
        }
    }

    /// The style.
    pub const fn style(&self) -> HeaderStyle {
        self.style
    }

    /// The policies.
    pub const fn policies(&self) -> &'a [Policy<'a>] {
        self.policies
    }

    /// True when every policy admitted the request.
    pub fn allowed(&self) -> bool {
        self.policies.iter().all(|p| p.decision().allowed)
    }

    /// The policy the single-valued styles report: a denying one first, then the lowest
    /// `remaining`, then the longest reset; the first such in order.
    pub fn binding(&self) -> Option<&'a Policy<'a>> {
        self.policies.iter().min_by_key(|p| {
            let d = p.decision();
            (d.allowed, d.remaining, Reverse(d.reset_after))
        })
    }

    /// How long until every policy admits the request again: the longest `retry_after` of
    /// the denying policies. `None` when all admitted, or when one can never admit it.
    pub fn retry_after(&self) -> Option<Nanos> {
        let wait = self
            .policies
            .iter()
            .filter(|p| !p.decision().allowed)
            .map(|p| p.decision().retry_after)
            .max()?;
        (wait != Nanos::MAX).then_some(wait)
    }

    /// The Unix second at or after which the binding policy is fresh again: `unix_now +
    /// reset_after`, rounded up. `None` without [`ResponseFields::with_unix_now`] or
    /// policies.
    pub fn reset_at(&self) -> Option<u64> {
        let now = self.unix_now?;
        let reset_after = self.binding()?.decision().reset_after;
        Some(secs(now.saturating_add(reset_after)))
    }

    /// The fields, in order.
    pub fn iter(&self) -> Fields<'_, 'a> {
        Fields {
            fields: self,
            pos: 0,
        }
    }

    /// Calls `emit(name, value)` for every field, each value formatted into a stack buffer
    /// of [`FIELD_CAPACITY`] bytes. When a value would not fit, nothing is emitted and the
    /// error says how much room it needs (use [`ResponseFields::for_each_in`] or
    /// [`ResponseFields::iter`]).
    pub fn for_each(&self, emit: impl FnMut(&str, &str)) -> Result<(), FieldError> {
        let mut buf = [0_u8; FIELD_CAPACITY];
        self.for_each_in(&mut buf, emit)
    }

    /// [`ResponseFields::for_each`] with the caller's buffer: each value is formatted into
    /// `buf` in turn. Either every field is emitted or, when one would not fit, none is.
    pub fn for_each_in(
        &self,
        buf: &mut [u8],
        mut emit: impl FnMut(&str, &str),
    ) -> Result<(), FieldError> {
        for field in self {
            let mut counter = Counter(0);
            // Writing to a counter cannot fail; the values themselves never fail.
            let _ = write!(counter, "{field}");
            if counter.0 > buf.len() {
                return Err(FieldError::BufferTooSmall { needed: counter.0 });
            }
        }
        for field in self {
            let mut w = SliceWriter { buf, len: 0 };
            let _ = write!(w, "{field}");
            let len = w.len;
            let value = buf
                .get(..len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or("");
            emit(field.name(), value);
        }
        Ok(())
    }

    /// Writes every field as a `Name: value\r\n` line.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        for field in self {
            write!(w, "{}: {field}\r\n", field.name())?;
        }
        Ok(())
    }

    fn present(&self, kind: Kind) -> bool {
        match kind {
            Kind::Draft6Reset => self
                .binding()
                .is_some_and(|p| secs(p.decision().reset_after) != 0),
            Kind::LegacyReset => self.unix_now.is_some() && !self.policies.is_empty(),
            Kind::RetryAfter => self.retry_after().is_some(),
            Kind::CreditsRemaining | Kind::CreditsUsed => self.credits.is_some(),
            _ => !self.policies.is_empty(),
        }
    }

    fn write_value(&self, kind: Kind, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binding = self.binding().map(|p| (p.quota(), *p.decision()));
        let (quota, d) = binding.unwrap_or((
            0,
            Decision {
                allowed: true,
                limit: 0,
                remaining: 0,
                retry_after: Nanos::ZERO,
                reset_after: Nanos::ZERO,
            },
        ));
        match kind {
            Kind::IetfPolicy => self.list(f, |p, f| policy_item(p, f, ";")),
            Kind::Draft8Policy => self.list(f, |p, f| policy_item(p, f, "; ")),
            Kind::IetfLimit => self.list(f, |p, f| {
                sf_string(p.name(), f)?;
                let d = p.decision();
                write!(f, ";r={};t={}", d.remaining, secs(d.reset_after))?;
                partition_key(p, f, ";")
            }),
            Kind::Draft8Limit => self.list(f, |p, f| {
                sf_string(p.name(), f)?;
                let d = p.decision();
                write!(f, "; r={}; t={}", d.remaining, secs(d.reset_after))
            }),
            Kind::NumericPolicy => self.list(f, |p, f| {
                write!(f, "{}", p.quota())?;
                window(p, f, ";")
            }),
            Kind::Draft7Limit => write!(
                f,
                "limit={quota}, remaining={}, reset={}",
                d.remaining,
                secs(d.reset_after)
            ),
            Kind::Draft6Limit | Kind::LegacyLimit => write!(f, "{quota}"),
            Kind::Draft6Remaining | Kind::LegacyRemaining => write!(f, "{}", d.remaining),
            Kind::Draft6Reset => write!(f, "{}", secs(d.reset_after)),
            Kind::LegacyReset => write!(f, "{}", self.reset_at().unwrap_or(0)),
            Kind::RetryAfter => write!(f, "{}", secs(self.retry_after().unwrap_or(Nanos::ZERO))),
            Kind::CreditsRemaining => {
                write!(f, "{}", self.credits.map_or(0, |c| c.remaining))
            }
            Kind::CreditsUsed => write!(f, "{}", self.credits.map_or(0, |c| c.used)),
        }
    }

    /// Every policy through `item`, separated by `", "`.
    fn list(
        &self,
        f: &mut fmt::Formatter<'_>,
        item: impl Fn(&Policy<'a>, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        for (i, p) in self.policies.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            item(p, f)?;
        }
        Ok(())
    }
}

/// `"name";q=100;qu="content-bytes";w=60;pk=:…:` with `sep` between the parameters.
fn policy_item(p: &Policy<'_>, f: &mut fmt::Formatter<'_>, sep: &str) -> fmt::Result {
    sf_string(p.name(), f)?;
    write!(f, "{sep}q={}", p.quota())?;
    if p.unit() != QuotaUnit::Requests {
        write!(f, "{sep}qu=\"{}\"", p.unit().as_str())?;
    }
    window(p, f, sep)?;
    partition_key(p, f, sep)
}

fn window(p: &Policy<'_>, f: &mut fmt::Formatter<'_>, sep: &str) -> fmt::Result {
    if p.window() == Nanos::ZERO {
        return Ok(());
    }
    write!(f, "{sep}w={}", secs(p.window()))
}

fn partition_key(p: &Policy<'_>, f: &mut fmt::Formatter<'_>, sep: &str) -> fmt::Result {
    let Some(key) = p.partition_key() else {
        return Ok(());
    };
    write!(f, "{sep}pk=:")?;
    base64(key, f)?;
    f.write_char(':')
}

/// A Structured Field String: quoted, with `"` and `\` escaped. [`Policy::new`] has checked
/// that every character is printable ASCII.
fn sf_string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    for piece in s.split_inclusive(['"', '\\']) {
        match piece.strip_suffix(['"', '\\']) {
            Some(head) => {
                f.write_str(head)?;
                f.write_char('\\')?;
                f.write_str(piece.get(head.len()..).unwrap_or(""))?;
            }
            None => f.write_str(piece)?,
        }
    }
    f.write_char('"')
}

/// Standard base64 with padding (RFC 4648, section 4), as Byte Sequences use.
fn base64(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digit = |v: u32| char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        f.write_char(digit(n >> 18))?;
        f.write_char(digit(n >> 12))?;
        f.write_char(if chunk.len() > 1 { digit(n >> 6) } else { '=' })?;
        f.write_char(if chunk.len() > 2 { digit(n) } else { '=' })?;
    }
    Ok(())
}

impl<'f, 'a> IntoIterator for &'f ResponseFields<'a> {
    type Item = Field<'f, 'a>;
    type IntoIter = Fields<'f, 'a>;
    fn into_iter(self) -> Fields<'f, 'a> {
        self.iter()
    }
}

/// An iterator over the [`Field`]s of a [`ResponseFields`].
#[derive(Clone, Debug)]
pub struct Fields<'f, 'a> {
    fields: &'f ResponseFields<'a>,
    pos: usize,
}

impl<'f, 'a> Iterator for Fields<'f, 'a> {
    type Item = Field<'f, 'a>;

    fn next(&mut self) -> Option<Field<'f, 'a>> {
        let head = Kind::for_style(self.fields.style);
        loop {
            let kind = match head.get(self.pos) {
                Some(&k) => k,
                None => *TAIL.get(self.pos.checked_sub(head.len())?)?,
            };
            self.pos += 1;
            if self.fields.present(kind) {
                return Some(Field {
                    kind,
                    fields: self.fields,
                });
            }
        }
    }
}

/// One header field: its [`name`](Field::name), and its value through `Display`.
#[derive(Copy, Clone, Debug)]
pub struct Field<'f, 'a> {
    kind: Kind,
    fields: &'f ResponseFields<'a>,
}

impl Field<'_, '_> {
    /// The field name, capitalised as express-rate-limit writes it (`RateLimit-Policy`).
    pub const fn name(&self) -> &'static str {
        self.kind.name()
    }
}

impl fmt::Display for Field<'_, '_> {
    /// The field value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fields.write_value(self.kind, f)
    }
}

/// Counts the bytes written to it.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Writes into a byte slice, failing when it is full.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
