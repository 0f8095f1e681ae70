//! serde's derive as the oracle of a hand decoder (tests only).
//!
//! [`assert_parity`] decodes a sample and every mutation of it both ways
//! and requires the same answer: both refuse, or both accept and agree
//! on the value (compared through serde's serialization of it).
//! Mutations, at every object and array of the sample, at any depth: a
//! key removed, its value replaced by `null` and by a value of each JSON
//! type, an unknown key added, an array emptied or given a `null`. A
//! duplicate key cannot be written into a tree, so a text with each
//! top-level key doubled is checked too.
//!
//! [`assert_writes_as_serde`] holds a hand writer to serde's derive the
//! same way: every mutation serde reads is written both ways.

#![allow(clippy::unwrap_used, clippy::panic)]

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::{FromJson, ToJson, decode, to_string};

/// Panics, naming the mutated text, where the hand decoder of `T` and
/// serde's derive disagree on `sample` or on a mutation of it. Returns
/// how many texts were checked.
pub fn assert_parity<T>(sample: &str) -> usize
where
    T: FromJson + DeserializeOwned + Serialize,
{
    let value: Value = serde_json::from_str(sample).expect("the sample is JSON");
    assert!(
        serde_json::from_str::<T>(sample).is_ok(),
        "the sample must decode with serde: {sample}"
    );
    let mut texts = vec![sample.to_owned()];
    for variant in mutations(&value) {
        texts.push(serde_json::to_string(&variant).unwrap());
    }
    if let Value::Object(map) = &value {
        for (k, v) in map {
            let mut text = serde_json::to_string(&value).unwrap();
            text.pop();
            text.push_str(&format!(",{}:{}}}", json!(k), v));
            texts.push(text);
        }
    }
    for text in &texts {
        check::<T>(text);
    }
    texts.len()
}

/// One text decoded both ways.
pub fn check<T>(text: &str)
where
    T: FromJson + DeserializeOwned + Serialize,
{
    let by_serde = serde_json::from_str::<T>(text);
    let by_hand = decode::<T>(text);
    match (by_serde, by_hand) {
        (Ok(a), Ok(b)) => assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap(),
            "both accept but disagree on {text}"
        ),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("serde accepts, the hand decoder refuses ({e}): {text}"),
        (Err(e), Ok(_)) => panic!("serde refuses ({e}), the hand decoder accepts: {text}"),
    }
}

/// Panics where a hand writer ([`ToJson`]) and serde's derive write
/// differently: for `sample` and every mutation of it that serde's derive
/// reads as a `T`, the tree must equal serde_json's `to_value` and the text
/// serde_json's `to_string` read back. Returns how many values were
/// checked (at least the sample).
pub fn assert_writes_as_serde<T>(sample: &str) -> usize
where
    T: ToJson + DeserializeOwned + Serialize,
{
    let value: Value = serde_json::from_str(sample).expect("the sample is JSON");
    assert!(
        serde_json::from_str::<T>(sample).is_ok(),
        "the sample must decode with serde: {sample}"
    );
    let mut checked = 0;
    for variant in std::iter::once(value.clone()).chain(mutations(&value)) {
        let Ok(x) = serde_json::from_value::<T>(variant) else {
            continue;
        };
        let by_serde = serde_json::to_value(&x).unwrap();
        let by_hand = x.to_json();
        assert_eq!(by_hand, by_serde, "the hand writer differs");
        let text: Value = serde_json::from_str(&to_string(by_hand)).unwrap();
        assert_eq!(text, by_serde, "the written text differs");
        checked += 1;
    }
    checked
}

/// One text: if serde's derive reads it as a `T`, the hand writer writes
/// that `T` as serde does.
pub fn check_write<T>(text: &str)
where
    T: ToJson + DeserializeOwned + Serialize,
{
    if let Ok(x) = serde_json::from_str::<T>(text) {
        assert_eq!(
            x.to_json(),
            serde_json::to_value(&x).unwrap(),
            "the hand writer differs on {text}"
        );
    }
}

/// Values of each JSON type, including the edges of integer fields.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-1),
        json!(256),
        json!(4_294_967_296u64),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.5),
        json!(""),
        json!("x"),
        json!("1"),
        json!([]),
        json!([null]),
        json!({}),
    ]
}

/// Every single mutation of `value`, at any depth.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            let mut extra = map.clone();
            extra.insert("zz_unknown".into(), json!(1));
            out.push(Value::Object(extra));
            for (k, v) in map {
                let mut removed = map.clone();
                removed.remove(k);
                out.push(Value::Object(removed));
                for r in replacements().into_iter().chain(mutations(v)) {
                    let mut changed = map.clone();
                    changed.insert(k.clone(), r);
                    out.push(Value::Object(changed));
                }
            }
        }
        Value::Array(items) => {
            out.push(json!([]));
            let mut with_null = items.clone();
            with_null.push(Value::Null);
            out.push(Value::Array(with_null));
            if !items.is_empty() {
                for r in replacements() {
                    let mut changed = items.clone();
                    changed[0] = r;
                    out.push(Value::Array(changed));
                }
            }
            for (i, v) in items.iter().enumerate() {
                for r in mutations(v) {
                    let mut changed = items.clone();
                    changed[i] = r;
                    out.push(Value::Array(changed));
                }
            }
        }
        _ => {}
    }
    out
}
