// `npm start`: the whole product on loopback, on its embedded defaults
// (SQLite files under one data folder), until Ctrl-C.
//
// Environment: KEYFRAME_DATA_DIR (default .data), DAPP_PORT (3000),
// PROVIDER_PORT (8787), SHIELD_PORT (8788), ANVIL_PORT (8545), and
// KEYFRAME_ALLOWED_ORIGINS: more dApp origins, comma-separated exact origins
// (e.g. http://127.0.0.1:5173), that may embed the iFrame and call the sample
// dApp's API (docs/quickstart.md).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseAllowedOrigins } from "./origins.mjs";
import { ROOT, startStack } from "./stack.mjs";

const port = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number`);
  return value;
};

let extraOrigins;
try {
  extraOrigins = parseAllowedOrigins(process.env.KEYFRAME_ALLOWED_ORIGINS);
} catch (err) {
  console.error(`npm start: ${err.message}`);
  process.exit(2);
}

const stack = await startStack({
  dataDir: process.env.KEYFRAME_DATA_DIR ?? join(ROOT, ".data"),
  ports: {
    dapp: port("DAPP_PORT", 3000),
    provider: port("PROVIDER_PORT", 8787),
    shield: port("SHIELD_PORT", 8788),
    anvil: port("ANVIL_PORT", 8545),
  },
  echo: process.env.KEYFRAME_ECHO_LOGS === "1",
  extraOrigins,
  // The sample operator policy (README.md): deny chain 1, the approvals
  // desk for 0.5 ETH or more, ask otherwise. The webhook's secret is new
  // at every start and only ever in the two processes' environment.
  policyFile: join(ROOT, "sample-dapp", "policy.json"),
  approval: { secret: `whsec_${randomBytes(32).toString("base64")}`, timeoutMs: 60_000 },
});

const origins = [stack.urls.dapp, ...stack.extraOrigins];
const originLines = origins.map((o, i) => `    ${o}${i === 0 ? "   (the sample dApp)" : ""}`).join("\n");
const addMore = stack.extraOrigins.length
  ? ""
  : "\n    add yours: KEYFRAME_ALLOWED_ORIGINS=http://127.0.0.1:5173 npm start (docs/quickstart.md)";

console.log(`
Keyframe is running.

  Open the sample dApp:  ${stack.urls.dapp}

  provider (iFrame + hot storage)  ${stack.urls.provider}
  Shield (cold storage)            ${stack.urls.shield}
  local Ethereum node (anvil)      ${stack.urls.rpc}   chain id 31337
  data folder                      ${stack.dataDir}
  host SDK (ES module)             ${stack.urls.provider}/sdk/keyframe-sdk.js

  operator policy                  sample-dapp/policy.json (README.md, "The sample operator policy")
  approvals page (the operator)    ${stack.urls.dapp}/approvals

  dApp origins allowed to embed the iFrame:
${originLines}${addMore}

Press Ctrl-C to stop.`);

let stopping = false;
const shutdown = async (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.stop();
  console.log("stopped.");
  process.exit(0);
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
// Exit if a service dies, rather than leave a half-running product.
for (const [name, proc] of Object.entries(stack.processes)) {
  proc.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? code}); its last output:\n${proc.logs()}`);
    shutdown("service exit");
  });
}
