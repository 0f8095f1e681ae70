//! Secrets the user types on the screen, never on the host page: the
//! recovery password (new, current, or at recovery) and the phrase or key
//! of a wallet to import (docs/architecture.md, "Secrets typed in the
//! iFrame").
//!
//! Pure: which inputs a screen has ([`inputs_for`]), whether what was typed
//! is acceptable ([`check`], its refusal is the sentence the screen shows),
//! how strong a new password looks ([`strength`]) and how long a retry
//! after a wrong password waits ([`retry_delay_ms`]). The browser layer
//! (web/consent/dom.rs) only renders the inputs and reads their values.

use zeroize::Zeroizing;

use crate::recovery::MIN_PASSWORD_CHARS;
use crate::secret::WalletSecret;

/// The longest password accepted, in bytes (recovery.rs refuses longer).
const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest phrase or key accepted, in bytes.
const MAX_IMPORT_BYTES: usize = 1024;

/// A secret a screen asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The recovery phrase or EVM private key of a wallet to import.
    ImportPhrase,
    /// The recovery password in force now (the proof before changing it).
    CurrentPassword,
    /// A new recovery password, typed twice.
    NewPassword,
    /// The wallet's recovery password, to recover on this device.
    RecoveryPassword,
    /// A backup file picked on this device (crate::backup).
    BackupFile,
    /// The user's word that they kept the backup file just downloaded.
    KeptBackup,
}

/// How an input is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A password field; `new` asks the browser's password manager to
    /// suggest rather than fill.
    Password { new: bool },
    /// A multi-line text field that is not spell-checked or completed.
    Phrase,
    /// A file picker (a backup file).
    File,
    /// A checkbox the user ticks.
    Confirm,
}

/// One input of a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// The element id, unique in the document.
    pub id: &'static str,
    /// The visible label, which is also the accessible name.
    pub label: &'static str,
    pub kind: InputKind,
    /// Show a strength estimate under it.
    pub meter: bool,
}

const IMPORT: Input = Input {
    id: "entry-import",
    label: "Recovery phrase or private key",
    kind: InputKind::Phrase,
    meter: false,
};
const CURRENT: Input = Input {
    id: "entry-current",
    label: "Current recovery password",
    kind: InputKind::Password { new: false },
    meter: false,
};
const NEW: Input = Input {
    id: "entry-new",
    label: "New recovery password",
    kind: InputKind::Password { new: true },
    meter: true,
};
const REPEAT: Input = Input {
    id: "entry-repeat",
    label: "Repeat the new password",
    kind: InputKind::Password { new: true },
    meter: false,
};
const RECOVERY: Input = Input {
    id: "entry-recovery",
    label: "Recovery password",
    kind: InputKind::Password { new: false },
    meter: false,
};

const FILE: Input = Input {
    id: "entry-file",
    label: "Backup file",
    kind: InputKind::File,
    meter: false,
};
const KEPT: Input = Input {
    id: "entry-kept",
    label: "I have kept the backup file",
    kind: InputKind::Confirm,
    meter: false,
};

/// What the browser layer reads from a ticked [`InputKind::Confirm`]
/// input whose condition holds (for the backup: the download started).
pub const CONFIRMED: &str = "confirmed";

/// The inputs of a screen that asks for `secrets`, in order.
pub fn inputs_for(secrets: &[Secret]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for s in secrets {
        match s {
            Secret::ImportPhrase => inputs.push(IMPORT),
            Secret::CurrentPassword => inputs.push(CURRENT),
            Secret::NewPassword => inputs.extend([NEW, REPEAT]),
            Secret::RecoveryPassword => inputs.push(RECOVERY),
            Secret::BackupFile => inputs.push(FILE),
            Secret::KeptBackup => inputs.push(KEPT),
        }
    }
    inputs
}

/// What the user typed, checked. No `Debug`: it holds secrets.
#[derive(Default)]
pub struct Entered {
    pub import: Option<WalletSecret>,
    pub current: Option<Zeroizing<String>>,
    pub new: Option<Zeroizing<String>>,
    pub recovery: Option<Zeroizing<String>>,
    /// The text of the backup file picked.
    pub file: Option<Zeroizing<String>>,
}

fn password(value: Zeroizing<String>) -> Result<Zeroizing<String>, String> {
    if value.is_empty() {
        return Err("Type the password.".into());
    }
    if value.len() > MAX_PASSWORD_BYTES {
        return Err("That password is too long.".into());
    }
    Ok(value)
}

/// Checks what was typed for `secrets`; `value(id)` reads the input with
/// that id. The error is the sentence the screen shows; nothing typed is
/// ever part of it.
pub fn check(
    secrets: &[Secret],
    mut value: impl FnMut(&str) -> Zeroizing<String>,
) -> Result<Entered, String> {
    let mut entered = Entered::default();
    for s in secrets {
        match s {
            Secret::ImportPhrase => {
                entered.import = Some(import_secret(&value(IMPORT.id))?);
            }
            Secret::CurrentPassword => {
                entered.current = Some(password(value(CURRENT.id))?);
            }
            Secret::RecoveryPassword => {
                entered.recovery = Some(password(value(RECOVERY.id))?);
            }
            Secret::BackupFile => {
                let text = value(FILE.id);
                if text.is_empty() {
                    return Err("Choose your backup file.".into());
                }
                entered.file = Some(text);
            }
            Secret::KeptBackup => {
                if value(KEPT.id).as_str() != CONFIRMED {
                    return Err(
                        "Download the backup file, keep it somewhere safe, then tick the box."
                            .into(),
                    );
                }
            }
            Secret::NewPassword => {
                let new = value(NEW.id);
                if new.chars().count() < MIN_PASSWORD_CHARS {
                    return Err(format!(
                        "Use at least {MIN_PASSWORD_CHARS} characters for the recovery password."
                    ));
                }
                let new = password(new)?;
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    new.as_bytes(),
                    value(REPEAT.id).as_bytes(),
                )) {
                    return Err("The two new passwords are not the same.".into());
                }
                entered.new = Some(new);
            }
        }
    }
    Ok(entered)
}

/// A recovery phrase (BIP-39, 12–24 words) or a 32-byte hex EVM key.
fn import_secret(typed: &str) -> Result<WalletSecret, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Type the recovery phrase or private key.".into());
    }
    if typed.len() > MAX_IMPORT_BYTES {
        return Err("That is too long to be a recovery phrase or private key.".into());
    }
    let hex = typed.strip_prefix("0x").unwrap_or(typed);
    let is_key = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if is_key {
        return WalletSecret::from_evm_private_key(typed)
            .map_err(|_| "That is not a valid private key.".to_owned());
    }
    // Words separated by any run of white space, in lower case, as BIP-39
    // wallets write them.
    let words = Zeroizing::new(
        typed
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    );
    WalletSecret::from_mnemonic(&words).map_err(|_| {
        "That is not a valid recovery phrase: check each word and their order.".to_owned()
    })
}

/// How strong a new password looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

impl Strength {
    /// The words under the field.
    pub fn label(self) -> &'static str {
        match self {
            Strength::TooShort => "Too short: at least 12 characters",
            Strength::Weak => "Weak: easy to guess",
            Strength::Fair => "Fair",
            Strength::Strong => "Strong",
        }
    }
}

/// A rough estimate, in bits, of what guessing `password` costs: the size
/// of the alphabet it draws from, counted only over characters that are
/// neither repeats of the one before nor steps of a run ("abcd", "1234").
/// Deliberately simple and pessimistic about patterns; it informs, the
/// minimum length is what is enforced.
pub fn estimated_bits(password: &str) -> f64 {
    let (mut lower, mut upper, mut digit, mut other, mut wide) =
        (false, false, false, false, false);
    let mut counted = 0usize;
    let mut previous: Option<char> = None;
    let mut distinct: Vec<char> = Vec::new();
    for c in password.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if c.is_ascii() => other = true,
            _ => wide = true,
        }
        let step = previous.is_some_and(|p| {
            let (p, c) = (p as i64, c as i64);
            (c - p).abs() <= 1
        });
        if !step {
            counted += 1;
        }
        if !distinct.contains(&c) {
            distinct.push(c);
        }
        previous = Some(c);
    }
    let alphabet = [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (other, 33),
        (wide, 100),
    ]
    .iter()
    .filter(|(present, _)| *present)
    .map(|(_, n)| n)
    .sum::<u32>()
    .max(1);
    // Few distinct characters cap the count however long the password is.
    let counted = counted.min(distinct.len() * 3);
    counted as f64 * f64::from(alphabet).log2()
}

/// The strength shown for a new password.
pub fn strength(password: &str) -> Strength {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Strength::TooShort;
    }
    match estimated_bits(password) {
        b if b < 50.0 => Strength::Weak,
        b if b < 75.0 => Strength::Fair,
        _ => Strength::Strong,
    }
}

/// How long Approve stays locked before attempt number `failed + 1` at
/// recovery: nothing for the first, then 1 s doubling to at most 30 s.
/// Argon2id makes each guess cost a second already; this keeps a person
/// from hammering and says so on the screen.
pub fn retry_delay_ms(failed: u32) -> f64 {
    match failed {
        0 => 0.0,
        n => (1000.0 * 2f64.powi(n.saturating_sub(1).min(5) as i32)).min(30_000.0),
    }
}

/// The sentence shown after a wrong password at recovery.
pub fn wrong_password_message(failed: u32) -> String {
    // Whole seconds, formatted as an integer: an `f64` in `format!` pulls
    // core's float printing (about 20 KB of WASM) into the iFrame for this
    // one sentence (bench/SIZE.md).
    let seconds = (retry_delay_ms(failed) / 1000.0).ceil() as u32;
    format!("That password does not open this wallet's recovery share. Try again in {seconds} s.")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PHRASE: &str = "test test test test test test test test test test test junk";

    fn typed<'a>(values: &'a [(&'a str, &'a str)]) -> impl FnMut(&str) -> Zeroizing<String> + 'a {
        move |id| {
            Zeroizing::new(
                values
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
            )
        }
    }

    #[test]
    fn each_secret_has_its_labelled_inputs() {
        let labels: Vec<_> = inputs_for(&[Secret::CurrentPassword, Secret::NewPassword])
            .iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(
            labels,
            [
                "Current recovery password",
                "New recovery password",
                "Repeat the new password"
            ]
        );
        let import = inputs_for(&[Secret::ImportPhrase]);
        assert_eq!(import[0].kind, InputKind::Phrase);
        let ids: Vec<_> = inputs_for(&[
            Secret::ImportPhrase,
            Secret::CurrentPassword,
            Secret::NewPassword,
            Secret::RecoveryPassword,
        ])
        .iter()
        .map(|i| i.id)
        .collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique, "ids are unique");
    }

    #[test]
    fn a_new_password_needs_12_characters_typed_twice_alike() {
        let short = check(
            &[Secret::NewPassword],
            typed(&[("entry-new", "short"), ("entry-repeat", "short")]),
        );
        assert!(short.err().unwrap().contains("at least 12"));
        let differ = check(
            &[Secret::NewPassword],
            typed(&[
                ("entry-new", "a long recovery password"),
                ("entry-repeat", "a long recovery passw0rd"),
            ]),
        );
        assert!(differ.err().unwrap().contains("not the same"));
        let ok = check(
            &[Secret::NewPassword],
            typed(&[
                ("entry-new", "a long recovery password"),
                ("entry-repeat", "a long recovery password"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.new.unwrap().as_str(), "a long recovery password");
        assert!(ok.current.is_none() && ok.import.is_none());
    }

    #[test]
    fn the_error_never_repeats_what_was_typed() {
        let secret = "my secret words are here";
        for secrets in [
            &[Secret::ImportPhrase][..],
            &[Secret::NewPassword],
            &[Secret::CurrentPassword],
        ] {
            let err = check(
                secrets,
                typed(&[
                    ("entry-import", secret),
                    ("entry-new", secret),
                    ("entry-repeat", "other"),
                    ("entry-current", ""),
                ]),
            )
            .err()
            .unwrap();
            assert!(!err.contains(secret), "{err}");
        }
    }

    #[test]
    fn an_import_is_a_phrase_or_a_key_however_it_was_spaced() {
        let spaced = format!("  {}\n", PHRASE.to_uppercase().replace(' ', "\n  "));
        let from_phrase = check(&[Secret::ImportPhrase], typed(&[("entry-import", &spaced)]))
            .unwrap()
            .import
            .unwrap();
        let expected = WalletSecret::from_mnemonic(PHRASE).unwrap();
        assert_eq!(
            from_phrase.evm_signing_key(0).unwrap().verifying_key(),
            expected.evm_signing_key(0).unwrap().verifying_key()
        );
        let key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        assert!(
            check(&[Secret::ImportPhrase], typed(&[("entry-import", key)]))
                .unwrap()
                .import
                .is_some()
        );
        for bad in ["", "test test nope", "0x00", &"f".repeat(2000)] {
            assert!(
                check(&[Secret::ImportPhrase], typed(&[("entry-import", bad)])).is_err(),
                "{bad:.20}"
            );
        }
    }

    #[test]
    fn a_backup_screen_needs_the_file_or_the_confirmation() {
        assert!(check(&[Secret::BackupFile], typed(&[])).is_err());
        let picked = check(&[Secret::BackupFile], typed(&[("entry-file", "{}")])).unwrap();
        assert_eq!(picked.file.unwrap().as_str(), "{}");
        assert!(check(&[Secret::KeptBackup], typed(&[("entry-kept", "on")])).is_err());
        assert!(check(&[Secret::KeptBackup], typed(&[("entry-kept", CONFIRMED)])).is_ok());
    }

    #[test]
    fn strength_grows_with_variety_not_with_repetition() {
        assert_eq!(strength("short"), Strength::TooShort);
        assert_eq!(strength("aaaaaaaaaaaaaaaa"), Strength::Weak);
        assert_eq!(strength("abcdefghijklmnop"), Strength::Weak);
        assert_eq!(strength("123456789012"), Strength::Weak);
        assert_eq!(strength("a long recovery password"), Strength::Strong);
        assert!(estimated_bits("Tr0ub4dor&3xQ!") > estimated_bits("troubadorxxxx"));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_30_seconds() {
        assert_eq!(retry_delay_ms(0), 0.0);
        assert_eq!(retry_delay_ms(1), 1000.0);
        assert_eq!(retry_delay_ms(2), 2000.0);
        assert_eq!(retry_delay_ms(3), 4000.0);
        assert_eq!(retry_delay_ms(40), 30_000.0);
        assert!(wrong_password_message(2).ends_with("Try again in 2 s."));
        assert!(wrong_password_message(40).ends_with("Try again in 30 s."));
    }
}
