//! EIP-191 `personal_sign` and `solana_signMessage`: text when the bytes
//! are valid, printable UTF-8, hex otherwise; EIP-4361 sign-in messages are
//! handed to [`super::siwe`].

use super::siwe::{SIWE_MARKER, describe_siwe, parse_siwe};
use super::{Builder, Context, Field, Intent, IntentKind, WarningCode};

/// Whether `c` may be shown as text. Control characters (other than tab
/// and line breaks) and the Unicode bidirectional controls are refused: the
/// latter reorder what is displayed, so the text read would not be the text
/// signed.
fn printable(c: char) -> bool {
    if matches!(c, '\n' | '\t' | '\r') {
        return true;
    }
    if c.is_control() {
        return false;
    }
    !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The bytes as text when they are valid UTF-8 and printable.
pub(crate) fn as_text(bytes: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(bytes).ok()?;
    s.chars().all(printable).then_some(s)
}

/// A string from a request as shown inside a field: as is when printable,
/// else with its non-printable characters escaped (`\u{202e}`), so that
/// what is displayed is what is signed.
pub(crate) fn safe_text(s: &str) -> String {
    if as_text(s.as_bytes()).is_some() {
        s.to_owned()
    } else {
        s.chars()
            .map(|c| {
                if printable(c) {
                    c.to_string()
                } else {
                    format!("\\u{{{:x}}}", u32::from(c))
                }
            })
            .collect()
    }
}

fn plain(kind: IntentKind, bytes: &[u8], b: &mut Builder) -> Option<String> {
    match as_text(bytes) {
        Some(text) => {
            b.field("Message", text);
            Some(text.to_owned())
        }
        None => {
            let hex = format!("0x{}", hex::encode(bytes));
            b.field("Message (hex)", hex.clone());
            b.field("Length", format!("{} bytes", bytes.len()));
            b.warn(
                WarningCode::BinaryMessage,
                match kind {
                    IntentKind::SolanaMessage => {
                        "These bytes are not readable text. Sign only if you trust this site."
                    }
                    _ => "This message is not readable text. Sign only if you trust this site.",
                },
            );
            Some(hex)
        }
    }
}

fn detail(e: &crate::Error) -> String {
    match e {
        crate::Error::BadRequest(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Describes an EIP-191 `personal_sign` of `message` (the raw bytes, as
/// [`crate::evm::personal_sign_message_bytes`] reads the parameter).
///
/// A message that contains the EIP-4361 marker ("wants you to sign in with
/// your Ethereum account") and conforms to EIP-4361 is shown as a sign-in
/// with its fields; one that contains the marker but does not conform is
/// shown as plain text with a `SIWE_MALFORMED` warning (EIP-4361, "Wallet
/// Implementer Steps": warn unless the message fully conforms). It is not
/// refused: any text may be signed with `personal_sign`, so refusing it
/// would protect nothing, and a verifier refuses the malformed message.
pub fn describe_personal_sign(message: &[u8], ctx: &Context) -> Intent {
    let mut b = Builder::default();
    if let Some(text) = as_text(message)
        && text.contains(SIWE_MARKER)
    {
        match parse_siwe(text) {
            Ok(siwe) => return describe_siwe(&siwe, text, ctx),
            Err(e) => b.warn(
                WarningCode::SiweMalformed,
                format!(
                    "This looks like a sign-in request but does not follow the Sign-In with Ethereum format ({}). Its site, address and chain cannot be checked.",
                    detail(&e)
                ),
            ),
        }
    }
    let raw = plain(IntentKind::Message, message, &mut b);
    Intent {
        kind: IntentKind::Message,
        title: "Sign message".to_owned(),
        summary: None,
        fields: b.fields,
        warnings: b.warnings,
        raw,
    }
}

/// Describes `solana_signMessage` of `message`. (The web layer refuses
/// bytes that parse as a transaction message before this is reached; see
/// [`crate::solana::is_transaction_message`].)
pub fn describe_solana_message(message: &[u8], ctx: &Context) -> Intent {
    let mut b = Builder::default();
    if let Some(k) = ctx.solana_address {
        b.fields
            .push(Field::new("Account", bs58::encode(k).into_string()));
    }
    let raw = plain(IntentKind::SolanaMessage, message, &mut b);
    Intent {
        kind: IntentKind::SolanaMessage,
        title: "Sign message".to_owned(),
        summary: None,
        fields: b.fields,
        warnings: b.warnings,
        raw,
    }
}
