//! The data the flows exchange with the services and the device store.
//!
//! Service bodies follow docs/api.md; ids are the core's typed ids, which
//! read and write the same strings the services use.

use keyframe_json::{Object, ToJson, Value, opt};
use serde::{Deserialize, Serialize};

use crate::secret::WalletKind;
use crate::shares::{DeviceId, SplitId, WalletId};
use crate::wallet::Addresses;

/// A service call that failed. `Api` keeps the service's stable `code` so
/// the RPC layer can map it to a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// The service answered with an error body.
    Api { status: u16, code: String },
    /// The policy refused (403 `POLICY_DENIED`), with the service's reason
    /// for people (the rule, or what the approval webhook said).
    Denied(String),
    /// No answer: network down, CORS refused, timed out.
    Network,
    /// An answer that is not what the contract says.
    Protocol,
}

impl ServiceError {
    pub fn code(&self) -> &str {
        match self {
            ServiceError::Api { code, .. } => code,
            ServiceError::Denied(_) => "POLICY_DENIED",
            ServiceError::Network => "NETWORK",
            ServiceError::Protocol => "PROTOCOL",
        }
    }
    pub fn is(&self, code: &str) -> bool {
        self.code() == code
    }
}

/// The device store failed (IndexedDB refused a read or write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreError;

/// The user's wallet as hot storage registered it (`GET /v2/wallet`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletRecord {
    pub wallet: WalletId,
    pub kind: WalletKind,
    pub addresses: Addresses,
    /// The authority key hot storage has registered; `None` for a wallet
    /// created before authority keys, until its next use registers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<crate::authority::AuthorityKey>,
}

impl From<keyframe_wire::hot::WalletResponse> for WalletRecord {
    fn from(w: keyframe_wire::hot::WalletResponse) -> Self {
        WalletRecord {
            wallet: w.wallet,
            kind: w.kind,
            addresses: w.addresses,
            authority: w.authority,
        }
    }
}

// Read by hand (keyframe-json) where one module hands the session to the
// other (src/web/handover.rs), as serde's derive would.
keyframe_json::decode_struct!(
    WalletRecord,
    lenient {
        wallet: req("wallet"),
        kind: req("kind"),
        addresses: req("addresses"),
        authority: opt("authority"),
    }
);

/// One stored device share. `share` is the encoded envelope (base64),
/// wiped when the entry is dropped; the addresses are kept beside it so a
/// signature is checked against what this device registered, not only what
/// a server says.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub version: u64,
    pub split: SplitId,
    pub share: String,
    pub addresses: Addresses,
}

// Read from the device store by hand (keyframe-json; src/web/store.rs),
// as serde's derive would: unknown fields ignored, so an entry written by
// a newer version still reads.
keyframe_json::decode_struct!(
    Entry,
    lenient {
        wallet: req("wallet"),
        device: req("device"),
        version: req("version"),
        split: req("split"),
        share: req("share"),
        addresses: req("addresses"),
    }
);

// Never prints the share.
impl core::fmt::Debug for Entry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entry")
            .field("wallet", &self.wallet)
            .field("device", &self.device)
            .field("version", &self.version)
            .field("split", &self.split)
            .finish_non_exhaustive()
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.share);
    }
}

impl Entry {
    /// Orders a wallet's entries newest first, equal versions in key order
    /// (the order IndexedDB answers in). An insertion sort: a device holds
    /// a handful of entries, and a sort routine for `Entry` would be ~2 KB
    /// of the WASM (bench/SIZE.md, "Sorts").
    pub fn newest_first(entries: &mut [Entry]) {
        let before = |a: &Entry, b: &Entry| {
            a.version > b.version || (a.version == b.version && a.key() < b.key())
        };
        for i in 1..entries.len() {
            let mut j = i;
            while j > 0 && before(&entries[j], &entries[j - 1]) {
                entries.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    /// The text a persistent store keeps (web/store.rs, IndexedDB): the
    /// entry as JSON, share included, wiped when dropped. The writer
    /// measures the text first, so no reallocation leaves a copy behind
    /// (keyframe-json's write.rs).
    pub fn to_stored_text(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(keyframe_json::write_json(self))
    }

    /// The entry in a stored text, or `None` for a text that is not one
    /// (skipped, as an unreadable entry is). Takes the text as
    /// `Zeroizing`, so the caller's copy of the share is wiped too.
    pub fn from_stored_text(text: zeroize::Zeroizing<String>) -> Option<Entry> {
        keyframe_json::decode(&text).ok()
    }

    /// The entry's key in the store: `wallet/device/version/split`, with the
    /// version zero-padded so keys sort by version.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{:020}/{}",
            self.wallet, self.device, self.version, self.split
        )
    }

    /// The prefix of every key of `wallet`.
    pub fn wallet_prefix(wallet: WalletId) -> String {
        format!("{wallet}/")
    }
}

/// The user's bearer tokens, one per service: hot storage and Shield each
/// accept only a token issued for their own audience (docs/api.md,
/// "Authentication"), so a token seen by one cannot be replayed at the
/// other. Both are wiped on drop; `Debug` is not derived, so neither can
/// reach a log.
#[derive(Clone)]
pub struct Tokens {
    hot: zeroize::Zeroizing<String>,
    shield: zeroize::Zeroizing<String>,
}

impl Tokens {
    pub fn new(hot: &str, shield: &str) -> Self {
        Tokens {
            hot: zeroize::Zeroizing::new(hot.to_owned()),
            shield: zeroize::Zeroizing::new(shield.to_owned()),
        }
    }
    /// The token for hot storage (its `aud`).
    pub fn hot(&self) -> &str {
        &self.hot
    }
    /// The token for Shield (its `aud`).
    pub fn shield(&self) -> &str {
        &self.shield
    }
}

/// Written by hand (keyframe-json) as serde's derive writes them: the
/// device store's entries and the record a handover carries
/// (bench/SIZE.md, "One JSON writer"; the tests below hold them to serde).
impl ToJson for Entry {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("device", self.device.to_json())
            .field("version", self.version.to_json())
            .field("split", self.split.to_json())
            .field("share", self.share.to_json())
            .field("addresses", self.addresses.to_json())
            .build()
    }
}

impl ToJson for WalletRecord {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("kind", self.kind.to_json())
            .field("addresses", self.addresses.to_json())
            .some("authority", opt(&self.authority))
            .build()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An entry as this version writes it reads back by hand exactly as
    /// serde's derive reads it, and so does every mutation of it
    /// (keyframe_json::parity); so does one written before entries were
    /// read by hand (the same fields, a Solana address absent).
    #[test]
    fn entries_read_by_hand_as_serde_reads_them() {
        let entry = Entry {
            wallet: WalletId([1; 16]),
            device: DeviceId([2; 16]),
            version: 7,
            split: SplitId([3; 16]),
            share: "AQIDBA==".into(),
            addresses: Addresses {
                evm: "0x52908400098527886e0f7030069857d2e4169ee7".into(),
                solana: Some("7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV".into()),
            },
        };
        let text = serde_json::to_string(&entry).unwrap();
        assert!(keyframe_json::parity::assert_parity::<Entry>(&text) > 100);
        assert!(keyframe_json::parity::assert_writes_as_serde::<Entry>(&text) > 10);
        assert!(keyframe_json::decode::<Entry>(&text).unwrap() == entry);
        let older = r#"{"wallet":"01010101-0101-0101-0101-010101010101","device":"02020202-0202-0202-0202-020202020202","version":0,"split":"03030303030303030303030303030303","share":"AQIDBA==","addresses":{"evm":"0x52908400098527886e0f7030069857d2e4169ee7"}}"#;
        let read: Entry = keyframe_json::decode(older).unwrap();
        assert_eq!((read.version, read.addresses.solana.is_none()), (0, true));
    }

    // proptest is a native dev-dependency (signer-wasm/Cargo.toml).
    #[cfg(not(target_arch = "wasm32"))]
    mod order {
        use super::*;

        proptest::proptest! {
            /// The insertion sort orders entries as the store did with a
            /// library sort: key order, then a stable sort newest first.
            #[test]
            fn entries_are_ordered_newest_first_then_by_key(
                picks in proptest::collection::vec((0u8..3, 0u8..3, 0u64..4, 0u8..3), 0..12),
            ) {
                let mut entries: Vec<Entry> = picks
                    .iter()
                    .map(|&(w, d, version, s)| Entry {
                        wallet: WalletId([w; 16]),
                        device: DeviceId([d; 16]),
                        version,
                        split: SplitId([s; 16]),
                        share: String::new(),
                        addresses: Addresses { evm: String::new(), solana: None },
                    })
                    .collect();
                let mut expected = entries.clone();
                expected.sort_by_key(Entry::key);
                expected.sort_by_key(|e| std::cmp::Reverse(e.version));
                Entry::newest_first(&mut entries);
                let keys = |v: &[Entry]| v.iter().map(Entry::key).collect::<Vec<_>>();
                proptest::prop_assert_eq!(keys(&entries), keys(&expected));
            }
        }
    }

    /// A wallet record as one module hands it to the other
    /// (web/handover.rs) reads back by hand as serde's derive reads it,
    /// with and without an authority key.
    #[test]
    fn wallet_records_read_by_hand_as_serde_reads_them() {
        let mut record = WalletRecord {
            wallet: WalletId([1; 16]),
            kind: keyframe_wire::WalletKind::Mnemonic,
            addresses: Addresses {
                evm: "0x52908400098527886e0f7030069857d2e4169ee7".into(),
                solana: Some("7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV".into()),
            },
            authority: None,
        };
        for authority in [
            None,
            Some(crate::authority::AuthorityKey::from_bytes([9; 32])),
        ] {
            record.authority = authority;
            let text = serde_json::to_string(&record).unwrap();
            assert!(keyframe_json::parity::assert_parity::<WalletRecord>(&text) > 50);
            assert!(keyframe_json::parity::assert_writes_as_serde::<WalletRecord>(&text) > 5);
            assert_eq!(
                keyframe_json::decode::<WalletRecord>(&text).unwrap(),
                record
            );
        }
    }
}
