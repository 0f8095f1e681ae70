//! docs/policy.schema.json against the vectors: every policy a vector
//! evaluates validates against the schema, and every `fail_*` document is
//! refused by the schema as well, except the checks only the crate makes
//! (named below). The validator here reads the keywords the schema uses
//! and fails on any other, so the schema cannot grow past what is tested;
//! its patterns are matched by named predicates (no regex in this
//! workspace's policy code), and a pattern without one fails the test.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Map, Value};

/// fail_* cases the schema cannot express; the crate refuses them
/// (tests/vectors.rs).
const CRATE_ONLY: &[&str] = &[
    "an amount of 2^256",
    "a duplicate id",
    "silent on an allow rule",
    "limits on a deny rule",
    "at_least above at_most",
];

fn base58(s: &str) -> bool {
    (32..=44).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

fn hex_n(s: &str, n: usize) -> bool {
    s.len() == n + 2 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn pattern(p: &str, s: &str) -> bool {
    match p {
        "^(0x[0-9a-fA-F]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$" => hex_n(s, 40) || base58(s),
        "^[1-9A-HJ-NP-Za-km-z]{32,44}$" => base58(s),
        "^[0-9]{1,78}$" => (1..=78).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
        "^([01][0-9]|2[0-3]):[0-5][0-9]$" => {
            let b = s.as_bytes();
            b.len() == 5
                && b[2] == b':'
                && ((matches!(b[0], b'0' | b'1') && b[1].is_ascii_digit())
                    || (b[0] == b'2' && (b'0'..=b'3').contains(&b[1])))
                && (b'0'..=b'5').contains(&b[3])
                && b[4].is_ascii_digit()
        }
        "^[A-Za-z0-9_.:-]{1,64}$" => {
            (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
        }
        "^https?://[^/]+$" => {
            let rest = s
                .strip_prefix("https://")
                .or_else(|| s.strip_prefix("http://"));
            rest.is_some_and(|r| !r.is_empty() && !r.contains('/'))
        }
        "^0x[0-9a-fA-F]{8}$" => hex_n(s, 8),
        "^[0-9]{1,9}[smhdw]$" => {
            let (d, u) = s.split_at(s.len().saturating_sub(1));
            (1..=9).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && matches!(u, "s" | "m" | "h" | "d" | "w")
        }
        other => panic!("the schema uses a pattern this test has no predicate for: {other}"),
    }
}

struct Validator<'a> {
    defs: &'a Map<String, Value>,
}

impl Validator<'_> {
    fn check(&self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let s = schema.as_object().unwrap();
        let err = |m: &str| Err(format!("{at}: {m}"));
        for (k, rule) in s {
            match k.as_str() {
                "description" | "title" | "$schema" | "$id" | "$defs" => {}
                "$ref" => {
                    let name = rule.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                    self.check(&self.defs[name], v, at)?;
                }
                "type" => {
                    let ok = match rule.as_str().unwrap() {
                        "object" => v.is_object(),
                        "array" => v.is_array(),
                        "string" => v.is_string(),
                        "boolean" => v.is_boolean(),
                        "integer" => v.is_u64() || v.is_i64(),
                        t => panic!("type {t}"),
                    };
                    if !ok {
                        return err(&format!("not of type {rule}"));
                    }
                }
                "const" if v != rule => return err(&format!("not {rule}")),
                "enum" if !rule.as_array().unwrap().contains(v) => return err("not in the enum"),
                "const" | "enum" => {}
                "required" => {
                    for r in rule.as_array().unwrap() {
                        if v.get(r.as_str().unwrap()).is_none() {
                            return err(&format!("missing {r}"));
                        }
                    }
                }
                "properties" => {
                    let props = rule.as_object().unwrap();
                    for (name, value) in v.as_object().into_iter().flatten() {
                        if let Some(p) = props.get(name) {
                            self.check(p, value, &format!("{at}.{name}"))?;
                        } else if s.get("additionalProperties") == Some(&Value::Bool(false)) {
                            return err(&format!("unknown property {name}"));
                        }
                    }
                }
                "additionalProperties" => assert_eq!(rule, &Value::Bool(false)),
                "items" => {
                    for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                        self.check(rule, x, &format!("{at}[{i}]"))?;
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(a) = v.as_array() {
                        let n = rule.as_u64().unwrap() as usize;
                        if (k == "minItems" && a.len() < n) || (k == "maxItems" && a.len() > n) {
                            return err(k);
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(t) = v.as_str() {
                        let n = rule.as_u64().unwrap() as usize;
                        let len = t.chars().count();
                        if (k == "minLength" && len < n) || (k == "maxLength" && len > n) {
                            return err(k);
                        }
                    }
                }
                "minimum" => {
                    if v.as_i64().is_some_and(|x| x < rule.as_i64().unwrap()) {
                        return err("below the minimum");
                    }
                }
                "pattern" => {
                    if let Some(t) = v.as_str()
                        && !pattern(rule.as_str().unwrap(), t)
                    {
                        return err(&format!("{t:?} does not match {rule}"));
                    }
                }
                "oneOf" => {
                    let n = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|r| self.check(r, v, at).is_ok())
                        .count();
                    if n != 1 {
                        return err(&format!("matches {n} branches of oneOf"));
                    }
                }
                "dependentRequired" => {
                    for (name, deps) in rule.as_object().unwrap() {
                        if v.get(name).is_some() {
                            for d in deps.as_array().unwrap() {
                                if v.get(d.as_str().unwrap()).is_none() {
                                    return err(&format!("{name} needs {d}"));
                                }
                            }
                        }
                    }
                }
                other => {
                    panic!("the schema uses keyword {other}, which this validator does not read")
                }
            }
        }
        Ok(())
    }
}

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/policy.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_vector_policy_validates_against_the_schema() {
    let schema = schema();
    let v = Validator {
        defs: schema["$defs"].as_object().unwrap(),
    };
    let mut n = 0;
    for (file, doc) in support::files(false) {
        for key in ["policy", "user_policy"] {
            if let Some(p) = doc.get(key) {
                v.check(&schema, p, "$")
                    .unwrap_or_else(|e| panic!("{file} {key}: {e}"));
                n += 1;
            }
        }
    }
    assert!(n >= 6);
}

#[test]
fn the_schema_refuses_every_fail_document_but_the_crate_only_checks() {
    let schema = schema();
    let v = Validator {
        defs: schema["$defs"].as_object().unwrap(),
    };
    let mut crate_only_seen = 0;
    for (file, doc) in support::files(true) {
        for case in doc["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let verdict = v.check(&schema, &case["policy"], "$");
            if CRATE_ONLY.contains(&name) {
                assert!(
                    verdict.is_ok(),
                    "{file}: {name}: the schema refuses it after all: {verdict:?}"
                );
                crate_only_seen += 1;
            } else {
                assert!(verdict.is_err(), "{file}: {name}: the schema accepts it");
            }
        }
    }
    assert_eq!(crate_only_seen, CRATE_ONLY.len());
}
