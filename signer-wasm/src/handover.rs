//! The session one of the iFrame's two modules hands the other
//! (src/web/handover.rs says when and how), as the JSON text that crosses
//! between them. Pure, so it is tested natively.
//!
//! It holds the user's tokens and, where the device's shares live in
//! memory, the shares: the text is wiped once written and once read.

use keyframe_json::json;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::flows::{Entry, Tokens, WalletRecord};

/// The session: what the second module needs to go on where the first
/// stopped, besides the port, the DPoP key pair and the queued requests.
pub struct HandedSession {
    /// The embedding origin the `connect` gates accepted.
    pub origin: String,
    /// The chain the document is on.
    pub chain_id: u64,
    /// The chains the document may switch to unasked, the starting one first
    /// (crate::consent::ChainMemory).
    pub free_chains: Vec<u64>,
    pub tokens: Option<Tokens>,
    pub wallet: Option<WalletRecord>,
    /// The device's entries where the store is memory (`None` where it is
    /// IndexedDB, which the second module opens itself).
    pub memory_entries: Option<Vec<Entry>>,
}

/// The text is not a session this version wrote. Says nothing more: the
/// text may hold tokens and shares.
#[derive(Debug, PartialEq, Eq)]
pub struct MalformedSession;

impl HandedSession {
    /// The session as JSON text, wiped when dropped. keyframe-json writes
    /// it into a buffer of its exact length, so no copy of a token or share
    /// is left behind by a reallocation, and wipes the tree it wrote from.
    pub fn to_json(&self) -> Zeroizing<String> {
        let tokens = self
            .tokens
            .as_ref()
            .map(|t| json!({ "hot": t.hot(), "shield": t.shield() }));
        Zeroizing::new(keyframe_json::to_string(json!({
            "origin": self.origin,
            "chainId": self.chain_id,
            "freeChains": self.free_chains,
            "tokens": tokens,
            "wallet": self.wallet,
            "memoryEntries": self.memory_entries,
        })))
    }

    /// Reads what [`Self::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<HandedSession, MalformedSession> {
        let mut value = keyframe_json::parse(text).map_err(|_| MalformedSession)?;
        let read = read(&value);
        keyframe_json::wipe(&mut value);
        read.ok_or(MalformedSession)
    }
}

fn decoded<T: keyframe_json::FromJson>(value: &Value) -> Option<T> {
    T::from_json(value).ok()
}

fn read(value: &Value) -> Option<HandedSession> {
    let field = |name: &str| value.get(name).filter(|v| !v.is_null());
    let tokens = match field("tokens") {
        Some(t) => Some(Tokens::new(
            t.get("hot")?.as_str()?,
            t.get("shield")?.as_str()?,
        )),
        None => None,
    };
    let wallet = match field("wallet") {
        Some(w) => Some(decoded(w)?),
        None => None,
    };
    let memory_entries = match field("memoryEntries") {
        Some(list) => Some(
            list.as_array()?
                .iter()
                .map(decoded)
                .collect::<Option<Vec<Entry>>>()?,
        ),
        None => None,
    };
    Some(HandedSession {
        origin: field("origin")?.as_str()?.to_owned(),
        chain_id: field("chainId")?.as_u64()?,
        free_chains: field("freeChains")?
            .as_array()?
            .iter()
            .map(Value::as_u64)
            .collect::<Option<_>>()?,
        tokens,
        wallet,
        memory_entries,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::shares::{DeviceId, SplitId, WalletId};
    use keyframe_wire::{Addresses, WalletKind};
    use serde_json::json;

    fn addresses() -> Addresses {
        Addresses {
            evm: "0x52908400098527886e0f7030069857d2e4169ee7".into(),
            solana: Some("7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV".into()),
        }
    }

    fn session() -> HandedSession {
        HandedSession {
            origin: "https://dapp.example".into(),
            chain_id: 8453,
            free_chains: vec![31337, 8453],
            tokens: Some(Tokens::new("hot.jwt.sig", "shield.jwt.sig")),
            wallet: Some(WalletRecord {
                wallet: WalletId([1; 16]),
                kind: WalletKind::Mnemonic,
                addresses: addresses(),
                authority: Some(crate::authority::AuthorityKey::from_bytes([9; 32])),
            }),
            memory_entries: Some(vec![Entry {
                wallet: WalletId([1; 16]),
                device: DeviceId([2; 16]),
                version: 7,
                split: SplitId([3; 16]),
                share: "AQIDBA==".into(),
                addresses: addresses(),
            }]),
        }
    }

    fn same(a: &HandedSession, b: &HandedSession) -> bool {
        let tokens = |s: &HandedSession| {
            s.tokens
                .as_ref()
                .map(|t| (t.hot().to_owned(), t.shield().to_owned()))
        };
        a.origin == b.origin
            && a.chain_id == b.chain_id
            && a.free_chains == b.free_chains
            && tokens(a) == tokens(b)
            && a.wallet == b.wallet
            && a.memory_entries == b.memory_entries
    }

    #[test]
    fn a_session_reads_back_as_it_was_written() {
        let full = session();
        assert!(same(
            &HandedSession::from_json(&full.to_json()).unwrap(),
            &full
        ));
        let bare = HandedSession {
            tokens: None,
            wallet: None,
            memory_entries: None,
            ..session()
        };
        let read = HandedSession::from_json(&bare.to_json()).unwrap();
        assert!(same(&read, &bare));
        // An empty memory store is not a persistent one.
        let empty = HandedSession {
            memory_entries: Some(Vec::new()),
            ..session()
        };
        let read = HandedSession::from_json(&empty.to_json()).unwrap();
        assert_eq!(read.memory_entries, Some(Vec::new()));
    }

    #[test]
    fn fail_a_session_missing_or_mangling_any_part() {
        let text = session().to_json();
        let good: Value = serde_json::from_str(&text).unwrap();
        let mut cases: Vec<(&str, Value)> = Vec::new();
        for name in ["origin", "chainId", "freeChains"] {
            let mut v = good.clone();
            v.as_object_mut().unwrap().remove(name);
            cases.push((name, v));
        }
        let mut mangled = |what: &'static str, pointer: &str, to: Value| {
            let mut v = good.clone();
            *v.pointer_mut(pointer).unwrap() = to;
            cases.push((what, v));
        };
        mangled("origin a number", "/origin", json!(1));
        mangled("chain negative", "/chainId", json!(-1));
        mangled("free chain a string", "/freeChains/0", json!("0x1"));
        mangled("token not a string", "/tokens/hot", json!(1));
        mangled("wallet without addresses", "/wallet/addresses", Value::Null);
        mangled("entry with a bad id", "/memoryEntries/0/wallet", json!("x"));
        mangled("entries not a list", "/memoryEntries", json!({}));
        for (what, v) in cases {
            assert_eq!(
                HandedSession::from_json(&v.to_string()).err(),
                Some(MalformedSession),
                "{what}"
            );
        }
        assert_eq!(
            HandedSession::from_json("not json").err(),
            Some(MalformedSession)
        );
    }
}
