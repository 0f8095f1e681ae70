//! The CLI on every vector: the same answers as the evaluator, exit code
//! 0 / 3 by effect, 2 and a message naming the field for bad input.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn cli(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keyframe-policy"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("keyframe-policy-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_cli_agrees_with_every_vector() {
    let dir = tmpdir("vectors");
    let mut n = 0;
    for (file, v) in support::files(false) {
        let policy = write(&dir, "policy.json", &v["policy"]);
        let user = v.get("user_policy").map(|u| write(&dir, "user.json", u));
        for case in v["cases"].as_array().unwrap() {
            let req = json!({ "intent": case["intent"], "usage": case.get("usage").cloned().unwrap_or(json!([])), "now": case["now"] });
            let request = write(&dir, "request.json", &req);
            let mut args = vec!["check", "--policy", &policy, "--request", &request];
            if let Some(u) = &user {
                args.extend(["--user-policy", u.as_str()]);
            }
            let (code, out, err) = cli(&args);
            let name = format!("{file}: {}", case["name"]);
            support::check(&out, &case["expect"]).unwrap_or_else(|e| panic!("{name}: {e}\n{err}"));
            let want = if case["expect"]["effect"] == "deny" {
                3
            } else {
                0
            };
            assert_eq!(code, want, "{name}");
            n += 1;
        }
    }
    assert!(n >= 40);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let dir = tmpdir("bad");
    let (_, v) = support::files(true).remove(0);
    let case = &v["cases"][0];
    let policy = write(&dir, "bad.json", &case["policy"]);
    let request = write(
        &dir,
        "request.json",
        &json!({ "intent": { "kind": "evm_message" } }),
    );
    let (code, out, err) = cli(&["check", "--policy", &policy, "--request", &request]);
    assert_eq!((code, out), (2, Value::Null));
    assert!(err.contains(case["field"].as_str().unwrap()), "{err}");
    assert!(err.contains(case["message"].as_str().unwrap()), "{err}");

    let good = write(
        &dir,
        "good.json",
        &json!({ "version": 1, "default": "deny" }),
    );
    let bad_req = write(
        &dir,
        "bad_request.json",
        &json!({ "intent": { "kind": "evm_message", "value": 1 } }),
    );
    assert_eq!(
        cli(&["check", "--policy", &good, "--request", &bad_req]).0,
        2
    );
    assert_eq!(cli(&["check", "--policy", &good]).0, 2);
    assert_eq!(
        cli(&[
            "check",
            "--policy",
            &good,
            "--request",
            "/nonexistent/x.json"
        ])
        .0,
        2
    );
    assert_eq!(
        cli(&[
            "check",
            "--policy",
            &good,
            "--request",
            &request,
            "--now",
            "soon"
        ])
        .0,
        2
    );
    assert_eq!(cli(&["evaluate"]).0, 2);
    // The default denies: exit 3, and the evaluation is printed.
    let (code, out, _) = cli(&[
        "check",
        "--policy",
        &good,
        "--request",
        &request,
        "--now",
        "5",
    ]);
    assert_eq!((code, &out["effect"]), (3, &json!("deny")));
    std::fs::remove_dir_all(dir).unwrap();
}
