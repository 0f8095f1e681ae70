//! Hot storage's schema: the migrations that lay out `hot_wallets` and
//! `hot_devices`, and the sealing AAD of their rows (what `reseal` needs to
//! rewrite them).

use crate::db::Migration;
use crate::seal::Aad;
use crate::settings::Service;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &[
            "CREATE TABLE hot_wallets (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            kind TEXT NOT NULL,
            addresses TEXT NOT NULL,
            primary_split TEXT NOT NULL,
            primary_key_id TEXT NOT NULL,
            primary_sealed {blob} NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (iss, sub)
        )",
            "CREATE TABLE hot_devices (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            device TEXT NOT NULL,
            label TEXT,
            ephemeral BIGINT NOT NULL,
            version BIGINT NOT NULL,
            split TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed {blob} NOT NULL,
            pending_version BIGINT,
            pending_split TEXT,
            pending_key_id TEXT,
            pending_sealed {blob},
            created_at BIGINT NOT NULL,
            last_used_at BIGINT NOT NULL,
            expires_at BIGINT,
            PRIMARY KEY (iss, sub, wallet, device)
        )",
            "CREATE INDEX hot_devices_expires_at ON hot_devices (expires_at)",
        ],
    },
    Migration {
        // Every device now expires when idle (docs/services.md); the sweep
        // finds idle rows by last use.
        version: 2,
        statements: &["CREATE INDEX hot_devices_last_used_at ON hot_devices (last_used_at)"],
    },
    Migration {
        // The recovery pair rotates (a password change re-splits it): H₀
        // has a version and, like a device, a pending next version until
        // the signer commits it (docs/api.md, "Rotating the recovery pair").
        version: 3,
        statements: &[
            "ALTER TABLE hot_wallets ADD COLUMN primary_version BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE hot_wallets ADD COLUMN pending_version BIGINT",
            "ALTER TABLE hot_wallets ADD COLUMN pending_split TEXT",
            "ALTER TABLE hot_wallets ADD COLUMN pending_key_id TEXT",
            "ALTER TABLE hot_wallets ADD COLUMN pending_sealed {blob}",
        ],
    },
    Migration {
        // The wallet's authority public key (docs/api.md, "Wallet
        // authority"), base64url; NULL for a wallet created before it,
        // until its first use registers one.
        version: 4,
        statements: &["ALTER TABLE hot_wallets ADD COLUMN authority TEXT"],
    },
];

/// The table that records which migrations ran.
pub const MIGRATIONS_TABLE: &str = "hot_migrations";

/// The AAD of a hot share: the row it belongs to.
pub fn aad<'a>(
    iss: &'a str,
    sub: &'a str,
    wallet: &'a str,
    device: &'a str,
    version: u64,
    split: &'a str,
) -> Aad<'a> {
    Aad {
        service: Service::Hot.name(),
        iss,
        sub,
        wallet,
        device,
        version,
        split,
    }
}
