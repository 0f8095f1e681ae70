//! What the screen shows for a request: a heading naming the action, the
//! embedding origin as the iFrame saw it at `connect`, the decoder's
//! description (docs/intent.md) and every warning. The browser layer turns
//! a [`Screen`] into DOM and adds nothing of its own but the buttons.

use crate::flows::Request;
use crate::intent::{Field, IntentKind};

/// The content of one approval screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// Names the action: "Sign message", "Sign transaction", …
    pub heading: String,
    /// The embedding origin, from the iFrame's own `connect` check; never a
    /// name the host supplies.
    pub origin: String,
    /// One sentence on what approving allows, when known.
    pub summary: Option<String>,
    /// Labelled values, as a tree.
    pub fields: Vec<Field>,
    /// Each is shown as its own alert.
    pub warnings: Vec<String>,
    /// Raw data behind a toggle (calldata, message bytes).
    pub raw: Option<String>,
}

fn sign_heading(method: &str, kind: Option<IntentKind>) -> &'static str {
    match (method, kind) {
        (_, Some(IntentKind::SignIn)) => "Sign in",
        ("eth_signTypedData_v4", _) => "Sign typed data",
        ("eth_signTransaction" | "solana_signTransaction", _) => "Sign transaction",
        _ => "Sign message",
    }
}

/// The screen for `request` from `origin`, or `None` for a request that
/// needs no approval (creating a fresh wallet: nothing of the user's is
/// used or changed).
pub fn screen_for(request: &Request<'_>, origin: &str) -> Option<Screen> {
    let mut s = Screen {
        heading: String::new(),
        origin: origin.to_owned(),
        summary: None,
        fields: Vec::new(),
        warnings: Vec::new(),
        raw: None,
    };
    match request {
        Request::CreateWallet { imported: false } => return None,
        Request::CreateWallet { imported: true } => {
            s.heading = "Import wallet".into();
            s.summary = Some(
                "Makes the recovery phrase or key you gave this app the wallet of this account."
                    .into(),
            );
            s.warnings.push(
                "The phrase or key passed through the app's page: only import one you trust this app with."
                    .into(),
            );
        }
        Request::Sign { method, intent } => {
            s.heading = sign_heading(method, intent.map(|i| i.kind)).into();
            match intent {
                Some(i) => {
                    if i.title != s.heading {
                        s.fields.push(Field::new("Request", i.title.clone()));
                    }
                    s.summary = i.summary.clone();
                    s.fields.extend(i.fields.iter().cloned());
                    s.warnings
                        .extend(i.warnings.iter().map(|w| w.message.clone()));
                    s.raw = i.raw.clone();
                }
                None => s
                    .warnings
                    .push("This request could not be described.".into()),
            }
        }
        Request::Export => {
            s.heading = "Export wallet".into();
            s.summary = Some(
                "Shows your recovery phrase (or private key) in this window after a second click."
                    .into(),
            );
            s.warnings
                .push("Anyone who sees the phrase or key can take your funds.".into());
        }
        Request::SetRecovery { automatic } => {
            s.heading = "Change recovery method".into();
            let method = if *automatic {
                "Automatic (a key held by this app's server)"
            } else {
                "Password"
            };
            s.fields.push(Field::new("New method", method));
            if *automatic {
                s.warnings.push(
                    "With automatic recovery, this app's server can help restore the wallet without your password."
                        .into(),
                );
            }
        }
        Request::RevokeDevice { device } => {
            s.heading = "Revoke device".into();
            s.fields.push(Field::new("Device", device.to_string()));
            s.summary = Some("That device will no longer be able to sign.".into());
        }
        Request::SwitchChain { chain_id, name } => {
            s.heading = "Switch network".into();
            s.fields.push(Field::new("Network", *name));
            s.fields.push(Field::new("Chain ID", chain_id.to_string()));
        }
    }
    Some(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::intent::{Context, describe_evm_transaction, describe_personal_sign};
    use serde_json::json;

    const ORIGIN: &str = "http://127.0.0.1:3000";

    fn ctx() -> Context {
        Context {
            origin: ORIGIN.into(),
            chain_id: 31337,
            now: 1_700_000_000,
            ..Context::default()
        }
    }

    #[test]
    fn a_message_names_the_action_and_the_origin() {
        let intent = describe_personal_sign(b"hello keyframe", &ctx());
        let s = screen_for(
            &Request::Sign {
                method: "personal_sign",
                intent: Some(&intent),
            },
            ORIGIN,
        )
        .unwrap();
        assert_eq!(s.heading, "Sign message");
        assert_eq!(s.origin, ORIGIN);
        assert!(s.fields.iter().any(|f| f.value.contains("hello keyframe")));
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn an_unknown_contract_call_warns_and_keeps_the_raw_data() {
        let tx = json!({ "to": "0x1111111111111111111111111111111111111111", "nonce": "0x0",
            "gas": "0x5208", "gasPrice": "0x1", "value": "0x0", "data": "0xdeadbeef00", "chainId": "0x7a69" });
        let intent = describe_evm_transaction(&tx, &ctx()).unwrap();
        let s = screen_for(
            &Request::Sign {
                method: "eth_signTransaction",
                intent: Some(&intent),
            },
            ORIGIN,
        )
        .unwrap();
        assert_eq!(s.heading, "Sign transaction");
        assert_eq!(s.warnings.len(), intent.warnings.len());
        assert!(!s.warnings.is_empty());
        assert!(s.raw.as_deref().unwrap_or("").contains("deadbeef"));
    }

    #[test]
    fn every_act_of_authority_has_a_screen_but_a_fresh_wallet() {
        let device: Result<crate::shares::DeviceId, _> =
            "123e4567-e89b-12d3-a456-426614174000".parse();
        let mut requests = vec![
            (Request::Export, "Export wallet"),
            (
                Request::SetRecovery { automatic: true },
                "Change recovery method",
            ),
            (Request::CreateWallet { imported: true }, "Import wallet"),
            (
                Request::SwitchChain {
                    chain_id: 10,
                    name: "OP Mainnet",
                },
                "Switch network",
            ),
            (
                Request::Sign {
                    method: "solana_signTransaction",
                    intent: None,
                },
                "Sign transaction",
            ),
        ];
        if let Ok(device) = device {
            requests.push((Request::RevokeDevice { device }, "Revoke device"));
        }
        for (r, heading) in requests {
            let s = screen_for(&r, ORIGIN).unwrap();
            assert_eq!(s.heading, heading);
            assert_eq!(s.origin, ORIGIN);
        }
        assert!(screen_for(&Request::CreateWallet { imported: false }, ORIGIN).is_none());
        let automatic = screen_for(&Request::SetRecovery { automatic: true }, ORIGIN).unwrap();
        assert_eq!(automatic.warnings.len(), 1);
        let password = screen_for(&Request::SetRecovery { automatic: false }, ORIGIN).unwrap();
        assert!(password.warnings.is_empty());
        let export = screen_for(&Request::Export, ORIGIN).unwrap();
        assert_eq!(export.warnings.len(), 1);
    }
}
