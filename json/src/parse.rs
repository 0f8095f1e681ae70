//! The JSON parser: text to a [`Value`] tree, written by hand.
//!
//! It accepts and refuses exactly what serde_json's `from_str` does with the
//! strict visitor this crate used before (kept as the oracle of
//! `tests/serde_json_parity.rs`), and refuses a duplicate key in any object. Two
//! reasons for owning it rather than calling serde_json's deserializer:
//!
//! * **Size.** serde_json's reader, number parser, error positions and
//!   messages were about 12.6 KB of the signer's WASM and 3 KB of its data
//!   (a power-of-ten table, the error texts); this is a few KB
//!   (bench/SIZE.md, "One JSON parser").
//! * **Secrets.** A text here can carry a share, a recovery key or a
//!   phrase. serde_json copies a string with escapes through a scratch
//!   buffer and drops a half-built tree unwiped when the text is refused.
//!   Here every string is decoded into a buffer sized once from its raw
//!   span (an escape only ever shortens), so it is never reallocated and
//!   left behind (the test below), and a refused text's partial tree is
//!   wiped before it is freed (signer-wasm/tests/wipe.rs searches the
//!   WASM's memory after each of a set of refused texts).
//!
//! The rules, serde_json's: whitespace is space, tab, CR and LF; an integer
//! without fraction or exponent is a `u64` when it fits, a negative one an
//! `i64` when it fits (`-0` excepted: it is the float `-0.0`), anything else
//! a finite `f64` (a number beyond `f64`'s range is refused); strings hold no
//! control character and no unpaired UTF-16 surrogate escape; nesting stops
//! at 127 open arrays and objects.

use serde_json::{Map, Number, Value};
use zeroize::Zeroize;

use crate::{DecodeError, wipe};

/// serde_json's recursion limit: its 128th nested array or object is
/// refused.
const MAX_DEPTH: usize = 127;

/// Parses `text` into a tree; a duplicate key in any object is refused.
pub(crate) fn parse(text: &str) -> Result<Value, DecodeError> {
    let mut parser = Parser {
        text,
        at: 0,
        depth: 0,
    };
    let mut value = parser.value()?;
    parser.skip_whitespace();
    if parser.at != text.len() {
        wipe(&mut value);
        return Err(DecodeError::Syntax);
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread byte; always on a char boundary
    /// between tokens.
    at: usize,
    /// Arrays and objects open around the current position.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Value, DecodeError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(DecodeError::Syntax),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, DecodeError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(DecodeError::Syntax)
        }
    }

    /// Runs `body` one level deeper, refusing the level serde_json refuses.
    fn nested(
        &mut self,
        body: fn(&mut Self) -> Result<Value, DecodeError>,
    ) -> Result<Value, DecodeError> {
        if self.depth == MAX_DEPTH {
            return Err(DecodeError::Syntax);
        }
        self.depth += 1;
        self.at += 1; // the opening bracket
        let value = body(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, DecodeError> {
        let mut items = Vec::new();
        match self.array_items(&mut items) {
            Ok(()) => Ok(Value::Array(items)),
            Err(e) => {
                items.iter_mut().for_each(wipe);
                Err(e)
            }
        }
    }

    fn array_items(&mut self, items: &mut Vec<Value>) -> Result<(), DecodeError> {
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.next() {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(DecodeError::Syntax),
            }
        }
    }

    fn object(&mut self) -> Result<Value, DecodeError> {
        let mut members = Map::new();
        match self.object_members(&mut members) {
            Ok(()) => Ok(Value::Object(members)),
            Err(e) => {
                members.values_mut().for_each(wipe);
                Err(e)
            }
        }
    }

    fn object_members(&mut self, members: &mut Map<String, Value>) -> Result<(), DecodeError> {
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(DecodeError::Syntax);
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(DecodeError::Syntax);
            }
            // serde_json reads the value before the visitor sees the key
            // twice: a malformed value is `Syntax` even after a duplicate.
            let value = self.value()?;
            if let Some(mut earlier) = members.insert(key, value) {
                wipe(&mut earlier);
                return Err(DecodeError::DuplicateKey);
            }
            self.skip_whitespace();
            match self.next() {
                Some(b',') => {}
                Some(b'}') => return Ok(()),
                _ => return Err(DecodeError::Syntax),
            }
        }
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String, DecodeError> {
        self.at += 1; // the opening quote
        // Sized once from the raw span up to the closing quote: a decoded
        // string is never longer than its text, so `out` is never
        // reallocated (which would free a copy of it unwiped).
        let mut out = String::with_capacity(self.raw_string_len());
        match self.string_body(&mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                out.zeroize();
                Err(e)
            }
        }
    }

    /// Bytes from here to the closing quote (or the end of the text),
    /// stepping over escapes.
    fn raw_string_len(&self) -> usize {
        let bytes = &self.text.as_bytes()[self.at..];
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => return i,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        bytes.len()
    }

    fn string_body(&mut self, out: &mut String) -> Result<(), DecodeError> {
        loop {
            let run = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            // `at` stopped at an ASCII byte or the end: a char boundary.
            out.push_str(&self.text[run..self.at]);
            match self.next() {
                Some(b'"') => return Ok(()),
                Some(b'\\') => out.push(self.escape()?),
                // A control character or the end of the text.
                _ => return Err(DecodeError::Syntax),
            }
        }
    }

    /// The character an escape stands for, from the byte after `\`.
    fn escape(&mut self) -> Result<char, DecodeError> {
        Ok(match self.next() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4()?;
                let code = match unit {
                    // A leading surrogate must be followed by `\u` and a
                    // trailing one.
                    0xD800..=0xDBFF => {
                        if self.next() != Some(b'\\') || self.next() != Some(b'u') {
                            return Err(DecodeError::Syntax);
                        }
                        let trailing = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&trailing) {
                            return Err(DecodeError::Syntax);
                        }
                        0x1_0000 + ((unit - 0xD800) << 10 | (trailing - 0xDC00))
                    }
                    // A trailing surrogate alone is no char: refused here.
                    _ => unit,
                };
                char::from_u32(code).ok_or(DecodeError::Syntax)?
            }
            _ => return Err(DecodeError::Syntax),
        })
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = self
                .next()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or(DecodeError::Syntax)?;
            unit = unit << 4 | digit;
        }
        Ok(unit)
    }

    fn number(&mut self) -> Result<Value, DecodeError> {
        let start = self.at;
        let negative = self.eat(b'-');
        match self.next() {
            // One leading zero, and no digit after it.
            Some(b'0') if !matches!(self.peek(), Some(b'0'..=b'9')) => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(DecodeError::Syntax),
        }
        let integer_end = self.at;
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            self.at_least_one_digit()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.at_least_one_digit()?;
        }
        if integer {
            let magnitude = &self.text[start + usize::from(negative)..integer_end];
            if let Ok(m) = magnitude.parse::<u64>() {
                if !negative {
                    return Ok(Value::Number(m.into()));
                }
                // `-0` and anything below i64::MIN are floats, as in
                // serde_json.
                if m != 0 && m <= 1 << 63 {
                    return Ok(Value::Number((m as i64).wrapping_neg().into()));
                }
            }
        }
        // A finite text can round to infinity, which `from_f64` refuses,
        // as serde_json does.
        Number::from_f64(float_of(&self.text[start..self.at]))
            .map(Value::Number)
            .ok_or(DecodeError::Syntax)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn at_least_one_digit(&mut self) -> Result<(), DecodeError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(DecodeError::Syntax);
        }
        self.digits();
        Ok(())
    }
}

/// The nearest `f64` to a JSON number's text (infinite beyond `f64`'s
/// range). In the browser this is JavaScript's own `parseFloat`, correctly
/// rounded, so that the WASM carries no decimal-to-float tables of its own;
/// elsewhere it is Rust's, also correctly rounded. Floats are rare here
/// (a JSON-RPC id, say); every amount the signer reads is a string or an
/// integer.
#[cfg(target_arch = "wasm32")]
fn float_of(text: &str) -> f64 {
    js_sys::Number::parse_float(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn float_of(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded string's buffer is the one sized from its raw text: had it
    /// grown as it was filled, its capacity would be the allocator's
    /// doubling, and each smaller buffer would have been freed holding a
    /// prefix of the string.
    #[test]
    fn a_string_is_decoded_into_one_buffer_sized_from_its_text() {
        let raws = [
            "plain text of forty-three bytes, no escape",
            r#"a\u0020b\nc\\d\"e and more words past the first doubling"#,
            r"\ud83d\ude00 \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 \t\t\t\t",
        ];
        for raw in raws {
            let text = format!("\"{raw}\"");
            let Ok(Value::String(decoded)) = parse(&text) else {
                panic!("{raw} did not parse to a string");
            };
            assert!(decoded.len() <= raw.len());
            assert_eq!(decoded.capacity(), raw.len(), "{raw}");
        }
    }
}
