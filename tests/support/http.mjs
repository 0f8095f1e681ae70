import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `dir` over HTTP on 127.0.0.1 (port 0 = any free port).
 *
 * opts.headers: extra headers on every response (e.g. a CSP).
 * opts.mounts:  { "/sdk/": "/abs/dir" } serves another directory under a prefix.
 * opts.routes:  { "/path": (req, res) => void | object } — a function handles
 *               the request itself; an object (or a function returning one)
 *               is sent as JSON.
 * Returns { port, origin, url(path), server, close() }.
 */
export async function serveStatic(dir, opts = {}) {
  const { port = 0, headers = {}, mounts = {}, routes = {} } = opts;
  const roots = [...Object.entries(mounts), ["/", dir]].map(([prefix, root]) => [prefix, resolve(root)]);

  const server = createServer(async (req, res) => {
    try {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      const url = new URL(req.url, "http://x");
      const route = routes[url.pathname];
      if (route !== undefined) {
        const out = typeof route === "function" ? await route(req, res) : route;
        if (out !== undefined && !res.headersSent) {
          res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
          res.end(JSON.stringify(out));
        }
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405).end();
        return;
      }
      let path = decodeURIComponent(url.pathname);
      if (path.endsWith("/")) path += "index.html";
      const [prefix, root] = roots.find(([p]) => path.startsWith(p));
      const file = resolve(join(root, path.slice(prefix.length)));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "content-type": MIME[extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
        "cache-control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else createReadStream(file).pipe(res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", ok);
  });
  const actual = server.address().port;
  const origin = `http://127.0.0.1:${actual}`;
  return {
    server,
    port: actual,
    origin,
    url: (p = "/") => origin + p,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}
