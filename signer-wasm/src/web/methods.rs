//! The iFrame's methods (docs/api.md) as a table: name → handler. A handler
//! reads its params, runs a flow of the core and shapes the answer; a method
//! that used the key returns the refresh that must follow.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use super::params::{
    RecoveryChoice, current_recovery_param, decode_b64, field, object_param, positional,
    recovery_param, refuse_typed_secret, str_field,
};
use super::signer::{Answer, Signer};
use super::ui;
use crate::Reason;
use crate::backup::BackupError;
use crate::consent::Secret;
use crate::consent::entry::{retry_delay_ms, wrong_password_message};
use crate::flows::error::{INTERNAL, UNSUPPORTED_METHOD};
use crate::flows::{
    DeviceStore, HotStorage as _, RecoverFromFile, Recovery, Request, RpcError, RpcResult, Tokens,
};
use crate::intent;
use crate::secret::WalletSecret;
use crate::shares::DeviceId;
use crate::{evm, solana};
use keyframe_policy::Intent as PolicyIntent;
use keyframe_wire::rpc::Method;

type Handler = for<'a> fn(&'a Signer, &'a Value) -> LocalBoxFuture<'a, Answer<'a>>;

/// The handler of each method the iFrame answers. The names are the wire
/// crate's closed list ([`Method`]); the match is exhaustive, so a method
/// added there does not compile until it has a handler here.
fn handler(method: Method) -> Handler {
    match method {
        Method::Ping => ping,
        Method::SetAuth => set_auth,
        Method::Status => status,
        Method::Chains => chains,
        Method::Logout => logout,
        Method::CreateWallet => create_wallet,
        Method::ImportWallet => import_wallet,
        Method::Recover => recover,
        Method::ListDevices => list_devices,
        Method::RevokeDevice => revoke_device,
        Method::Export => export,
        Method::SetRecovery => set_recovery,
        Method::DownloadBackup => download_backup,
        Method::EthAccounts => eth_accounts,
        Method::EthRequestAccounts => eth_request_accounts,
        Method::EthChainId => eth_chain_id,
        Method::SwitchEthereumChain => switch_chain,
        Method::PersonalSign => personal_sign,
        Method::EthSignTypedDataV4 => sign_typed_data,
        Method::EthSignTransaction => sign_transaction,
        Method::SignTransactions => sign_transactions,
        Method::SolanaSignMessage => solana_sign_message,
        Method::SolanaSignTransaction => solana_sign_transaction,
        Method::EthSign => eth_sign,
        Method::Simulate => simulate,
        Method::Activity => activity,
    }
}

/// The handler of `method`, if the iFrame has one.
pub fn find(method: &str) -> Option<Handler> {
    Method::from_wire(method).map(handler)
}

/// Defines a handler: `$s` is the signer, `$p` the params; the body is
/// async and evaluates to an [`Answer`].
macro_rules! handler {
    ($name:ident($s:ident, $p:ident) $body:block) => {
        #[allow(unused_variables)]
        fn $name<'a>($s: &'a Signer, $p: &'a Value) -> LocalBoxFuture<'a, Answer<'a>> {
            Box::pin(async move { $body })
        }
    };
}

/// An answer with no refresh after it.
fn plain<'a>(value: Value) -> Answer<'a> {
    Ok((value, None))
}

handler!(ping(s, p) { plain(json!("pong")) });

handler!(set_auth(s, p) {
    // One token per service, each for its own audience: `{ hot, shield }`.
    // `{ token }` gives both services the same token (a deployment whose
    // services share one audience).
    let params = object_param(p)?;
    let (hot, shield) = match params.get("token") {
        Some(_) => {
            let token = str_field(params, "token")?;
            (token, token)
        }
        None => (str_field(params, "hot")?, str_field(params, "shield")?),
    };
    for token in [hot, shield] {
        if token.is_empty() || token.len() > 8192 {
            return Err(RpcError::bad_params("hot and shield must be JWTs"));
        }
    }
    let tokens = Tokens::new(hot, shield);
    let wallet = s.flows.wallet(&tokens).await?;
    *s.token.borrow_mut() = Some(tokens);
    s.set_wallet(wallet);
    plain(json!({ "ok": true }))
});

handler!(status(s, p) {
    let wallet = s.current_wallet();
    let mut device = Value::Null;
    let mut has_local = false;
    if let Some(w) = &wallet
        && let Some(first) = s.flows.local_device(w.wallet).await
    {
        has_local = true;
        device = json!(first);
    }
    plain(json!({
        "authenticated": s.token.borrow().is_some(),
        // The thumbprint tokens for this iFrame must be bound to (cnf.jkt).
        "dpopJkt": s.flows.hot.dpop.jkt(),
        "wallet": wallet.as_ref().map(|w| w.wallet),
        "kind": wallet.as_ref().map(|w| w.kind),
        "addresses": wallet.as_ref().map(|w| w.addresses.clone()),
        "device": device,
        "hasLocalShare": has_local,
        "storage": if s.flows.store.is_persistent() { "persistent" } else { "memory" },
        "chainId": format!("0x{:x}", s.chain_id.get()),
    }))
});

// The chains the provider serves, as it serves them (EIP-3085 objects).
handler!(chains(s, p) { plain(json!(s.catalog.served)) });

handler!(logout(s, p) {
    *s.token.borrow_mut() = None;
    s.set_wallet(None);
    plain(json!({ "ok": true }))
});

/// Creates a wallet from `secret` and makes it the session's.
async fn create_from<'a>(
    s: &'a Signer,
    secret: WalletSecret,
    recovery: Recovery,
    imported: bool,
) -> Answer<'a> {
    let token = s.token()?;
    let created = s.flows.create(&token, secret, &recovery, imported).await?;
    let answer = json!({ "wallet": created.wallet.wallet, "addresses": created.wallet.addresses, "device": created.device });
    s.set_wallet(Some(created.wallet));
    plain(answer)
}

/// The secrets a screen asks for when the new recovery method is `choice`
/// (a backup file is sealed under a new password too).
fn new_password_secret(choice: &RecoveryChoice) -> Option<Secret> {
    matches!(choice, RecoveryChoice::Password | RecoveryChoice::File).then_some(Secret::NewPassword)
}

/// The recovery method with its secret: the key the host gave, or the
/// password the user typed on the screen.
fn with_secret(
    choice: RecoveryChoice,
    typed: Option<zeroize::Zeroizing<String>>,
) -> RpcResult<Recovery> {
    match (choice, typed) {
        (RecoveryChoice::Automatic(key), _) => Ok(Recovery::Automatic(key)),
        (RecoveryChoice::Password, Some(password)) => Ok(Recovery::Password(password)),
        (RecoveryChoice::File, Some(password)) => Ok(Recovery::File(password)),
        (RecoveryChoice::Password | RecoveryChoice::File, None) => Err(RpcError::user_rejected()),
    }
}

/// Refuses before anything is typed when the user has a wallet already
/// (the flow checks again).
async fn no_wallet_yet(s: &Signer) -> RpcResult<()> {
    let token = s.token()?;
    if s.flows.hot.wallet(&token).await?.is_some() {
        return Err(RpcError::bad_params("this user already has a wallet"));
    }
    Ok(())
}

// A password wallet's password is typed on the iFrame's screen.
handler!(create_wallet(s, p) {
    let choice = recovery_param(p)?;
    no_wallet_yet(s).await?;
    let typed = match new_password_secret(&choice) {
        Some(secret) => {
            let request = Request::CreateWallet { imported: false };
            s.flows.consent.enter(&request, &[secret], None, 0.0).await?.new
        }
        None => None,
    };
    let recovery = with_secret(choice, typed)?;
    let secret = WalletSecret::generate_os()?;
    create_from(s, secret, recovery, false).await
});

// The phrase or key, and a new recovery password, are typed on the screen,
// which is the import's approval.
handler!(import_wallet(s, p) {
    refuse_typed_secret(p, "mnemonic")?;
    refuse_typed_secret(p, "privateKey")?;
    let choice = recovery_param(p)?;
    no_wallet_yet(s).await?;
    let mut secrets = vec![Secret::ImportPhrase];
    secrets.extend(new_password_secret(&choice));
    let request = Request::CreateWallet { imported: true };
    let entered = s.flows.consent.enter(&request, &secrets, None, 0.0).await?;
    let secret = entered.import.ok_or_else(RpcError::user_rejected)?;
    let recovery = with_secret(choice, entered.new)?;
    create_from(s, secret, recovery, true).await
});

// A wrong password is retried on the screen, each retry waiting longer
// (crate::consent::entry::retry_delay_ms); Reject ends the request.
handler!(recover(s, p) {
    let choice = recovery_param(p)?;
    let token = s.token()?;
    let recovered = match choice {
        RecoveryChoice::Automatic(key) => s.flows.recover(&token, &Recovery::Automatic(key)).await?,
        RecoveryChoice::Password => {
            let mut failed = 0u32;
            loop {
                let error = (failed > 0).then(|| (wrong_password_message(failed), "WRONG_PASSWORD"));
                let entered = s
                    .flows
                    .consent
                    .enter(&Request::Recover, &[Secret::RecoveryPassword], error, retry_delay_ms(failed))
                    .await?;
                let password = entered.recovery.ok_or_else(RpcError::user_rejected)?;
                match s.flows.recover(&token, &Recovery::Password(password)).await {
                    Err(e) if e.reason == Reason::WrongPassword => failed = failed.saturating_add(1),
                    other => break other?,
                }
            }
        }
        RecoveryChoice::File => recover_from_file(s, &token).await?,
    };
    let w = &recovered.wallet;
    let answer = json!({ "wallet": w.wallet, "addresses": w.addresses, "device": recovered.device });
    s.set_wallet(Some(recovered.wallet));
    plain(answer)
});

handler!(list_devices(s, p) {
    let (token, wallet) = s.session()?;
    let listing = s.flows.list_devices(&token, &wallet).await?;
    let devices: Vec<Value> = listing
        .devices
        .into_iter()
        .map(|d| {
            let this = listing.current == Some(d.device);
            let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
            v["current"] = json!(this);
            v
        })
        .collect();
    plain(json!({ "devices": devices }))
});

handler!(revoke_device(s, p) {
    let device = str_field(p, "device")?;
    let (token, wallet) = s.session()?;
    let device: DeviceId = device.parse().map_err(|_| RpcError::bad_params("device must be a device id"))?;
    // Signed by the wallet's authority, so the key is rebuilt (under the
    // approval screen) and the pair refreshed afterwards.
    let refresh = s.flows.revoke_device(&token, &wallet, device).await?;
    Ok((json!({ "ok": true }), Some(refresh)))
});

// Shows the mnemonic (or raw key) inside the iFrame only, after the
// approval and a second click ("Reveal"). The pair is refreshed before the
// secret is shown, so the device lock is not held while it is on screen.
handler!(export(s, p) {
    let (token, wallet) = s.session()?;
    let (shown, refresh) = s.flows.export(&token, &wallet).await?;
    s.flows.refresh(refresh).await;
    s.set_ui_visible(true);
    let result = ui::show_secret(shown.title, shown.secret).await;
    s.set_ui_visible(false);
    result.map_err(|_| RpcError::new(INTERNAL, Reason::BadRequest, "the export view is unavailable"))?;
    plain(json!({ "ok": true }))
});

/// Recovery from a backup file picked and unlocked on the screen; what is
/// wrong with a file is said there in words, and the user may pick another
/// or retype the password (wrong passwords wait longer each time).
async fn recover_from_file(s: &Signer, token: &Tokens) -> RpcResult<crate::flows::Created> {
    let mut failed = 0u32;
    let mut error: Option<(String, &'static str)> = None;
    loop {
        let hold = retry_delay_ms(failed);
        let entered = s
            .flows
            .consent
            .enter(
                &Request::Recover,
                &[Secret::BackupFile, Secret::RecoveryPassword],
                error.take(),
                hold,
            )
            .await?;
        let (Some(text), Some(password)) = (entered.file, entered.recovery) else {
            return Err(RpcError::user_rejected());
        };
        match s.flows.recover_from_file(token, &text, &password).await {
            Ok(created) => return Ok(created),
            Err(RecoverFromFile::File(e)) => {
                if e == BackupError::WrongPassword {
                    failed = failed.saturating_add(1);
                }
                error = Some((e.to_string(), e.code()));
            }
            Err(RecoverFromFile::Other(e)) => return Err(e),
        }
    }
}

// The backup's password is typed on the screen, which approves the
// download; the file is then offered on the screen.
handler!(download_backup(s, p) {
    let (token, wallet) = s.session()?;
    let entered = s
        .flows
        .consent
        .enter(&Request::DownloadBackup, &[Secret::NewPassword], None, 0.0)
        .await?;
    let password = entered.new.ok_or_else(RpcError::user_rejected)?;
    let refresh = s.flows.download_backup(&token, &wallet, &password).await?;
    Ok((json!({ "ok": true }), Some(refresh)))
});

// The current password (the proof) and a new one are typed on the screen,
// which is the change's approval; with automatic keys on both sides the
// flow's own approval screen is shown instead.
handler!(set_recovery(s, p) {
    let current = current_recovery_param(p)?;
    let next = recovery_param(p)?;
    if matches!(current, RecoveryChoice::File) || matches!(next, RecoveryChoice::File) {
        return Err(RpcError::bad_params(
            "a file wallet keeps its backup itself; use keyframe_downloadBackup for a new file",
        ));
    }
    let (token, wallet) = s.session()?;
    let mut secrets = Vec::new();
    if matches!(current, RecoveryChoice::Password) {
        secrets.push(Secret::CurrentPassword);
    }
    secrets.extend(new_password_secret(&next));
    let automatic = matches!(next, RecoveryChoice::Automatic(_));
    let (typed_current, typed_new) = if secrets.is_empty() {
        (None, None)
    } else {
        let request = Request::SetRecovery { automatic };
        let entered = s.flows.consent.enter(&request, &secrets, None, 0.0).await?;
        (entered.current, entered.new)
    };
    let current = with_secret(current, typed_current)?;
    let recovery = with_secret(next, typed_new)?;
    let refresh = s.flows.set_recovery(&token, &wallet, &current, &recovery).await?;
    // The device lock is released before anything else is asked.
    s.flows.refresh(refresh).await;
    offer_new_backup(s, &token, &wallet).await?;
    plain(json!({ "ok": true }))
});

/// After the recovery pair changed: if this device handed out a backup of
/// the old pair, say it is outdated and offer a new one (the "Download
/// backup" screens); declining forgets it.
async fn offer_new_backup(
    s: &Signer,
    token: &Tokens,
    wallet: &crate::flows::WalletRecord,
) -> RpcResult<()> {
    let Some(old) = s.flows.consent.backed_up_pair(&wallet.wallet) else {
        return Ok(());
    };
    let primary = s
        .flows
        .hot
        .recover(
            token,
            &keyframe_wire::hot::RecoverRequest::primary(wallet.wallet),
        )
        .await?;
    if primary.split.to_string() == old {
        return Ok(());
    }
    if !s.flows.consent.offer_new_backup().await? {
        s.flows.consent.forget_backup(&wallet.wallet);
        return Ok(());
    }
    let entered = s
        .flows
        .consent
        .enter(&Request::DownloadBackup, &[Secret::NewPassword], None, 0.0)
        .await?;
    let password = entered.new.ok_or_else(RpcError::user_rejected)?;
    let refresh = s.flows.download_backup(token, wallet, &password).await?;
    s.flows.refresh(refresh).await;
    Ok(())
}

handler!(eth_accounts(s, p) { plain(json!(s.accounts())) });

handler!(eth_request_accounts(s, p) {
    s.session()?;
    plain(json!(s.accounts()))
});

handler!(eth_chain_id(s, p) { plain(json!(format!("0x{:x}", s.chain_id.get()))) });

handler!(switch_chain(s, p) {
    let chain = str_field(object_param(p)?, "chainId")?;
    let id = chain
        .strip_prefix("0x")
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| RpcError::bad_params("chainId must be a 0x-prefixed hex number"))?;
    // Only chains of the provider's list; an unlisted one is refused
    // before anything is shown (EIP-3326's 4902).
    let name = match s.catalog.chains.get(id) {
        Some(network) => network.name.clone(),
        None => return Err(RpcError::unsupported_chain(id)),
    };
    if id != s.chain_id.get() {
        s.flows.approve(&Request::SwitchChain { chain_id: id, name: &name }).await?;
        s.chain_id.set(id);
        s.emit("chainChanged", json!(format!("0x{id:x}")));
    }
    plain(Value::Null)
});

handler!(personal_sign(s, p) {
    let items = positional(p, 2)?;
    let message = items[0].as_str().ok_or_else(|| RpcError::bad_params("message must be a string"))?;
    let address = items[1].as_str().ok_or_else(|| RpcError::bad_params("address must be a string"))?;
    s.check_evm_address(address)?;
    let bytes = evm::personal_sign_message_bytes(message);
    let ctx = s.intent_context();
    let described = intent::describe_personal_sign(&bytes, &ctx);
    let policy = intent::policy::personal_sign_intent(&bytes, &ctx);
    s.sign("personal_sign", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        Ok(json!(evm::signature_hex(&evm::personal_sign(&key, &bytes)?)))
    })
    .await
});

handler!(sign_typed_data(s, p) {
    let items = positional(p, 2)?;
    let address = items[0].as_str().ok_or_else(|| RpcError::bad_params("address must be a string"))?;
    s.check_evm_address(address)?;
    let typed = match &items[1] {
        Value::String(text) => text.clone(),
        v @ Value::Object(_) => v.to_string(),
        _ => return Err(RpcError::bad_params("typed data must be a JSON string or object")),
    };
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_typed_data(&typed, &ctx)?;
    let policy = intent::policy::typed_data_intent(&typed, &ctx)?;
    s.sign("eth_signTypedData_v4", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        Ok(json!(evm::signature_hex(&evm::sign_typed_data(&key, &typed, Some(chain))?)))
    })
    .await
});

handler!(sign_transaction(s, p) {
    let tx = object_param(p)?.clone();
    if let Some(from) = tx.get("from") {
        let from = from.as_str().ok_or_else(|| RpcError::bad_params("from must be a string"))?;
        s.check_evm_address(from)?;
    }
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_evm_transaction(&tx, &ctx)?;
    let policy = intent::policy::evm_transaction_intent(&tx, &ctx)?;
    s.sign("eth_signTransaction", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        let signed = evm::sign_transaction(&key, &tx, chain)?;
        Ok(json!(format!("0x{}", hex::encode(signed.raw))))
    })
    .await
});

// A batch (EIP-5792 in the SDK): every transaction on one screen, each
// signed with the one rebuilt key, in order.
handler!(sign_transactions(s, p) {
    let txs = field(object_param(p)?, "transactions")?
        .as_array()
        .ok_or_else(|| RpcError::bad_params("params.transactions must be an array"))?
        .clone();
    for tx in &txs {
        if let Some(from) = tx.get("from") {
            let from = from.as_str().ok_or_else(|| RpcError::bad_params("from must be a string"))?;
            s.check_evm_address(from)?;
        }
    }
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_evm_batch(&txs, &ctx)?;
    let (policy, parts) = batch_intents(&txs, &ctx)?;
    s.sign("keyframe_signTransactions", &described, &policy, &parts, move |secret| {
        let key = secret.evm_signing_key(0)?;
        let mut raws = Vec::with_capacity(txs.len());
        for tx in &txs {
            let signed = evm::sign_transaction(&key, tx, chain)?;
            raws.push(format!("0x{}", hex::encode(signed.raw)));
        }
        Ok(json!({ "transactions": raws }))
    })
    .await
});

handler!(solana_sign_message(s, p) {
    let message = decode_b64(str_field(object_param(p)?, "message")?, "message")?;
    // A "message" that parses as a transaction could authorise one.
    if solana::is_transaction_message(&message) {
        return Err(RpcError::bad_params("message is a Solana transaction; use solana_signTransaction"));
    }
    let ctx = s.intent_context();
    let described = intent::describe_solana_message(&message, &ctx);
    let policy = intent::policy::solana_message_intent(&ctx);
    s.sign("solana_signMessage", &described, &policy, &[], move |secret| {
        let key = secret.solana_signing_key(0)?;
        Ok(json!({ "signature": bs58::encode(solana::sign_message(&key, &message)).into_string() }))
    })
    .await
});

handler!(solana_sign_transaction(s, p) {
    let tx = decode_b64(str_field(object_param(p)?, "transaction")?, "transaction")?;
    let ctx = s.intent_context();
    let described = intent::describe_solana_transaction(&tx, &ctx)?;
    let policy = intent::policy::solana_transaction_intent(&tx, &ctx)?;
    s.sign("solana_signTransaction", &described, &policy, &[], move |secret| {
        let key = secret.solana_signing_key(0)?;
        Ok(json!({ "transaction": B64.encode(solana::sign_transaction(&key, &tx)?) }))
    })
    .await
});

// A digest handed in is never signed: the iFrame hashes what it signs.
handler!(eth_sign(s, p) {
    Err(RpcError::new(
        UNSUPPORTED_METHOD,
        Reason::BadRequest,
        "eth_sign signs an opaque digest and is refused; use personal_sign or eth_signTypedData_v4",
    ))
});

/// A batch's intent (the whole) and its transactions' (the parts).
fn batch_intents(
    txs: &[Value],
    ctx: &intent::Context,
) -> RpcResult<(PolicyIntent, Vec<PolicyIntent>)> {
    let whole = intent::policy::evm_batch_intent(txs, ctx)?;
    let parts = txs
        .iter()
        .map(|tx| intent::policy::evm_transaction_intent(tx, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((whole, parts))
}

/// The policy's intent of a signing request given as `{ method, params }`,
/// read exactly as the signing handler reads it, and a batch's parts.
fn policy_intent_of(
    s: &Signer,
    method: &str,
    p: &Value,
) -> RpcResult<(PolicyIntent, Vec<PolicyIntent>)> {
    let ctx = s.intent_context();
    let text = |v: &Value, what: &str| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| RpcError::bad_params(format!("{what} must be a string")))
    };
    let one = match Method::from_wire(method) {
        Some(Method::PersonalSign) => {
            let items = positional(p, 2)?;
            let bytes = evm::personal_sign_message_bytes(&text(&items[0], "message")?);
            intent::policy::personal_sign_intent(&bytes, &ctx)
        }
        Some(Method::EthSignTypedDataV4) => {
            let items = positional(p, 2)?;
            let typed = match &items[1] {
                Value::String(t) => t.clone(),
                v @ Value::Object(_) => v.to_string(),
                _ => {
                    return Err(RpcError::bad_params(
                        "typed data must be a JSON string or object",
                    ));
                }
            };
            intent::policy::typed_data_intent(&typed, &ctx)?
        }
        Some(Method::EthSignTransaction) => {
            intent::policy::evm_transaction_intent(object_param(p)?, &ctx)?
        }
        Some(Method::SignTransactions) => {
            let txs = field(object_param(p)?, "transactions")?
                .as_array()
                .ok_or_else(|| RpcError::bad_params("params.transactions must be an array"))?;
            return batch_intents(txs, &ctx);
        }
        Some(Method::SolanaSignMessage) => intent::policy::solana_message_intent(&ctx),
        Some(Method::SolanaSignTransaction) => {
            let tx = decode_b64(str_field(object_param(p)?, "transaction")?, "transaction")?;
            intent::policy::solana_transaction_intent(&tx, &ctx)?
        }
        Some(Method::EthSign) => intent::policy::raw_digest_intent(&ctx),
        _ => return Err(RpcError::bad_params("method must be a signing method")),
    };
    Ok((one, Vec::new()))
}

// What the policy would decide, without signing or showing anything: the
// decision, the deciding rule, every rule's first failed condition, the
// intent, and whether the user's rules were verified and used.
handler!(simulate(s, p) {
    let params = object_param(p)?;
    let method = str_field(params, "method")?;
    let inner = params.get("params").unwrap_or(&Value::Null);
    let (intent, parts) = policy_intent_of(s, method, inner)?;
    let (token, wallet) = s.session()?;
    let judgement = s.flows.evaluate_policy(&token, &wallet, &intent, &parts).await?;
    let mut answer = serde_json::to_value(&judgement.evaluation)
        .map_err(|_| RpcError::new(INTERNAL, Reason::BadRequest, "evaluation"))?;
    answer["user_rules"] = json!(judgement.user_rules.as_str());
    plain(answer)
});

handler!(activity(s, p) {
    let limit = match p {
        Value::Null => 50,
        v => object_param(v)?
            .get("limit")
            .map(|l| l.as_u64().filter(|n| (1..=200).contains(n)).ok_or_else(|| RpcError::bad_params("limit must be 1 to 200")))
            .transpose()?
            .unwrap_or(50),
    };
    let (token, wallet) = s.session()?;
    let list = s.flows.hot.activity(&token, wallet.wallet, limit as u32).await?;
    plain(serde_json::to_value(&list.entries).unwrap_or(Value::Null))
});
