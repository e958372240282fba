//! A Kafka producer for ticket events, shared by the simulator and the API's upload route.
//! Key = cinema BIN, so one cinema's events stay in one partition, in order.

use std::time::Duration;

use anyhow::Context;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

pub struct TicketProducer {
    inner: FutureProducer,
    topic: String,
}

impl TicketProducer {
    /// A producer to `topic`, meeting the brokers as `kafka` says (credentials included).
    pub fn new(kafka: &crate::config::KafkaSettings, topic: &str) -> anyhow::Result<Self> {
        let inner: FutureProducer = kafka
            .client("ekino-producer")
            .set("linger.ms", "5")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "200000")
            .set("acks", "all")
            .set("message.timeout.ms", "120000")
            .create()
            .context("creating kafka producer")?;
        Ok(Self {
            inner,
            topic: topic.to_owned(),
        })
    }

    /// Enqueues one message, waiting while the local queue is full. The returned future
    /// resolves when the broker has acknowledged it.
    pub async fn enqueue(&self, key: &[u8], payload: &[u8]) -> anyhow::Result<DeliveryFuture> {
        loop {
            let record = FutureRecord::to(&self.topic).key(key).payload(payload);
            match self.inner.send_result(record) {
                Ok(f) => return Ok(f),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => return Err(e).context("enqueueing a ticket event"),
            }
        }
    }

    /// Sends one message and waits for the broker's acknowledgement.
    pub async fn send(&self, key: &[u8], payload: &[u8]) -> anyhow::Result<(i32, i64)> {
        let delivery = self.enqueue(key, payload).await?;
        match delivery.await {
            Ok(Ok(d)) => Ok((d.partition, d.offset)),
            Ok(Err((e, _))) => Err(e).context("broker refused a ticket event"),
            Err(_) => anyhow::bail!("producer dropped a ticket event before delivery"),
        }
    }

    pub fn flush(&self, timeout: Duration) -> anyhow::Result<()> {
        self.inner.flush(timeout).context("flushing the producer")
    }
}
