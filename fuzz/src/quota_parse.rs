//! [`Quota::parse`] on arbitrary text: it never panics, an error points inside the text, case
//! does not matter, and a quota that parses formats (`to_string`) to a canonical string that
//! parses back to the same quota and formats to itself. Quotas built from numbers round-trip
//! the same way. Text comes as raw bytes or assembled from the grammar's pieces, so that the
//! fuzzer reaches valid quotas often.

use core::fmt::Write;

use arbitrary::Arbitrary;
use ratecell::Quota;

use super::common::{Rate, decode};

/// The words the grammar knows.
const WORDS: [&str; 36] = [
    "nanoseconds",
    "nanosecond",
    "ns",
    "microseconds",
    "microsecond",
    "us",
    "\u{b5}s",
    "milliseconds",
    "millisecond",
    "ms",
    "seconds",
    "second",
    "secs",
    "sec",
    "s",
    "minutes",
    "minute",
    "mins",
    "min",
    "m",
    "hours",
    "hour",
    "hrs",
    "hr",
    "h",
    "days",
    "day",
    "d",
    "weeks",
    "week",
    "w",
    "per",
    "burst",
    "PER",
    "Burst",
    "fortnight",
];

#[derive(Arbitrary, Debug)]
enum Piece<'a> {
    Number(u64),
    Digits(u8),
    Decimal(u32, u32),
    Space,
    Slash,
    Dot,
    Equals,
    Colon,
    Minus,
    Word(u8),
    Raw(&'a str),
}

impl Piece<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Piece::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Piece::Digits(n) => out.push_str(&"9".repeat(usize::from(*n % 40))),
            Piece::Decimal(a, b) => {
                let _ = write!(out, "{a}.{b}");
            }
            Piece::Space => out.push(' '),
            Piece::Slash => out.push('/'),
            Piece::Dot => out.push('.'),
            Piece::Equals => out.push('='),
            Piece::Colon => out.push(':'),
            Piece::Minus => out.push('-'),
            Piece::Word(i) => out.push_str(WORDS[usize::from(*i) % WORDS.len()]),
            Piece::Raw(s) => out.push_str(s),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    Bytes(&'a [u8]),
    Pieces(Vec<Piece<'a>>),
    Numbers(Rate),
}

/// Checks everything the parser promises about `text`.
fn check_text(text: &str) {
    let parsed = Quota::parse(text);
    assert_eq!(text.parse::<Quota>(), parsed);
    assert_eq!(
        Quota::parse(&text.to_ascii_uppercase()),
        parsed,
        "{text:?}: case matters"
    );
    match parsed {
        Ok(quota) => round_trip(quota),
        Err(e) => {
            assert!(
                e.position <= text.len(),
                "{text:?}: {e:?} points past the end"
            );
            assert!(
                text.is_char_boundary(e.position),
                "{text:?}: {e:?} splits a character"
            );
            let _ = e.to_string();
        }
    }
}

/// `quota` formats to a canonical string that parses back to it and formats to itself.
fn round_trip(quota: Quota) {
    let canonical = quota.to_string();
    assert_eq!(
        Quota::parse(&canonical),
        Ok(quota),
        "{canonical:?} does not parse back"
    );
    assert_eq!(
        Quota::parse(&canonical).map(|q| q.to_string()),
        Ok(canonical.clone())
    );
}

/// Runs one input.
///
/// # Panics
/// When the parser breaks one of its promises.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    match input {
        Input::Bytes(bytes) => match core::str::from_utf8(bytes) {
            Ok(text) => check_text(text),
            Err(_) => check_text(&String::from_utf8_lossy(bytes)),
        },
        Input::Pieces(pieces) => {
            let mut text = String::new();
            for piece in pieces.iter().take(32) {
                piece.write(&mut text);
            }
            check_text(&text);
        }
        Input::Numbers(rate) => {
            if let Ok(quota) = rate.quota() {
                round_trip(quota);
            }
        }
    }
}
