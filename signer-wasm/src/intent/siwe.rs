//! EIP-4361 Sign-In with Ethereum: a strict parser of the ABNF of
//! ERC-4361 ("ABNF Message Format") and the checks a wallet owes the user
//! ("Wallet Implementer Steps"): the request origin, the address, the chain
//! and the validity window.

use super::time::{format_unix, parse_rfc3339};
use super::{Builder, Context, Field, Intent, IntentKind, WarningCode, bad};
use crate::Result;
use crate::evm::{checksum_address, parse_address};
use serde::Serialize;

/// The substring that makes a message a sign-in request (EIP-4361 asks
/// wallets to warn when it appears in a message that does not conform).
pub(crate) const SIWE_MARKER: &str = "wants you to sign in with your Ethereum account";
const TITLE_SUFFIX: &str = " wants you to sign in with your Ethereum account:";

/// The fields of an EIP-4361 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiweMessage {
    /// The URI scheme, when the message gives one.
    pub scheme: Option<String>,
    /// The RFC 3986 authority requesting the signature.
    pub domain: String,
    /// The signing address as written (EIP-55 checked when mixed case).
    pub address: [u8; 20],
    /// The human-readable statement.
    pub statement: Option<String>,
    /// The subject of the signing.
    pub uri: String,
    /// Always "1".
    pub version: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// At least 8 alphanumerics.
    pub nonce: String,
    /// RFC 3339 as written.
    pub issued_at: String,
    /// RFC 3339 as written.
    pub expiration_time: Option<String>,
    /// RFC 3339 as written.
    pub not_before: Option<String>,
    /// RFC 3986 `*pchar`.
    pub request_id: Option<String>,
    /// RFC 3986 URIs.
    pub resources: Vec<String>,
}

fn fail(msg: impl Into<String>) -> crate::Error {
    bad(format!("siwe: {}", msg.into()))
}

fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn sub_delim(c: u8) -> bool {
    matches!(
        c,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

fn gen_delim(c: u8) -> bool {
    matches!(c, b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@')
}

/// Every byte is allowed by `ok`, or starts a `%HH` escape.
fn pct_chars(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else if ok(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// RFC 3986 `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

/// RFC 3986 `authority = [ userinfo "@" ] host [ ":" port ]`, with a
/// non-empty host. Returns `(host, port)`.
fn parse_authority(s: &str) -> Option<(String, Option<u16>)> {
    let hostport = match s.rsplit_once('@') {
        Some((userinfo, hp)) => {
            if !pct_chars(userinfo, |c| unreserved(c) || sub_delim(c) || c == b':') {
                return None;
            }
            hp
        }
        None => s,
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        // IP-literal: checked loosely (hex digits, ':' and '.').
        let (inner, after) = rest.split_once(']')?;
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        {
            return None;
        }
        (format!("[{inner}]"), after)
    } else {
        let h = hostport.split_once(':').map_or(hostport, |(h, _)| h);
        if h.is_empty() || !pct_chars(h, |c| unreserved(c) || sub_delim(c)) {
            return None;
        }
        (h.to_ascii_lowercase(), &hostport[h.len()..])
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        // `port = *DIGIT`: an empty port means the default.
        Some("") => None,
        Some(p) if p.bytes().all(|c| c.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// RFC 3986 `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`,
/// checked for its scheme and its character set.
fn is_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            is_scheme(scheme)
                && pct_chars(rest, |c| unreserved(c) || sub_delim(c) || gen_delim(c))
                && rest.matches('#').count() <= 1
        }
        None => false,
    }
}

type Lines<'l, 'a> = std::iter::Peekable<std::slice::Iter<'l, &'a str>>;

/// The next line, which must start with `tag`; returns the rest.
fn field<'a>(it: &mut Lines<'_, 'a>, tag: &str) -> Result<&'a str> {
    it.next()
        .copied()
        .and_then(|l: &'a str| l.strip_prefix(tag))
        .ok_or_else(|| fail(format!("expected a line starting with \"{tag}\"")))
}

/// The rest of the next line if it starts with `tag` (an optional field),
/// consuming it; otherwise nothing is consumed.
fn optional<'a>(it: &mut Lines<'_, 'a>, tag: &str) -> Option<&'a str> {
    let line: &'a str = it.peek()?;
    let rest = line.strip_prefix(tag)?;
    it.next();
    Some(rest)
}

fn date_time(s: &str, what: &str) -> Result<String> {
    parse_rfc3339(s)
        .map(|_| s.to_owned())
        .ok_or_else(|| fail(format!("{what} is not an RFC 3339 date-time")))
}

/// Parses an EIP-4361 message strictly: lines separated by LF only, every
/// term per the ABNF, the optional terms in order, nothing after the last.
pub fn parse_siwe(text: &str) -> Result<SiweMessage> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut it = lines.iter().peekable();

    let first = it.next().copied().unwrap_or_default();
    let prefix = first.strip_suffix(TITLE_SUFFIX).ok_or_else(|| {
        fail("the first line must end with \"wants you to sign in with your Ethereum account:\"")
    })?;
    let (scheme, domain) = match prefix.split_once("://") {
        Some((s, d)) if is_scheme(s) => (Some(s.to_owned()), d),
        Some(_) => return Err(fail("scheme is not an RFC 3986 scheme")),
        None => (None, prefix),
    };
    if parse_authority(domain).is_none() {
        return Err(fail("domain is not an RFC 3986 authority"));
    }

    let addr_line = it.next().copied().unwrap_or_default();
    if addr_line.len() != 42 || !addr_line.starts_with("0x") {
        return Err(fail("address must be 0x and 40 hex digits"));
    }
    let address = parse_address("siwe address", addr_line)
        .map_err(|_| fail("address is not a valid EIP-55 address"))?;

    if it.next().copied() != Some("") {
        return Err(fail("an empty line must follow the address"));
    }
    // `[ statement LF ] LF`: no statement is one empty line before "URI: ".
    let statement = match (it.next().copied(), it.peek().copied().copied()) {
        (Some(""), Some(next)) if next.starts_with("URI: ") => None,
        (Some(s), Some("")) => {
            it.next();
            if !s
                .bytes()
                .all(|c| unreserved(c) || sub_delim(c) || gen_delim(c) || c == b' ')
            {
                return Err(fail("statement has characters outside the allowed set"));
            }
            Some(s.to_owned())
        }
        _ => {
            return Err(fail(
                "expected a statement followed by an empty line, or an empty line",
            ));
        }
    };

    let uri = field(&mut it, "URI: ")?;
    if !is_uri(uri) {
        return Err(fail("URI is not an RFC 3986 URI"));
    }
    let version = field(&mut it, "Version: ")?;
    if version != "1" {
        return Err(fail("Version must be 1"));
    }
    let chain = field(&mut it, "Chain ID: ")?;
    if chain.is_empty() || !chain.bytes().all(|c| c.is_ascii_digit()) {
        return Err(fail("Chain ID must be digits"));
    }
    let chain_id: u64 = chain
        .parse()
        .map_err(|_| fail("Chain ID exceeds 64 bits"))?;
    let nonce = field(&mut it, "Nonce: ")?;
    if nonce.len() < 8 || !nonce.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(fail("Nonce must be at least 8 letters or digits"));
    }
    let issued_at = date_time(field(&mut it, "Issued At: ")?, "Issued At")?;

    let expiration_time = optional(&mut it, "Expiration Time: ")
        .map(|s| date_time(s, "Expiration Time"))
        .transpose()?;
    let not_before = optional(&mut it, "Not Before: ")
        .map(|s| date_time(s, "Not Before"))
        .transpose()?;
    let request_id = optional(&mut it, "Request ID: ")
        .map(|s| {
            if pct_chars(s, |c| {
                unreserved(c) || sub_delim(c) || c == b':' || c == b'@'
            }) {
                Ok(s.to_owned())
            } else {
                Err(fail("Request ID has characters outside RFC 3986 pchar"))
            }
        })
        .transpose()?;
    let mut resources = Vec::new();
    if let Some(rest) = optional(&mut it, "Resources:") {
        if !rest.is_empty() {
            return Err(fail("nothing may follow \"Resources:\" on its line"));
        }
        for line in it.by_ref() {
            let r = line
                .strip_prefix("- ")
                .ok_or_else(|| fail("a resource line must start with \"- \""))?;
            if !is_uri(r) {
                return Err(fail("a resource is not an RFC 3986 URI"));
            }
            resources.push(r.to_owned());
        }
    }
    if it.next().is_some() {
        return Err(fail("unexpected text after the last field"));
    }

    Ok(SiweMessage {
        scheme,
        domain: domain.to_owned(),
        address,
        statement,
        uri: uri.to_owned(),
        version: version.to_owned(),
        chain_id,
        nonce: nonce.to_owned(),
        issued_at,
        expiration_time,
        not_before,
        request_id,
        resources,
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// Why the message's `scheme://domain` is not the embedding origin, if it
/// is not (ERC-4361, "Verifying the Request Origin": scheme, host, port;
/// https is the default scheme).
fn origin_mismatch(m: &SiweMessage, origin: &str) -> Option<String> {
    let Some((oscheme, oauth)) = origin.split_once("://") else {
        return Some(format!("the embedding origin {origin:?} could not be read"));
    };
    let Some((ohost, oport)) = parse_authority(oauth.trim_end_matches('/')) else {
        return Some(format!("the embedding origin {origin:?} could not be read"));
    };
    let oscheme = oscheme.to_ascii_lowercase();
    let Some((host, port)) = parse_authority(&m.domain) else {
        return Some("the message's domain could not be read".to_owned());
    };
    let scheme = m.scheme.as_deref().unwrap_or("https").to_ascii_lowercase();
    if host != ohost {
        return Some(format!(
            "it names {} but the request comes from {origin}",
            m.domain
        ));
    }
    if scheme != oscheme {
        return Some(format!(
            "it is for {scheme}:// but the request comes from {origin}"
        ));
    }
    if port.or(default_port(&scheme)) != oport.or(default_port(&oscheme)) {
        return Some(format!(
            "it names port {} but the request comes from {origin}",
            port.map_or("(default)".to_owned(), |p| p.to_string())
        ));
    }
    None
}

/// The sign-in description, with the four checks of the issue: origin,
/// address, chain, expiry (and not-before).
pub(crate) fn describe_siwe(m: &SiweMessage, text: &str, ctx: &Context) -> Intent {
    let mut b = Builder::default();
    let site = match &m.scheme {
        Some(s) => format!("{s}://{}", m.domain),
        None => m.domain.clone(),
    };
    b.field("Site", site.clone());
    b.field("Account", super::tokens::show_address(ctx, &m.address));
    if let Some(s) = &m.statement {
        b.field("Statement", s.clone());
    }
    b.field("URI", m.uri.clone());
    b.field("Chain", ctx.chain_name(m.chain_id));
    b.field("Nonce", m.nonce.clone());
    b.field("Issued at", m.issued_at.clone());
    if let Some(t) = &m.expiration_time {
        b.field("Expires", t.clone());
    }
    if let Some(t) = &m.not_before {
        b.field("Not before", t.clone());
    }
    if let Some(r) = &m.request_id {
        b.field("Request ID", r.clone());
    }
    if !m.resources.is_empty() {
        let children = m
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| Field::new(format!("[{i}]"), r.clone()))
            .collect();
        b.fields.push(Field::tree(
            "Resources",
            m.resources.len().to_string(),
            children,
        ));
    }
    b.field("Version", m.version.clone());

    if let Some(why) = origin_mismatch(m, &ctx.origin) {
        b.warn(
            WarningCode::SiweDomainMismatch,
            format!("This sign-in is for another site: {why}. Signing could log you in there on this site's behalf."),
        );
    }
    if let Some(me) = ctx.evm_address
        && me != m.address
    {
        b.warn(
            WarningCode::SiweAddressMismatch,
            format!(
                "The message names the account {}, not yours ({}).",
                checksum_address(&m.address),
                checksum_address(&me)
            ),
        );
    }
    if m.chain_id != ctx.chain_id {
        b.warn(
            WarningCode::SiweChainMismatch,
            format!(
                "The message is for chain {}, but the active chain is {}.",
                m.chain_id, ctx.chain_id
            ),
        );
    }
    let now = i64::try_from(ctx.now).unwrap_or(i64::MAX);
    if let Some(exp) = m.expiration_time.as_deref().and_then(parse_rfc3339)
        && exp <= now
    {
        b.warn(
            WarningCode::SiweExpired,
            format!(
                "This sign-in request expired at {}.",
                format_unix(u64::try_from(exp).unwrap_or(0))
            ),
        );
    }
    if let Some(nb) = m.not_before.as_deref().and_then(parse_rfc3339)
        && nb > now
    {
        b.warn(
            WarningCode::SiweNotYetValid,
            format!(
                "This sign-in request is not valid before {}.",
                format_unix(u64::try_from(nb).unwrap_or(0))
            ),
        );
    }
    Intent {
        kind: IntentKind::SignIn,
        title: "Sign in".to_owned(),
        summary: Some(format!(
            "Sign in to {site} as {}",
            checksum_address(&m.address)
        )),
        fields: b.fields,
        warnings: b.warnings,
        raw: Some(text.to_owned()),
    }
}
