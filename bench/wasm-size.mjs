// Where the bytes of the signer's WASM go (issue 15, item 1's measurement):
// `twiggy` on the shipped module, with its names kept. The shipped
// iframe-host/pkg/keyframe_signer_bg.wasm has no name section
// (scripts/build.sh removes it), so this runs wasm-bindgen again on the same
// release build exactly as scripts/build.sh does but without
// `--remove-name-section`, into a temp folder: the same code and data, with
// names. Twiggy's sizes are bytes of the uncompressed module (the budget is
// gzip: a byte of code or data does not weigh the same after gzip).
//
// twiggy is installed with `cargo install twiggy --locked` the first time it
// is missing (a couple of minutes); if that fails the section says
// "unavailable (reason)" and the bench goes on. `--smoke` skips it.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TOP = 15;

// ---- pure helpers (unit-tested without twiggy) --------------------------------------

/** Rows of `twiggy top --format json` (with or without `--retained`), without its summary rows. */
export function parseTwiggyTop(jsonText) {
  return JSON.parse(jsonText)
    .filter((r) => typeof r.name === "string" && !/^(\.\.\. and \d+ more|Σ \[)/.test(r.name))
    .map((r) => ({
      name: r.name,
      shallow: r.shallow_size,
      shallowPct: r.shallow_size_percent,
      ...(r.retained_size != null ? { retained: r.retained_size, retainedPct: r.retained_size_percent } : {}),
    }));
}

/** Rows of `twiggy monos --format json`: generic functions and what their copies cost. */
export function parseTwiggyMonos(jsonText) {
  // Twiggy lists the first copies and then "... and N more.".
  const copies = (list) => (Array.isArray(list)
    ? list.reduce((a, m) => a + (Number(/^\.\.\. and (\d+) more/.exec(m.name ?? "")?.[1]) || 1), 0)
    : null);
  return JSON.parse(jsonText)
    .filter((r) => typeof r.generic === "string" && !/^(\.\.\. and \d+ more|Σ \[)/.test(r.generic))
    .map((r) => ({
      generic: r.generic,
      bloat: r.approximate_monomorphization_bloat_bytes ?? r.approximate_monomorphization_bloat_size,
      total: r.total_size,
      copies: copies(r.monomorphizations),
    }));
}

/** The name section's items: in the measured copy only, not in the shipped module. */
export const isNameSection = (name) => /^"[\w ]+" subsection$/.test(name) || name === "custom section 'name' headers";

/** Items without the name section, their percentages recomputed over what remains (the shipped module's content). */
export function withoutNameSection(items, total) {
  const kept = items.filter((r) => !isNameSection(r.name));
  const sum = total ?? kept.reduce((a, r) => a + r.shallow, 0);
  const p = (x) => (sum ? Number(((x / sum) * 100).toFixed(3)) : 0);
  return kept.map((r) => ({ ...r, shallowPct: p(r.shallow), ...(r.retained != null ? { retainedPct: p(r.retained) } : {}) }));
}

const STD = new Set(["core", "alloc", "std"]);

/**
 * The crate an item's (demangled) name belongs to: the first crate of
 * `known` named in its paths other than core/alloc/std (so
 * `<alloc::vec::Vec<serde_json::value::Value> as core::ops::drop::Drop>::drop`
 * counts for serde_json: generic code counts for the crate it was
 * instantiated for), else core/alloc/std; data segments and unnamed items
 * get a bucket of their own.
 */
export function crateOf(name, known) {
  if (/^data\[\d+\]$/.test(name) || name.startsWith(".rodata") || name.startsWith(".data")) return "(data segments)";
  if (/^code\[\d+\]$/.test(name)) return "(unnamed functions)";
  if (/^data segment /.test(name)) return "(data segments)";
  if (/^(table|elem|type|import|export|global|memory|start|custom section)\b|^"|section headers$/.test(name) || name.startsWith("wasm magic")) return "(wasm sections: types, imports, exports, tables, names)";
  const found = [...name.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/g)].map((m) => m[1]).filter((c) => known.has(c) || STD.has(c));
  if (found.length) return found.find((c) => !STD.has(c)) ?? found[0];
  if (/^__wbg|^__wbindgen|^__externref/.test(name)) return "wasm_bindgen";
  if (/^(memcpy|memset|memmove|memcmp|__rust_|__rdl_|__rg_|dlmalloc|__multi3|__udivti3|__ashlti3|__lshrti3)/.test(name)) return "(runtime: allocator, memcpy, …)";
  return "(other)";
}

/** Sums shallow sizes by crate: `[{ crate, bytes, share, items }]`, largest first. */
export function groupByCrate(items, known) {
  const total = items.reduce((a, r) => a + r.shallow, 0);
  const by = new Map();
  for (const r of items) {
    const c = crateOf(r.name, known);
    const g = by.get(c) ?? { crate: c, bytes: 0, items: 0 };
    g.bytes += r.shallow;
    g.items += 1;
    by.set(c, g);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes || a.crate.localeCompare(b.crate))
    .map((g) => ({ ...g, share: total ? Number((g.bytes / total).toFixed(3)) : 0 }));
}

/** Crate names of a Cargo.lock (dashes as underscores, as they appear in symbols). */
export function cratesOfLock(lockText) {
  return new Set([...lockText.matchAll(/^name = "([^"]+)"$/gm)].map((m) => m[1].replace(/-/g, "_")));
}

/** A name short enough for a table cell (the symbol hash dropped: results.json keeps it), pipes escaped. */
export function cell(full, max = 110) {
  const name = full.replace(/::h[0-9a-f]{16}$/, "");
  const s = name.length > max ? `${name.slice(0, max - 1)}…` : name;
  return `\`${s.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
}

const pct = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} %` : "–");

/** The RESULTS.md section. */
export function wasmSizeMarkdown(section) {
  const L = ["", "## Where the WASM's bytes go (twiggy, issue 15)", "",
    "The size levers tried on this module, each with its before/after figure and its speed trade: bench/SIZE.md.", ""];
  if (!section) return [...L, "Not measured in this run.", ""];
  if (section.skipped || section.unavailable) return [...L, section.skipped ? `twiggy: ${section.skipped}.` : `twiggy: unavailable (${section.unavailable}).`, ""];
  L.push(`${section.twiggy} on ${section.module}: ${section.bytes.toLocaleString("en")} B with the name section, ${section.itemsBytes?.toLocaleString("en") ?? "?"} B of items without it (the shipped iframe-host/pkg/keyframe_signer_bg.wasm: ${section.shippedBytes?.toLocaleString("en") ?? "?"} B). The name section's items are left out and percentages are of the items without it. Sizes are bytes before gzip; "retained" = the item plus everything only it keeps alive (the indirect call table, which retains most of the module, left out).`, "");
  L.push(`Top ${section.top.length} items by shallow size:`, "", "| # | item | shallow bytes | shallow % |", "|---|---|---|---|");
  section.top.forEach((r, i) => L.push(`| ${i + 1} | ${cell(r.name)} | ${r.shallow.toLocaleString("en")} | ${pct(r.shallowPct)} |`));
  if (section.retained?.length) {
    L.push("", `Top ${section.retained.length} items by retained size:`, "", "| # | item | retained bytes | retained % | shallow bytes |", "|---|---|---|---|---|");
    section.retained.forEach((r, i) => L.push(`| ${i + 1} | ${cell(r.name)} | ${r.retained.toLocaleString("en")} | ${pct(r.retainedPct)} | ${r.shallow.toLocaleString("en")} |`));
  }
  if (section.crates?.length) {
    L.push("", `By crate (shallow sizes of all ${section.itemCount.toLocaleString("en")} items summed; an item counts for the first crate its name mentions other than core/alloc/std, so generic code counts for the crate it was instantiated for):`, "",
      "| crate | bytes | share | items |", "|---|---|---|---|");
    for (const g of section.crates) L.push(`| ${g.crate} | ${g.bytes.toLocaleString("en")} | ${(g.share * 100).toFixed(1)} % | ${g.items} |`);
  }
  if (section.monos?.length) {
    L.push("", "Generic functions copied most (`twiggy monos`; bloat = the size of all copies but the largest):", "", "| generic | copies | bloat bytes | total bytes |", "|---|---|---|---|");
    for (const m of section.monos) L.push(`| ${cell(m.generic)} | ${m.copies ?? "–"} | ${m.bloat?.toLocaleString("en") ?? "–"} | ${m.total?.toLocaleString("en") ?? "–"} |`);
  }
  L.push("");
  return L;
}

// ---- running twiggy ------------------------------------------------------------------

function run(cmd, args, { cwd, timeoutMs = 60_000, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => { err += `\ntimed out after ${timeoutMs / 1000} s`; child.kill("SIGTERM"); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); resolve({ code: -1, out, err: `${e.message}\n${err}` }); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

const firstLine = (s) => String(s).split("\n").map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? "unknown error";

async function findTwiggy(log) {
  const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  const have = await run("twiggy", ["--version"], { env });
  if (have.code === 0) return { env, version: have.out.trim() };
  log("installing twiggy (cargo install twiggy --locked; a couple of minutes, once)");
  const inst = await run("cargo", ["install", "twiggy", "--locked"], { env, timeoutMs: 20 * 60_000 });
  if (inst.code !== 0) throw new Error(`cargo install twiggy --locked failed: ${firstLine(inst.err)}`);
  const again = await run("twiggy", ["--version"], { env });
  if (again.code !== 0) throw new Error("twiggy installed but does not run");
  return { env, version: again.out.trim() };
}

/** `{ top, retained, crates, monos, … }` for results.json (`wasmSize`); never throws. */
export async function measureWasmSize({ root, smoke, log = () => {} }) {
  if (smoke) {
    log("twiggy: skipped in smoke");
    return { skipped: "skipped in smoke" };
  }
  const tmp = await mkdtemp(join(tmpdir(), "keyframe-twiggy-"));
  try {
    const { env, version } = await findTwiggy(log);
    const release = join(root, "target", "signer", "wasm32-unknown-unknown", "wasm", "keyframe_signer.wasm");
    if (!existsSync(release)) throw new Error("no release build (target/signer/wasm32-unknown-unknown/wasm/keyframe_signer.wasm: scripts/build.sh)");
    const bg = await run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", tmp, "--remove-producers-section", release], { env });
    if (bg.code !== 0) throw new Error(`wasm-bindgen failed: ${firstLine(bg.err)}`);
    const module = join(tmp, "keyframe_signer_bg.wasm");
    const tw = async (...args) => {
      const r = await run("twiggy", [...args, "--format", "json", module], { env, timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`twiggy ${args[0]} failed: ${firstLine(r.err)}`);
      return r.out;
    };
    log(`twiggy (${version}) on the release WASM`);
    const all = withoutNameSection(parseTwiggyTop(await tw("top", "-n", "1000000")));
    const total = all.reduce((a, r) => a + r.shallow, 0);
    const top = all.slice(0, TOP);
    let retained = null, monos = null;
    try {
      // table[0] / elem[0] (the indirect call table) retain most of the module: not a lever.
      retained = withoutNameSection(parseTwiggyTop(await tw("top", "--retained", "-n", String(TOP + 20))), total)
        .filter((r) => !/^(table|elem)\[\d+\]$/.test(r.name)).slice(0, TOP);
    } catch (e) { log(e.message); }
    try { monos = parseTwiggyMonos(await tw("monos", "-n", "10")).slice(0, 10); } catch (e) { log(e.message); }
    const known = cratesOfLock(readFileSync(join(root, "Cargo.lock"), "utf8"));
    const shipped = join(root, "iframe-host", "pkg", "keyframe_signer_bg.wasm");
    return {
      twiggy: version,
      module: "the release build through wasm-bindgen as scripts/build.sh runs it, name section kept, before the build's wasm-opt passes (scripts/wasm-env.sh), which merge duplicate functions",
      bytes: statSync(module).size,
      itemsBytes: total,
      shippedBytes: existsSync(shipped) ? statSync(shipped).size : null,
      itemCount: all.length,
      top, retained, monos,
      crates: groupByCrate(all, known).slice(0, 25),
    };
  } catch (e) {
    log(`twiggy: unavailable (${e.message})`);
    return { unavailable: e.message };
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}
