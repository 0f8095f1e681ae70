//! The sweeper: deletes expired ephemeral devices (and forgets idle rate
//! limiter keys) every `sweep_interval`.

use crate::state::AppState;

/// Deletes expired ephemeral devices; returns how many.
pub async fn sweep_expired(st: &AppState) -> anyhow::Result<u64> {
    let n = super::store::delete_expired(&st.db).await?;
    if n > 0 {
        tracing::info!(deleted = n, "expired devices swept");
    }
    Ok(n)
}

/// Runs [`sweep_expired`] (and the rate limiters' cleanup) every
/// `sweep_interval` until the task is aborted.
pub fn spawn_sweeper(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(st.settings.sweep_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep_expired(&st).await {
                tracing::warn!(error = format!("{e:#}"), "sweep failed");
            }
            st.limits.retain_recent();
        }
    })
}
