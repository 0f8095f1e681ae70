// The whole product on loopback: a local Ethereum node (anvil), the sample
// dApp server (auth, JWKS, recovery key), Shield, and hot storage (which also
// serves the iFrame). Used by `npm start`, the end-to-end tests and the
// benchmark, so all three run exactly the same processes.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "../tests/support/process.mjs";
import { freePort } from "../tests/support/http.mjs";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const bin = (name, profile) => join(ROOT, "target", profile, name);

/**
 * Starts the stack and resolves once every process answers.
 *
 * opts.ports        { dapp, provider, shield, anvil } (each default: a free port)
 * opts.dataDir      folder for every SQLite file and dev key (required)
 * opts.profile      "release" or "debug" (default: $KEYFRAME_SERVICES_PROFILE,
 *                   else "release"; `npm test` runs the services that
 *                   `cargo test` built, see scripts/test.sh)
 * opts.extraOrigins more dApp origins (exact, see scripts/origins.mjs): the
 *                   iFrame accepts them and the sample dApp's API answers
 *                   them across origins (a developer's page, tests' pages)
 * opts.hostName     host in the dApp origin ("127.0.0.1"; "localhost" makes
 *                   the dApp cross-site to the provider)
 * opts.databaseUrls { hot, shield } to use PostgreSQL instead of SQLite
 * opts.env          extra environment for the services (e.g. device TTL)
 * opts.staticDir    folder hot storage serves at / (default iframe-host/;
 *                   the benchmark adds its same-origin pages to a copy)
 * opts.echo         pipe the services' logs to stderr
 * opts.policyFile   the operator's policy hot storage enforces (--policy-file)
 * opts.approval     { secret, timeoutMs }: hot storage's approval webhook is
 *                   the sample dApp's desk (/approvals/webhook), sharing
 *                   `secret` (whsec_…, passed in the environment, never argv)
 */
export async function startStack(opts = {}) {
  const profile = opts.profile ?? process.env.KEYFRAME_SERVICES_PROFILE ?? "release";
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const ports = {
    dapp: opts.ports?.dapp ?? (await freePort()),
    provider: opts.ports?.provider ?? (await freePort()),
    shield: opts.ports?.shield ?? (await freePort()),
    anvil: opts.ports?.anvil ?? (await freePort()),
  };
  const dappHost = opts.hostName ?? "127.0.0.1";
  const urls = {
    dapp: `http://${dappHost}:${ports.dapp}`,
    provider: `http://127.0.0.1:${ports.provider}`,
    shield: `http://127.0.0.1:${ports.shield}`,
    rpc: `http://127.0.0.1:${ports.anvil}`,
  };
  const extraOrigins = (opts.extraOrigins ?? []).filter((o) => o !== urls.dapp);
  const allowedOrigins = [urls.dapp, ...extraOrigins].join(",");
  const echo = Boolean(opts.echo);
  const started = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop();
  };

  try {
    started.push(
      await startProcess(join(ROOT, "node_modules", ".bin", "anvil"),
        ["--host", "127.0.0.1", "--port", String(ports.anvil), "--chain-id", "31337", "--silent"],
        { readyUrl: urls.rpc, echo }),
    );
    const common = { echo, env: { RUST_LOG: process.env.RUST_LOG ?? "warn", ...(opts.env ?? {}) } };
    const approval = opts.approval;
    const withEnv = (extra) => ({ ...common, env: { ...common.env, ...extra } });
    started.push(
      await startProcess(bin("sample-dapp", profile), [
        "--listen", `127.0.0.1:${ports.dapp}`,
        "--data-dir", join(dataDir, "sample-dapp"),
        "--issuer", urls.dapp,
        "--provider-origin", urls.provider,
        "--rpc-url", urls.rpc,
        "--web-dir", join(ROOT, "sample-dapp", "web"),
        "--sdk-dir", join(ROOT, "iframe-host", "sdk", "dist"),
        ...(extraOrigins.length ? ["--cors-origins", extraOrigins.join(",")] : []),
      ], {
        ...withEnv(approval ? { SAMPLE_DAPP_APPROVAL_SECRET: approval.secret } : {}),
        readyUrl: `http://127.0.0.1:${ports.dapp}/healthz`,
      }),
    );
    // Each service requires its own audience (its default) and DPoP proofs
    // naming its public URL.
    const jwt = [
      "--jwks-url", `http://127.0.0.1:${ports.dapp}/.well-known/jwks.json`,
      "--jwt-issuer", urls.dapp,
    ];
    started.push(
      await startProcess(bin("shield-service", profile), [
        ...jwt, "--dev",
        "--listen", `127.0.0.1:${ports.shield}`,
        "--public-url", urls.shield,
        "--data-dir", join(dataDir, "shield"),
        "--provider-origin", urls.provider,
        ...(opts.databaseUrls?.shield ? ["--database-url", opts.databaseUrls.shield] : []),
      ], { ...common, readyUrl: `${urls.shield}/healthz` }),
    );
    started.push(
      await startProcess(bin("hot-storage-service", profile), [
        ...jwt, "--dev",
        "--listen", `127.0.0.1:${ports.provider}`,
        "--public-url", urls.provider,
        "--data-dir", join(dataDir, "hot-storage"),
        "--allowed-origins", allowedOrigins,
        "--shield-url", urls.shield,
        "--static-dir", opts.staticDir ? resolve(opts.staticDir) : join(ROOT, "iframe-host"),
        ...(opts.databaseUrls?.hot ? ["--database-url", opts.databaseUrls.hot] : []),
        ...(opts.policyFile ? ["--policy-file", resolve(opts.policyFile)] : []),
        ...(approval
          ? [
              "--approval-url", `http://127.0.0.1:${ports.dapp}/approvals/webhook`,
              "--approval-timeout-ms", String(approval.timeoutMs),
              // recover waits for the webhook: its request must outlive it.
              "--request-timeout-seconds", String(Math.ceil(approval.timeoutMs / 1000) + 15),
            ]
          : []),
      ], {
        ...withEnv(approval ? { KEYFRAME_APPROVAL_SECRET: approval.secret } : {}),
        readyUrl: `${urls.provider}/healthz`,
      }),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const [anvil, dapp, shield, hot] = started;
  return { urls, ports, dataDir, extraOrigins, stop, processes: { anvil, dapp, shield, hot } };
}
