//! The scan machinery of tests/wipe.rs: the secrets in forms that are not
//! their bytes (reversed text, hex), the JavaScript that turns them into
//! buffers outside linear memory, and the search of the module's whole
//! linear memory for each of them.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

pub mod ports;

// ---------- The secrets, in forms that are not their bytes ----------

/// The mnemonic, reversed character by character.
pub const MNEMONIC_REVERSED: &str = "esuolb trela pmats cincip ytiliba pleh nmutua fael ssorc eltserw yrellag elpoep etuc luos ksed loop emerpus elcric tfil nori mrala eikoor aedi noom";
/// The recovery password, reversed.
pub const PASSWORD_REVERSED: &str = "4kcurt-elpats-esroh-yrettab-elppa";
/// The automatic wallet's recovery key, base64url, reversed.
pub const RECOVERY_KEY_REVERSED: &str = "U833u4KQHNHEQpQHiccI9Ak89LFAhUuIkW7CRAqgM1q";
/// The mnemonic's entropy (32 bytes), hex.
pub const ENTROPY_HEX: &str = "8f8e0eef02e76502ca4ecfa8077f3e9b5a2cbe3f91a07ea1f5ac001a43a8c188";
/// Its BIP-39 seed (empty passphrase), hex.
pub const SEED_HEX: &str = "849ceb95381fa23f609ab9c4237ae4702711a04a37bbc9c1d838e4602d5095c6db2ff47a3dd14cf7cc46098031b6518c7d8cc9d2501e3d83283825d3291eeab2";
/// Its EVM key at m/44'/60'/0'/0/0, hex.
pub const EVM_KEY_HEX: &str = "b4db8dd9f92f0bf4263d8ec0019a0c6003162877f4c437419b3326d0615cacba";
/// Its Solana key at m/44'/501'/0'/0' (the ed25519 seed), hex.
pub const SOLANA_KEY_HEX: &str = "d9030fd36bf20e10acf725f31ffcf9da9ada11ec74403e888afb231320c9357d";
/// The public addresses of those keys (computed outside this module with
/// @scure/bip32, viem and node:crypto): they prove the needles above are
/// the wallet's.
pub const EVM_ADDRESS: &str = "0x17C2e2C042c42e28f82fFAB7ec2F3d3364dE9F51";
pub const SOLANA_ADDRESS: &str = "9JZvC3iXgSthnzrfe7ke6Aso79iko8hhaWxmML6tcQnv";

/// JavaScript helpers (their source is no secret).
pub struct Js {
    pub reveal: Function,
    pub utf8: Function,
    pub hex: Function,
    pub base64url: Function,
    pub find: Function,
}

impl Js {
    pub fn new() -> Js {
        Js {
            reveal: Function::new_with_args("s", "return Array.from(s).reverse().join('')"),
            utf8: Function::new_with_args("s", "return new TextEncoder().encode(s)"),
            hex: Function::new_with_args(
                "h",
                "return Uint8Array.from(h.match(/../g).map((x) => parseInt(x, 16)))",
            ),
            base64url: Function::new_with_args(
                "s",
                "return new Uint8Array(Buffer.from(s, 'base64url'))",
            ),
            // The offset of `needle` in the memory's current buffer, or -1.
            find: Function::new_with_args(
                "memory, needle",
                "return Buffer.from(memory.buffer).indexOf(Buffer.from(needle))",
            ),
        }
    }

    /// A reversed secret, turned into a JS string (not in linear memory).
    pub fn reveal(&self, reversed: &str) -> JsValue {
        self.reveal
            .call1(&JsValue::NULL, &JsValue::from_str(reversed))
            .unwrap()
    }

    pub fn bytes(&self, f: &Function, arg: &JsValue) -> Uint8Array {
        f.call1(&JsValue::NULL, arg).unwrap().unchecked_into()
    }

    /// Where `needle` is in the module's linear memory.
    pub fn find(&self, needle: &Uint8Array) -> Option<u32> {
        let at = self
            .find
            .call2(&JsValue::NULL, &wasm_bindgen::memory(), needle)
            .unwrap()
            .as_f64()
            .unwrap();
        (at >= 0.0).then_some(at as u32)
    }
}

/// Copies `needle` into a stack array and returns (the frame is left as
/// it was); answers the array's address.
#[inline(never)]
pub fn plant_on_stack(needle: &Uint8Array) -> usize {
    let mut local = [0u8; 32];
    needle.copy_to(&mut local);
    core::hint::black_box(&local);
    &local as *const _ as usize
}

/// A JS string into the module, as the iFrame reads an input's value.
pub fn typed(value: JsValue) -> Zeroizing<String> {
    Zeroizing::new(value.as_string().unwrap())
}

/// Every secret to search for, as JS buffers.
pub fn needles(js: &Js) -> Vec<(&'static str, Uint8Array)> {
    let key_text = js.reveal(RECOVERY_KEY_REVERSED);
    vec![
        (
            "mnemonic",
            js.bytes(&js.utf8, &js.reveal(MNEMONIC_REVERSED)),
        ),
        (
            "password",
            js.bytes(&js.utf8, &js.reveal(PASSWORD_REVERSED)),
        ),
        ("entropy", js.bytes(&js.hex, &ENTROPY_HEX.into())),
        ("BIP-39 seed", js.bytes(&js.hex, &SEED_HEX.into())),
        ("EVM private key", js.bytes(&js.hex, &EVM_KEY_HEX.into())),
        (
            "Solana private key",
            js.bytes(&js.hex, &SOLANA_KEY_HEX.into()),
        ),
        ("recovery key", js.bytes(&js.base64url, &key_text)),
        ("recovery key (base64url)", js.bytes(&js.utf8, &key_text)),
    ]
}

/// The names (and offsets) of the secrets found in linear memory.
pub fn found(js: &Js) -> Vec<String> {
    needles(js)
        .iter()
        .filter_map(|(name, needle)| js.find(needle).map(|at| format!("{name} at {at:#x}")))
        .collect()
}

/// Asserts that no secret is in linear memory after `phase`.
pub fn assert_clean(js: &Js, phase: &str) {
    let left = found(js);
    assert!(
        left.is_empty(),
        "secrets left in linear memory after {phase}: {left:?}"
    );
}
