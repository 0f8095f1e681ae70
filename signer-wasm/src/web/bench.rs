//! Benchmark hooks (wasm32 only), used by `npm run bench` (bench/README.md).
//!
//! Two kinds, both tiny and neither ever exposing key material:
//!
//! * With the `bench` cargo feature only (never in the shipped module):
//!   `benchCoreSign`, `benchCoreStep`, `benchArgon2`, `benchUnsealKey`,
//!   exported functions that time the core with **no I/O** on a fixed, public
//!   test secret (the BIP-39 "abandon … about" vector), so a bench page of
//!   the provider origin can load that module and measure the raw cost of an
//!   operation in the same browser. They return milliseconds per operation.
//! * [`measure`]: the iFrame records how long it spent on a request with the
//!   standard User Timing API (`performance.measure`), keeping only the
//!   latest entry of each name, so the numbers are visible to the iFrame's
//!   own realm (and a test driver attached to it) and to nobody else:
//!   `keyframe:dispatch` (request in → answer posted), `keyframe:compute`
//!   (rebuild from two shares + sign + next split, pure WASM), and
//!   `keyframe:refresh` (the share refresh after a signature). Durations
//!   only; nothing about the request or the keys.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// `performance.now()`, or 0 where there is no `performance`.
pub(crate) fn now() -> f64 {
    performance().map_or(0.0, |p| p.now())
}

/// Records `name` as a User Timing measure from `start` to now, replacing
/// the previous one of that name (so the buffer never grows).
pub(crate) fn measure(name: &str, start: f64) {
    let Some(perf) = performance() else { return };
    let end = perf.now();
    perf.clear_measures_with_measure_name(name);
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"start".into(), &start.into());
    let _ = Reflect::set(&opts, &"end".into(), &end.into());
    if let Ok(f) =
        Reflect::get(&perf, &"measure".into()).and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = f.call2(&perf, &name.into(), &opts);
    }
}

/// The flows' [`Clock`](crate::flows::Clock) in the browser: User Timing.
pub struct WebClock;

impl crate::flows::Clock for WebClock {
    fn now(&self) -> f64 {
        now()
    }
    fn measure(&self, name: &str, start: f64) {
        measure(name, start);
    }
}

/// The core-timing exports (`bench` feature only).
#[cfg(feature = "bench")]
mod core_timing {
    use crate::shares::RandomId;
    use keyframe_json::json;
    use wasm_bindgen::JsValue;
    use wasm_bindgen::prelude::wasm_bindgen;

    use super::now;
    use crate::recovery::{self, KdfParams, RecoveryKey};
    use crate::secret::{OsRng, WalletSecret};
    use crate::shares::{self, DeviceId, WalletId};
    use crate::{evm, solana};

    /// The public BIP-39 test vector: never a real wallet.
    const TEST_MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const TEST_PASSWORD: &str = "a benchmark recovery password";

    fn err(e: impl core::fmt::Display) -> JsValue {
        JsValue::from_str(&e.to_string())
    }

    fn typed_data(address: &str) -> String {
        json!({
            "types": {
                "EIP712Domain": [
                    { "name": "name", "type": "string" }, { "name": "version", "type": "string" },
                    { "name": "chainId", "type": "uint256" }, { "name": "verifyingContract", "type": "address" }
                ],
                "Person": [{ "name": "name", "type": "string" }, { "name": "wallet", "type": "address" }],
                "Mail": [{ "name": "from", "type": "Person" }, { "name": "to", "type": "Person" }, { "name": "contents", "type": "string" }]
            },
            "primaryType": "Mail",
            "domain": { "name": "Ether Mail", "version": "1", "chainId": 31337, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
            "message": {
                "from": { "name": "Cow", "wallet": address },
                "to": { "name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
                "contents": "Hello, Bob!"
            }
        })
        .to_string()
    }

    /// Milliseconds per operation of `kind` (`personal_sign`,
    /// `eth_signTypedData_v4`, `eth_signTransaction` (EIP-1559) or
    /// `solana_signMessage`), the same work the iFrame does for one request
    /// minus I/O: with `rebuild`, combine the two shares (which derives and
    /// checks the addresses), sign, and split the next pair; without, sign with
    /// an already derived key.
    #[wasm_bindgen(js_name = benchCoreSign)]
    pub fn bench_core_sign(kind: &str, iterations: u32, rebuild: bool) -> Result<f64, JsValue> {
        let secret = WalletSecret::from_mnemonic(TEST_MNEMONIC).map_err(err)?;
        let addresses = secret.addresses().map_err(err)?;
        let wallet = WalletId::random(&mut OsRng).map_err(err)?;
        let device = DeviceId::random(&mut OsRng).map_err(err)?;
        let pair = shares::split_pair(&secret, wallet, device, 0, &mut OsRng).map_err(err)?;
        let typed = typed_data(&addresses.evm);
        let tx = json!({
            "type": "0x2", "nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0x77359400",
            "maxPriorityFeePerGas": "0x3b9aca00", "to": "0x70997970C51812Dc3A010c7D01B50E20D17Dc79C",
            "value": "0x1", "chainId": "0x7a69"
        });
        let text = evm::personal_sign_message_bytes("0x68656c6c6f206b65796672616d65");
        let sol_message = b"hello solana".to_vec();
        let sign = |s: &WalletSecret| -> crate::Result<usize> {
            Ok(match kind {
                "personal_sign" => evm::personal_sign(&s.evm_signing_key(0)?, &text)?.len(),
                "eth_signTypedData_v4" => {
                    evm::sign_typed_data(&s.evm_signing_key(0)?, &typed, Some(31337))?.len()
                }
                "eth_signTransaction" => evm::sign_transaction(&s.evm_signing_key(0)?, &tx, 31337)?
                    .raw
                    .len(),
                "solana_signMessage" => {
                    solana::sign_message(&s.solana_signing_key(0)?, &sol_message).len()
                }
                _ => return Err(crate::Error::Unsupported),
            })
        };
        let start = now();
        for _ in 0..iterations.max(1) {
            if rebuild {
                let s = shares::combine(&pair.local, &pair.hot, &addresses).map_err(err)?;
                sign(&s).map_err(err)?;
                let next = shares::split_pair(&s, wallet, device, 1, &mut OsRng).map_err(err)?;
                drop(next);
            } else {
                sign(&secret).map_err(err)?;
            }
        }
        Ok((now() - start) / f64::from(iterations.max(1)))
    }

    /// Milliseconds per opening of a password-sealed cold share with the
    /// production Argon2id parameters (64 MiB, t = 3, p = 1): the KDF cost of a
    /// password recovery.
    #[wasm_bindgen(js_name = benchArgon2)]
    pub fn bench_argon2(iterations: u32) -> Result<f64, JsValue> {
        let secret = WalletSecret::from_mnemonic(TEST_MNEMONIC).map_err(err)?;
        let wallet = WalletId::random(&mut OsRng).map_err(err)?;
        let pair =
            shares::split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut OsRng).map_err(err)?;
        let record = recovery::seal_with_password_params(
            &pair.local,
            TEST_PASSWORD,
            KdfParams::PRODUCTION,
            &mut OsRng,
        )
        .map_err(err)?;
        let start = now();
        for _ in 0..iterations.max(1) {
            recovery::open_with_password(&record, TEST_PASSWORD, wallet).map_err(err)?;
        }
        Ok((now() - start) / f64::from(iterations.max(1)))
    }

    /// Milliseconds per opening of a cold share sealed with an automatic
    /// recovery key (AES-GCM, no KDF).
    #[wasm_bindgen(js_name = benchUnsealKey)]
    pub fn bench_unseal_key(iterations: u32) -> Result<f64, JsValue> {
        let secret = WalletSecret::from_mnemonic(TEST_MNEMONIC).map_err(err)?;
        let wallet = WalletId::random(&mut OsRng).map_err(err)?;
        let pair =
            shares::split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut OsRng).map_err(err)?;
        let key = RecoveryKey::generate(&mut OsRng).map_err(err)?;
        let record = recovery::seal_with_key(&pair.local, &key, &mut OsRng).map_err(err)?;
        let start = now();
        for _ in 0..iterations.max(1) {
            recovery::open_with_key(&record, &key, wallet).map_err(err)?;
        }
        Ok((now() - start) / f64::from(iterations.max(1)))
    }

    /// Milliseconds per operation of one step of a signature's rebuild, to show
    /// what dominates it: `seed` (the BIP-39 seed, PBKDF2-HMAC-SHA512 × 2048),
    /// `evmKey` (seed + BIP-32 derivation of the EVM key), `solanaKey` (seed +
    /// SLIP-0010 derivation of the Solana key), `combine` (Shamir combine of the
    /// two shares + the address check, which derives both keys).
    #[wasm_bindgen(js_name = benchCoreStep)]
    pub fn bench_core_step(step: &str, iterations: u32) -> Result<f64, JsValue> {
        let secret = WalletSecret::from_mnemonic(TEST_MNEMONIC).map_err(err)?;
        let addresses = secret.addresses().map_err(err)?;
        let wallet = WalletId::random(&mut OsRng).map_err(err)?;
        let device = DeviceId::random(&mut OsRng).map_err(err)?;
        let pair = shares::split_pair(&secret, wallet, device, 0, &mut OsRng).map_err(err)?;
        let start = now();
        for _ in 0..iterations.max(1) {
            match step {
                "seed" => drop(secret.bip39_seed_with_passphrase("").map_err(err)?),
                "evmKey" => drop(secret.evm_signing_key(0).map_err(err)?),
                "solanaKey" => drop(secret.solana_signing_key(0).map_err(err)?),
                "combine" => {
                    drop(shares::combine(&pair.local, &pair.hot, &addresses).map_err(err)?)
                }
                _ => return Err(JsValue::from_str("unknown step")),
            }
        }
        Ok((now() - start) / f64::from(iterations.max(1)))
    }
}
