//! Bounds on what a caller without a key can make the server do: a rate limit per client
//! address on the public routes (`/healthz` and `/metrics` exempt: monitoring must see a
//! server under attack), another on the requests carrying a session cookie (a made-up cookie
//! costs a storage lookup before it is known to be nobody's), and a bounded pool for CPU-heavy work (estimates, exports), which
//! answers 503 with `Retry-After` when full instead of queueing without end.
//!
//! # Client address
//! The socket's peer, unless that peer is one of `api.trusted_proxies`: then the right-most
//! address of `X-Forwarded-For` that is not itself a trusted proxy (the left part of the
//! header is whatever the client wrote, so only what the proxies appended is believed).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::ApiSettings;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;

pub struct Guards {
    /// Requests per client address per minute on the public routes.
    pub public: RateLimiter,
    /// Requests with a session cookie per client address per minute.
    pub signed: RateLimiter,
    pub cpu: CpuPool,
    trusted: Vec<IpAddr>,
}

impl Guards {
    pub fn new(s: &ApiSettings) -> Result<Self, String> {
        let trusted = s
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<IpAddr>()
                    .map_err(|_| format!("api.trusted_proxies: {p:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if s.cpu_workers == 0 {
            return Err("api.cpu_workers must be positive".into());
        }
        Ok(Self {
            public: RateLimiter::new(s.public_rate_limit_per_minute),
            signed: RateLimiter::new(s.session_rate_limit_per_minute),
            cpu: CpuPool::new(s.cpu_workers),
            trusted,
        })
    }

    /// The address a public request is counted against (see the module docs).
    pub fn client(&self, remote: Option<SocketAddr>, forwarded_for: Option<&str>) -> String {
        let Some(peer) = remote.map(|r| r.ip()) else {
            return "unknown".into();
        };
        if !self.trusted.contains(&peer) {
            return peer.to_string();
        }
        forwarded_for
            .into_iter()
            .flat_map(|h| h.rsplit(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .find(|a| !self.trusted.contains(a))
            .unwrap_or(peer)
            .to_string()
    }

    /// Whether the request came over TLS. `ekino api` itself speaks plain HTTP, so TLS ends
    /// at a proxy: believed only from a trusted one's `X-Forwarded-Proto` (its last value,
    /// the one that proxy set). Session cookies are `Secure` exactly then.
    pub fn over_tls(&self, remote: Option<SocketAddr>, forwarded_proto: Option<&str>) -> bool {
        let trusted = remote.is_some_and(|r| self.trusted.contains(&r.ip()));
        trusted
            && forwarded_proto
                .and_then(|h| h.rsplit(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }

    /// `Ok` when `client` may make one more public request now.
    pub fn admit_public(&self, client: &str) -> Result<(), ApiError> {
        self.public
            .check(client)
            .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })
    }

    /// A request carrying a session cookie, counted against its client address.
    pub fn admit_signed(&self, client: &str) -> Result<(), ApiError> {
        self.signed
            .check(client)
            .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })
    }
}

/// A fixed number of threads' worth of CPU-heavy work at once.
#[derive(Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    pub fn new(workers: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Runs `f` on the blocking pool if a worker is free, else refuses at once (503).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy {
                retry_after_secs: 1,
            })?;
        tokio::task::spawn_blocking(move || {
            let _held = permit;
            f()
        })
        .await
        .map_err(|e| ApiError::Internal(format!("cpu task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guards(trusted: &[&str]) -> Guards {
        let s = ApiSettings {
            trusted_proxies: trusted.iter().map(|t| (*t).to_owned()).collect(),
            ..ApiSettings::default()
        };
        Guards::new(&s).unwrap()
    }

    fn addr(s: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(s.parse().unwrap(), 40000))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let g = guards(&["10.0.0.1", "10.0.0.2"]);
        // (peer, X-Forwarded-For, client counted)
        let table = [
            ("203.0.113.9", Some("1.2.3.4"), "203.0.113.9"),
            ("10.0.0.1", Some("1.2.3.4"), "1.2.3.4"),
            ("10.0.0.1", Some("6.6.6.6, 1.2.3.4"), "1.2.3.4"),
            ("10.0.0.1", Some("6.6.6.6, 1.2.3.4, 10.0.0.2"), "1.2.3.4"),
            ("10.0.0.1", Some("not-an-ip"), "10.0.0.1"),
            ("10.0.0.1", None, "10.0.0.1"),
            ("10.0.0.1", Some("2001:db8::7"), "2001:db8::7"),
        ];
        for (peer, xff, want) in table {
            assert_eq!(g.client(addr(peer), xff), want, "{peer} {xff:?}");
        }
        assert_eq!(g.client(None, Some("1.2.3.4")), "unknown");
        // (peer, X-Forwarded-Proto, over TLS)
        let tls = [
            ("10.0.0.1", Some("https"), true),
            ("10.0.0.1", Some("HTTPS"), true),
            ("10.0.0.1", Some("http"), false),
            ("10.0.0.1", Some("https, http"), false),
            ("10.0.0.1", None, false),
            ("203.0.113.9", Some("https"), false),
        ];
        for (peer, xfp, want) in tls {
            assert_eq!(g.over_tls(addr(peer), xfp), want, "{peer} {xfp:?}");
        }
        assert!(Guards::new(&ApiSettings {
            trusted_proxies: vec!["proxy".into()],
            ..ApiSettings::default()
        })
        .is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_at_once() {
        let pool = CpuPool::new(1);
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().is_ok()
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        assert!(
            matches!(
                pool.run(|| ()).await,
                Err(ApiError::Busy {
                    retry_after_secs: 1
                })
            ),
            "the only worker is taken"
        );
        release_tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7, "the worker is free again");
    }
}
