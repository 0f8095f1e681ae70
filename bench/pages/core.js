// Loads the bench build of the signer (the shipped module plus the `bench`
// feature's core-timing exports, signer-wasm/src/web/bench.rs) as the iFrame
// loads its module, and exposes the exports to the driver.
import init, * as kf from "/bench-pkg/keyframe_signer.js";
const t0 = performance.now();
await init({ module_or_path: new URL("/bench-pkg/keyframe_signer_bg.wasm", import.meta.url) });
window.kfInitMs = performance.now() - t0;
window.kf = kf;
window.coreReady = true;
