//! The asking side of claim decisions: a decision request, the queue it is produced to (the
//! one-partition topic `<kafka.topic>.decisions`), and the stored outcome the asking process
//! waits for. The applying side, one decider across every API process, is `decider`.

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
}

/// The decisions topic of a deployment whose tickets topic is `topic`.
pub fn topic_of(tickets_topic: &str) -> String {
    format!("{tickets_topic}.decisions")
}

impl DecisionQueue {
    pub fn new(kafka: &ingest::KafkaSettings) -> anyhow::Result<Self> {
        let topic = topic_of(&kafka.topic);
        Ok(Self {
            producer: ingest::produce::TicketProducer::new(kafka, &topic)?,
            topic,
            group_id: format!("{}-decider", kafka.group_id),
            kafka: kafka.clone(),
        })
    }

    pub async fn send(&self, req: &DecisionRequest) -> Result<(), ApiError> {
        let payload = serde_json::to_vec(req).map_err(|e| ApiError::Internal(e.to_string()))?;
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
