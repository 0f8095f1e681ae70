//! Strict JSON decoding written by hand, for the signer's WASM.
//!
//! serde's derive generates a visitor per type and, through serde_json's
//! generic deserializer, a copy of the parser's struct and sequence code
//! inside each of them: in the signer's module those copies were the
//! largest group of generic code (bench/SIZE.md, "Where the WASM's bytes
//! go"). Here the text is parsed once, by this crate's own parser
//! (`parse.rs`, which accepts and refuses what serde_json does), into
//! serde_json's [`Value`]; each type then reads its fields from that tree
//! with a few calls of [`Fields`], a small function per type.
//!
//! The rules are serde's derive, so a type decodes the same either way:
//!
//! * a required field that is missing is an error, an `Option` field that
//!   is missing or `null` is `None` ([`Fields::opt`]), a `#[serde(default)]`
//!   field that is missing takes its default but `null` is an error
//!   ([`Fields::or_default`]);
//! * a struct that denies unknown fields ([`Fields::strict`]) refuses them,
//!   one that tolerates them ([`Fields::lenient`]) ignores them;
//! * numbers keep serde_json's types: an integer field refuses `1.0`, a
//!   negative or out-of-range value.
//!
//! One rule is stricter: a duplicate key anywhere in the text is refused
//! ([`parse`]), where serde refuses it only for a field the type knows.
//!
//! The `parity` feature ([`parity::assert_parity`]) holds each decoder to
//! serde's derive on a sample and on every mutation of it.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

use std::str::FromStr;

pub use serde_json::{Map, Number, Value};

mod macros;
#[cfg(feature = "parity")]
pub mod parity;
mod parse;
mod write;

pub use write::{Object, ToJson, opt, to_string, to_text, write_json};

/// What `json!`'s expansion names; not an API.
#[doc(hidden)]
pub mod __private {
    pub use std::vec;
}

/// Why a text did not decode. Coarse on purpose: the signer maps every
/// one to the same protocol error, and a field's name is all a developer
/// needs to find the mismatch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or nested deeper than serde_json allows.
    #[error("not JSON")]
    Syntax,
    /// An object holds the same key twice.
    #[error("duplicate key")]
    DuplicateKey,
    /// A value has the wrong type or an invalid content.
    #[error("invalid value")]
    Invalid,
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A field of a type that denies unknown fields is not one of its own.
    #[error("unknown field")]
    UnknownField,
    /// The named field's value did not decode.
    #[error("field `{0}`: {1}")]
    Field(&'static str, Box<DecodeError>),
}

/// A type that decodes itself from a parsed JSON value.
pub trait FromJson: Sized {
    /// Decodes `value`, or says why not.
    fn from_json(value: &Value) -> Result<Self, DecodeError>;
}

/// Parses `text` and decodes a `T` from it. The parsed tree's strings are
/// wiped before it is freed: an answer may carry a share, and what `T`
/// keeps of it is `T`'s to wipe.
pub fn decode<T: FromJson>(text: &str) -> Result<T, DecodeError> {
    let mut tree = parse(text)?;
    let decoded = T::from_json(&tree);
    wipe(&mut tree);
    decoded
}

/// Zeroizes every string of `value` (object keys are field names, not
/// secrets, and `Map` gives no mutable access to them).
pub fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => zeroize::Zeroize::zeroize(s),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Parses `text` into a tree, refusing a duplicate key in any object
/// (serde_json's own `Value` would keep the last one silently). The parser
/// is this crate's own (`parse.rs` says why); it accepts and refuses what
/// serde_json does.
pub fn parse(text: &str) -> Result<Value, DecodeError> {
    parse::parse(text)
}

/// The fields of one struct, read one by one in the order the struct
/// declares them. Each field is read at most once; [`Fields::end`] then
/// knows whether anything was left unread.
///
/// serde's derive also reads a struct written as an array of its fields'
/// values in that order (`[1, "a"]`); so does this, so that the two agree:
/// a field past the array's end takes its default, and an element past
/// the last field is refused.
pub struct Fields<'a> {
    source: Source<'a>,
    read: usize,
    deny_unknown: bool,
}

enum Source<'a> {
    Object(&'a Map<String, Value>),
    Array(&'a [Value]),
}

impl<'a> Fields<'a> {
    /// The fields of a struct that denies unknown fields
    /// (`#[serde(deny_unknown_fields)]`).
    pub fn strict(value: &'a Value) -> Result<Self, DecodeError> {
        Self::open(value, true)
    }

    /// The fields of a struct that ignores unknown fields.
    pub fn lenient(value: &'a Value) -> Result<Self, DecodeError> {
        Self::open(value, false)
    }

    fn open(value: &'a Value, deny_unknown: bool) -> Result<Self, DecodeError> {
        let source = match value {
            Value::Object(map) => Source::Object(map),
            Value::Array(items) => Source::Array(items),
            _ => return Err(DecodeError::Invalid),
        };
        Ok(Fields {
            source,
            read: 0,
            deny_unknown,
        })
    }

    /// The raw value of `key`, if present (counted as read).
    pub fn raw(&mut self, key: &str) -> Option<&'a Value> {
        match self.source {
            Source::Object(map) => {
                let v = map.get(key);
                self.read += usize::from(v.is_some());
                v
            }
            Source::Array(items) => {
                let v = items.get(self.read);
                self.read += 1;
                v
            }
        }
    }

    /// A required field.
    pub fn req<T: FromJson>(&mut self, key: &'static str) -> Result<T, DecodeError> {
        match self.raw(key) {
            Some(v) => at(key, T::from_json(v)),
            None => Err(DecodeError::Missing(key)),
        }
    }

    /// An `Option` field: missing or `null` is `None`.
    pub fn opt<T: FromJson>(&mut self, key: &'static str) -> Result<Option<T>, DecodeError> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => at(key, T::from_json(v)).map(Some),
        }
    }

    /// A `#[serde(default)]` field: missing is `T::default()`, `null` is
    /// an error unless `T` itself reads it.
    pub fn or_default<T: FromJson + Default>(
        &mut self,
        key: &'static str,
    ) -> Result<T, DecodeError> {
        self.or_else(key, T::default)
    }

    /// A `#[serde(default = "f")]` field.
    pub fn or_else<T: FromJson>(
        &mut self,
        key: &'static str,
        default: impl FnOnce() -> T,
    ) -> Result<T, DecodeError> {
        match self.raw(key) {
            Some(v) => at(key, T::from_json(v)),
            None => Ok(default()),
        }
    }

    /// Ends the struct: a strict struct refuses any key not read, and an
    /// array any element past the last field.
    pub fn end(self) -> Result<(), DecodeError> {
        let (len, refuse_unread) = match self.source {
            Source::Object(map) => (map.len(), self.deny_unknown),
            Source::Array(items) => (items.len(), true),
        };
        if refuse_unread && self.read < len {
            Err(DecodeError::UnknownField)
        } else {
            Ok(())
        }
    }
}

fn at<T>(key: &'static str, r: Result<T, DecodeError>) -> Result<T, DecodeError> {
    r.map_err(|e| DecodeError::Field(key, Box::new(e)))
}

/// Implements [`FromJson`] for a struct from its fields, each read by a
/// [`Fields`] method in the order the struct declares them:
///
/// ```
/// # use keyframe_json::{decode, decode_struct};
/// struct Point { x: u64, label: Option<String>, tags: Vec<String>, n: u64 }
/// decode_struct!(Point, strict {
///     x: req("x"),
///     label: opt("label"),
///     tags: or_default("tags"),
///     n: or_else("n", || 1),
/// });
/// let p: Point = decode(r#"{"x": 3}"#).unwrap();
/// assert_eq!((p.x, p.label, p.tags.len(), p.n), (3, None, 0, 1));
/// ```
///
/// `strict` denies unknown fields (`#[serde(deny_unknown_fields)]`),
/// `lenient` ignores them.
#[macro_export]
macro_rules! decode_struct {
    ($ty:ident, $mode:ident { $($field:ident: $how:ident($($arg:expr),+)),* $(,)? }) => {
        impl $crate::FromJson for $ty {
            fn from_json(value: &$crate::Value) -> Result<Self, $crate::DecodeError> {
                let mut f = $crate::Fields::$mode(value)?;
                let decoded = $ty { $($field: f.$how($($arg),+)?),* };
                f.end().map(|()| decoded)
            }
        }
    };
}

/// A unit enum written as the name `name` gives one of `variants`
/// (the type's own `as_str`, so the names are written once).
pub fn named<T: Copy>(
    value: &Value,
    variants: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, DecodeError> {
    let s = str_of(value)?;
    variants
        .iter()
        .copied()
        .find(|v| name(*v) == s)
        .ok_or(DecodeError::Invalid)
}

/// A string value's text.
pub fn str_of(value: &Value) -> Result<&str, DecodeError> {
    value.as_str().ok_or(DecodeError::Invalid)
}

/// A string value parsed with `T`'s `FromStr` (ids, keys, blobs).
pub fn parsed<T: FromStr>(value: &Value) -> Result<T, DecodeError> {
    str_of(value)?.parse().map_err(|_| DecodeError::Invalid)
}

/// A unit enum written as one of `names` (`#[serde(rename_all = …)]`):
/// the variant at the same index of `variants`.
pub fn one_of<T: Copy>(value: &Value, names: &[&str], variants: &[T]) -> Result<T, DecodeError> {
    let s = str_of(value)?;
    names
        .iter()
        .position(|n| *n == s)
        .and_then(|i| variants.get(i).copied())
        .ok_or(DecodeError::Invalid)
}

impl FromJson for Value {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        Ok(value.clone())
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        str_of(value).map(str::to_owned)
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        value.as_bool().ok_or(DecodeError::Invalid)
    }
}

impl FromJson for u64 {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        value.as_u64().ok_or(DecodeError::Invalid)
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        value.as_i64().ok_or(DecodeError::Invalid)
    }
}

macro_rules! narrow_unsigned {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: &Value) -> Result<Self, DecodeError> {
                u64::from_json(value)?.try_into().map_err(|_| DecodeError::Invalid)
            }
        }
    )*};
}
narrow_unsigned!(u8, u16, u32);

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        value
            .as_array()
            .ok_or(DecodeError::Invalid)?
            .iter()
            .map(T::from_json)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Point {
        x: u32,
        label: Option<String>,
        tags: Vec<String>,
    }

    impl FromJson for Point {
        fn from_json(value: &Value) -> Result<Self, DecodeError> {
            let mut f = Fields::strict(value)?;
            let p = Point {
                x: f.req("x")?,
                label: f.opt("label")?,
                tags: f.or_default("tags")?,
            };
            f.end()?;
            Ok(p)
        }
    }

    #[test]
    fn decodes_by_serde_derive_rules() {
        let p: Point = decode(r#"{"x": 3, "label": null}"#).unwrap();
        assert_eq!(
            p,
            Point {
                x: 3,
                label: None,
                tags: vec![]
            }
        );
        let p: Point = decode(r#" {"tags":["a","b"],"x":0,"label":"\u00e9"} "#).unwrap();
        assert_eq!(p.label.as_deref(), Some("é"));
        assert_eq!(p.tags, ["a", "b"]);
    }

    #[test]
    fn refuses_what_serde_refuses() {
        for (text, why) in [
            (r#"{"label":"a"}"#, DecodeError::Missing("x")),
            (r#"{"x":1,"y":2}"#, DecodeError::UnknownField),
            (
                r#"{"x":1,"tags":null}"#,
                DecodeError::Field("tags", Box::new(DecodeError::Invalid)),
            ),
            (
                r#"{"x":1.0}"#,
                DecodeError::Field("x", Box::new(DecodeError::Invalid)),
            ),
            (
                r#"{"x":-1}"#,
                DecodeError::Field("x", Box::new(DecodeError::Invalid)),
            ),
            (
                r#"{"x":4294967296}"#,
                DecodeError::Field("x", Box::new(DecodeError::Invalid)),
            ),
            (
                r#"{"x":"1"}"#,
                DecodeError::Field("x", Box::new(DecodeError::Invalid)),
            ),
            (r#"[1, null, [], 2]"#, DecodeError::UnknownField),
            (r#""x""#, DecodeError::Invalid),
            (r#"{"x":1} x"#, DecodeError::Syntax),
            (r#"{"x":1"#, DecodeError::Syntax),
            ("", DecodeError::Syntax),
        ] {
            assert_eq!(decode::<Point>(text).unwrap_err(), why, "{text}");
        }
    }

    #[test]
    fn reads_a_struct_written_as_an_array_as_serde_does() {
        let p: Point = decode(r#"[7, "a"]"#).unwrap();
        assert_eq!((p.x, p.label.as_deref(), p.tags.len()), (7, Some("a"), 0));
        assert_eq!(
            decode::<Point>("[]").unwrap_err(),
            DecodeError::Missing("x")
        );
    }

    #[test]
    fn refuses_a_duplicate_key_at_any_depth() {
        assert_eq!(parse(r#"{"x":1,"x":1}"#), Err(DecodeError::DuplicateKey));
        assert_eq!(
            parse(r#"{"a":[{"b":{"c":1,"c":2}}]}"#),
            Err(DecodeError::DuplicateKey)
        );
        // Keys that differ only once decoded are the same key.
        assert_eq!(
            parse(r#"{"x":1,"\u0078":2}"#),
            Err(DecodeError::DuplicateKey)
        );
        assert!(parse(r#"{"x":{"x":1}}"#).is_ok());
    }

    #[test]
    fn wipe_zeroizes_every_string() {
        let mut v = parse(r#"{"a":["secret",{"b":"other"}],"n":1}"#).unwrap();
        wipe(&mut v);
        assert_eq!(v.to_string(), r#"{"a":["",{"b":""}],"n":1}"#);
    }

    #[test]
    fn lenient_ignores_unknown_fields() {
        let v = parse(r#"{"x":1,"extra":[true]}"#).unwrap();
        let mut f = Fields::lenient(&v).unwrap();
        assert_eq!(f.req::<u64>("x").unwrap(), 1);
        assert!(f.end().is_ok());
        let mut f = Fields::strict(&v).unwrap();
        assert_eq!(f.req::<u64>("x").unwrap(), 1);
        assert_eq!(f.end(), Err(DecodeError::UnknownField));
    }

    #[test]
    fn nesting_beyond_serde_json_limit_is_syntax() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse(&deep), Err(DecodeError::Syntax));
    }

    #[test]
    fn enums_by_name() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum E {
            A,
            B,
        }
        let names = ["a", "b_c"];
        let v = [E::A, E::B];
        assert_eq!(one_of(&Value::from("b_c"), &names, &v), Ok(E::B));
        assert_eq!(
            one_of(&Value::from("B_C"), &names, &v),
            Err(DecodeError::Invalid)
        );
        assert_eq!(
            one_of(&Value::from(1), &names, &v),
            Err(DecodeError::Invalid)
        );
    }
}
