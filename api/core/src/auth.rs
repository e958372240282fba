//! API keys, roles and scope. A key is `ek_<key_id>_<secret>`; only SHA-256(secret) is
//! stored. The role and the BIN scope come from the key, never from the request.
//!
//! A key has a label (who holds it) and may expire; it is revoked by an append-only record in
//! `api_key_revocations`. A running API re-reads the keys every `api.keys_refresh_ms`
//! (1,000), so a revocation takes effect within about a second; an expired key is refused
//! from its expiry on, checked at every request.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use clickhouse::{Client, Row};
use rand::RngCore;
use schemas::Bin;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cinema,
    Producer,
    Ministry,
    Commission,
    /// An online ticket seller registered with the ministry (`partners`): sends its own
    /// records (`POST /v1/partner/sales`); bound to its BIN; no screens.
    Partner,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Cinema,
        Role::Producer,
        Role::Ministry,
        Role::Commission,
        Role::Partner,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "cinema" => Some(Role::Cinema),
            "producer" => Some(Role::Producer),
            "ministry" => Some(Role::Ministry),
            "commission" => Some(Role::Commission),
            "partner" => Some(Role::Partner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cinema => "cinema",
            Role::Producer => "producer",
            Role::Ministry => "ministry",
            Role::Commission => "commission",
            Role::Partner => "partner",
        }
    }

    /// Cinema, producer and partner keys act for one BIN.
    pub fn needs_bin(self) -> bool {
        matches!(self, Role::Cinema | Role::Producer | Role::Partner)
    }

    /// Whether the role has web screens (a partner only sends records through the API).
    pub fn has_screens(self) -> bool {
        !matches!(self, Role::Partner)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: String,
    pub role: Role,
    pub bin: Option<Bin>,
    /// A producer key of a foreign applicant (`applicants`), which has no BIN.
    pub applicant: Option<String>,
    /// Who holds the key (may be empty for keys made before labels).
    pub label: String,
}

impl Principal {
    /// How records this caller writes name their author: the key's label and id.
    pub fn author(&self) -> String {
        if self.label.is_empty() {
            format!("key:{}", self.key_id)
        } else {
            format!("{} (key:{})", self.label, self.key_id)
        }
    }
}

impl Principal {
    pub fn owns_bin(&self, bin: &str) -> bool {
        self.bin.as_ref().is_some_and(|b| b.as_str() == bin)
    }

    /// Whether `party` (a claim's `submitted_by`: a BIN or a foreign applicant's id) is this key's.
    pub fn owns_party(&self, party: &str) -> bool {
        self.owns_bin(party) || self.applicant.as_deref() == Some(party)
    }

    /// The party this key files as: its BIN, or its foreign applicant's id.
    pub fn party(&self) -> String {
        self.bin
            .as_ref()
            .map(|b| b.to_string())
            .or_else(|| self.applicant.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyRow {
    pub key_id: String,
    pub secret_sha256: String,
    pub role: String,
    pub bin: String,
    pub created_at: u32,
    pub revoked: u8,
    /// The person or organisation holding the key.
    pub label: String,
    /// Seconds since the epoch; 0: never.
    pub expires_at: u32,
    /// A foreign applicant's producer key: the applicant, instead of a BIN.
    pub applicant_id: String,
    /// Who issued it: a key's author, or the operating-system user of `ekino keys`.
    pub created_by: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Creates a key; returns the token (shown once) and the row to store (no label, no expiry:
/// set them on the row).
pub fn generate(role: Role, bin: Option<&Bin>, now_secs: u32) -> (String, KeyRow) {
    let mut id = [0u8; 6];
    let mut secret = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut id);
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let (key_id, secret) = (hex(&id), hex(&secret));
    let token = format!("ek_{key_id}_{secret}");
    let row = KeyRow {
        key_id,
        secret_sha256: sha256_hex(&secret),
        role: role.as_str().into(),
        bin: bin.map(|b| b.to_string()).unwrap_or_default(),
        created_at: now_secs,
        revoked: 0,
        label: String::new(),
        expires_at: 0,
        applicant_id: String::new(),
        created_by: String::new(),
    };
    (token, row)
}

/// A revocation: who took a key back, when and why.
#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevocationRow {
    pub key_id: String,
    pub revoked_at: u32,
    pub revoked_by: String,
    pub reason: String,
}

/// The keys as stored: every key row, the ids of revoked keys, and of ministry keys whose
/// issue still waits for a second key's approval (`key_requests`).
pub struct StoredKeys {
    pub rows: Vec<KeyRow>,
    pub revoked: std::collections::HashSet<String>,
    pub unapproved: std::collections::HashSet<String>,
}

/// Ministry keys issued by a request not (yet) approved by a second key (`key_requests`):
/// never usable.
pub const UNAPPROVED_KEYS_SQL: &str = "SELECT key_id FROM api_key_requests WHERE action = 'issue' \
    AND request_id NOT IN (SELECT request_id FROM api_key_approvals)";

/// Keys whose revocation by request was approved: refused even if storing the revocation
/// itself failed after the approval (the approval is the decision).
pub const APPROVED_REVOCATIONS_SQL: &str =
    "SELECT key_id FROM api_key_requests WHERE action = 'revoke' \
    AND request_id IN (SELECT request_id FROM api_key_approvals)";

/// A usable key: its secret's hash, who it is, and its expiry (seconds; 0: never).
struct Held {
    hash: String,
    principal: Principal,
    expires_at: u32,
}

/// Keys held in memory: re-read every `api.keys_refresh_ms` by the server, and when an
/// unknown key id shows up (at most once a second, so a flood of bad keys cannot hammer the
/// store).
pub struct KeyStore {
    keys: RwLock<HashMap<String, Held>>,
    last_reload: RwLock<Option<Instant>>,
}

impl KeyStore {
    pub fn new(stored: StoredKeys) -> Self {
        let s = Self {
            keys: RwLock::new(HashMap::new()),
            last_reload: RwLock::new(None),
        };
        s.replace(stored);
        s
    }

    /// Keys from rows none of which is revoked (tests).
    pub fn from_rows(rows: Vec<KeyRow>) -> Self {
        Self::new(StoredKeys {
            rows,
            revoked: Default::default(),
            unapproved: Default::default(),
        })
    }

    fn replace(&self, stored: StoredKeys) {
        let map = stored
            .rows
            .into_iter()
            .filter(|r| {
                r.revoked == 0
                    && !stored.revoked.contains(&r.key_id)
                    && !stored.unapproved.contains(&r.key_id)
            })
            .filter_map(|r| {
                let role = Role::parse(&r.role)?;
                let bin = if r.bin.is_empty() {
                    None
                } else {
                    Some(Bin::parse(&r.bin).ok()?)
                };
                let applicant = (!r.applicant_id.is_empty()).then_some(r.applicant_id);
                Some((
                    r.key_id.clone(),
                    Held {
                        hash: r.secret_sha256,
                        principal: Principal {
                            key_id: r.key_id,
                            role,
                            bin,
                            applicant,
                            label: r.label,
                        },
                        expires_at: r.expires_at,
                    },
                ))
            })
            .collect();
        *self.keys.write().expect("key lock") = map;
    }

    pub async fn load(client: &Client) -> Result<StoredKeys, clickhouse::error::Error> {
        let rows = client
            .query("SELECT ?fields FROM api_keys FINAL")
            .fetch_all::<KeyRow>()
            .await?;
        let mut revoked: Vec<String> = client
            .query("SELECT DISTINCT key_id FROM api_key_revocations")
            .fetch_all()
            .await?;
        revoked.extend(
            client
                .query(APPROVED_REVOCATIONS_SQL)
                .fetch_all::<String>()
                .await?,
        );
        let unapproved: Vec<String> = client.query(UNAPPROVED_KEYS_SQL).fetch_all().await?;
        Ok(StoredKeys {
            rows,
            revoked: revoked.into_iter().collect(),
            unapproved: unapproved.into_iter().collect(),
        })
    }

    /// Re-reads the keys now; on failure the keys held stay (logged).
    pub async fn reload(&self, client: &Client) {
        match Self::load(client).await {
            Ok(stored) => self.replace(stored),
            Err(e) => {
                tracing::warn!(error = %e, "reloading api keys failed; the keys held stay in force")
            }
        }
    }

    fn lookup(&self, key_id: &str, secret: &str) -> Option<Principal> {
        let keys = self.keys.read().expect("key lock");
        let held = keys.get(key_id)?;
        let given = sha256_hex(secret);
        // Constant-time comparison of equal-length hex digests.
        let same = held.hash.len() == given.len()
            && held
                .hash
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        let now = schemas::clock::wall_secs();
        let live = held.expires_at == 0 || now < held.expires_at;
        (same && live).then(|| held.principal.clone())
    }

    /// The principal of a key by its id and its expiry (seconds; 0: never), when the key is
    /// held and live now: how a web session, which stores only the key's id, gets its role
    /// and scope. A key revoked or expired since sign-in gives `None`, ending its sessions.
    pub fn by_id(&self, key_id: &str, now: u32) -> Option<(Principal, u32)> {
        let keys = self.keys.read().expect("key lock");
        let held = keys.get(key_id)?;
        (held.expires_at == 0 || now < held.expires_at)
            .then(|| (held.principal.clone(), held.expires_at))
    }

    /// The principal of a bearer token among the keys held now (no reload): for auditing a
    /// request that was refused before it reached a handler.
    pub fn held(&self, token: &str) -> Option<Principal> {
        let (key_id, secret) = token.strip_prefix("ek_")?.split_once('_')?;
        self.lookup(key_id, secret)
    }

    /// Authenticates a bearer token, reloading the keys once if the id is unknown.
    pub async fn authenticate(&self, token: &str, client: Option<&Client>) -> Option<Principal> {
        let rest = token.strip_prefix("ek_")?;
        let (key_id, secret) = rest.split_once('_')?;
        if let Some(p) = self.lookup(key_id, secret) {
            return Some(p);
        }
        let known = self.keys.read().expect("key lock").contains_key(key_id);
        let recently = self
            .last_reload
            .read()
            .expect("lock")
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        if known || recently {
            return None;
        }
        let client = client?;
        *self.last_reload.write().expect("lock") = Some(Instant::now());
        self.reload(client).await;
        self.lookup(key_id, secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generated_key_authenticates_and_a_wrong_secret_does_not() {
        let bin = Bin::parse("980340001119").unwrap();
        let (token, row) = generate(Role::Cinema, Some(&bin), 0);
        assert!(
            !row.secret_sha256
                .contains(token.rsplit('_').next().unwrap()),
            "only the hash is stored"
        );
        let store = KeyStore::from_rows(vec![row]);
        let p = store.authenticate(&token, None).await.unwrap();
        assert_eq!((p.role, p.owns_bin("980340001119")), (Role::Cinema, true));
        let mut wrong = token.clone();
        wrong.pop();
        wrong.push('x');
        assert!(store.authenticate(&wrong, None).await.is_none());
        assert!(store.authenticate("Bearer nonsense", None).await.is_none());
    }

    #[tokio::test]
    async fn revoked_and_expired_keys_are_refused() {
        let now = u32::try_from(chrono::Utc::now().timestamp()).unwrap();
        let (live, live_row) = generate(Role::Ministry, None, now);
        let (gone, gone_row) = generate(Role::Ministry, None, now);
        let (old, mut old_row) = generate(Role::Ministry, None, now);
        old_row.expires_at = now - 1;
        let (later, mut later_row) = generate(Role::Ministry, None, now);
        later_row.expires_at = now + 3600;
        let revoked = [gone_row.key_id.clone()].into_iter().collect();
        let (waiting, waiting_row) = generate(Role::Ministry, None, now);
        let store = KeyStore::new(StoredKeys {
            rows: vec![live_row, gone_row, old_row, later_row, waiting_row.clone()],
            revoked,
            unapproved: [waiting_row.key_id].into_iter().collect(),
        });
        assert!(store.authenticate(&live, None).await.is_some());
        assert!(store.authenticate(&gone, None).await.is_none(), "revoked");
        assert!(store.authenticate(&old, None).await.is_none(), "expired");
        assert!(
            store.authenticate(&waiting, None).await.is_none(),
            "issued by a request not yet approved"
        );
        assert!(
            store.authenticate(&later, None).await.is_some(),
            "not yet expired"
        );
    }
}
