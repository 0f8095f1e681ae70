//! Start-up checks of settings an operator writes: allowed origins must be
//! exact origins, trusted proxies CIDRs. A setting that fails refuses the
//! start (config/); the JWKS URL's check lives with the verifier
//! (`auth::check_jwks_url`).

use anyhow::bail;

/// `--trusted-proxies` entries: CIDRs (`10.0.0.0/8`, `fd00::/8`) or single
/// addresses; blank entries are skipped.
pub fn parse_trusted_proxies(entries: &[String]) -> anyhow::Result<Vec<ipnet::IpNet>> {
    entries
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("--trusted-proxies: {e:?} is not a CIDR or an IP address")
                })
        })
        .collect()
}

/// Why `entry` is not an exact http(s) origin, or `None` if it is one.
///
/// The rules of record for allowed origins: the iFrame compares the
/// embedding page's origin with each entry character for character
/// (docs/api.md, `/v2/config`), so anything but `scheme://host[:port]` as a
/// browser writes it would never match, or match too much. scripts/origins.mjs
/// applies the same rules for `npm start`, before anything is built.
pub fn origin_problem(entry: &str) -> Option<String> {
    if entry.contains('*') {
        return Some("wildcards are not allowed; list each origin".into());
    }
    if entry == "null" {
        return Some(
            "\"null\" (file:// pages, sandboxed frames) cannot be allowed; serve the page over http(s)"
                .into(),
        );
    }
    let Ok(url) = url::Url::parse(entry) else {
        return Some("not a URL (expected scheme://host[:port])".into());
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return Some("the scheme must be http or https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("no user name or password in an origin".into());
    }
    let exact = url.origin().ascii_serialization();
    if exact != entry {
        return Some(format!(
            "not an exact origin; did you mean {exact}? (no path, no trailing slash, lower-case, no default port)"
        ));
    }
    None
}

/// The allowed origins, each checked by [`origin_problem`]; one error names
/// every bad entry. Blank entries are skipped, duplicates dropped.
pub fn parse_allowed_origins(entries: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        match origin_problem(entry) {
            Some(why) => bad.push(format!("  {entry:?}: {why}")),
            None if !out.iter().any(|o| o == entry) => out.push(entry.to_owned()),
            None => {}
        }
    }
    if !bad.is_empty() {
        bail!(
            "--allowed-origins (KEYFRAME_ALLOWED_ORIGINS) must be a comma-separated list of exact \
             origins (scheme://host[:port], e.g. http://127.0.0.1:5173). Refused:\n{}",
            bad.join("\n")
        );
    }
    Ok(out)
}

/// The origin (`scheme://host[:port]`, default port omitted) of a URL, or
/// `None` if it is not an absolute URL with a host.
pub fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let origin = parsed.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The same cases tests/origins.test.mjs gives scripts/origins.mjs.
    #[test]
    fn exact_origins_only() {
        for good in [
            "http://127.0.0.1:3000",
            "https://dapp.example",
            "https://dapp.example:8443",
            "http://[::1]:5173",
        ] {
            assert_eq!(origin_problem(good), None, "{good}");
        }
        for (bad, why) in [
            ("*", "wildcards"),
            ("https://*.example", "wildcards"),
            ("null", "\"null\""),
            (
                "https://dapp.example/",
                "did you mean https://dapp.example?",
            ),
            ("https://dapp.example/app", "not an exact origin"),
            ("https://DAPP.example", "not an exact origin"),
            ("https://dapp.example:443", "not an exact origin"),
            ("https://user:pw@dapp.example", "no user name or password"),
            ("ftp://dapp.example", "scheme must be http or https"),
            ("dapp.example", "not a URL"),
        ] {
            let problem = origin_problem(bad).unwrap_or_default();
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }
}
