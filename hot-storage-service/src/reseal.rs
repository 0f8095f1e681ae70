//! `reseal`: rewrites every sealed value under the current (first) key.
//!
//! Rotation: start the service (or run `reseal`) with
//! `--sealing-key NEW:… --sealing-key OLD:…`; run `reseal`; then drop OLD.
//! Each row is rewritten with a compare-and-swap on its old `(key_id,
//! sealed)` so a concurrent refresh is never overwritten; rows that change
//! under it are simply left for the next run. A row that does not open
//! aborts the run with an error (nothing is rewritten for it). Each
//! service's store knows its own rows (`hot/reseal.rs`, `shield/store.rs`).

use crate::db::Db;
use crate::seal::Keyring;
pub use crate::seal::ResealReport;
use crate::settings::Service;

pub async fn reseal(service: Service, db: &Db, keyring: &Keyring) -> anyhow::Result<ResealReport> {
    match service {
        Service::Hot => crate::hot::reseal::reseal(db, keyring).await,
        Service::Shield => crate::shield::store::reseal(db, keyring).await,
    }
}
