//! Per-IP and per-user rate limits (GCRA via `governor`, keyed).
//!
//! A rate of 0 disables that limit. A refused request gets 429
//! `RATE_LIMITED` with `Retry-After` in whole seconds (at least 1).
//!
//! The IP is the TCP peer address. Behind a reverse proxy every request
//! shares the proxy's address, so raise or disable the per-IP limit there and
//! rely on the per-user limit (documented in `docs/services.md`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::AppError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

#[derive(Debug, Clone, Copy)]
pub struct RateSettings {
    pub ip_per_second: u32,
    pub ip_burst: u32,
    pub user_per_second: u32,
    pub user_burst: u32,
}

pub struct RateLimits {
    ip: Option<Keyed<IpAddr>>,
    user: Option<Keyed<(String, String)>>,
    clock: DefaultClock,
}

fn quota(per_second: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

impl RateLimits {
    pub fn new(s: RateSettings) -> Self {
        RateLimits {
            ip: quota(s.ip_per_second, s.ip_burst).map(RateLimiter::keyed),
            user: quota(s.user_per_second, s.user_burst).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), AppError> {
        match &self.ip {
            Some(l) => l.check_key(&ip).map_err(|nu| AppError::RateLimited {
                retry_after_secs: nu.wait_time_from(self.clock.now()).as_secs_f64().ceil() as u64,
            }),
            None => Ok(()),
        }
    }

    /// The per-user limit for the caller (`iss`, `sub`).
    pub fn check_user(&self, iss: &str, sub: &str) -> Result<(), AppError> {
        match &self.user {
            Some(l) => l
                .check_key(&(iss.to_string(), sub.to_string()))
                .map_err(|nu| AppError::RateLimited {
                    retry_after_secs: nu.wait_time_from(self.clock.now()).as_secs_f64().ceil()
                        as u64,
                }),
            None => Ok(()),
        }
    }

    /// Forgets idle keys (called by the periodic sweep).
    pub fn retain_recent(&self) {
        if let Some(l) = &self.ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.user {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Middleware: the per-IP limit (health and metrics are exempt).
pub async fn ip_limit(State(limits): State<Arc<RateLimits>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/healthz"
        && path != "/metrics"
        && let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(e) = limits.check_ip(addr.ip())
    {
        return e.into_response();
    }
    next.run(req).await
}
