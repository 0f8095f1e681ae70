// Independent verification of what the iFrame signed, bundled for the page
// (scripts/build.sh): viem for EVM, noble for ed25519. The page shows each
// result; it does not trust the signer's word.
import { verifyMessage, verifyTypedData, recoverTransactionAddress, isAddressEqual } from "viem";
import { ed25519 } from "@noble/curves/ed25519.js";

export { verifyMessage, verifyTypedData };

export async function verifyTransaction(serializedTransaction, address) {
  const signer = await recoverTransactionAddress({ serializedTransaction });
  return isAddressEqual(signer, address);
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
export function base58Decode(text) {
  let bytes = [0];
  for (const ch of text) {
    let carry = ALPHABET.indexOf(ch);
    if (carry < 0) throw new Error("not base58");
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  for (const ch of text) { if (ch === "1") bytes.push(0); else break; }
  return new Uint8Array(bytes.reverse());
}

export function verifySolana(message, signatureB58, addressB58) {
  return ed25519.verify(base58Decode(signatureB58), message, base58Decode(addressB58));
}
