//! Hot storage's store: its schema, its SQL, the sealing AAD of its rows,
//! and what `reseal` needs to rewrite them. [`HotStore`] is the one entry;
//! its queries live beside the table they touch:
//!
//! * [`schema`]: migrations, the table that records them, the rows' AAD;
//! * [`handle`]: the `HotStore` handle and the opening of a sealed share;
//! * [`wallets`]: `hot_wallets` (the wallet, its authority key, H₀);
//! * [`devices`]: `hot_devices` (device shares, the refresh protocol's
//!   compare-and-swap updates, the sweeper's deletion).
//!
//! One `hot_wallets` row per (iss, sub) holds the primary share H₀ (and,
//! while the recovery pair rotates, its pending successor); one
//! `hot_devices` row per device holds the *current* share and, beside it, an
//! optional *pending* share (`version + 1`) (docs/api.md).

pub mod devices;
pub mod handle;
pub mod schema;
pub mod wallets;

pub use devices::{DeviceRow, Flag, NewDevice, delete_expired};
pub use handle::HotStore;
pub use schema::{MIGRATIONS, MIGRATIONS_TABLE, aad};
pub use wallets::WalletRow;
