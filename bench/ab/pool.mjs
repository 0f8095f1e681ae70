// The four-run A/B table of bench/AB-issue9.md:
//   node bench/ab/pool.mjs bench/AB-issue9.md B3 B4 A3 A4
// Runs 1 and 2 of each tree are read from the first table of AB-issue9.md,
// runs 3 and 4 from the results.json of `node bench/run.mjs --no-build
// --out DIR` in each tree. A figure is WORSE when the after mean is worse
// than the before mean by more than the larger of the two trees' ranges
// over their four runs, and by more than 10 %.
import { readFileSync } from "node:fs";
const [md, ...dirs] = process.argv.slice(2);
const [b3, b4, a3, a4] = dirs.map((d) => JSON.parse(readFileSync(`${d}/results.json`)).figures);
const old = {};
for (const line of readFileSync(md, "utf8").split("\n")) {
  const m = line.match(/^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|/);
  if (!m) continue;
  const p = (s) => s.split("/").map((x) => Number(x.trim()));
  old[m[1]] = { b: p(m[2]), a: p(m[3]) };
}
const v = (f, k) => f[k] == null ? NaN : (f[k].median ?? f[k].value);
const higherBetter = (k) => k.endsWith(".rps");
const fmt = (x) => String(Math.round(x * 1000) / 1000);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const range = (a) => Math.max(...a) - Math.min(...a);
for (const [k, o] of Object.entries(old)) {
  const B = [...o.b, v(b3, k), v(b4, k)], A = [...o.a, v(a3, k), v(a4, k)];
  if ([...A, ...B].some((x) => Number.isNaN(x))) { console.log(`| \`${k}\` | (not in both) |`); continue; }
  const bm = mean(B), am = mean(A), noise = Math.max(range(B), range(A));
  let verdict = "within noise";
  if (bm === am) verdict = "same";
  else {
    const worseBy = higherBetter(k) ? bm - am : am - bm;
    const rel = higherBetter(k) ? bm / am : am / bm;
    if (worseBy > noise && rel > 1.10) verdict = "WORSE";
    else if (-worseBy > noise && 1 / rel > 1.10) verdict = "better";
  }
  console.log(`| \`${k}\` | ${B.map(fmt).join(" / ")} | ${A.map(fmt).join(" / ")} | ${bm ? (am / bm).toFixed(2) : "-"} | ${verdict} |`);
}
