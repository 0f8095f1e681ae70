//! Generates the host SDK's copy of the wire types,
//! iframe-host/sdk/src/wire.ts, and fails when the checked-in file is
//! stale. Run `KEYFRAME_BLESS=1 cargo test -p keyframe-wire` to rewrite it.

use ts_rs::TS;

use crate::catalog::{Chain, NativeCurrency};
use crate::hot::DeviceInfo;
use crate::rpc::{Method, Reason};
use crate::{Addresses, WalletKind};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../iframe-host/sdk/src/wire.ts"
);

fn list(name: &str, doc: &str, items: &[&str]) -> String {
    let mut out = format!("/** {doc} */\nexport const {name} = [\n");
    for item in items {
        out.push_str(&format!("  \"{item}\",\n"));
    }
    out.push_str("] as const;\n");
    out
}

fn generate() -> String {
    let mut out = String::from(
        "// Generated from the keyframe-wire crate (wire/src/ts.rs); do not edit.\n\
         // `KEYFRAME_BLESS=1 cargo test -p keyframe-wire` rewrites it, and the\n\
         // crate's tests fail while it is stale.\n\n",
    );
    let reasons: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    out.push_str(&list(
        "KEYFRAME_REASONS",
        "The closed list of `error.data.reason` values (docs/api.md).",
        &reasons,
    ));
    out.push_str("\n/** One of {@link KEYFRAME_REASONS}. */\n");
    out.push_str("export type KeyframeReason = (typeof KEYFRAME_REASONS)[number];\n\n");
    let methods: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
    out.push_str(&list(
        "RPC_METHODS",
        "Every RPC method the iFrame itself answers (docs/api.md); the SDK adds eth_sendTransaction.",
        &methods,
    ));
    out.push_str("\n/** One of {@link RPC_METHODS}. */\n");
    out.push_str("export type RpcMethod = (typeof RPC_METHODS)[number];\n");
    for decl in [
        WalletKind::decl(),
        Addresses::decl(),
        DeviceInfo::decl(),
        NativeCurrency::decl(),
        Chain::decl(),
    ] {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[test]
fn sdk_wire_types_are_fresh() {
    let fresh = generate();
    if std::env::var_os("KEYFRAME_BLESS").is_some() {
        #[allow(clippy::unwrap_used)]
        std::fs::write(PATH, &fresh).unwrap();
    }
    let checked_in = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "iframe-host/sdk/src/wire.ts is stale: run `KEYFRAME_BLESS=1 cargo test -p keyframe-wire`"
    );
}
