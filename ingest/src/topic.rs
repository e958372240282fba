//! Creates the ticket topic when missing. Idempotent: an existing topic is left as it is.

use std::time::Duration;

use anyhow::Context;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

/// Default partition count: cinemas are keyed by BIN, so more partitions spread cinemas over
/// more consumers; four is plenty for ~113 cinemas and one ingest process per core.
pub const DEFAULT_PARTITIONS: i32 = 4;

pub async fn ensure_topic(
    kafka: &crate::config::KafkaSettings,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<()> {
    ensure_topic_with(kafka, topic, partitions, &[]).await
}

/// A topic whose message timestamps the broker sets when it appends them (`LogAppendTime`):
/// "when ekino received it", which a sender cannot backdate. The sessions topic is one, since
/// a session counts as declared before its show only if it arrived before (`schemas::declared`).
pub const BROKER_TIME: &[(&str, &str)] = &[("message.timestamp.type", "LogAppendTime")];

/// [`ensure_topic`] with topic configs (e.g. [`BROKER_TIME`]); an existing topic is left as
/// it is.
pub async fn ensure_topic_with(
    kafka: &crate::config::KafkaSettings,
    topic: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = kafka
        .client("ekino-admin")
        .create()
        .context("creating kafka admin client")?;
    let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        new = new.set(k, v);
    }
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics([&new], &opts)
        .await
        .with_context(|| format!("creating topic {topic}"))?;
    for r in results {
        match r {
            Ok(_) => tracing::info!(topic, partitions, "topic created"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            // A principal without the right to create topics (ingest, the API, a vendor):
            // `ekino migrate`, run as the operator, makes them.
            Err((
                name,
                code @ (RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed),
            )) => {
                tracing::info!(topic = %name, %code, "not allowed to create the topic; expecting ekino migrate to have made it")
            }
            Err((name, code)) => anyhow::bail!("creating topic {name}: {code}"),
        }
    }
    Ok(())
}

/// The side topics (`side`: sessions, partners' records) that are configured, stamped by the
/// broker ([`BROKER_TIME`]).
pub async fn ensure_side_topics(kafka: &crate::config::KafkaSettings) -> anyhow::Result<()> {
    for topic in [&kafka.sessions_topic, &kafka.partner_topic] {
        if !topic.is_empty() {
            ensure_topic_with(kafka, topic, DEFAULT_PARTITIONS, BROKER_TIME).await?;
        }
    }
    Ok(())
}
