//! Claim decisions, one at a time across every API process.
//!
//! An approval reads what a programme's pool has committed and appends the claim's next step:
//! two approvals interleaved, in one process or two, could both fit a pool that holds one, and
//! two decisions on one claim would write the same `(claim_id, seq)` and collapse into one row.
//! ClickHouse 18.16 has no transactions or locks, so decisions are sequenced by Kafka:
//!
//! - the API process that takes `POST /v1/claims/{id}/decision` checks the request, produces it
//!   to the one-partition topic `<kafka.topic>.decisions` and waits for its outcome;
//! - every API process runs a decider in one consumer group (`<kafka.group_id>-decider`); the
//!   broker gives the one partition to exactly one member, which applies the requests in order
//!   (each completely, its claim step and its outcome stored, before the next is read) and
//!   commits after each;
//! - the outcome is stored in `claim_decisions` under the request's id, where the waiting
//!   process finds it; a request delivered again (after a rebalance or a crash before the
//!   commit) finds its outcome there and is not applied twice.
//!
//! A decider that stalls longer than the group's session is replaced; the replacement starts
//! at the last committed request, whose outcome check makes a re-delivery harmless. Without a
//! broker (the route tests) decisions are serialised in the process only.

use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::Message;

use crate::decision_queue::{outcome, DecisionQueue, DecisionRequest, Outcome};
use crate::state::AppState;

/// Applies queued decisions while this process holds the topic's partition; runs while the
/// state lives.
pub async fn run(
    state: Weak<AppState>,
    kafka: ingest::KafkaSettings,
    keys: crate::decision_queue::DecisionKeys,
    topic: String,
    group_id: String,
) {
    let consumer: StreamConsumer = match kafka
        .client("ekino-decider")
        .set("group.id", &group_id)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("fetch.wait.max.ms", "10")
        .set("fetch.queue.backoff.ms", "10")
        .create()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the claim decider could not start; decisions wait for another api process");
            return;
        }
    };
    if let Err(e) = consumer.subscribe(&[&topic]) {
        tracing::error!(error = %e, topic, "the claim decider could not subscribe");
        return;
    }
    loop {
        let msg = match tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await {
            Err(_) => {
                if state.strong_count() == 0 {
                    return;
                }
                continue;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the claim decider's consumer");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            Ok(Ok(m)) => m,
        };
        let Some(s) = state.upgrade() else { return };
        let req: Option<DecisionRequest> =
            msg.payload().and_then(|p| serde_json::from_slice(p).ok());
        match req {
            None => tracing::error!(
                offset = msg.offset(),
                "an unreadable claim decision was skipped"
            ),
            // Authorised again where it is applied: only an API process can sign.
            Some(req) if !keys.verify(&req) => {
                s.metrics.forged_decisions.inc();
                tracing::error!(
                    offset = msg.offset(),
                    request_id = %req.request_id,
                    claim_id = %req.claim_id,
                    key_id = %req.key_id,
                    "a claim decision without a valid signature was refused: someone who can write to the decisions topic is not an api process"
                );
            }
            Some(req) => apply_until_stored(&s, &req).await,
        }
        if let Err(e) = consumer.commit_message(&msg, CommitMode::Sync) {
            tracing::warn!(error = %e, offset = msg.offset(), "committing a claim decision");
        }
    }
}

/// Applies one request unless its outcome is already stored; while storage is away, waits and
/// tries again (decisions behind it wait too: order is the point).
async fn apply_until_stored(s: &Arc<AppState>, req: &DecisionRequest) {
    let mut backoff = ingest::retry::Backoff::new(100, 5_000);
    loop {
        match outcome(&s.app, &req.request_id).await {
            Ok(Some(_)) => return,
            Ok(None) => {
                let result = crate::handlers::claims::apply_decision(s, req).await;
                if let Some(o) = Outcome::of(req, &result, s.now_secs()) {
                    match ingest::clickhouse_store::insert_rows(
                        &s.app,
                        "claim_decisions",
                        std::slice::from_ref(&o),
                        Duration::from_secs(10),
                    )
                    .await
                    {
                        Ok(()) => return,
                        Err(e) => {
                            tracing::warn!(request_id = %req.request_id, error = %e, "storing a decision's outcome")
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(request_id = %req.request_id, error = %e, "reading a decision's outcome")
            }
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Starts the decider of this process in the background (the topic is made by `ekino
/// migrate`; made here too when missing, like ingest's, so a new deployment's first API
/// works). A broker that is away does not stop the API from serving reads: the decider joins
/// when it can, and decisions wait (503 after `api.decision_timeout_ms`) meanwhile.
pub async fn start(state: &Arc<AppState>, queue: &DecisionQueue) -> anyhow::Result<()> {
    let (state, kafka, keys, topic, group) = (
        Arc::downgrade(state),
        queue.kafka.clone(),
        queue.keys.clone(),
        queue.topic.clone(),
        queue.group_id.clone(),
    );
    tokio::spawn(async move {
        if let Err(e) = ingest::topic::ensure_topic(&kafka, &topic, 1)
            .await
            .context("creating the claim decisions topic")
        {
            tracing::warn!(
                error = format!("{e:#}"),
                topic,
                "the claim decisions topic could not be checked; the decider subscribes anyway"
            );
        }
        run(state, kafka, keys, topic, group).await;
    });
    Ok(())
}
