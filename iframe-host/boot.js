// Loads the signer. It comes as two WebAssembly modules built from one
// crate (signer-wasm/src/web/handover.rs): the first answers every method
// but the wallet's lifecycle, the simulator and the activity log; the
// second has them all. A device that holds a share of a wallet loads the
// first; its first lifecycle call loads the second, which takes over the
// session. A device that holds none can sign nothing before it creates or
// recovers a wallet, so it loads the second at once. Everything else — the
// protocol, the gates, storage and the share services — is in the WASM
// (signer-wasm/src/web).

/** Does this origin's IndexedDB hold a share entry (signer-wasm/src/web/store.rs:
 * keys `wallet/device/version/split`)? Never creates the database. */
function holdsAShare() {
  return new Promise((resolve) => {
    let open;
    try {
      open = indexedDB.open("keyframe");
    } catch {
      return resolve(false); // no storage in this iFrame
    }
    // No database yet: leave none behind (the signer creates it, versioned).
    open.onupgradeneeded = () => open.transaction.abort();
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const db = open.result;
      const done = (found) => {
        db.close();
        resolve(found);
      };
      try {
        const keys = db.transaction("shares").objectStore("shares").openKeyCursor();
        keys.onerror = () => done(false);
        keys.onsuccess = () => {
          const cursor = keys.result;
          if (!cursor) done(false);
          else if (typeof cursor.key === "string" && cursor.key.split("/").length === 4) done(true);
          else cursor.continue();
        };
      } catch {
        done(false);
      }
    };
  });
}

async function instantiate(folder, query = "") {
  const module = await import(`/${folder}/keyframe_signer.js${query}`);
  await module.default({ module_or_path: new URL(`/${folder}/keyframe_signer_bg.wasm`, import.meta.url) });
  return module;
}

let tries = 0;
let adoptSession;
async function loadSecondModule() {
  if (!adoptSession) {
    // A module whose import failed stays failed in this document (HTML's
    // module map), so a retry asks for it under another URL.
    const query = tries++ ? `?try=${tries}` : "";
    adoptSession = (await instantiate("pkg-all", query)).adoptSession;
  }
  return adoptSession;
}

const signer = await instantiate((await holdsAShare()) ? "pkg" : "pkg-all");
signer.boot(loadSecondModule);
