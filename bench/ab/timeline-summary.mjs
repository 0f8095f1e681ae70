// Pools the output of recovery-timeline.mjs: node bench/ab/timeline-summary.mjs
// BEFORE.json[,BEFORE2.json…] AFTER.json[,AFTER2.json…]
// Prints each tree's end-to-end medians and, per request of the flow, the
// median start (ms after the call) and duration over all samples.
import { readFileSync } from "node:fs";

const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const [before, after] = process.argv.slice(2).map((list) => list.split(",").map((f) => JSON.parse(readFileSync(f, "utf8"))));
const T = { before, after };
for (const method of ["password", "automatic"]) {
  const rows = {};
  for (const [t, runs] of Object.entries(T)) {
    const ss = runs.flatMap((r) => r.samples[method]);
    rows[t] = { e2e: runs.map((r) => med(r.samples[method].map((s) => s.ms))), all: med(ss.map((s) => s.ms)), n: ss.length, paths: {} };
    for (const s of ss) for (const x of s.timeline) {
      const k = `${x.m} ${x.p.replace(/[0-9a-f-]{36}/, ":id")}`;
      rows[t].paths[k] ??= { start: [], dur: [] };
      rows[t].paths[k].start.push(x.start);
      rows[t].paths[k].dur.push(x.dur);
    }
  }
  console.log(`${method}: e2e median per run before ${rows.before.e2e.map((x) => x.toFixed(1)).join(" / ")}, after ${rows.after.e2e.map((x) => x.toFixed(1)).join(" / ")}; over all samples (${rows.before.n} / ${rows.after.n}) ${rows.before.all.toFixed(1)} vs ${rows.after.all.toFixed(1)}`);
  console.log("| flow | request | start before | start after | duration before | duration after |");
  for (const k of new Set([...Object.keys(rows.before.paths), ...Object.keys(rows.after.paths)])) {
    const b = rows.before.paths[k] ?? { start: [NaN], dur: [NaN] }, a = rows.after.paths[k] ?? { start: [NaN], dur: [NaN] };
    console.log(`| ${method} | \`${k}\` | ${med(b.start).toFixed(1)} | ${med(a.start).toFixed(1)} | ${med(b.dur).toFixed(1)} | ${med(a.dur).toFixed(1)} |`);
  }
}
