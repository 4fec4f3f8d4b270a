//! The fast path of the envelope parser: one pass over the message with no allocation.
//!
//! It reads the envelope of an ordinary message — `jsonrpc`, `id`, `method`, `params`,
//! `result` — validating everything it skips exactly as `serde_json` does, and notes where
//! the top-level members of `params` are, so the router can take `name`, `arguments` or
//! `_meta` without reading the params again. Anything out of the ordinary (an escape in a
//! key or in the method, a duplicate member, an `error` member, a non-integer id, deep
//! nesting, invalid JSON) makes it give up, and the message is parsed by `serde_json`, which
//! then also produces the error message. The fast path only ever decides valid messages.

use std::ops::Range;

/// How many top-level members of `params` are indexed; params with more are not indexed.
pub(crate) const MAX_MEMBERS: usize = 6;

/// Nesting deeper than this is left to `serde_json`.
const MAX_DEPTH: u32 = 64;

/// Where one member of an object is: the key (without quotes) and the value.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Member {
    key: (u32, u32),
    value: (u32, u32),
}

impl Member {
    pub(crate) fn key(&self) -> Range<usize> {
        self.key.0 as usize..self.key.1 as usize
    }

    pub(crate) fn value(&self) -> Range<usize> {
        self.value.0 as usize..self.value.1 as usize
    }
}

/// The top-level members of an object, by position in the received text. Keys are plain
/// (no escapes) and distinct.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Members {
    list: [Member; MAX_MEMBERS],
    len: u8,
}

impl Members {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Member> {
        self.list[..usize::from(self.len)].iter()
    }
}

/// The `id` member as read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Id {
    Absent,
    Null,
    Number(i64),
    /// A string without escapes (its content).
    Str(Range<usize>),
}

/// A message's envelope, as the fast path read it: where each member is in the text.
#[derive(Debug)]
pub(super) struct Envelope {
    /// The content of the `jsonrpc` string (without escapes).
    pub(super) jsonrpc: Option<Range<usize>>,
    pub(super) id: Id,
    /// The content of the `method` string (without escapes).
    pub(super) method: Option<Range<usize>>,
    pub(super) params: Option<Params>,
    pub(super) result: Option<Range<usize>>,
}

/// An object, and the index of its members.
pub(crate) type Indexed = (Range<usize>, Members);

/// Where `params` is, with the index of its members and of its `_meta` object's members.
#[derive(Debug)]
pub(super) struct Params {
    pub(super) range: Range<usize>,
    pub(super) members: Option<Members>,
    pub(super) meta: Option<Indexed>,
}

/// Reads the envelope of `text`, or `None` to leave the message to `serde_json`.
pub(super) fn envelope(text: &str) -> Option<Envelope> {
    if text.len() > u32::MAX as usize {
        return None;
    }
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut env = Envelope {
        jsonrpc: None,
        id: Id::Absent,
        method: None,
        params: None,
        result: None,
    };
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.eat(b'}').is_none() {
        loop {
            let (key, escaped) = s.key()?;
            if escaped {
                return None;
            }
            match &text[key] {
                "jsonrpc" if env.jsonrpc.is_none() => env.jsonrpc = Some(s.plain_string()?),
                "id" if env.id == Id::Absent => env.id = s.id()?,
                "method" if env.method.is_none() => env.method = Some(s.plain_string()?),
                // A `null` is read by serde_json as an absent member: left to it.
                "params" | "result" if s.peek() == Some(b'n') => return None,
                "params" if env.params.is_none() => {
                    let (range, members, meta) = s.object_or_value(Some("_meta"))?;
                    env.params = Some(Params {
                        range,
                        members,
                        meta,
                    });
                }
                "result" if env.result.is_none() => env.result = Some(s.value()?),
                // `error`, and any repeated member, are left to serde_json.
                "jsonrpc" | "id" | "method" | "params" | "result" | "error" => return None,
                _ => {
                    s.value()?;
                }
            }
            s.ws();
            match s.next()? {
                b',' => s.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    (s.pos == s.bytes.len()).then_some(env)
}

/// Where the first `"`, `\` or control character of `bytes` is: eight bytes at a time, as
/// serde_json looks for them (strings are most of a message).
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte of `w` that is zero (the lowest one flagged is exact).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
        let found = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// A string starting at its quote: the range of its content, and whether it has escapes.
    /// Rejects what `serde_json` rejects: control characters, unknown escapes, bad `\u`.
    fn string(&mut self) -> Option<(Range<usize>, bool)> {
        self.eat(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let rest = self.bytes.get(self.pos..)?;
            self.pos += string_stop(rest)?;
            match self.next()? {
                b'"' => return Some((start..self.pos - 1, escaped)),
                b'\\' => {
                    escaped = true;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.bytes.get(self.pos..self.pos + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes: where its content is.
    fn plain_string(&mut self) -> Option<Range<usize>> {
        match self.string()? {
            (range, false) => Some(range),
            (_, true) => None,
        }
    }

    /// A request id: `null`, an integer that fits in `i64`, or a string without escapes.
    fn id(&mut self) -> Option<Id> {
        match self.peek()? {
            b'"' => self.plain_string().map(Id::Str),
            b'n' => self.literal(b"null").map(|()| Id::Null),
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                self.number()?;
                // Fractions and exponents (`1.0`) are rare; serde_json decides them.
                self.text[start..self.pos].parse().ok().map(Id::Number)
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// A number, by JSON's grammar (as `serde_json` checks it).
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next()? {
            b'0' => {
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.peek().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.peek().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Skips one value, checking it is valid JSON; returns where it is.
    fn value(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        // Bit `d` of `objects` says whether the container at depth `d + 1` is an object.
        let mut objects: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            // A value is expected here.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    self.pos += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.eat(close).is_none() {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        if open == b'{' {
                            objects |= 1 << depth;
                            self.key()?;
                        } else {
                            objects &= !(1 << depth);
                        }
                        depth += 1;
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // A value ended: close containers until a comma asks for the next value.
            loop {
                if depth == 0 {
                    return Some(start..self.pos);
                }
                self.ws();
                let in_object = objects & (1 << (depth - 1)) != 0;
                match self.next()? {
                    b',' => {
                        self.ws();
                        if in_object {
                            self.key()?;
                        }
                        break;
                    }
                    b'}' if in_object => depth -= 1,
                    b']' if !in_object => depth -= 1,
                    _ => return None,
                }
            }
        }
    }

    /// An object key and its colon, leaving the position at the value: the key's content, and
    /// whether it has escapes.
    fn key(&mut self) -> Option<(Range<usize>, bool)> {
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// A value; when it is an object, also the index of its members (`None` when there are
    /// too many, or a key has escapes or repeats), and the index of its member `inner` when
    /// that is an object too.
    fn object_or_value(
        &mut self,
        inner: Option<&str>,
    ) -> Option<(Range<usize>, Option<Members>, Option<Indexed>)> {
        if self.peek()? != b'{' {
            return self.value().map(|r| (r, None, None));
        }
        let mut nested = None;
        let start = self.pos;
        self.pos += 1;
        self.ws();
        let mut members = Some(Members {
            list: [Member::default(); MAX_MEMBERS],
            len: 0,
        });
        if self.eat(b'}').is_none() {
            loop {
                let (key, escaped) = self.key()?;
                let value = if !escaped && inner == Some(&self.text[key.clone()]) {
                    let (value, members, _) = self.object_or_value(None)?;
                    nested = members.map(|m| (value.clone(), m));
                    value
                } else {
                    self.value()?
                };
                if let Some(m) = &mut members {
                    let len = usize::from(m.len);
                    let name = &self.text[key.clone()];
                    let repeated = m.iter().any(|e| &self.text[e.key()] == name);
                    if escaped || repeated || len == MAX_MEMBERS {
                        members = None;
                    } else {
                        // Offsets fit: the text is at most `u32::MAX` bytes long.
                        m.list[len] = Member {
                            key: (key.start as u32, key.end as u32),
                            value: (value.start as u32, value.end as u32),
                        };
                        m.len += 1;
                    }
                }
                self.ws();
                match self.next()? {
                    b',' => self.ws(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        Some((start..self.pos, members, nested))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether serde_json accepts `text` as one JSON value.
    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    /// Whether the scanner accepts `text` as one JSON value (all of it).
    fn scanner_accepts(text: &str) -> bool {
        let mut s = Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        };
        s.ws();
        s.value().is_some() && {
            s.ws();
            s.pos == text.len()
        }
    }

    const VALUES: &[&str] = &[
        "0",
        "-0",
        "12",
        "-12.5e+3",
        "1E9",
        "1.5E-2",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "--1",
        "0x10",
        "true",
        "tru",
        "truex",
        "false",
        "null",
        "nul",
        "\"\"",
        "\"a\\\"b\"",
        "\"\\u00e9\\uD83D\\uDE00\"",
        "\"\\u12\"",
        "\"\\x\"",
        "\"\t\"",
        "\"é ∂\"",
        "\"unterminated",
        "[]",
        "[ ]",
        "[1,2]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[[[]]]",
        "[[]",
        "{}",
        "{ }",
        "{\"a\":1}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "{\"a\":}",
        "{\"a\":[{\"b\":{}}],\"c\":\"d\"}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1}}",
        "[1]]",
        "{\"a\":[1}",
        " [ 1 , { \"k\" : null } ] ",
    ];

    #[test]
    fn the_scanner_accepts_exactly_what_serde_json_accepts() {
        for text in VALUES {
            assert_eq!(scanner_accepts(text), serde_accepts(text), "{text:?}");
        }
        // Every way of cutting a valid document short, and every single-byte change of it.
        let doc = r#"{"a":[1,-2.5e3,true,false,null,"x\"y\u0041"],"b":{"c":{}},"d":[]}"#;
        assert!(scanner_accepts(doc));
        for end in 0..doc.len() {
            let cut = &doc[..end];
            assert_eq!(scanner_accepts(cut), serde_accepts(cut), "{cut:?}");
        }
        for at in 0..doc.len() {
            for b in [
                b' ', b'"', b'\\', b',', b':', b'{', b'}', b'[', b']', b'1', b'e', 0x01,
            ] {
                let mut bytes = doc.as_bytes().to_vec();
                bytes[at] = b;
                if let Ok(text) = String::from_utf8(bytes) {
                    assert_eq!(scanner_accepts(&text), serde_accepts(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn string_stops_are_found_at_every_offset() {
        for len in 0..20 {
            for stop in [b'"', b'\\', 0x00, 0x1f] {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = stop;
                    if at + 1 < len {
                        // A later stop, and bytes that only look like stops, change nothing.
                        bytes[len - 1] = b'"';
                    }
                    assert_eq!(string_stop(&bytes), Some(at), "{bytes:?}");
                }
                let clean: Vec<u8> = (0..len).map(|i| [b'a', 0x7f, 0xc3, b' '][i % 4]).collect();
                assert_eq!(string_stop(&clean), None, "{clean:?}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_left_to_serde_json() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(!scanner_accepts(&deep));
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(scanner_accepts(&ok));
    }

    #[test]
    fn the_envelope_and_the_params_members_are_found() {
        let text = r#" {"jsonrpc":"2.0","id":-7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":1}}} "#;
        let env = envelope(text).unwrap();
        assert_eq!(&text[env.jsonrpc.unwrap()], "2.0");
        assert_eq!(env.id, Id::Number(-7));
        assert_eq!(&text[env.method.unwrap()], "tools/call");
        let params = env.params.unwrap();
        assert!(text[params.range].starts_with("{\"name\""));
        let found: Vec<(&str, &str)> = params
            .members
            .unwrap()
            .iter()
            .map(|m| (&text[m.key()], &text[m.value()]))
            .collect();
        assert_eq!(
            found,
            [
                ("name", "\"echo\""),
                ("arguments", "{\"text\":\"hi\"}"),
                ("_meta", "{\"progressToken\":1}")
            ]
        );
        let (range, meta) = params.meta.unwrap();
        assert_eq!(&text[range], "{\"progressToken\":1}");
        let found: Vec<&str> = meta.iter().map(|m| &text[m.value()]).collect();
        assert_eq!(found, ["1"]);
    }

    #[test]
    fn unusual_envelopes_are_left_to_serde_json() {
        for text in [
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.0,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":"a\"b","method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"\u006dethod":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}"#,
            r#"{"jsonrpc":2,"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        ] {
            assert!(envelope(text).is_none(), "{text}");
        }
        // Repeated or escaped keys in params, or too many: no index, but the envelope is read.
        for params in [
            r#"{"a":1,"a":2}"#,
            r#"{"\u0061":1}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}"#,
        ] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{params}}}"#);
            let env = envelope(&text).unwrap();
            assert!(env.params.unwrap().members.is_none(), "{params}");
        }
    }
}
