//! API keys, roles and scope. A key is `ek_<key_id>_<secret>`; only SHA-256(secret) is
//! stored. The role and the BIN scope come from the key, never from the request.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use clickhouse::{Client, Row};
use rand::RngCore;
use schemas::Bin;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cinema,
    Producer,
    Ministry,
    Commission,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Cinema, Role::Producer, Role::Ministry, Role::Commission];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "cinema" => Some(Role::Cinema),
            "producer" => Some(Role::Producer),
            "ministry" => Some(Role::Ministry),
            "commission" => Some(Role::Commission),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cinema => "cinema",
            Role::Producer => "producer",
            Role::Ministry => "ministry",
            Role::Commission => "commission",
        }
    }

    /// Cinema and producer keys act for one BIN.
    pub fn needs_bin(self) -> bool {
        matches!(self, Role::Cinema | Role::Producer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: String,
    pub role: Role,
    pub bin: Option<Bin>,
}

impl Principal {
    pub fn owns_bin(&self, bin: &str) -> bool {
        self.bin.as_ref().is_some_and(|b| b.as_str() == bin)
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct KeyRow {
    pub key_id: String,
    pub secret_sha256: String,
    pub role: String,
    pub bin: String,
    pub created_at: u32,
    pub revoked: u8,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Creates a key; returns the token (shown once) and the row to store.
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
    };
    (token, row)
}

/// Keys held in memory, reloaded from ClickHouse when an unknown key id shows up (at most
/// once a second, so a flood of bad keys cannot hammer the store).
pub struct KeyStore {
    keys: RwLock<HashMap<String, (String, Principal)>>,
    last_reload: RwLock<Option<Instant>>,
}

impl KeyStore {
    pub fn new(rows: Vec<KeyRow>) -> Self {
        let s = Self { keys: RwLock::new(HashMap::new()), last_reload: RwLock::new(None) };
        s.replace(rows);
        s
    }

    fn replace(&self, rows: Vec<KeyRow>) {
        let map = rows
            .into_iter()
            .filter(|r| r.revoked == 0)
            .filter_map(|r| {
                let role = Role::parse(&r.role)?;
                let bin = if r.bin.is_empty() { None } else { Some(Bin::parse(&r.bin).ok()?) };
                Some((r.key_id.clone(), (r.secret_sha256, Principal { key_id: r.key_id, role, bin })))
            })
            .collect();
        *self.keys.write().expect("key lock") = map;
    }

    pub async fn load(client: &Client) -> Result<Vec<KeyRow>, clickhouse::error::Error> {
        client.query("SELECT key_id, secret_sha256, role, bin, created_at, revoked FROM api_keys FINAL").fetch_all().await
    }

    fn lookup(&self, key_id: &str, secret: &str) -> Option<Principal> {
        let keys = self.keys.read().expect("key lock");
        let (hash, p) = keys.get(key_id)?;
        let given = sha256_hex(secret);
        // Constant-time comparison of equal-length hex digests.
        let same = hash.len() == given.len() && hash.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        same.then(|| p.clone())
    }

    /// Authenticates a bearer token, reloading the keys once if the id is unknown.
    pub async fn authenticate(&self, token: &str, client: Option<&Client>) -> Option<Principal> {
        let rest = token.strip_prefix("ek_")?;
        let (key_id, secret) = rest.split_once('_')?;
        if let Some(p) = self.lookup(key_id, secret) {
            return Some(p);
        }
        let known = self.keys.read().expect("key lock").contains_key(key_id);
        let recently = self.last_reload.read().expect("lock").is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        if known || recently {
            return None;
        }
        let client = client?;
        *self.last_reload.write().expect("lock") = Some(Instant::now());
        match Self::load(client).await {
            Ok(rows) => self.replace(rows),
            Err(e) => tracing::warn!(error = %e, "reloading api keys failed"),
        }
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
        assert!(!row.secret_sha256.contains(token.rsplit('_').next().unwrap()), "only the hash is stored");
        let store = KeyStore::new(vec![row]);
        let p = store.authenticate(&token, None).await.unwrap();
        assert_eq!((p.role, p.owns_bin("980340001119")), (Role::Cinema, true));
        let mut wrong = token.clone();
        wrong.pop();
        wrong.push('x');
        assert!(store.authenticate(&wrong, None).await.is_none());
        assert!(store.authenticate("Bearer nonsense", None).await.is_none());
    }
}
