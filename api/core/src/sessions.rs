//! Web sessions of the signed-in screens: a person signs in with an API key once and then
//! works from a cookie.
//!
//! # What is stored, and where
//! A session is a row of `web_sessions` in the application database (ClickHouse), so it
//! survives a restart and holds across API processes. The cookie carries a random 256-bit id;
//! the table keeps only its SHA-256. The row names the key, not its role or scope: every
//! request takes role and scope from the key store ([`crate::auth::KeyStore::by_id`]), as the
//! JSON API does from a bearer key, so a page and its JSON twin refuse alike, and a revoked or
//! expired key ends its sessions (the key store is re-read every `api.keys_refresh_ms`).
//!
//! # Expiry
//! A session is live while: not signed out, before its absolute end (`api.session_max_secs`
//! after sign-in, 12 hours, never past the key's expiry), and used within the last
//! `api.session_idle_secs` (30 minutes). Use is written back at most once a minute
//! ([`TOUCH_SECS`]), so idle expiry is exact to within that minute.
//!
//! # The cache
//! Each process keeps a copy of a session row for at most `api.session_cache_ms` (≤ 1 s), so
//! a page view costs no query most of the time. A sign-out in another process is seen within
//! that second. A key's revocation does not wait for it: every view asks the key store, which
//! re-reads the keys every `api.keys_refresh_ms` (1 s), so its sessions end within that.
//! Unknown ids are remembered the same way, and the cache is bounded ([`CACHE_MAX`]).
//!
//! # CSRF
//! Each session has a random token; every form that changes something sends it as the field
//! `csrf` and a POST without the session's token is refused (403). Before sign-in there is no
//! session: the sign-in form's token is the value of a `SameSite=Strict` cookie set with the
//! form (double submit), which another site can neither read nor send.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clickhouse::{Client, Row};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The session cookie (over plain HTTP: a machine's loopback, the demo).
pub const COOKIE: &str = "ekino_session";
/// The sign-in form's double-submit cookie (over plain HTTP).
pub const CSRF_COOKIE: &str = "ekino_csrf";
/// The same two over TLS: the `__Host-` prefix makes a browser keep them only when set by
/// this host over TLS for the whole site, so a sibling subdomain cannot plant one (which would
/// defeat the double-submit check) and only these are read over TLS.
pub const HOST_COOKIE: &str = "__Host-ekino_session";
pub const HOST_CSRF_COOKIE: &str = "__Host-ekino_csrf";

/// The name `plain` cookie goes by over TLS or not.
pub fn cookie_name(plain: &str, tls: bool) -> String {
    if tls {
        format!("__Host-{plain}")
    } else {
        plain.to_owned()
    }
}

/// Of the two cookies a request may carry, the one its transport allows.
pub fn pick(tls: bool, host: Option<String>, plain: Option<String>) -> Option<String> {
    if tls {
        host
    } else {
        plain
    }
}
/// Use is written back at most this often.
pub const TOUCH_SECS: u32 = 60;
/// Rows cached at most; past it the cache starts again empty.
pub const CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct SessionRow {
    pub session_sha256: String,
    pub key_id: String,
    pub csrf: String,
    pub created_at: u32,
    pub seen_at: u32,
    pub expires_at: u32,
    pub ended: u8,
    /// Orders the versions of a row: milliseconds since the epoch of the write.
    pub version: u64,
}

/// Why a session is not live, for the log (the visitor is sent to sign in either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dead {
    SignedOut,
    Expired,
    Idle,
}

impl SessionRow {
    /// Whether the session may be used at `now` with `idle_secs` of idle time allowed.
    pub fn check(&self, now: u32, idle_secs: u32) -> Result<(), Dead> {
        if self.ended != 0 {
            Err(Dead::SignedOut)
        } else if now >= self.expires_at {
            Err(Dead::Expired)
        } else if now >= self.seen_at.saturating_add(idle_secs) {
            Err(Dead::Idle)
        } else {
            Ok(())
        }
    }

    /// Whether a view at `now` should write the session's use back.
    pub fn due_touch(&self, now: u32) -> bool {
        now >= self.seen_at.saturating_add(TOUCH_SECS)
    }
}

/// A fresh random token: 32 bytes, hex.
pub fn token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What is stored of a session id.
pub fn digest(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The absolute end of a session begun at `now`: `max_secs` later, never past the key's
/// expiry (`key_expires_at`, 0: the key never expires).
pub fn absolute_end(now: u32, max_secs: u32, key_expires_at: u32) -> u32 {
    let end = now.saturating_add(max_secs);
    if key_expires_at == 0 {
        end
    } else {
        end.min(key_expires_at)
    }
}

fn millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The store and its per-process cache.
pub struct Sessions {
    cache_ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Option<SessionRow>)>>,
}

impl Sessions {
    pub fn new(cache_ttl: Duration) -> Self {
        Self {
            cache_ttl: cache_ttl.min(Duration::from_secs(1)),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, hash: &str, row: Option<SessionRow>) {
        let mut c = self.cache.lock().expect("session cache");
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(hash.to_owned(), (Instant::now(), row));
    }

    async fn write(
        &self,
        client: &Client,
        row: &SessionRow,
    ) -> Result<(), clickhouse::error::Error> {
        ingest::clickhouse_store::insert_rows(
            client,
            "web_sessions",
            std::slice::from_ref(row),
            Duration::from_secs(10),
        )
        .await?;
        self.remember(&row.session_sha256, Some(row.clone()));
        Ok(())
    }

    /// Opens a session for `key_id`; returns the cookie's value and the stored row.
    pub async fn open(
        &self,
        client: &Client,
        key_id: &str,
        now: u32,
        max_secs: u32,
        key_expires_at: u32,
    ) -> Result<(String, SessionRow), clickhouse::error::Error> {
        let id = token();
        let row = SessionRow {
            session_sha256: digest(&id),
            key_id: key_id.to_owned(),
            csrf: token(),
            created_at: now,
            seen_at: now,
            expires_at: absolute_end(now, max_secs, key_expires_at),
            ended: 0,
            version: millis(),
        };
        self.write(client, &row).await?;
        Ok((id, row))
    }

    /// The stored row of a cookie's session id (live or not), from the cache when it is
    /// younger than the cache's ttl.
    pub async fn find(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<Option<SessionRow>, clickhouse::error::Error> {
        let hash = digest(id);
        if let Some((at, row)) = self.cache.lock().expect("session cache").get(&hash) {
            if at.elapsed() < self.cache_ttl {
                return Ok(row.clone());
            }
        }
        let row = client
            .query("SELECT ?fields FROM web_sessions FINAL WHERE session_sha256 = ?")
            .bind(&hash)
            .fetch_optional::<SessionRow>()
            .await?;
        self.remember(&hash, row.clone());
        Ok(row)
    }

    /// Records a use at `now` (a new version of the row).
    pub async fn touch(
        &self,
        client: &Client,
        row: &SessionRow,
        now: u32,
    ) -> Result<(), clickhouse::error::Error> {
        let next = SessionRow {
            seen_at: now,
            version: millis().max(row.version + 1),
            ..row.clone()
        };
        self.write(client, &next).await
    }

    /// Signs out: the row's last version, ended.
    pub async fn end(
        &self,
        client: &Client,
        row: &SessionRow,
    ) -> Result<(), clickhouse::error::Error> {
        let next = SessionRow {
            ended: 1,
            version: millis().max(row.version + 1),
            ..row.clone()
        };
        self.write(client, &next).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seen_at: u32, expires_at: u32, ended: u8) -> SessionRow {
        SessionRow {
            session_sha256: "h".into(),
            key_id: "k".into(),
            csrf: "c".into(),
            created_at: 1000,
            seen_at,
            expires_at,
            ended,
            version: 1,
        }
    }

    #[test]
    fn a_session_lives_until_signed_out_idle_or_past_its_end() {
        let idle = 1800;
        // (row, now, expected)
        let table = [
            (row(1000, 44_200, 0), 1000, Ok(())),
            (row(1000, 44_200, 0), 2799, Ok(())),
            (row(1000, 44_200, 0), 2800, Err(Dead::Idle)),
            (row(44_000, 44_200, 0), 44_199, Ok(())),
            (row(44_000, 44_200, 0), 44_200, Err(Dead::Expired)),
            (row(1000, 44_200, 1), 1001, Err(Dead::SignedOut)),
        ];
        for (r, now, want) in table {
            assert_eq!(r.check(now, idle), want, "{r:?} at {now}");
        }
    }

    #[test]
    fn the_absolute_end_never_passes_the_keys_expiry() {
        assert_eq!(absolute_end(1000, 43_200, 0), 44_200);
        assert_eq!(absolute_end(1000, 43_200, 5000), 5000);
        assert_eq!(absolute_end(1000, 43_200, 90_000), 44_200);
        assert_eq!(absolute_end(u32::MAX - 5, 43_200, 0), u32::MAX);
    }

    #[test]
    fn use_is_written_back_once_a_minute() {
        let r = row(1000, 44_200, 0);
        assert!(!r.due_touch(1059));
        assert!(r.due_touch(1060));
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (token(), token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
        assert!(!same_token("", ""), "an empty token is never valid");
        assert_ne!(digest(&a), a, "the id itself is not stored");
    }
}
