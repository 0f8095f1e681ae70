//! What a request is judged against (`crate::intent::Context`), from the
//! iFrame's own state only: the origin it accepted at `connect`, the
//! wallet's addresses, the active chain, the clock and the token list.

use std::cell::OnceCell;

use crate::flows::WalletRecord;
use crate::intent::{Context, TokenList};

// The default token list, built into the module until the provider serves
// one (docs/intent.md).
const DEFAULT_TOKENS: &str = include_str!("../../../tokens/default.json");

thread_local! {
    static TOKENS: OnceCell<TokenList> = const { OnceCell::new() };
}

fn tokens() -> TokenList {
    TOKENS.with(|t| {
        t.get_or_init(|| TokenList::from_json(DEFAULT_TOKENS).unwrap_or_default())
            .clone()
    })
}

/// The context for describing a request of the current session.
pub fn intent_context(origin: String, wallet: Option<&WalletRecord>, chain_id: u64) -> Context {
    let evm_address =
        wallet.and_then(|w| crate::evm::parse_address("address", &w.addresses.evm).ok());
    let solana_address = wallet
        .and_then(|w| w.addresses.solana.as_deref())
        .and_then(|s| bs58::decode(s).into_vec().ok())
        .and_then(|v| <[u8; 32]>::try_from(v).ok());
    Context {
        origin,
        evm_address,
        solana_address,
        chain_id,
        network: None,
        now: (js_sys::Date::now() / 1000.0) as u64,
        tokens: tokens(),
    }
}
