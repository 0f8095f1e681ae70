//! The sweeper: deletes expired devices (ephemeral ones past their TTL, any
//! device past its idle limit), activity older than the retention
//! (`--activity-retention-days`), usage older than the longest window,
//! and forgets idle rate limiter keys, every `sweep_interval`.

use crate::state::AppState;

/// Deletes expired devices; returns how many.
pub async fn sweep_expired(st: &AppState) -> anyhow::Result<u64> {
    let idle_ms = i64::try_from(st.settings.device_idle.as_millis()).unwrap_or(i64::MAX);
    let n = super::store::delete_expired(&st.db, idle_ms).await?;
    if n > 0 {
        tracing::info!(deleted = n, "expired devices swept");
    }
    let retention_ms =
        i64::try_from(st.settings.activity_retention.as_millis()).unwrap_or(i64::MAX);
    let now = crate::db::now_ms();
    let usage_before =
        now / 1000 - i64::try_from(keyframe_policy::MAX_WINDOW_SECS).unwrap_or(i64::MAX / 2);
    let started = std::time::Instant::now();
    let (activity, usage) =
        super::policy_store::sweep(&st.db, now.saturating_sub(retention_ms), usage_before).await?;
    if activity + usage > 0 {
        tracing::info!(
            activity,
            usage,
            took_ms = started.elapsed().as_secs_f64() * 1e3,
            "old activity and usage swept"
        );
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
