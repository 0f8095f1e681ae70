//! Keyed rate limits (GCRA, `governor`): per client IP and per username on
//! sign-up and login, per user and per IP on the faucet, per IP on the RPC
//! proxy.

use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::{config::Config, error::AppError};

/// One keyed limiter.
pub struct Limiter<K: Hash + Eq + Clone>(DefaultKeyedRateLimiter<K>);

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(quota: Quota) -> Self {
        Self(RateLimiter::keyed(quota))
    }

    fn per_minute(n: u32) -> Self {
        Self::new(Quota::per_minute(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// Takes one cell for `key`, or says how long to wait.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        self.0.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    fn retain_recent(&self) {
        self.0.retain_recent();
    }
}

pub struct Limits {
    pub login_ip: Limiter<IpAddr>,
    pub login_username: Limiter<String>,
    pub signup_ip: Limiter<IpAddr>,
    pub signup_username: Limiter<String>,
    pub faucet_user: Limiter<String>,
    pub faucet_ip: Limiter<IpAddr>,
    pub rpc_ip: Limiter<IpAddr>,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        let cooldown = Duration::from_secs(config.faucet_cooldown_seconds.max(1));
        let faucet = Quota::with_period(cooldown).unwrap_or(Quota::per_minute(NonZeroU32::MIN));
        Self {
            login_ip: Limiter::per_minute(config.auth_ip_per_minute),
            login_username: Limiter::per_minute(config.auth_username_per_minute),
            signup_ip: Limiter::per_minute(config.auth_ip_per_minute),
            signup_username: Limiter::per_minute(config.auth_username_per_minute),
            faucet_user: Limiter::new(faucet),
            faucet_ip: Limiter::new(Quota::per_hour(
                NonZeroU32::new(config.faucet_ip_per_hour).unwrap_or(NonZeroU32::MIN),
            )),
            rpc_ip: Limiter::per_minute(config.rpc_ip_per_minute),
        }
    }

    fn retain_recent(&self) {
        self.login_ip.retain_recent();
        self.login_username.retain_recent();
        self.signup_ip.retain_recent();
        self.signup_username.retain_recent();
        self.faucet_user.retain_recent();
        self.faucet_ip.retain_recent();
        self.rpc_ip.retain_recent();
    }

    /// Forgets idle keys once a minute so memory stays bounded; stops when
    /// the limits are dropped.
    pub fn spawn_cleanup(limits: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(limits) => limits.retain_recent(),
                    None => break,
                }
            }
        });
    }
}
