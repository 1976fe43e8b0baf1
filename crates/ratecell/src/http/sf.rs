//! A small RFC 9651 Structured Field parser: Lists and Dictionaries of Items with Parameters,
//! over borrowed bytes, without allocation.
//!
//! A field is first validated as a whole (RFC 9651: a failure anywhere fails the field) and
//! then walked a second time, handing out borrowed members: nothing is stored. Every bare
//! item type parses (Integer, Decimal, String, Token, Byte Sequence, Boolean, Date and
//! Display String) so that a field with an unfamiliar parameter is not mistaken for a
//! malformed one; Inner Lists are validated and skipped. Two leniencies: Byte Sequences and
//! Display Strings are checked for their characters only (not decoded), and leading and
//! trailing tabs are trimmed along with spaces, as HTTP does for field values.

/// A bare item, borrowed from the field value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bare<'a> {
    /// An Integer (at most 15 digits).
    Integer(i64),
    /// A Decimal, in thousandths (at most three fractional digits).
    Decimal(i64),
    /// A String: the raw bytes between the quotes, escapes still in place.
    String(&'a [u8]),
    /// A Token.
    Token(&'a [u8]),
    /// A Byte Sequence: the base64 text between the colons.
    Bytes(&'a [u8]),
    /// A Boolean.
    Boolean(bool),
    /// A Date: Unix seconds.
    Date(i64),
    /// A Display String: the raw bytes between the quotes, percent escapes in place.
    DisplayString(&'a [u8]),
}

impl Bare<'_> {
    /// The value when it is a non-negative Integer.
    pub(crate) fn as_u64(self) -> Option<u64> {
        match self {
            Bare::Integer(n) => u64::try_from(n).ok(),
            _ => None,
        }
    }

    /// The unescaped bytes of a String, or of a Token, one at a time.
    pub(crate) fn name_bytes(self) -> Option<impl Iterator<Item = u8>> {
        let (raw, escaped) = match self {
            Bare::String(raw) => (raw, true),
            Bare::Token(raw) => (raw, false),
            _ => return None,
        };
        let mut pending_escape = false;
        Some(raw.iter().copied().filter(move |&b| {
            if escaped && !pending_escape && b == b'\\' {
                pending_escape = true;
                return false;
            }
            pending_escape = false;
            true
        }))
    }
}

/// An Item: a bare item and its (validated, raw) parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    /// The bare item.
    pub(crate) bare: Bare<'a>,
    /// The parameters' text, starting at the first `;` (empty when there are none).
    params: &'a [u8],
}

impl<'a> Item<'a> {
    /// The value of parameter `key`; the last one wins when it repeats (RFC 9651).
    pub(crate) fn param(&self, key: &[u8]) -> Option<Bare<'a>> {
        let mut p = Parser::new(self.params);
        let mut found = None;
        // The parameters were validated when the item was parsed.
        let _ = p.parameters(&mut |k, v| {
            if k == key {
                found = Some(v);
            }
        });
        found
    }
}

/// A List or Dictionary member.
enum Member<'a> {
    Item(Item<'a>),
    InnerList,
}

type ParamSink<'s, 'a> = &'s mut dyn FnMut(&'a [u8], Bare<'a>);

/// Recursive-descent parser over the bytes of one field value.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

/// Characters a Token may continue with (tchar, `:` and `/`).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b":/!#$%&'*+-.^_`|~".contains(&b)
}

impl<'a> Parser<'a> {
    fn new(s: &'a [u8]) -> Self {
        Parser { s, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn is_done(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.s.get(from..to).unwrap_or(&[])
    }

    /// A whole field: leading and trailing whitespace, then `body`, then nothing else.
    fn field(&mut self, body: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        self.skip_ows();
        body(self)?;
        self.skip_ows();
        self.is_done().then_some(())
    }

    /// List members separated by commas (RFC 9651, 4.2.1).
    fn list(&mut self, sink: &mut dyn FnMut(Item<'a>)) -> Option<()> {
        while !self.is_done() {
            if let Member::Item(item) = self.member()? {
                sink(item);
            }
            self.skip_ows();
            if self.is_done() {
                return Some(());
            }
            if self.bump()? != b',' {
                return None;
            }
            self.skip_ows();
            if self.is_done() {
                return None; // a trailing comma
            }
        }
        Some(())
    }

    /// Dictionary members `key=item`, or `key` alone meaning true (RFC 9651, 4.2.2).
    fn dictionary(&mut self, sink: &mut dyn FnMut(&'a [u8], Item<'a>)) -> Option<()> {
        while !self.is_done() {
            let key = self.key()?;
            if self.peek() == Some(b'=') {
                self.pos += 1;
                if let Member::Item(item) = self.member()? {
                    sink(key, item);
                }
            } else {
                let params = self.params_slice()?;
                sink(
                    key,
                    Item {
                        bare: Bare::Boolean(true),
                        params,
                    },
                );
            }
            self.skip_ows();
            if self.is_done() {
                return Some(());
            }
            if self.bump()? != b',' {
                return None;
            }
            self.skip_ows();
            if self.is_done() {
                return None;
            }
        }
        Some(())
    }

    /// An Item, or an Inner List (validated, not kept).
    fn member(&mut self) -> Option<Member<'a>> {
        if self.peek() == Some(b'(') {
            self.inner_list()?;
            return Some(Member::InnerList);
        }
        self.item().map(Member::Item)
    }

    fn inner_list(&mut self) -> Option<()> {
        self.pos += 1; // '('
        loop {
            self.skip_sp();
            if self.peek() == Some(b')') {
                self.pos += 1;
                self.params_slice()?;
                return Some(());
            }
            self.item()?;
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => return None,
            }
        }
    }

    fn item(&mut self) -> Option<Item<'a>> {
        let bare = self.bare_item()?;
        let params = self.params_slice()?;
        Some(Item { bare, params })
    }

    fn params_slice(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        self.parameters(&mut |_, _| {})?;
        Some(self.slice(start, self.pos))
    }

    /// `;key=value` pairs; a key alone means true. Spaces may follow each `;`.
    fn parameters(&mut self, sink: ParamSink<'_, 'a>) -> Option<()> {
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip_sp();
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.bare_item()?
            } else {
                Bare::Boolean(true)
            };
            sink(key, value);
        }
        Some(())
    }

    fn key(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        match self.peek()? {
            b'a'..=b'z' | b'*' => self.pos += 1,
            _ => return None,
        }
        while let Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*') = self.peek() {
            self.pos += 1;
        }
        Some(self.slice(start, self.pos))
    }

    fn bare_item(&mut self) -> Option<Bare<'a>> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string().map(Bare::String),
            b'*' | b'A'..=b'Z' | b'a'..=b'z' => Some(Bare::Token(self.token())),
            b':' => self.byte_sequence(),
            b'?' => self.boolean(),
            b'@' => {
                self.pos += 1;
                match self.number()? {
                    Bare::Integer(n) => Some(Bare::Date(n)),
                    _ => None,
                }
            }
            b'%' => self.display_string(),
            _ => None,
        }
    }

    /// Integer or Decimal (RFC 9651, 4.2.4).
    fn number(&mut self) -> Option<Bare<'a>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut int_digits = 0_usize;
        let mut int_part = 0_i64;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            int_digits += 1;
            if int_digits > 15 {
                return None;
            }
            int_part = int_part * 10 + i64::from(b - b'0');
        }
        if int_digits == 0 {
            return None;
        }
        let sign = if negative { -1 } else { 1 };
        if self.peek() != Some(b'.') {
            return Some(Bare::Integer(sign * int_part));
        }
        if int_digits > 12 {
            return None;
        }
        self.pos += 1;
        let mut frac_digits = 0_u32;
        let mut frac = 0_i64;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            frac_digits += 1;
            if frac_digits > 3 {
                return None;
            }
            frac = frac * 10 + i64::from(b - b'0');
        }
        if frac_digits == 0 {
            return None;
        }
        let thousandths = frac * 10_i64.pow(3 - frac_digits);
        Some(Bare::Decimal(sign * (int_part * 1_000 + thousandths)))
    }

    /// A String's raw content (RFC 9651, 4.2.5).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.pos += 1; // '"'
        let start = self.pos;
        loop {
            match self.bump()? {
                b'\\' => match self.bump()? {
                    b'"' | b'\\' => {}
                    _ => return None,
                },
                b'"' => return Some(self.slice(start, self.pos - 1)),
                0x20..=0x7e => {}
                _ => return None,
            }
        }
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        self.pos += 1;
        while self.peek().is_some_and(is_token_char) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    fn byte_sequence(&mut self) -> Option<Bare<'a>> {
        self.pos += 1; // ':'
        let start = self.pos;
        loop {
            match self.bump()? {
                b':' => return Some(Bare::Bytes(self.slice(start, self.pos - 1))),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {}
                _ => return None,
            }
        }
    }

    fn boolean(&mut self) -> Option<Bare<'a>> {
        self.pos += 1; // '?'
        match self.bump()? {
            b'0' => Some(Bare::Boolean(false)),
            b'1' => Some(Bare::Boolean(true)),
            _ => None,
        }
    }

    fn display_string(&mut self) -> Option<Bare<'a>> {
        self.pos += 1; // '%'
        if self.bump()? != b'"' {
            return None;
        }
        let start = self.pos;
        loop {
            match self.bump()? {
                b'%' => {
                    for _ in 0..2 {
                        if !matches!(self.bump()?, b'0'..=b'9' | b'a'..=b'f') {
                            return None;
                        }
                    }
                }
                b'"' => return Some(Bare::DisplayString(self.slice(start, self.pos - 1))),
                0x20..=0x7e => {}
                _ => return None,
            }
        }
    }
}

/// Walks the members of a List field, or returns `false` (calling nothing) when the field is
/// not a valid List. Inner Lists are skipped.
pub(crate) fn for_each_list_item<'a>(value: &'a [u8], mut sink: impl FnMut(Item<'a>)) -> bool {
    if Parser::new(value).field(|p| p.list(&mut |_| {})).is_none() {
        return false;
    }
    Parser::new(value).field(|p| p.list(&mut sink)).is_some()
}

/// Walks the members of a Dictionary field, or returns `false` (calling nothing) when the
/// field is not a valid Dictionary. Inner Lists are skipped.
pub(crate) fn for_each_dictionary_member<'a>(
    value: &'a [u8],
    mut sink: impl FnMut(&'a [u8], Item<'a>),
) -> bool {
    if Parser::new(value)
        .field(|p| p.dictionary(&mut |_, _| {}))
        .is_none()
    {
        return false;
    }
    Parser::new(value)
        .field(|p| p.dictionary(&mut sink))
        .is_some()
}

/// The field as one Item, or `None` when it is not a valid Item.
pub(crate) fn parse_item(value: &[u8]) -> Option<Item<'_>> {
    let mut item = None;
    Parser::new(value).field(|p| {
        item = Some(p.item()?);
        Some(())
    })?;
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(value: &str) -> Option<usize> {
        let mut n = 0;
        for_each_list_item(value.as_bytes(), |_| n += 1).then_some(n)
    }

    #[test]
    fn parses_rate_limit_lists() {
        let mut seen = None;
        assert!(for_each_list_item(
            br#""default";r=50;t=30, "daily"; r=5; t=3600"#,
            |item| {
                if item.bare == Bare::String(b"daily") {
                    seen = Some((item.param(b"r"), item.param(b"t")));
                }
            }
        ));
        assert_eq!(
            seen,
            Some((Some(Bare::Integer(5)), Some(Bare::Integer(3600))))
        );
        assert_eq!(items("100;w=60, 1000;w=3600"), Some(2));
        assert_eq!(
            items(r#""a";pk=:cHsdsRa894==:;x=?1;y=@5;z=%"caf%c3%a9";d=1.25"#),
            Some(1)
        );
        assert_eq!(items("(1 2);a, b"), Some(1));
        assert_eq!(items(""), Some(0));
    }

    #[test]
    fn rejects_malformed_lists_as_a_whole() {
        for bad in [
            "1,",
            "1,,2",
            "\"open",
            "a;",
            "a;B=1",
            "1234567890123456",
            "1.2345",
            "1.",
            "a b",
            "\"\\x\"",
            "-",
            ":a*:",
            "?2",
            "@1.5",
            "%\"%C3\"",
            "(1 2",
        ] {
            assert_eq!(items(bad), None, "{bad}");
        }
    }

    #[test]
    fn parameters_repeat_last_wins_and_decimals_are_thousandths() {
        let item = parse_item(b"1;a=1;a=2;d=-0.5").unwrap();
        assert_eq!(item.param(b"a"), Some(Bare::Integer(2)));
        assert_eq!(item.param(b"d"), Some(Bare::Decimal(-500)));
        assert_eq!(item.param(b"missing"), None);
    }

    #[test]
    fn dictionaries_parse_draft_7_fields() {
        let mut got = [None; 3];
        assert!(for_each_dictionary_member(
            b"limit=5, remaining=4, reset=60",
            |k, item| {
                let slot = match k {
                    b"limit" => 0,
                    b"remaining" => 1,
                    _ => 2,
                };
                if let Some(s) = got.get_mut(slot) {
                    *s = item.bare.as_u64();
                }
            }
        ));
        assert_eq!(got, [Some(5), Some(4), Some(60)]);
        assert!(!for_each_dictionary_member(b"\"x\";r=1", |_, _| {}));
    }

    #[test]
    fn string_names_unescape() {
        let item = parse_item(br#""a\"b\\c""#).unwrap();
        let mut out = [0_u8; 8];
        let mut n = 0;
        for b in item.bare.name_bytes().unwrap() {
            out[n] = b;
            n += 1;
        }
        assert_eq!(&out[..n], br#"a"b\c"#);
    }
}
