// Loads the signer. Everything else — the protocol, the gates, storage and
// the share services — is in the WASM module (signer-wasm/src/web).
import init from "/pkg/keyframe_signer.js";
await init({ module_or_path: new URL("/pkg/keyframe_signer_bg.wasm", import.meta.url) });
