//! The shared state every request sees, and its parts as axum substates.
//!
//! Handlers and middleware ask for the part they need (`State<Db>`,
//! `State<Arc<Verifier>>`, a service's store …) through `FromRef`, so they
//! do not depend on this module. `AppState::connect`, which needs each
//! service's schema, lives with the composition root (`run.rs`), so this
//! module knows neither service.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::Verifier;
use crate::db::Db;
use crate::limits::RateLimits;
use crate::metrics::Metrics;
use crate::replay::ReplayLog;
use crate::seal::Keyring;
use crate::settings::{Service, Settings};

pub struct Inner {
    pub service: Service,
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub verifier: Arc<Verifier>,
    pub limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    /// DPoP proof ids, recorded with group commit.
    pub replay: Arc<ReplayLog>,
}

/// Cheap to clone; the router's state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the verifier, the limiters and the metrics around an open
    /// (already migrated) database.
    pub fn new(settings: Settings, db: Db, keyring: Keyring) -> anyhow::Result<Self> {
        let verifier = Verifier::new(settings.jwt.clone(), settings.dpop.clone())?;
        let metrics = Metrics::new(settings.service, verifier.fetch_counter());
        Ok(AppState(Arc::new(Inner {
            service: settings.service,
            verifier: Arc::new(verifier),
            limits: Arc::new(RateLimits::new(
                settings.rate,
                settings.trusted_proxies.clone(),
            )),
            metrics: Arc::new(metrics),
            settings: Arc::new(settings),
            replay: Arc::new(ReplayLog::new(db.clone())),
            db,
            keyring: Arc::new(keyring),
        })))
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(s: &AppState) -> Db {
        s.db.clone()
    }
}

impl FromRef<AppState> for Arc<ReplayLog> {
    fn from_ref(s: &AppState) -> Self {
        s.replay.clone()
    }
}

impl FromRef<AppState> for Arc<Keyring> {
    fn from_ref(s: &AppState) -> Self {
        s.keyring.clone()
    }
}

impl FromRef<AppState> for Arc<Verifier> {
    fn from_ref(s: &AppState) -> Self {
        s.verifier.clone()
    }
}

impl FromRef<AppState> for Arc<RateLimits> {
    fn from_ref(s: &AppState) -> Self {
        s.limits.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        s.metrics.clone()
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(s: &AppState) -> Self {
        s.settings.clone()
    }
}
