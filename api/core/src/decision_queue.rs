//! The asking side of claim decisions: a decision request, the queue it is produced to (the
//! one-partition topic `<kafka.topic>.decisions`), and the stored outcome the asking process
//! waits for. The applying side, one decider across every API process, is `decider`.
//!
//! # Signed requests
//! Whoever can write to the topic must not be able to decide a claim in a ministry key's name,
//! so a request carries an HMAC-SHA256 over all its fields made with `api.decision_secret`, a
//! secret only API processes hold; the decider verifies it and refuses (and alerts on) any
//! other ([`DecisionKeys`]). `api.decision_secret_previous` is still accepted, so the secret
//! can be rotated one API process at a time.

use std::time::Duration;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// One decision as queued: who asked, on which claim, what.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionRequest {
    pub request_id: String,
    pub claim_id: String,
    pub decision: crate::claims::Decision,
    pub reason: Option<String>,
    /// The ministry's as-of date, with an approval.
    #[serde(default)]
    pub as_of: Option<String>,
    pub key_id: String,
    pub role: String,
    /// HMAC-SHA256 (hex) of the fields above, by [`DecisionKeys::sign`].
    #[serde(default)]
    pub mac: String,
}

/// The secrets decisions are signed with: `current` signs; it or `previous` verifies.
#[derive(Clone)]
pub struct DecisionKeys {
    current: Vec<u8>,
    previous: Vec<u8>,
}

impl DecisionKeys {
    /// From the settings. Without `api.decision_secret` this process makes one of its own:
    /// its decider then refuses every other process's requests, so a deployment of several API
    /// processes must set it (logged as a warning).
    pub fn new(current: &str, previous: &str) -> Self {
        let current = if current.is_empty() {
            tracing::warn!("api.decision_secret is not set: claim decisions are signed with a secret of this process only, which no other API process can verify");
            let mut k = uuid::Uuid::new_v4().as_bytes().to_vec();
            k.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            k
        } else {
            current.as_bytes().to_vec()
        };
        Self {
            current,
            previous: previous.as_bytes().to_vec(),
        }
    }

    /// The request's MAC under the current secret.
    pub fn sign(&self, req: &DecisionRequest) -> String {
        hex(&hmac_sha256(&self.current, &signed_text(req)))
    }

    /// Whether the request was signed by an API process (current or previous secret).
    pub fn verify(&self, req: &DecisionRequest) -> bool {
        let text = signed_text(req);
        [&self.current, &self.previous]
            .into_iter()
            .filter(|k| !k.is_empty())
            .any(|k| same(hex(&hmac_sha256(k, &text)).as_bytes(), req.mac.as_bytes()))
    }
}

/// Every field but the MAC, each as its length and bytes, so no two requests share a text.
fn signed_text(req: &DecisionRequest) -> Vec<u8> {
    let decision = serde_json::to_string(&req.decision).unwrap_or_default();
    let optional = |o: &Option<String>| match o {
        None => "-".to_owned(),
        Some(v) => format!("+{v}"),
    };
    let mut out = Vec::new();
    for field in [
        "ekino.decision/1",
        &req.request_id,
        &req.claim_id,
        &decision,
        &optional(&req.reason),
        &optional(&req.as_of),
        &req.key_id,
        &req.role,
    ] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| block.map(|k| k ^ b);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A decision's stored outcome.
#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    pub request_id: String,
    pub claim_id: String,
    pub at: u32,
    pub outcome: String,
    pub field: String,
    pub detail: String,
}

impl Outcome {
    pub(crate) fn of(
        req: &DecisionRequest,
        result: &Result<(), ApiError>,
        at: u32,
    ) -> Option<Self> {
        let (outcome, field, detail) = match result {
            Ok(()) => ("ok", String::new(), String::new()),
            Err(ApiError::BadRequest { field, reason }) => {
                ("bad_request", field.clone(), reason.clone())
            }
            Err(ApiError::Unprocessable { field, reason }) => {
                ("unprocessable", field.clone(), reason.clone())
            }
            Err(e @ ApiError::Invalid { field, reason }) => (
                if e.status().as_u16() == 422 {
                    "unprocessable"
                } else {
                    "bad_request"
                },
                field.clone(),
                reason.to_string(),
            ),
            Err(ApiError::NotFound) => ("not_found", String::new(), String::new()),
            Err(ApiError::Conflict(d)) => ("conflict", String::new(), d.clone()),
            // Storage away, or the CPU pool full: not an outcome; the request is tried again.
            Err(ApiError::Unavailable(_) | ApiError::Busy { .. }) => return None,
            Err(e) => {
                tracing::error!(request_id = %req.request_id, claim_id = %req.claim_id, error = %format!("{e:?}"), "a claim decision failed");
                ("internal", String::new(), String::new())
            }
        };
        Some(Self {
            request_id: req.request_id.clone(),
            claim_id: req.claim_id.clone(),
            at,
            outcome: outcome.into(),
            field,
            detail,
        })
    }

    /// The reply the requester gives for this outcome.
    pub fn into_result(self) -> Result<(), ApiError> {
        match self.outcome.as_str() {
            "ok" => Ok(()),
            "bad_request" => Err(ApiError::BadRequest {
                field: self.field,
                reason: self.detail,
            }),
            "unprocessable" => Err(ApiError::Unprocessable {
                field: self.field,
                reason: self.detail,
            }),
            "not_found" => Err(ApiError::NotFound),
            "conflict" => Err(ApiError::Conflict(self.detail)),
            other => Err(ApiError::Internal(format!(
                "claim decision {}: {other}",
                self.request_id
            ))),
        }
    }
}

/// Where decisions are queued.
pub struct DecisionQueue {
    producer: ingest::produce::TicketProducer,
    pub topic: String,
    pub group_id: String,
    /// How the decider meets the brokers (credentials included).
    pub(crate) kafka: ingest::KafkaSettings,
    /// Signs what this process queues; the decider verifies with the same.
    pub(crate) keys: DecisionKeys,
}

/// The decisions topic of a deployment whose tickets topic is `topic`.
pub fn topic_of(tickets_topic: &str) -> String {
    format!("{tickets_topic}.decisions")
}

impl DecisionQueue {
    pub fn new(kafka: &ingest::KafkaSettings, keys: DecisionKeys) -> anyhow::Result<Self> {
        let topic = topic_of(&kafka.topic);
        Ok(Self {
            producer: ingest::produce::TicketProducer::new(kafka, &topic)?,
            topic,
            group_id: format!("{}-decider", kafka.group_id),
            kafka: kafka.clone(),
            keys,
        })
    }

    /// Signs `req` and queues it.
    pub async fn send(&self, req: &DecisionRequest) -> Result<(), ApiError> {
        let signed = DecisionRequest {
            mac: self.keys.sign(req),
            ..req.clone()
        };
        let payload = serde_json::to_vec(&signed).map_err(|e| ApiError::Internal(e.to_string()))?;
        self.producer
            .send(req.claim_id.as_bytes(), &payload)
            .await
            .map_err(|e| ApiError::Unavailable(format!("{e:#}")))?;
        Ok(())
    }
}

/// The outcome of `request_id`, once stored.
pub async fn outcome(
    client: &clickhouse::Client,
    request_id: &str,
) -> Result<Option<Outcome>, clickhouse::error::Error> {
    client
        .query("SELECT ?fields FROM claim_decisions FINAL WHERE request_id = ? LIMIT 1")
        .bind(request_id)
        .fetch_optional()
        .await
}

/// Queues `req` and waits for its outcome (`api.decision_timeout_ms`; 503 after it: the
/// request stays queued and is applied, so the claim's history tells what happened).
pub async fn submit_and_wait(
    app: &clickhouse::Client,
    timeout: Duration,
    queue: &DecisionQueue,
    req: &DecisionRequest,
) -> Result<(), ApiError> {
    queue.send(req).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        match outcome(app, &req.request_id).await {
            Ok(Some(o)) => return o.into_result(),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(request_id = %req.request_id, error = %e, "reading a decision's outcome")
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::Unavailable(format!(
                "decision {} is queued but not yet applied; see the claim's history",
                req.request_id
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_is_rfc_4231s() {
        // RFC 4231, test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    fn request() -> DecisionRequest {
        DecisionRequest {
            request_id: "r-1".into(),
            claim_id: "CL-1".into(),
            decision: crate::claims::Decision::Approve,
            reason: None,
            as_of: Some("2026-11-01".into()),
            key_id: "k-ministry".into(),
            role: "ministry".into(),
            mac: String::new(),
        }
    }

    #[test]
    fn only_a_request_signed_with_an_api_secret_verifies() {
        let keys = DecisionKeys::new("s3cret", "");
        let signed = DecisionRequest {
            mac: keys.sign(&request()),
            ..request()
        };
        assert!(keys.verify(&signed));
        assert!(!keys.verify(&request()), "unsigned");
        let altered = DecisionRequest {
            claim_id: "CL-2".into(),
            ..signed.clone()
        };
        assert!(!keys.verify(&altered), "another claim under the same MAC");
        let reasoned = DecisionRequest {
            reason: Some(String::new()),
            ..signed.clone()
        };
        assert!(!keys.verify(&reasoned), "an empty reason is not no reason");
        assert!(
            !DecisionKeys::new("other", "").verify(&signed),
            "another secret"
        );
        assert!(
            DecisionKeys::new("next", "s3cret").verify(&signed),
            "the previous secret still verifies during a rotation"
        );
        assert!(
            !DecisionKeys::new("", "").verify(&signed),
            "a process-local secret verifies nobody else's"
        );
    }
}
