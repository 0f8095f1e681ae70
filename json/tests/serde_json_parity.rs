//! keyframe-json's parser and writer against serde_json, their oracle.
//!
//! The writer (`to_string`) must give serde_json's compact text of the
//! same tree byte for byte, in a buffer of exactly its length.
//!
//! The oracle is the parser this crate used before its own (src/parse.rs):
//! serde_json's deserializer with a visitor that builds a `Value` and refuses
//! a duplicate key. Every text here, written or generated, must come out of
//! both the same: the same tree, or the same error. Floats are the one
//! licensed difference: serde_json's default float parsing is not always
//! correctly rounded and ours is, so a float must equal Rust's own parse of
//! its text exactly and serde_json's within a few units in the last place.

use std::fmt;

use keyframe_json::{DecodeError, Map, Value, parse};
use proptest::prelude::*;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// serde_json with the strict visitor: the oracle.
fn oracle(text: &str) -> Result<Value, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Strict(value) = Strict::deserialize(&mut de).map_err(|e| {
        if e.is_data() {
            DecodeError::DuplicateKey
        } else {
            DecodeError::Syntax
        }
    })?;
    de.end().map_err(|_| DecodeError::Syntax)?;
    Ok(value)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Strict, E> {
        Ok(Strict(Value::Number(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Strict, E> {
        Ok(Strict(Value::Number(n.into())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Strict, E> {
        Ok(Strict(
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(s)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Strict(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Strict(Value::Object(out)))
    }
}

/// Equal trees; floats within a few units in the last place (the module
/// doc says why; [`check_number_exact`] holds ours to Rust's parse).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            close(a, b)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => ours == theirs,
    }
}

/// The same float, or two within a few units in the last place (counted
/// in bit patterns, so that subnormals, with fewer digits, count alike).
fn close(a: f64, b: f64) -> bool {
    a.is_sign_negative() == b.is_sign_negative() && a.to_bits().abs_diff(b.to_bits()) <= 4
}

/// Both parsers agree on `text`; the outcome, for further checks.
fn agree(text: &str) -> Result<Value, DecodeError> {
    let ours = parse(text);
    let theirs = oracle(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "{text:?}: {a:?} != {b:?}"),
        (a, b) => assert_eq!(a, b, "{text:?}"),
    }
    ours
}

/// Every float in `value` (parsed from `text`) is Rust's correctly rounded
/// parse of a number in the text: checked where the text is one number.
fn check_number_exact(text: &str) {
    if let Ok(Value::Number(n)) = parse(text)
        && n.is_f64()
    {
        let exact: f64 = text.trim().parse().expect("a JSON number is a Rust float");
        assert_eq!(
            n.as_f64().map(f64::to_bits),
            Some(exact.to_bits()),
            "{text:?}"
        );
    }
}

#[test]
fn written_vectors_agree() {
    let texts = [
        // Values and whitespace.
        "null",
        "true",
        "false",
        " \t\r\n1\n",
        "\"\"",
        "[]",
        "{}",
        "[ ]",
        "{ }",
        r#"{"a":[1,{"b":null}],"c":"d"}"#,
        r#" { "a" : 1 , "b" : [ true , false ] } "#,
        // Integers at the edges of u64 and i64, and beyond.
        "0",
        "-0",
        "1",
        "-1",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        // Floats.
        "1.5",
        "-1.5",
        "0.1",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        "1.0",
        "-0.0",
        "0e0",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1e-400",
        "-1e-400",
        "4.9e-324",
        "123.456e-7",
        // Strings and escapes.
        r#""a\"b\\c\/d\be\ff\ng\rh\ti""#,
        r#""\u00e9\u00E9""#,
        r#""\ud83d\ude00""#,
        "\"é😀\u{7f}\"",
        r#""\u0000""#,
    ];
    for text in texts {
        agree(text).unwrap_or_else(|e| panic!("{text:?} was refused: {e:?}"));
        check_number_exact(text);
    }
}

#[test]
fn fail_vectors_are_refused_by_both() {
    let texts = [
        "",
        " ",
        "nul",
        "nulll",
        "True",
        "tru e",
        "[",
        "]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{",
        "}",
        r#"{"a"}"#,
        r#"{"a":}"#,
        r#"{"a":1,}"#,
        r#"{,"a":1}"#,
        r#"{a:1}"#,
        r#"{1:1}"#,
        r#"{"a" 1}"#,
        "1 2",
        "[] []",
        "01",
        "-01",
        "00",
        "-",
        "--1",
        "+1",
        "1.",
        ".1",
        "1.e3",
        "1e",
        "1e+",
        "1e-",
        "0x10",
        "1e400",
        "-1e400",
        "1e309",
        "Infinity",
        "NaN",
        "\"abc",
        "\"\\\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800\u0041""#,
        r#""\ud800\n""#,
        r#""\ud800x""#,
        "\"\u{1}\"",
        "\"a\nb\"",
        "\u{feff}1",
        "1\u{a0}",
        "[1]x",
        "{}{}",
        // Duplicate keys, at any depth; a malformed value after a
        // duplicate key is a syntax error, a later one is not reached.
        r#"{"a":1,"a":2}"#,
        r#"{"k":"v","k":[1,2]}"#,
        r#"[{"x":{"y":1,"y":1}}]"#,
        r#"{"a":1,"a":tru}"#,
        r#"{"a":1,"b":2,"a":3"#,
        r#"{"a":1,"a":2,"b":}"#,
    ];
    for text in texts {
        assert!(agree(text).is_err(), "{text:?} was accepted");
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    for depth in 120..135 {
        for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
            let text = open.repeat(depth) + "1" + &close.repeat(depth);
            let _ = agree(&text);
        }
    }
    assert!(parse(&("[".repeat(127) + &"]".repeat(127))).is_ok());
    assert_eq!(
        parse(&("[".repeat(128) + &"]".repeat(128))),
        Err(DecodeError::Syntax)
    );
}

/// Arbitrary JSON values (every escape class in strings and keys).
fn values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z\\\\\"/\u{0}-\u{1f}\u{7f}\u{e9}\u{1f600}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-c\u{1}\u{e9}\"\\\\]{0,3}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Pieces from which near-JSON texts are built.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\"",
    "\\",
    "\"a\"",
    "\"a\"",
    "\"\\u00e9\"",
    "\\ud83d",
    "\\ude00",
    "\\u",
    "0",
    "1",
    "9",
    "-",
    "+",
    ".",
    "e",
    "E",
    "true",
    "false",
    "null",
    "nu",
    "\u{1}",
    "é",
    "😀",
    "1e400",
    "18446744073709551616",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn written_values_agree(value in values(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        }
        .expect("a value writes");
        prop_assert!(agree(&text).is_ok(), "{text:?}");
    }

    /// serde_json's compact text, byte for byte, in one buffer of exactly
    /// its length.
    #[test]
    fn writes_what_serde_json_writes(value in values()) {
        let expected = serde_json::to_string(&value).expect("a value writes");
        let written = keyframe_json::to_string(value);
        prop_assert_eq!(written.capacity(), written.len());
        prop_assert_eq!(written, expected);
    }

    #[test]
    fn token_soup_agrees(pieces in prop::collection::vec(prop::sample::select(TOKENS), 0..16)) {
        let _ = agree(&pieces.concat());
    }

    #[test]
    fn every_mutation_of_a_text_agrees(
        value in values(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[],:\" \\\x01-+.eE0129tfnu".to_vec()),
        how in 0..3u8,
    ) {
        let text = serde_json::to_string(&value).expect("a value writes");
        // Cut at a char boundary so the mutant is still a `&str`.
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let i = boundaries[at.index(boundaries.len())];
        let mut mutant = text.clone();
        match how {
            0 => mutant.insert(i, char::from(byte)),
            1 if i < text.len() => {
                mutant.remove(i);
            }
            _ if i < text.len() => {
                mutant.remove(i);
                mutant.insert(i, char::from(byte));
            }
            _ => mutant.push(char::from(byte)),
        }
        let _ = agree(&mutant);
    }

    #[test]
    fn floats_are_correctly_rounded(
        mantissa in 0u64..u64::MAX,
        point in 0usize..21,
        exponent in -330i32..330,
        negative in any::<bool>(),
    ) {
        let digits = mantissa.to_string();
        let point = point.min(digits.len() - 1);
        let text = format!(
            "{}{}.{}e{exponent}",
            if negative { "-" } else { "" },
            &digits[..=point],
            if point + 1 < digits.len() { &digits[point + 1..] } else { "0" },
        );
        let _ = agree(&text);
        check_number_exact(&text);
    }
}
