//! The composition root: what each [`Service`] is made of (schema, router,
//! background task), `AppState::connect`, and the one `main` both binaries
//! call. Only this module knows both services, so nothing below it has to.

use tokio::net::TcpListener;

use crate::config::{Command, Launch};
use crate::db::{Db, Migration};
use crate::seal::{Keyring, SealKey};
use crate::server::{serve, shutdown_signal};
use crate::settings::{Service, Settings};
use crate::state::AppState;

/// The migrations of `service` and the table that records them.
fn schema(service: Service) -> (&'static str, &'static [Migration]) {
    match service {
        Service::Hot => (crate::hot::store::MIGRATIONS_TABLE, crate::hot::MIGRATIONS),
        Service::Shield => (
            crate::shield::store::MIGRATIONS_TABLE,
            crate::shield::MIGRATIONS,
        ),
    }
}

/// Runs `service`'s migrations on `db` (for hot storage, also the
/// policy's: crate::hot::policy_store), and those of the replay records
/// every service keeps (crate::replay).
pub async fn migrate(service: Service, db: &Db) -> anyhow::Result<()> {
    let (table, migrations) = schema(service);
    db.migrate(table, migrations).await?;
    if service == Service::Hot {
        db.migrate(
            crate::hot::policy_store::MIGRATIONS_TABLE,
            crate::hot::policy_store::MIGRATIONS,
        )
        .await?;
    }
    db.migrate(crate::replay::MIGRATIONS_TABLE, crate::replay::MIGRATIONS)
        .await
}

/// The router of `service`.
pub fn app(state: AppState) -> axum::Router {
    match state.service {
        Service::Hot => crate::hot::app(state),
        Service::Shield => crate::shield::app(state),
    }
}

impl AppState {
    /// Connects to the database, runs the service's migrations, builds the
    /// verifier and the limiters.
    pub async fn connect(
        settings: Settings,
        database_url: &str,
        keyring: Keyring,
    ) -> anyhow::Result<Self> {
        let db = Db::connect(database_url, settings.pool_size(database_url)).await?;
        migrate(settings.service, &db).await?;
        Self::new(settings, db, keyring)
    }
}

/// The whole of both binaries: parse `service`'s flags, log, run.
pub async fn main(service: Service) -> anyhow::Result<()> {
    let launch = Launch::parse(service)?;
    let telemetry = crate::telemetry::init(
        launch.log_json,
        launch.otlp_endpoint.as_deref(),
        service.name(),
    )?;
    let keyring = || launch.load_keyring();
    let result = run(
        service,
        launch.command.clone(),
        launch.settings.clone(),
        launch.database_url.clone(),
        keyring,
        launch.listen,
    )
    .await;
    // Exporting the last spans blocks: off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}

/// Runs `command` (default: serve) for `service`.
pub async fn run(
    service: Service,
    command: Option<Command>,
    settings: Settings,
    database_url: String,
    keyring: impl FnOnce() -> anyhow::Result<Keyring>,
    listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
        Command::GenerateKey { id } => {
            let key = SealKey::generate(&id)?;
            println!("{}", key.to_spec().as_str());
            Ok(())
        }
        Command::MeasureDpop { proofs } => {
            let micros = crate::dpop::measure(proofs.max(1))?;
            println!(r#"{{"proofs":{proofs},"microsPerProof":{micros:.2}}}"#);
            Ok(())
        }
        Command::Reseal { new_key } => {
            let new_key = new_key.map(|k| SealKey::parse(&k)).transpose()?;
            let ring = keyring()?;
            // Rebuild with the new key first (ids must stay unique).
            let ring = match new_key {
                Some(k) => ring.with_current(k)?,
                None => ring,
            };
            let db = Db::connect(&database_url, 4).await?;
            migrate(service, &db).await?;
            let rep = crate::reseal::reseal(service, &db, &ring).await?;
            tracing::info!(
                examined = rep.examined,
                resealed = rep.resealed,
                current = ring.current_id(),
                "reseal done"
            );
            println!(
                "resealed {} of {} sealed values under key {}",
                rep.resealed,
                rep.examined,
                ring.current_id()
            );
            Ok(())
        }
        Command::Serve => {
            if service == Service::Hot {
                let checked = crate::static_files::check_precompressed(&settings.static_dir)?;
                tracing::debug!(checked, "the static files' compressed copies match");
            }
            let ring = keyring()?;
            tracing::info!(service = service.name(), keys = ?ring.ids(), "starting");
            let state = AppState::connect(settings, &database_url, ring).await?;
            let router = app(state.clone());
            let sweeper =
                (service == Service::Hot).then(|| crate::hot::spawn_sweeper(state.clone()));
            let mover = (service == Service::Hot)
                .then(|| crate::hot::spawn_activity_mover(state.db.clone()));
            let pruner = crate::replay::spawn_pruner(state.db.clone());
            let reloader = (service == Service::Hot).then(|| spawn_policy_reloader(state.clone()));
            let listener = TcpListener::bind(listen).await?;
            tracing::info!(addr = %listener.local_addr()?, "listening");
            serve(listener, router, shutdown_signal()).await?;
            if let Some(s) = sweeper {
                s.abort();
            }
            pruner.abort();
            if let Some(r) = reloader {
                r.abort();
            }
            if let Some(m) = mover {
                m.abort();
                // What the last batches logged, into the log
                // itself (left behind, it is moved after the next start).
                if let Err(e) = crate::hot::move_recent_activity(&state.db).await {
                    tracing::warn!(error = %e, "moving the recent activity entries failed");
                }
            }
            state.db.pool.close().await;
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// Reloads the operator's policy on each SIGHUP (docs/services.md); a bad
/// file keeps the policy in force (crate::policy_file). The handler is
/// installed before this returns, so a SIGHUP after "listening" never
/// meets the default action (which would end the process).
fn spawn_policy_reloader(state: AppState) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    state.settings.policy.reload_logged();
                }
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; the policy will not reload");
                tokio::spawn(async {})
            }
        }
    }
    #[cfg(not(unix))]
    {
        drop(state);
        tokio::spawn(async {})
    }
}
