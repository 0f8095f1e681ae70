// DPoP (RFC 9449) for Node: what the iFrame does with its WebCrypto key
// (signer-wasm/src/web/dpop.rs), for tests and the load benchmark that
// call hot storage or Shield directly. The services check the proofs in
// hot-storage-service/src/dpop.rs.
import { createHash, webcrypto } from "node:crypto";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const sha256 = (text) => createHash("sha256").update(text).digest();

/** A fresh non-extractable P-256 key: `{ jkt, proof(method, url, token, iat?) }`. */
export async function dpopKey() {
  const { subtle } = webcrypto;
  const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const { x, y } = await subtle.exportKey("jwk", pair.publicKey);
  const jkt = b64url(sha256(JSON.stringify({ crv: "P-256", kty: "EC", x, y })));
  const header = b64url(JSON.stringify({ typ: "dpop+jwt", alg: "ES256", jwk: { kty: "EC", crv: "P-256", x, y } }));
  return {
    jkt,
    /** A proof for one request; `url` without its query. */
    async proof(method, url, token, iat = Math.floor(Date.now() / 1000)) {
      const claims = {
        jti: b64url(webcrypto.getRandomValues(new Uint8Array(16))),
        htm: method, htu: url.split("?")[0], iat, ath: b64url(sha256(token)),
      };
      const input = `${header}.${b64url(JSON.stringify(claims))}`;
      const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, Buffer.from(input));
      return `${input}.${b64url(new Uint8Array(signature))}`;
    },
  };
}

/** `fetch` with a token bound to `key` and a fresh proof for this request. */
export async function dpopFetch(key, url, token, init = {}) {
  const method = init.method ?? "GET";
  const headers = { ...(init.headers ?? {}), authorization: `DPoP ${token}`, dpop: await key.proof(method, url, token) };
  return fetch(url, { ...init, method, headers });
}
