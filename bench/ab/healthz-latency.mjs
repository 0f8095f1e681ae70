// The service side of `rtt.fetch`, without a browser: GET /healthz from
// Node, one request at a time, in TREE's own stack (TREE: a checkout of
// any commit with scripts/stack.mjs, built by its scripts/build.sh).
//   node bench/ab/healthz-latency.mjs TREE
// Prints the median of 2,000 requests after 1,000 warm-up requests.
import { join } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";

const [tree] = process.argv.slice(2);
const { startStack } = await import(join(tree, "scripts/stack.mjs"));
const tmp = await mkdtemp(join(tmpdir(), "ab-healthz-"));
const stack = await startStack({ dataDir: join(tmp, "data"), env: { KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0" } });
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
try {
  const out = [];
  for (let i = 0; i < 3000; i++) {
    const t0 = performance.now();
    await (await fetch(`${stack.urls.provider}/healthz`)).arrayBuffer();
    out.push(performance.now() - t0);
  }
  console.log(`${tree}: GET /healthz median ${med(out.slice(1000)).toFixed(3)} ms over 2,000 requests`);
} finally {
  await stack.stop();
  await rm(tmp, { recursive: true, force: true });
}
process.exit(0);
