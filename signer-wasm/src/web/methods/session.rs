//! The session's methods: tokens (`keyframe_setAuth`), status, chains,
//! logout, accounts and the active chain. None of them uses the key.

use keyframe_json::json;
use serde_json::Value;

use super::plain;
use crate::flows::{DeviceStore as _, Request, RpcError, Tokens};
use crate::params::{object_param, str_field};

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
