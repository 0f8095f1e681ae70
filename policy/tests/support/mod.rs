//! Shared by the three runners of tests/vectors/policy (this crate's
//! vectors and CLI tests, hot storage's simulate test): loading the files
//! and comparing an evaluation's JSON with a case's `expect`.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use std::path::PathBuf;

/// The vector directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/policy")
}

/// `(file name, parsed JSON)` of every vector file, sorted; `fail` picks
/// the `fail_*` files or the others.
pub fn files(fail: bool) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("fail_") == fail)
        .map(|n| {
            let text = std::fs::read_to_string(dir().join(&n)).unwrap();
            let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no vector files");
    out
}

/// Compares an evaluation (as JSON) with a case's `expect`; `Err` says
/// what differs.
pub fn check(eval: &Value, expect: &Value) -> Result<(), String> {
    if eval["effect"] != expect["effect"] {
        return Err(format!(
            "effect {} != expected {}",
            eval["effect"], expect["effect"]
        ));
    }
    let deciding = eval.get("deciding_rule").cloned().unwrap_or(Value::Null);
    if deciding != expect["deciding_rule"] {
        return Err(format!(
            "deciding_rule {deciding} != expected {}",
            expect["deciding_rule"]
        ));
    }
    if let Some(failed) = expect.get("failed").and_then(Value::as_object) {
        for (id, prefix) in failed {
            let prefix = prefix.as_str().unwrap();
            let rule = eval["per_rule"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id.as_str())
                .ok_or_else(|| format!("no per_rule entry for {id}"))?;
            let got = rule["first_failed_condition"].as_str().unwrap_or("");
            if rule["matched"] != Value::Bool(false) || !got.starts_with(prefix) {
                return Err(format!(
                    "rule {id}: first_failed_condition {got:?} does not start with {prefix:?}"
                ));
            }
        }
    }
    // Every rule that did not match says why; every matched one does not.
    for r in eval["per_rule"].as_array().unwrap() {
        let has = r.get("first_failed_condition").is_some();
        if has == (r["matched"] == Value::Bool(true)) {
            return Err(format!("per_rule entry inconsistent: {r}"));
        }
    }
    if let Some(silent) = expect.get("silent")
        && eval.get("silent").cloned().unwrap_or(Value::Bool(false)) != *silent
    {
        return Err(format!("silent != expected {silent}"));
    }
    if let Some(record) = expect.get("record").and_then(Value::as_bool)
        && eval.get("record").is_some() != record
    {
        return Err(format!(
            "record present: {} != expected {record}",
            eval.get("record").is_some()
        ));
    }
    Ok(())
}
