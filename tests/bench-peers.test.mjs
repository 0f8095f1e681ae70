// The report's pure parts of bench/peers.mjs and bench/wasm-size.mjs (issue
// 15): ratios and formatting of the peer table, parsing and grouping of
// twiggy's output from a small fixture. No network, no twiggy, no browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../scripts/stack.mjs";
import { ESBUILD_OPTIONS, PEERS, kib, ms, peersMarkdown, ratio, reason, signingRows, sizeRows, slug } from "../bench/peers.mjs";
import { cell, crateOf, cratesOfLock, groupByCrate, isNameSection, parseTwiggyMonos, parseTwiggyTop, wasmSizeMarkdown, withoutNameSection } from "../bench/wasm-size.mjs";

test("ratio, kib, ms, slug, reason", () => {
  assert.equal(ratio(300, 100), 3);
  assert.equal(ratio(1, 3), 0.33);
  assert.equal(ratio(5, 0), null);
  assert.equal(ratio(undefined, 2), null);
  assert.equal(kib(2048), "2.0 KiB");
  assert.equal(kib(undefined), "–");
  assert.equal(ms(0.283), "0.28 ms");
  assert.equal(ms(12.34), "12.3 ms");
  assert.equal(slug("@privy-io/js-sdk-core"), "privy-io+js-sdk-core");
  assert.equal(reason("npm warn x\nnpm error code E404\nmore"), "npm error code E404");
  assert.equal(reason("a | b"), "a \\| b");
  assert.ok(reason("x".repeat(500)).length <= 160);
});

test("the peers are pinned to exact versions", () => {
  for (const p of PEERS) assert.match(p.version, /^\d+\.\d+\.\d+$/, p.pkg);
  assert.deepEqual(PEERS.map((p) => p.pkg), ["magic-sdk", "@privy-io/js-sdk-core", "@turnkey/sdk-browser", "@openfort/openfort-js"]);
  // None of them is a dependency of the product.
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  for (const p of PEERS) assert.ok(!(p.pkg in { ...pkg.dependencies, ...pkg.devDependencies }), `${p.pkg} in package.json`);
});

test("the peers are bundled with our SDK's esbuild settings", () => {
  const build = readFileSync(join(ROOT, "iframe-host", "sdk", "build.mjs"), "utf8");
  for (const [k, v] of Object.entries(ESBUILD_OPTIONS)) {
    assert.match(build, new RegExp(`\\b${k}: ${typeof v === "string" ? `"${v}"` : v},`), `iframe-host/sdk/build.mjs has ${k}: ${v}`);
  }
});

const OURS = { sdkGzip: 7000, sdkBytes: 20000, iframeGzip: 300000, iframeBytes: 830000 };

test("size rows: ours first, ratios to our SDK and our iFrame, unavailable peers kept", () => {
  const rows = sizeRows([
    { name: "Magic", pkg: "magic-sdk", version: "33.13.0", status: "ok", bytes: 100000, gzip: 35000 },
    { name: "Privy", pkg: "@privy-io/js-sdk-core", version: "0.76.2", status: "unavailable", reason: "npm install failed: E404" },
  ], OURS);
  assert.deepEqual(rows.map((r) => r.name), ["Keyframe host SDK", "Keyframe iFrame", "Magic", "Privy"]);
  assert.equal(rows[0].vsSdk, 1);
  assert.equal(rows[1].vsSdk, 42.86);
  assert.equal(rows[2].vsSdk, 5);
  assert.equal(rows[2].vsIframe, 0.12);
  assert.equal(rows[3].vsSdk, null);
  const md = peersMarkdown({ sizes: { rows }, signing: { inPage: {}, samples: 2, iterations: 2 } }, {}).join("\n");
  assert.match(md, /\| Magic \| magic-sdk@33\.13\.0 \| 100,000 \| 35,000 \(34\.2 KiB\) \| 5 \| 0\.12 \|/);
  assert.match(md, /\| Privy \| @privy-io\/js-sdk-core@0\.76\.2 \| unavailable \(npm install failed: E404\) \|/);
});

test("skipped peers say so", () => {
  const md = peersMarkdown({ sizes: { skipped: "skipped in smoke", rows: sizeRows([], OURS) }, signing: { inPage: {} } }, {}).join("\n");
  assert.match(md, /Peer sizes: skipped in smoke\./);
  assert.match(peersMarkdown(undefined, {}).join("\n"), /Not measured/);
});

test("signing rows: our figures over the ceilings", () => {
  const figures = {
    "sign.personal_sign.e2e": { median: 8 }, "sign.personal_sign.compute": { median: 3 }, "core.personal_sign.signOnly": { median: 0.25 },
    "sign.solana_signMessage.e2e": { median: 6 }, "core.solana_signMessage.signOnly": { median: 0.1 },
  };
  const [evm, sol] = signingRows(figures, { viem: { median: 2 }, ed25519: { median: 0.5 } });
  assert.equal(evm.e2eVsPage, 4);
  assert.equal(evm.e2eVsRaw, 32);
  assert.equal(evm.computeVsRaw, 12);
  assert.equal(evm.rawVsPage, 0.13);
  assert.equal(sol.e2eVsPage, 12);
  assert.equal(sol.computeVsRaw, null);
});

// What `twiggy top --format json` and `twiggy monos --format json` print (shortened).
const TOP = JSON.stringify([
  { name: "data segment \".rodata\"", shallow_size: 85000, shallow_size_percent: 10.5 },
  { name: "serde_json::de::Deserializer<R>::parse_any::h0123456789abcdef", shallow_size: 9000, shallow_size_percent: 1.1 },
  { name: "<alloc::vec::Vec<serde_json::value::Value> as core::ops::drop::Drop>::drop::h01", shallow_size: 1000, shallow_size_percent: 0.12 },
  { name: "alloy_dyn_abi::eip712::typed_data::TypedData::eip712_signing_hash::h02", shallow_size: 7000, shallow_size_percent: 0.9 },
  { name: "<f64 as core[c5930c85a12de822]::fmt::Display>::fmt", shallow_size: 2000, shallow_size_percent: 0.25 },
  { name: "keyframe_signer::web::dispatch::{{closure}}::h04", shallow_size: 5000, shallow_size_percent: 0.6 },
  { name: "dlmalloc::dlmalloc::Dlmalloc<A>::malloc::h05", shallow_size: 1500, shallow_size_percent: 0.2 },
  { name: "memcpy", shallow_size: 300, shallow_size_percent: 0.04 },
  { name: "code[1234]", shallow_size: 100, shallow_size_percent: 0.01 },
  { name: "\"function names\" subsection", shallow_size: 40000, shallow_size_percent: 5 },
  { name: "export \"handle\"", shallow_size: 100, shallow_size_percent: 0.01 },
  { name: "... and 2000 more.", shallow_size: 500000, shallow_size_percent: 60 },
  { name: "Σ [2010 Total Rows]", shallow_size: 810000, shallow_size_percent: 100 },
]);
const KNOWN = cratesOfLock('[[package]]\nname = "serde_json"\nversion = "1"\n\n[[package]]\nname = "alloy-dyn-abi"\n\n[[package]]\nname = "keyframe-signer"\n\n[[package]]\nname = "dlmalloc"\n');

test("twiggy top: parsed without its summary rows", () => {
  const rows = parseTwiggyTop(TOP);
  assert.equal(rows.length, 11);
  assert.deepEqual(rows[1], { name: "serde_json::de::Deserializer<R>::parse_any::h0123456789abcdef", shallow: 9000, shallowPct: 1.1 });
  const retained = parseTwiggyTop(JSON.stringify([{ name: "f", shallow_size: 1, shallow_size_percent: 0, retained_size: 9, retained_size_percent: 1 }]));
  assert.equal(retained[0].retained, 9);
});

test("twiggy items grouped by crate", () => {
  assert.deepEqual([...KNOWN].sort(), ["alloy_dyn_abi", "dlmalloc", "keyframe_signer", "serde_json"]);
  assert.equal(crateOf("<alloc::vec::Vec<serde_json::value::Value> as core::ops::drop::Drop>::drop::h01", KNOWN), "serde_json");
  assert.equal(crateOf("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt", KNOWN), "core");
  assert.equal(crateOf("data[0]", KNOWN), "(data segments)");
  assert.equal(crateOf("data segment \".rodata\"", KNOWN), "(data segments)");
  assert.equal(crateOf("export \"handle\"", KNOWN), "(wasm sections: types, imports, exports, tables, names)");
  assert.equal(crateOf("code[1234]", KNOWN), "(unnamed functions)");
  assert.equal(crateOf("memcpy", KNOWN), "(runtime: allocator, memcpy, …)");
  // The name section is in the measured copy only: left out, percentages over the rest.
  const items = withoutNameSection(parseTwiggyTop(TOP));
  assert.equal(items.length, 10);
  assert.ok(!items.some((r) => isNameSection(r.name)));
  assert.equal(items[0].shallowPct, 76.577); // 85,000 of 111,000
  const groups = groupByCrate(items, KNOWN);
  assert.deepEqual(groups.slice(0, 4).map((g) => [g.crate, g.bytes, g.items]),
    [["(data segments)", 85000, 1], ["serde_json", 10000, 2], ["alloy_dyn_abi", 7000, 1], ["keyframe_signer", 5000, 1]]);
  assert.equal(groups.reduce((a, g) => a + g.bytes, 0), 111000);
  assert.equal(groups[0].share, 0.766);
});

test("twiggy monos parsed, and the section rendered", () => {
  const monos = parseTwiggyMonos(JSON.stringify([
    { generic: "core::ptr::drop_in_place", approximate_monomorphization_bloat_bytes: 5000, approximate_monomorphization_bloat_percent: 0.6, total_size: 9000, total_size_percent: 1.1,
      monomorphizations: [{ name: "core::ptr::drop_in_place::h1", shallow_size: 4000 }, { name: "core::ptr::drop_in_place::h2", shallow_size: 3000 }, { name: "... and 12 more.", shallow_size: 2000 }] },
    { generic: "... and 10 more.", approximate_monomorphization_bloat_bytes: 1, total_size: 1 },
  ]));
  assert.deepEqual(monos, [{ generic: "core::ptr::drop_in_place", bloat: 5000, total: 9000, copies: 14 }]);
  const top = parseTwiggyTop(TOP);
  const md = wasmSizeMarkdown({ twiggy: "twiggy 0.8.0", module: "m", bytes: 810000, shippedBytes: 770000, itemCount: top.length,
    top: top.slice(0, 3), retained: [], monos, crates: groupByCrate(top, KNOWN) }).join("\n");
  assert.match(md, /\| 2 \| `serde_json::de::Deserializer<R>::parse_any` \| 9,000 \| 1\.10 % \|/);
  assert.match(md, /\| serde_json \| 10,000 \| 6\.6 % \| 2 \|/);
  assert.match(md, /\| `core::ptr::drop_in_place` \| 14 \| 5,000 \| 9,000 \|/);
  assert.match(wasmSizeMarkdown({ skipped: "skipped in smoke" }).join("\n"), /twiggy: skipped in smoke\./);
  assert.match(wasmSizeMarkdown({ unavailable: "cargo install twiggy --locked failed: x" }).join("\n"), /unavailable \(cargo install/);
  assert.equal(cell("a|b"), "`a\\|b`");
});
