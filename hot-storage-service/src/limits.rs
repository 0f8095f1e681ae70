//! Per-IP and per-user rate limits (GCRA via `governor`, keyed).
//!
//! A rate of 0 disables that limit. A refused request gets 429
//! `RATE_LIMITED` with `Retry-After` in whole seconds (at least 1).
//!
//! The IP is the TCP peer address, unless that peer is a trusted proxy
//! (`--trusted-proxies`, CIDRs): then it is the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy, the first hop no
//! trusted party vouches for (anything left of it the client could have
//! written). Without trusted proxies the header is ignored
//! (docs/services.md, "Limits and errors").

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

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
    trusted_proxies: Vec<IpNet>,
}

fn quota(per_second: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

impl RateLimits {
    pub fn new(s: RateSettings, trusted_proxies: Vec<IpNet>) -> Self {
        RateLimits {
            ip: quota(s.ip_per_second, s.ip_burst).map(RateLimiter::keyed),
            user: quota(s.user_per_second, s.user_burst).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
            trusted_proxies,
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The address the per-IP limit counts for a request from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        // Every X-Forwarded-For header, in order, as one list: proxies
        // append on the right.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("").split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusted(ip) {
                        return ip;
                    }
                }
                // Garbage (or an empty header): the nearest trusted hop is
                // the last address anyone we trust vouches for.
                Err(_) => return client,
            }
        }
        client
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
        && let Err(e) = limits.check_ip(limits.client_ip(addr.ip(), req.headers()))
    {
        return e.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limits(trusted: &[&str]) -> RateLimits {
        let s = RateSettings {
            ip_per_second: 1,
            ip_burst: 1,
            user_per_second: 0,
            user_burst: 0,
        };
        RateLimits::new(s, trusted.iter().map(|c| c.parse().unwrap()).collect())
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let l = limits(&["10.0.0.0/8"]);
        let h = xff(&["203.0.113.7"]);
        assert_eq!(l.client_ip(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // No trusted proxies at all (the default): always the peer.
        assert_eq!(limits(&[]).client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn right_most_untrusted_hop_from_a_trusted_peer() {
        let l = limits(&["10.0.0.0/8", "::1/128"]);
        let peer = ip("10.0.0.1");
        assert_eq!(l.client_ip(peer, &xff(&["203.0.113.7"])), ip("203.0.113.7"));
        // What the client wrote on the left does not count.
        assert_eq!(
            l.client_ip(peer, &xff(&["1.2.3.4, 203.0.113.7, 10.0.0.9"])),
            ip("203.0.113.7")
        );
        // Several headers are one list, in order.
        assert_eq!(
            l.client_ip(peer, &xff(&["1.2.3.4", "203.0.113.7, 10.0.0.9"])),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the nearest trusted hop.
        assert_eq!(
            l.client_ip(peer, &xff(&["203.0.113.7, junk, 10.0.0.9"])),
            ip("10.0.0.9")
        );
        // No header: the proxy itself.
        assert_eq!(l.client_ip(peer, &HeaderMap::new()), peer);
    }
}
