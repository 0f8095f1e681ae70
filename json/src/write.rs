//! Writing JSON by hand: [`ToJson`] builds a [`Value`] and [`to_string`]
//! writes it.
//!
//! The mirror of decoding (`Fields`): serde's derive writes each type
//! through serde_json's generic serializer, which puts a copy of its
//! map-entry and sequence code per field type into the signer's WASM and
//! serde_json's whole string serializer beside it (bench/SIZE.md, "One JSON
//! writer"). Here a type builds a tree with a few [`Object`] calls and one
//! non-generic writer turns any tree into text. What a type writes is what
//! its serde derive writes: `parity::assert_writes_as_serde` holds each
//! one to it.
//!
//! The text is serde_json's compact form, byte for byte, except a float's
//! digits: JavaScript's `String(x)` in the WASM (so the module carries no
//! float printer), Rust's `Display` of serde_json's `Number` elsewhere; the
//! same number either way. A text is written into one buffer of its exact
//! length, measured first, so no reallocation leaves a copy of a share
//! behind, and [`to_string`] wipes the tree after. tests/serde_json_parity.rs
//! checks the text and its buffer; signer-wasm/tests/wipe.rs searches the
//! WASM's memory after a write.

use serde_json::{Map, Number, Value};

use crate::wipe;

/// A type that writes itself as a JSON value, as its serde derive would.
pub trait ToJson {
    /// The value serde_json's `to_value` would give.
    fn to_json(&self) -> Value;
}

/// Writes `value` as compact JSON, then wipes the tree's strings (a body
/// may carry a share: the text is the one copy left, the caller's to wipe).
pub fn to_string(mut value: Value) -> String {
    let out = to_text(&value);
    wipe(&mut value);
    out
}

/// Writes `value` as compact JSON (serde_json's `Value::to_string`), into
/// one buffer of its exact length; the tree is left as it is.
pub fn to_text(value: &Value) -> String {
    let mut out = String::with_capacity(written_len(value));
    write(value, &mut out);
    out
}

/// `x` written as compact JSON.
pub fn write_json<T: ToJson + ?Sized>(x: &T) -> String {
    to_string(x.to_json())
}

/// An object under construction, fields in any order (a `Map` sorts them,
/// as serde_json's `to_value` does).
#[derive(Default)]
pub struct Object(Map<String, Value>);

impl Object {
    pub fn new() -> Object {
        Object(Map::new())
    }

    /// Sets `name` to `value`.
    pub fn field(mut self, name: &str, value: Value) -> Object {
        self.0.insert(name.to_owned(), value);
        self
    }

    /// Sets `name` to `value` unless it is `None`
    /// (`#[serde(skip_serializing_if = "Option::is_none")]`).
    pub fn some(self, name: &str, value: Option<Value>) -> Object {
        match value {
            Some(v) => self.field(name, v),
            None => self,
        }
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// `Some(x.to_json())`, or `None`: for [`Object::some`].
pub fn opt<T: ToJson>(x: &Option<T>) -> Option<Value> {
    x.as_ref().map(ToJson::to_json)
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::Number(Number::from(*self))
            }
        }
    )*};
}
number!(u8, u16, u32, u64, i8, i16, i32, i64);

impl ToJson for usize {
    fn to_json(&self) -> Value {
        Value::Number(Number::from(*self as u64))
    }
}

impl ToJson for f64 {
    /// A finite float; `null` for NaN and the infinities, as serde_json.
    fn to_json(&self) -> Value {
        Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}

impl<T: ToJson> ToJson for std::collections::BTreeMap<String, T> {
    fn to_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

/// The length of `value` written.
fn written_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!b),
        Value::Number(n) => number_text(n).len(),
        Value::String(s) => string_len(s),
        Value::Array(items) => {
            // Brackets, and a comma between two items.
            2 + items.len().saturating_sub(1) + items.iter().map(written_len).sum::<usize>()
        }
        Value::Object(members) => {
            2 + members.len().saturating_sub(1)
                + members
                    .iter()
                    .map(|(k, v)| string_len(k) + 1 + written_len(v))
                    .sum::<usize>()
        }
    }
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

/// serde_json's escape of one byte: `Some(c)` for `\c`, `Some('u')` for
/// `\u00XX`, `None` when it is written as it is.
fn escape(byte: u8) -> Option<char> {
    Some(match byte {
        b'"' => '"',
        b'\\' => '\\',
        b'\n' => 'n',
        b'\r' => 'r',
        b'\t' => 't',
        0x08 => 'b',
        0x0c => 'f',
        0..=0x1f => 'u',
        _ => return None,
    })
}

fn string_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match escape(b) {
            Some('u') => 6,
            Some(_) => 2,
            None => 1,
        })
        .sum::<usize>()
}

fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (i, byte) in s.bytes().enumerate() {
        let Some(c) = escape(byte) else { continue };
        // `i` is at an ASCII byte: a char boundary.
        out.push_str(&s[run..i]);
        out.push('\\');
        out.push(c);
        if c == 'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// A number's text: integers in decimal, a float as [`float_text`] writes
/// it.
fn number_text(n: &Number) -> String {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => u.to_string(),
        (None, Some(i), _) => i.to_string(),
        (None, None, Some(f)) => float_text(f, n),
        (None, None, None) => "null".to_owned(),
    }
}

/// JavaScript's shortest round-trip text of a finite float in the WASM;
/// serde_json's elsewhere.
#[cfg(target_arch = "wasm32")]
fn float_text(f: f64, _: &Number) -> String {
    js_sys::Number::from(f)
        .to_string_with_radix(10)
        .map_or_else(|_| "null".to_owned(), String::from)
}

#[cfg(not(target_arch = "wasm32"))]
fn float_text(_: f64, n: &Number) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        let all: String = (0u8..0x80).map(char::from).collect();
        let value = Value::String(all);
        assert_eq!(
            to_string(value.clone()),
            serde_json::to_string(&value).expect("a value writes")
        );
    }

    #[test]
    fn objects_skip_none_and_sort_their_fields() {
        let v = Object::new()
            .field("b", 1u8.to_json())
            .some("c", opt::<u8>(&None))
            .some("a", opt(&Some("x")))
            .build();
        assert_eq!(write_json(&v), r#"{"a":"x","b":1}"#);
    }
}
