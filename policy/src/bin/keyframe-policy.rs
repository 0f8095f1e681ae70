//! `keyframe-policy check --policy FILE [--user-policy FILE] --request FILE
//! [--now UNIX_SECONDS]`: evaluates one request against a policy, for an
//! operator's CI (docs/policy.md, "Tools"). Prints the evaluation as JSON;
//! exits 0 for allow, ask and approve, 3 for deny, 2 for bad input.

use keyframe_policy::{Effect, Intent, Layers, Policy, Usage, evaluate};
use serde::Deserialize;
use std::process::ExitCode;

const USAGE: &str = "usage: keyframe-policy check --policy FILE [--user-policy FILE] --request FILE [--now UNIX_SECONDS]";

/// The request file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    intent: Intent,
    #[serde(default)]
    usage: Vec<Usage>,
    now: Option<u64>,
}

#[derive(Default)]
struct Args {
    policy: Option<String>,
    user_policy: Option<String>,
    request: Option<String>,
    now: Option<u64>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    if it.next().as_deref() != Some("check") {
        return Err(USAGE.into());
    }
    let mut a = Args::default();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--policy" => a.policy = Some(value()?),
            "--user-policy" => a.user_policy = Some(value()?),
            "--request" => a.request = Some(value()?),
            "--now" => {
                let v = value()?;
                a.now = Some(
                    v.parse()
                        .map_err(|_| format!("--now: {v:?} is not Unix seconds"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args(std::env::args().skip(1))?;
    let (Some(policy), Some(request)) = (&args.policy, &args.request) else {
        return Err(format!("--policy and --request are required\n{USAGE}"));
    };
    let op = Policy::from_json(&read(policy)?).map_err(|e| format!("{policy}: {e}"))?;
    let user = match &args.user_policy {
        Some(p) => Some(Policy::from_json(&read(p)?).map_err(|e| format!("{p}: {e}"))?),
        None => None,
    };
    let req: Request =
        serde_json::from_str(&read(request)?).map_err(|e| format!("{request}: {e}"))?;
    let now = match args.now.or(req.now) {
        Some(n) => n,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs(),
    };
    let layers = Layers {
        operator: &op,
        user: user.as_ref(),
    };
    let eval = evaluate(&layers, &req.intent, &req.usage, now);
    let json = serde_json::to_string_pretty(&eval).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(if eval.effect == Effect::Deny {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keyframe-policy: {e}");
            ExitCode::from(2)
        }
    }
}
