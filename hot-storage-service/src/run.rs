//! What the two binaries share after parsing flags: start, reseal, keygen.

use tokio::net::TcpListener;

use crate::config::Command;
use crate::seal::{Keyring, SealKey};
use crate::server::{AppState, Service, Settings, serve, shutdown_signal};

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
        Command::Reseal { new_key } => {
            let mut keys = Vec::new();
            if let Some(k) = new_key {
                keys.push(SealKey::parse(&k)?);
            }
            let ring = keyring()?;
            // Rebuild with the new key first (ids must stay unique).
            let ring = if keys.is_empty() {
                ring
            } else {
                ring.with_current(keys.remove(0))?
            };
            let db = crate::db::Db::connect(&database_url, 4).await?;
            match service {
                Service::Hot => db.migrate("hot_migrations", crate::hot::MIGRATIONS).await?,
                Service::Shield => {
                    db.migrate("shield_migrations", crate::shield::MIGRATIONS)
                        .await?
                }
            }
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
            let ring = keyring()?;
            tracing::info!(service = service.name(), keys = ?ring.ids(), "starting");
            let state = AppState::connect(settings, &database_url, ring).await?;
            let app = match service {
                Service::Hot => crate::hot::app(state.clone()),
                Service::Shield => crate::shield::app(state.clone()),
            };
            let sweeper =
                (service == Service::Hot).then(|| crate::hot::spawn_sweeper(state.clone()));
            let listener = TcpListener::bind(listen).await?;
            tracing::info!(addr = %listener.local_addr()?, "listening");
            serve(listener, app, shutdown_signal()).await?;
            if let Some(s) = sweeper {
                s.abort();
            }
            state.db.pool.close().await;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
