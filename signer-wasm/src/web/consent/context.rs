//! What a request is judged against (`crate::intent::Context`), from the
//! iFrame's own state only: the origin it accepted at `connect`, the
//! wallet's addresses, the active chain, the clock, and the chain and
//! token lists the provider served at boot (`GET /v2/config`,
//! `GET /v2/tokens`; nothing of them is built into the module).

use keyframe_wire::catalog::{Chain, TokenList as WireTokenList};

use crate::chains::ChainList;
use crate::flows::WalletRecord;
use crate::intent::{Context, TokenList};

/// The provider's lists, read once at boot.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The chains as served, for `keyframe_chains`.
    pub served: Vec<Chain>,
    /// The same, for lookups.
    pub chains: ChainList,
    /// The token list (empty when the provider served none: tokens are then
    /// named by address, amounts in raw units).
    pub tokens: TokenList,
}

impl Catalog {
    /// The lists as served; a list that breaks a rule is dropped (and
    /// logged), never half-used.
    pub fn from_provider(chains: Vec<Chain>, tokens: Option<&WireTokenList>) -> Catalog {
        let warn = |what: &str| {
            web_sys::console::warn_1(&format!("keyframe: ignoring the provider's {what}").into());
        };
        let list = match ChainList::from_wire(&chains) {
            Ok(l) => l,
            Err(e) => {
                warn(&e.to_string());
                return Catalog {
                    tokens: Catalog::tokens(tokens, warn),
                    ..Catalog::default()
                };
            }
        };
        Catalog {
            served: chains,
            chains: list,
            tokens: Catalog::tokens(tokens, warn),
        }
    }

    fn tokens(tokens: Option<&WireTokenList>, warn: impl Fn(&str)) -> TokenList {
        match tokens.map(TokenList::from_wire) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                warn(&e.to_string());
                TokenList::default()
            }
            None => {
                warn("token list: unavailable");
                TokenList::default()
            }
        }
    }
}

/// The context for describing a request of the current session.
pub fn intent_context(
    origin: String,
    wallet: Option<&WalletRecord>,
    chain_id: u64,
    catalog: &Catalog,
) -> Context {
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
        chains: catalog.chains.clone(),
        now: (js_sys::Date::now() / 1000.0) as u64,
        tokens: catalog.tokens.clone(),
    }
}
