// Loads the signer's first module, which answers every method but the
// wallet's lifecycle, the simulator and the activity log. The first request
// for one of those loads the second module, which has them all, and the
// first hands it the session (signer-wasm/src/web/handover.rs). Everything
// else — the protocol, the gates, storage and the share services — is in
// the WASM (signer-wasm/src/web).
import init, { boot } from "/pkg/keyframe_signer.js";
await init({ module_or_path: new URL("/pkg/keyframe_signer_bg.wasm", import.meta.url) });
let tries = 0;
let adoptSession;
boot(async () => {
  if (!adoptSession) {
    // A module whose import failed stays failed in this document (HTML's
    // module map), so a retry asks for it under another URL.
    const query = tries++ ? `?try=${tries}` : "";
    const second = await import(`/pkg-all/keyframe_signer.js${query}`);
    await second.default({ module_or_path: new URL("/pkg-all/keyframe_signer_bg.wasm", import.meta.url) });
    adoptSession = second.adoptSession;
  }
  return adoptSession;
});
