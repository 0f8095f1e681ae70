//! EVM vectors: EIP-191, EIP-712, transactions and their fail_* files.

use super::*;

pub fn evm_key(hex_key: &str) -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_slice(&unhex(hex_key)).expect("key")
}

pub fn addr_hex(k: &k256::ecdsa::SigningKey) -> String {
    evm::checksum_address(&evm::address(k))
}

/// Recovers the signer of a 65-byte r‖s‖v signature over `hash`.
pub fn recover(hash: &[u8; 32], sig: &[u8; 65]) -> String {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    let s = Signature::from_slice(&sig[..64]).expect("sig");
    let v = sig[64];
    assert!(v == 27 || v == 28, "v must be 27 or 28");
    let id = RecoveryId::from_byte(v - 27).expect("recid");
    let vk = VerifyingKey::recover_from_prehash(hash, &s, id).expect("recover");
    let point = vk.to_sec1_point(false);
    let h = Keccak256::digest(&point.as_bytes()[1..]);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[12..]);
    evm::checksum_address(&a)
}

/// `eip191.json` (viem and ethers): message bytes, signature, recovery.
pub fn check_eip191() {
    let file = load("eip191.json");
    let k = evm_key(s(&file["private_key"]));
    assert_eq!(addr_hex(&k), s(&file["address"]));
    for v in vectors(&file) {
        let name = s(&v["name"]);
        let msg = unhex(s(&v["message_hex"]));
        assert_eq!(
            evm::personal_sign_message_bytes(s(&v["param"])),
            msg,
            "{name}: param"
        );
        let sig = evm::personal_sign(&k, &msg).unwrap();
        assert_eq!(evm::signature_hex(&sig), s(&v["signature"]), "{name}");
        assert_eq!(
            recover(&evm::personal_sign_hash(&msg), &sig),
            s(&file["address"])
        );
    }
}

/// `eip712.json`: the Mail example of the EIP-712 specification.
pub fn check_eip712_spec() {
    let file = load("eip712.json");
    let v = &vectors(&file)[0];
    let k = k256::ecdsa::SigningKey::from_slice(&Keccak256::digest(b"cow")).unwrap();
    assert_eq!(addr_hex(&k), s(&v["address"]));
    let td = s(&v["typed_data"]);
    let hash = evm::typed_data_hash(td, Some(1)).unwrap();
    assert_eq!(format!("0x{}", hex::encode(hash)), s(&v["hash"]));
    let sig = evm::sign_typed_data(&k, td, Some(1)).unwrap();
    assert_eq!(sig[64], v["v"].as_u64().unwrap() as u8);
    assert_eq!(format!("0x{}", hex::encode(&sig[..32])), s(&v["r"]));
    assert_eq!(format!("0x{}", hex::encode(&sig[32..64])), s(&v["s"]));
    assert_eq!(evm::signature_hex(&sig), s(&v["signature"]));
    // Without an active chain to compare, the same signature.
    assert_eq!(evm::sign_typed_data(&k, td, None).unwrap(), sig);
}

/// `eip712_viem.json` (viem and ethers): hash, signature, recovery, and
/// refusal on another active chain.
pub fn check_eip712_viem() {
    let file = load("eip712_viem.json");
    let k = evm_key(s(&file["private_key"]));
    for v in vectors(&file) {
        let name = s(&v["name"]);
        let td = s(&v["typed_data"]);
        let chain = v["chain_id"].as_u64();
        let hash = evm::typed_data_hash(td, chain).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(hash)),
            s(&v["hash"]),
            "{name}: hash"
        );
        let sig = evm::sign_typed_data(&k, td, chain).unwrap();
        assert_eq!(evm::signature_hex(&sig), s(&v["signature"]), "{name}");
        assert_eq!(recover(&hash, &sig), s(&file["address"]));
        if let Some(c) = chain {
            assert!(
                evm::sign_typed_data(&k, td, Some(c + 1)).is_err(),
                "{name}: other chain accepted"
            );
        }
    }
}

/// Anvil's first key, which the negative vectors sign with.
pub const ANVIL_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Runs every `step`-th case of a negative-vector file (`fail_*.json` with
/// `cases` of `{name, error, …}`): `"none"` must succeed, anything else must
/// be refused with `Error::BadRequest`. Returns how many cases ran.
fn check_bad_requests(
    name: &str,
    min_cases: usize,
    step: usize,
    run: impl Fn(&Value) -> keyframe_signer::Result<()>,
) -> usize {
    let file = load(name);
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= min_cases, "{name}: {} cases", cases.len());
    let mut n = 0;
    for c in cases.iter().step_by(step) {
        let cname = s(&c["name"]);
        let res = run(c);
        match s(&c["error"]) {
            "none" => assert!(res.is_ok(), "{cname}: control case refused: {res:?}"),
            _ => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {cname}: {msg}"),
                other => panic!("{cname}: expected BadRequest, got {other:?}"),
            },
        }
        n += 1;
    }
    n
}

/// `fail_typed_data.json`: malformed or ambiguous typed data is refused.
pub fn check_fail_typed_data(step: usize) -> usize {
    let k = evm_key(ANVIL_KEY);
    check_bad_requests("fail_typed_data.json", 20, step, |c| {
        evm::sign_typed_data(&k, s(&c["typed_data"]), c["chain_id"].as_u64()).map(|_| ())
    })
}

/// `fail_tx.json`: malformed or ambiguous transaction requests are refused.
pub fn check_fail_tx(step: usize) -> usize {
    let k = evm_key(ANVIL_KEY);
    check_bad_requests("fail_tx.json", 20, step, |c| {
        evm::sign_transaction(&k, &c["request"], c["chain_id"].as_u64().unwrap()).map(|_| ())
    })
}

/// A transaction vector file (`tx_*.json`): raw signed bytes and hash.
/// Returns the number of vectors.
pub fn check_tx_file(name: &str) -> usize {
    let file = load(name);
    let k = evm_key(s(&file["private_key"]));
    for v in vectors(&file) {
        let vname = s(&v["name"]);
        let chain = v["chain_id"].as_u64().unwrap();
        let SignedTransaction { raw, hash } = evm::sign_transaction(&k, &v["request"], chain)
            .unwrap_or_else(|e| panic!("{vname}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(&raw)),
            s(&v["raw"]),
            "{name} {vname}"
        );
        assert_eq!(hash, <[u8; 32]>::from(Keccak256::digest(&raw)));
        if let Some(h) = v["hash"].as_str() {
            assert_eq!(format!("0x{}", hex::encode(hash)), h, "{vname}: hash");
        }
    }
    vectors(&file).len()
}
