// KEYFRAME_ALLOWED_ORIGINS for `npm start`: more dApp origins (a developer's
// own page, say http://127.0.0.1:5173) that may embed the iFrame and call the
// sample dApp's API. Each entry must be an exact origin, scheme://host[:port]
// as the browser writes it, because hot storage compares it with the
// embedding page's origin character for character (docs/api.md, /v2/config).
import { pathToFileURL } from "node:url";

/**
 * Parses a comma-separated list of origins. Blank entries are skipped,
 * duplicates dropped. Throws an Error naming every bad entry and why.
 */
export function parseAllowedOrigins(value, name = "KEYFRAME_ALLOWED_ORIGINS") {
  if (value === undefined || value === null) return [];
  const out = [];
  const bad = [];
  for (const raw of String(value).split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const why = originProblem(entry);
    if (why) bad.push(`  "${entry}": ${why}`);
    else if (!out.includes(entry)) out.push(entry);
  }
  if (bad.length) {
    throw new Error(
      `${name} must be a comma-separated list of exact origins (scheme://host[:port], ` +
        `e.g. http://127.0.0.1:5173). Refused:\n${bad.join("\n")}`,
    );
  }
  return out;
}

/** Why `entry` is not an exact http(s) origin, or null if it is one. */
function originProblem(entry) {
  if (entry.includes("*")) return "wildcards are not allowed; list each origin";
  if (entry === "null") return `"null" (file:// pages, sandboxed frames) cannot be allowed; serve the page over http(s)`;
  let url;
  try {
    url = new URL(entry);
  } catch {
    return "not a URL (expected scheme://host[:port])";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "the scheme must be http or https";
  if (url.username || url.password) return "no user name or password in an origin";
  if (url.origin !== entry) return `not an exact origin; did you mean ${url.origin}? (no path, no trailing slash, lower-case, no default port)`;
  return null;
}

// `node scripts/origins.mjs`: checks KEYFRAME_ALLOWED_ORIGINS and exits 2 if
// it is bad, so `npm start` stops before building rather than after.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    parseAllowedOrigins(process.env.KEYFRAME_ALLOWED_ORIGINS);
  } catch (err) {
    console.error(`npm start: ${err.message}`);
    process.exit(2);
  }
}
