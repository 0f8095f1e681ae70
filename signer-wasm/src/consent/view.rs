//! What the screen shows for a request: a heading naming the action, the
//! embedding origin as the iFrame saw it at `connect`, the decoder's
//! description (docs/intent.md) and every warning. The browser layer turns
//! a [`Screen`] into DOM and adds nothing of its own but the buttons.

use super::entry::{Input, Secret, inputs_for};
use crate::Reason;
use crate::flows::error::UNSUPPORTED_METHOD;
use crate::flows::{Request, RpcError};
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
    /// What the user types here (passwords, a phrase to import).
    pub inputs: Vec<Input>,
    /// Why the last attempt was refused (shown as an alert).
    pub error: Option<String>,
    /// Its stable code, for code that reads the screen (tests, automation).
    pub error_reason: Option<String>,
    /// A file offered for download: its name and text (a backup file,
    /// which is ciphertext).
    pub download: Option<(String, String)>,
    /// Offer "Always allow this from <origin>" with a duration
    /// (docs/policy.md, "The user's rules").
    pub always_allow: bool,
}

/// The durations the screen offers for "Always allow", in seconds, with
/// their labels; the first is preselected.
pub const ALWAYS_ALLOW_CHOICES: [(u64, &str); 3] = [
    (3600, "for 1 hour"),
    (86_400, "for 24 hours"),
    (604_800, "for 7 days"),
];

/// Whether the screen for `request` may offer "Always allow requests like
/// this": only a signature the decoder described without a warning. What
/// a screen warns about (an approval, an unknown call or program, a
/// sign-in for another site, a contract deployment) is shown every time.
/// The signing flow also requires that the request can be narrowed to a
/// rule (flows/policy.rs, `always_allow_rule`), and asks the consent's
/// `approve_sign` to offer it (which sets [`Screen::always_allow`]) only
/// then.
pub fn offers_always_allow(request: &Request<'_>) -> bool {
    matches!(request, Request::Sign { intent: Some(i), .. } if i.warnings.is_empty())
}

fn sign_heading(method: &str, kind: Option<IntentKind>) -> &'static str {
    match (method, kind) {
        (_, Some(IntentKind::SignIn)) => "Sign in",
        ("eth_signTypedData_v4", _) => "Sign typed data",
        ("eth_signTransaction" | "solana_signTransaction", _) => "Sign transaction",
        ("keyframe_signTransactions", _) => "Sign transactions",
        _ => "Sign message",
    }
}

/// Whether this module puts up screens for `request`. The iFrame's first
/// module (built without the `all-methods` feature) answers signatures and
/// chain switches only; the wallet's lifecycle (create, import, recover,
/// export, recovery method, backup file, revocation) is the second
/// module's (src/web/methods/mod.rs, `in_second_module`).
fn asks_here(request: &Request<'_>) -> bool {
    cfg!(feature = "all-methods")
        || matches!(request, Request::Sign { .. } | Request::SwitchChain { .. })
}

/// What the consent asks for `request` from `origin`: its screen, `None`
/// for a request that needs no approval, or 4200 (`BAD_REQUEST`) for one
/// this module does not answer ([`asks_here`]). The only way out of this
/// module to a request's screen ([`screen_for`] is private): without the
/// lifecycle's texts the first module's `screen_for` has no screen for
/// those requests, and a missing screen must not read as "needs no
/// approval".
pub fn consent_screen(request: &Request<'_>, origin: &str) -> Result<Option<Screen>, RpcError> {
    if !asks_here(request) {
        return Err(RpcError::new(
            UNSUPPORTED_METHOD,
            Reason::BadRequest,
            "this request is answered by the iFrame's second module",
        ));
    }
    Ok(screen_for(request, origin))
}

/// The screen for `request` from `origin`, or `None` for a request that
/// needs no approval (creating a fresh wallet: nothing of the user's is
/// used or changed) or that this module does not answer ([`asks_here`]:
/// the first module carries no lifecycle texts).
fn screen_for(request: &Request<'_>, origin: &str) -> Option<Screen> {
    let mut s = Screen {
        heading: String::new(),
        origin: origin.to_owned(),
        summary: None,
        fields: Vec::new(),
        warnings: Vec::new(),
        raw: None,
        inputs: Vec::new(),
        error: None,
        error_reason: None,
        download: None,
        always_allow: false,
    };
    match request {
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
        Request::SwitchChain { chain_id, name } => {
            s.heading = "Switch network".into();
            s.fields.push(Field::new("Network", *name));
            s.fields.push(Field::new("Chain ID", chain_id.to_string()));
        }
        // Built without `all-methods` (the first module), every request
        // left is one this module does not answer ([`asks_here`]): the
        // constant guard lets the optimiser drop the texts below.
        _ if !cfg!(feature = "all-methods") => return None,
        Request::CreateWallet { imported: false } => return None,
        Request::CreateWallet { imported: true } => {
            s.heading = "Import wallet".into();
            s.summary = Some(
                "Makes the recovery phrase or private key you type here the wallet of this account. Type it only in this window, never on the app's page."
                    .into(),
            );
        }
        Request::Recover => {
            s.heading = "Recover wallet".into();
            s.summary = Some(
                "Type the recovery password you chose for this wallet to use it on this device."
                    .into(),
            );
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
        Request::DownloadBackup => {
            s.heading = "Download backup".into();
            s.summary = Some(
                "Writes a backup file of this wallet, sealed under the password you type here. With the file and the password the wallet can be recovered even if this app's backup service is gone."
                    .into(),
            );
        }
        Request::RevokeDevice { device } => {
            s.heading = "Revoke device".into();
            s.fields.push(Field::new("Device", device.to_string()));
            s.summary = Some("That device will no longer be able to sign.".into());
        }
    }
    Some(s)
}

/// The screen that hands the user a backup file: a download link and the
/// box they tick once they kept it.
pub fn keep_backup_screen(origin: &str, file_name: String, text: String) -> Screen {
    Screen {
        heading: "Keep your backup".into(),
        origin: origin.to_owned(),
        summary: Some(
            "Download this backup file and keep it where you keep important documents. With it and its password you can recover the wallet on a new device, even if this app's services are gone."
                .into(),
        ),
        fields: vec![Field::new("File", file_name.clone())],
        warnings: vec![
            "Without this file and its password the wallet cannot be recovered on a new device."
                .into(),
        ],
        raw: None,
        inputs: inputs_for(&[Secret::KeptBackup]),
        error: None,
        error_reason: None,
        download: Some((file_name, text)),
        always_allow: false,
    }
}

/// The offer after the recovery pair was replaced, when this device knows
/// the user downloaded a backup of the old pair.
pub fn outdated_backup_screen(origin: &str) -> Screen {
    Screen {
        heading: "Your backup file is outdated".into(),
        origin: origin.to_owned(),
        summary: Some(
            "The recovery of this wallet changed, so the backup file you downloaded before no longer works. Approve to download a new one now."
                .into(),
        ),
        fields: Vec::new(),
        warnings: vec!["Until you download a new backup file, the old one cannot recover this wallet.".into()],
        raw: None,
        inputs: Vec::new(),
        error: None,
        error_reason: None,
        download: None,
        always_allow: false,
    }
}

/// The screen for `request` that also asks for `secrets`; `error` says why
/// the previous attempt was refused, in words and as its stable code. A request that needs no approval of
/// its own (a fresh wallet) gets a screen here, because something must be
/// typed.
pub fn entry_screen(
    request: &Request<'_>,
    origin: &str,
    secrets: &[Secret],
    error: Option<(String, &str)>,
) -> Screen {
    let mut s = screen_for(request, origin).unwrap_or_else(|| Screen {
        heading: "Create wallet".into(),
        origin: origin.to_owned(),
        summary: Some(
            "Choose the password that recovers this wallet on a new device. Nobody else learns it, not even this app: if you lose it, the wallet cannot be recovered."
                .into(),
        ),
        fields: Vec::new(),
        warnings: Vec::new(),
        raw: None,
        inputs: Vec::new(),
        error: None,
        error_reason: None,
        download: None,
        always_allow: false,
    });
    if *request == Request::Recover && secrets.contains(&Secret::BackupFile) {
        s.heading = "Recover from backup".into();
        s.summary = Some(
            "Choose the backup file you downloaded for this wallet and type its password.".into(),
        );
    }
    s.inputs = inputs_for(secrets);
    if let Some((message, reason)) = error {
        s.error = Some(message);
        s.error_reason = Some(reason.to_owned());
    }
    s
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
    fn a_batch_lists_every_call_with_its_own_warnings() {
        use crate::intent::describe_evm_batch;
        let transfer = json!({ "to": "0x2222222222222222222222222222222222222222", "nonce": "0x0",
            "gas": "0x5208", "gasPrice": "0x1", "value": "0xde0b6b3a7640000", "chainId": "0x7a69" });
        let unknown = json!({ "to": "0x1111111111111111111111111111111111111111", "nonce": "0x1",
            "gas": "0x5208", "gasPrice": "0x1", "value": "0x0", "data": "0xdeadbeef00", "chainId": "0x7a69" });
        let intent = describe_evm_batch(&[transfer.clone(), unknown], &ctx()).unwrap();
        let s = screen_for(
            &Request::Sign {
                method: "keyframe_signTransactions",
                intent: Some(&intent),
            },
            ORIGIN,
        )
        .unwrap();
        assert_eq!(s.heading, "Sign transactions");
        let calls: Vec<_> = s
            .fields
            .iter()
            .filter(|f| f.label.starts_with("Call "))
            .collect();
        assert_eq!(calls.len(), 2);
        assert!(!calls[0].children.is_empty());
        assert!(!s.warnings.is_empty());
        assert!(
            s.warnings.iter().all(|w| w.starts_with("Call 2: ")),
            "{:?}",
            s.warnings
        );
        assert!(describe_evm_batch(&[], &ctx()).is_err());
        assert!(describe_evm_batch(&vec![transfer; 11], &ctx()).is_err());
    }

    #[test]
    #[cfg(feature = "all-methods")]
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
        let recover = screen_for(&Request::Recover, ORIGIN).unwrap();
        assert_eq!(recover.heading, "Recover wallet");
        let automatic = screen_for(&Request::SetRecovery { automatic: true }, ORIGIN).unwrap();
        assert_eq!(automatic.warnings.len(), 1);
        let password = screen_for(&Request::SetRecovery { automatic: false }, ORIGIN).unwrap();
        assert!(password.warnings.is_empty());
        let export = screen_for(&Request::Export, ORIGIN).unwrap();
        assert_eq!(export.warnings.len(), 1);
    }

    /// Every request the consent can be asked about, beside whether the
    /// first module (no `all-methods`) answers it.
    fn every_request() -> Vec<(Request<'static>, bool)> {
        let device: crate::shares::DeviceId =
            "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
        vec![
            (Request::CreateWallet { imported: false }, false),
            (Request::CreateWallet { imported: true }, false),
            (Request::Recover, false),
            (Request::Export, false),
            (Request::SetRecovery { automatic: true }, false),
            (Request::SetRecovery { automatic: false }, false),
            (Request::RevokeDevice { device }, false),
            (Request::DownloadBackup, false),
            (
                Request::SwitchChain {
                    chain_id: 10,
                    name: "OP Mainnet",
                },
                true,
            ),
            (
                Request::Sign {
                    method: "personal_sign",
                    intent: None,
                },
                true,
            ),
        ]
    }

    /// Run by `npm test` both as built by default and with
    /// `--no-default-features`, as the first module is (scripts/test.sh).
    #[test]
    fn the_first_module_refuses_the_lifecycle_instead_of_approving_it_unasked() {
        for (request, first_module) in every_request() {
            let asked = consent_screen(&request, ORIGIN);
            if cfg!(feature = "all-methods") || first_module {
                let screen = asked.unwrap();
                let fresh = request == Request::CreateWallet { imported: false };
                assert_eq!(screen.is_none(), fresh, "{request:?}");
            } else {
                let error = asked.unwrap_err();
                assert_eq!(error.code, UNSUPPORTED_METHOD, "{request:?}");
                assert_eq!(error.reason, Reason::BadRequest);
                // What the refusal guards against: without the lifecycle's
                // texts this module has no screen for the request.
                assert!(screen_for(&request, ORIGIN).is_none(), "{request:?}");
            }
        }
    }

    #[test]
    #[cfg(feature = "all-methods")]
    fn a_screen_that_asks_for_secrets_has_their_inputs_and_the_last_error() {
        let create = entry_screen(
            &Request::CreateWallet { imported: false },
            ORIGIN,
            &[Secret::NewPassword],
            None,
        );
        assert_eq!(create.heading, "Create wallet");
        assert_eq!(create.origin, ORIGIN);
        assert_eq!(create.inputs.len(), 2);
        let retry = entry_screen(
            &Request::Recover,
            ORIGIN,
            &[Secret::RecoveryPassword],
            Some(("wrong".into(), "WRONG_PASSWORD")),
        );
        assert_eq!(retry.heading, "Recover wallet");
        assert_eq!(retry.inputs[0].label, "Recovery password");
        assert_eq!(retry.error.as_deref(), Some("wrong"));
        assert_eq!(retry.error_reason.as_deref(), Some("WRONG_PASSWORD"));
        let file = entry_screen(
            &Request::Recover,
            ORIGIN,
            &[Secret::BackupFile, Secret::RecoveryPassword],
            None,
        );
        assert_eq!(file.heading, "Recover from backup");
        assert_eq!(file.inputs[0].label, "Backup file");
        let keep = keep_backup_screen(ORIGIN, "keyframe-backup-1.json".into(), "{}".into());
        assert_eq!(keep.heading, "Keep your backup");
        assert_eq!(keep.inputs[0].kind, crate::consent::InputKind::Confirm);
        assert!(keep.download.is_some());
        let import = entry_screen(
            &Request::CreateWallet { imported: true },
            ORIGIN,
            &[Secret::ImportPhrase, Secret::NewPassword],
            None,
        );
        assert_eq!(import.heading, "Import wallet");
        assert_eq!(import.inputs.len(), 3);
    }
}
