//! Secrets are wiped (issue 11, item 6): the core flows import a wallet from
//! a known mnemonic with a known password, recover it with the password on a
//! fresh device store, and sign a `personal_sign`; an automatic wallet is
//! created and recovered with its recovery key and signs too. After each
//! phase, once what it made is dropped, the module's whole linear memory
//! (heap, data and the shadow stack) is searched for the mnemonic, the
//! password, the entropy, the BIP-39 seed, the EVM and Solana private keys
//! and the recovery key (raw and as base64url text). None may be found.
//!
//! The test's own copies never sit in linear memory: the secrets are
//! written in this file reversed (text) or as hex (bytes), and only
//! JavaScript turns them into the real bytes, kept in JS buffers. What
//! enters the module is what the iFrame also receives: the phrase and the
//! password as strings typed into its inputs (web/consent/dom.rs reads them
//! into `Zeroizing<String>`), the recovery key as the dApp's base64url
//! text. The expected addresses (public) prove the needles are the right
//! ones, and a planted copy proves the search finds what is there.
//!
//! The scan machinery and the secrets' needles are in
//! tests/wipe_support/mod.rs; the ports (small in-memory stand-ins for hot
//! storage, Shield, the device store and the consent screen) in
//! tests/wipe_support/ports.rs. This file holds the cases.
//!
//! `cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wipe`

#![cfg(target_arch = "wasm32")]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod wipe_support;

use keyframe_signer::flows::Recovery;
use keyframe_signer::recovery::RecoveryKey;
use keyframe_signer::secret::WalletSecret;
use wasm_bindgen_test::wasm_bindgen_test;
use zeroize::Zeroizing;

use wipe_support::ports::{MemHot, MemShield, flows, personal_sign, tokens};
use wipe_support::*;

/// Imports the mnemonic under the password on a first device store and
/// signs there. Answers the imported wallet's addresses.
async fn import_and_sign(js: &Js, hot: &MemHot, shield: &MemShield) -> (String, Option<String>) {
    let first = flows(hot, shield);
    let phrase = typed(js.reveal(MNEMONIC_REVERSED));
    let password = typed(js.reveal(PASSWORD_REVERSED));
    let secret = WalletSecret::from_mnemonic(&phrase).unwrap();
    drop(phrase);
    let created = first
        .create(&tokens(), secret, &Recovery::Password(password), true)
        .await
        .unwrap();
    assert_clean(js, "importing");
    personal_sign(&first).await;
    assert_clean(js, "signing after the import");
    (
        created.wallet.addresses.evm,
        created.wallet.addresses.solana,
    )
}

/// Recovers that wallet with the password on a fresh device store, and
/// signs there.
async fn recover_and_sign(js: &Js, hot: &MemHot, shield: &MemShield) {
    let second = flows(hot, shield);
    let password = typed(js.reveal(PASSWORD_REVERSED));
    second
        .recover(&tokens(), &Recovery::Password(password))
        .await
        .unwrap();
    assert_clean(js, "recovering with the password");
    personal_sign(&second).await;
    assert_clean(js, "signing after the recovery");
}

/// An automatic wallet: made with the recovery key, recovered with it on a
/// fresh store, and signing there.
async fn automatic_wallet(js: &Js) {
    let hot = MemHot::default();
    let shield = MemShield::default();
    {
        let first = flows(&hot, &shield);
        let text = typed(js.reveal(RECOVERY_KEY_REVERSED));
        let key = RecoveryKey::from_base64url(&text).unwrap();
        drop(text);
        let secret = WalletSecret::generate_os().unwrap();
        first
            .create(&tokens(), secret, &Recovery::Automatic(key), false)
            .await
            .unwrap();
        assert_clean(js, "creating the automatic wallet");
    }
    let second = flows(&hot, &shield);
    let text = typed(js.reveal(RECOVERY_KEY_REVERSED));
    let key = RecoveryKey::from_base64url(&text).unwrap();
    drop(text);
    second
        .recover(&tokens(), &Recovery::Automatic(key))
        .await
        .unwrap();
    assert_clean(js, "recovering with the key");
    personal_sign(&second).await;
}

#[wasm_bindgen_test]
async fn no_secret_is_left_in_linear_memory() {
    let js = Js::new();

    // The search finds a secret that is there: plant the EVM key, find
    // it, wipe it, and it is gone.
    {
        let needle = js.bytes(&js.hex, &EVM_KEY_HEX.into());
        let mut planted = Zeroizing::new(vec![0u8; 32]);
        needle.copy_to(&mut planted);
        assert!(
            js.find(&needle).is_some(),
            "the search misses a planted key"
        );
        drop(planted);
        assert_eq!(js.find(&needle), None, "a zeroized copy is still found");
    }
    // ... and on the stack: a frame that held the key and returned leaves
    // it there, where the search must find it.
    {
        let needle = js.bytes(&js.hex, &EVM_KEY_HEX.into());
        let at = plant_on_stack(&needle);
        assert!(
            js.find(&needle).is_some(),
            "the search misses a key left on the stack at {at:#x}"
        );
        keyframe_signer::secret::scrub_stack();
        assert_eq!(js.find(&needle), None, "a scrubbed stack still holds it");
    }
    // Nothing is there before the flows (the needles are right, the
    // module does not carry them).
    assert_eq!(found(&js), Vec::<String>::new(), "secrets before the flows");

    // Each phase is searched for as soon as it is over, so what a later
    // phase overwrites cannot hide what an earlier one left.
    let hot = MemHot::default();
    let shield = MemShield::default();
    let (evm_address, solana_address) = import_and_sign(&js, &hot, &shield).await;
    assert_eq!(
        evm_address, EVM_ADDRESS,
        "the mnemonic is not the one of the needles"
    );
    assert_eq!(solana_address.as_deref(), Some(SOLANA_ADDRESS));
    assert_clean(&js, "importing and signing");

    recover_and_sign(&js, &hot, &shield).await;
    assert_clean(&js, "recovering with the password and signing");
    drop((hot, shield));
    assert_clean(&js, "dropping the services");

    automatic_wallet(&js).await;
    assert_clean(&js, "the automatic wallet");
}

/// A JSON text that carries a secret (an RPC's phrase, a service's share)
/// leaves no copy of it once the text itself is wiped: not when the text is
/// refused half-way (the half-built tree is wiped: json/src/parse.rs), not
/// when a string with escapes is decoded (it is decoded into one buffer
/// of its final size, never through a scratch copy or a reallocation), and
/// not when a tree is written back as text (json/src/write.rs). serde_json's
/// parser, which keyframe_json used before, fails the first two.
#[wasm_bindgen_test]
fn a_parsed_json_text_leaves_no_copy_of_its_strings() {
    let js = Js::new();
    assert_eq!(found(&js), Vec::<String>::new(), "secrets before the texts");
    // `$` is the mnemonic twice, as it is or with every space written as
    // an escape. Twice, because a small allocation made after a block is
    // freed can reuse and overwrite its start; every escape, so that a
    // decoder which grows its buffer as it goes frees a copy holding a
    // whole mnemonic. JavaScript builds the text, so only the module's
    // copy is in linear memory.
    let build = js_sys::Function::new_with_args(
        "template, reversed, escaped",
        "const m = Array.from(reversed).reverse().join('');
         let s = m + ' ' + m;
         if (escaped) s = s.replaceAll(' ', '\\\\u0020');
         return template.replace('$', s)",
    );
    let text = |template: &str, escaped: bool| {
        typed(
            build
                .call3(
                    &wasm_bindgen::JsValue::NULL,
                    &template.into(),
                    &MNEMONIC_REVERSED.into(),
                    &escaped.into(),
                )
                .unwrap(),
        )
    };
    let refused = [
        r#"{"phrase":"$","x":tru}"#,
        r#"["$",]"#,
        r#"{"phrase":"$","phrase":1}"#,
        r#"{"phrase":"$""#,
        r#""$"#,
        r#""$\u12""#,
        r#"[["$"]] x"#,
        r#"{"a":{"b":"$"},"c":[1,}"#,
    ];
    for template in refused {
        for escaped in [false, true] {
            // Labelled before the parse: nothing allocates between the
            // wipe and the search.
            let phase = format!("refusing {template} (escaped: {escaped})");
            let json = text(template, escaped);
            assert!(keyframe_json::parse(&json).is_err(), "{phase}: accepted");
            drop(json);
            assert_clean(&js, &phase);
        }
    }
    for template in [r#"{"phrase":"$"}"#, r#"[1,"$",{"k":["$"]}]"#] {
        for escaped in [false, true] {
            let phase = format!("parsing {template} (escaped: {escaped})");
            let json = text(template, escaped);
            let mut tree = keyframe_json::parse(&json).unwrap();
            drop(json);
            keyframe_json::wipe(&mut tree);
            drop(tree);
            assert_clean(&js, &phase);
        }
    }
    // Written back (a request body carrying a share, the session one
    // module hands the other): the text is the one copy left, and the
    // caller's to wipe; the tree it was written from is wiped by
    // `to_string`, and no reallocation of the text leaves a copy.
    for template in [r#"{"share":"$"}"#, r#"[{"k":["$","$"]}]"#] {
        let phase = format!("writing {template}");
        let json = text(template, true);
        let tree = keyframe_json::parse(&json).unwrap();
        drop(json);
        let written = Zeroizing::new(keyframe_json::to_string(tree));
        assert!(written.len() > 300);
        drop(written);
        assert_clean(&js, &phase);
    }
}

/// A device share written as the text the persistent store keeps
/// (IndexedDB: web/store.rs) leaves no copy once the entry and the text are
/// dropped (the text is written into one buffer of its length, and wiped),
/// nor does one read back from such a text (wiped with the tree decoded
/// from it). The mnemonic stands in for the share's base64: the store
/// copies the field as it is. Each half is searched for on its own, so the
/// read's copy cannot overwrite what the write left.
#[wasm_bindgen_test]
fn a_stored_device_entry_leaves_no_copy_of_its_share() {
    use keyframe_signer::flows::Entry;
    use keyframe_signer::secret::OsRng;
    use keyframe_signer::shares::{DeviceId, RandomId, SplitId, WalletId};

    let js = Js::new();
    assert_eq!(found(&js), Vec::<String>::new(), "secrets before the entry");
    let share = typed(js.reveal(MNEMONIC_REVERSED));
    let entry = Entry {
        wallet: WalletId::random(&mut OsRng).unwrap(),
        device: DeviceId::random(&mut OsRng).unwrap(),
        version: 7,
        split: SplitId::random(&mut OsRng).unwrap(),
        share: share.as_str().to_owned(),
        addresses: keyframe_signer::wallet::Addresses {
            evm: EVM_ADDRESS.to_owned(),
            solana: Some(SOLANA_ADDRESS.to_owned()),
        },
    };
    drop(share);
    let wallet = entry.wallet;
    let text = entry.to_stored_text();
    assert!(
        found(&js).iter().any(|f| f.starts_with("mnemonic at")),
        "the search misses the share while the entry holds it"
    );
    // Kept in JavaScript, as IndexedDB keeps it.
    let stored = wasm_bindgen::JsValue::from_str(&text);
    drop((entry, text));
    assert_clean(&js, "writing a stored entry");

    // What IndexedDB hands back is a fresh string of the same text.
    let read = Entry::from_stored_text(typed(stored)).expect("the entry does not read back");
    assert_eq!(read.wallet, wallet);
    assert_eq!(read.version, 7);
    drop(read);
    assert_clean(&js, "reading a stored entry");
}
