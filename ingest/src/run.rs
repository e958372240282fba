//! Wires the ingest pipeline together and runs it until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicU64, AtomicUsize};

use anyhow::Context;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use schemas::clock::ReportingSettings;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};
use warp::Filter;

use crate::batch::Limits;
use crate::clickhouse_store;
use crate::config::{ClickHouseSettings, IngestSettings, KafkaSettings};
use crate::consume::{consume, Judging};
use crate::group::{GroupContext, IngestConsumer};
use crate::judge::Policy;
use crate::metrics::Metrics;
use crate::write::Writer;

pub fn consumer_config(k: &KafkaSettings) -> ClientConfig {
    let mut c = k.client("ekino-ingest");
    c.set("group.id", &k.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", k.fetch_wait_max_ms.to_string())
        // librdkafka prefetches up to 64 MiB by default; 16 MiB (~30,000 events) keeps the
        // writer fed at full speed and the process inside its memory budget.
        .set("queued.max.messages.kbytes", "16384")
        .set(
            "fetch.queue.backoff.ms",
            k.fetch_queue_backoff_ms.to_string(),
        )
        .set("max.poll.interval.ms", k.max_poll_interval_ms.to_string())
        .set("session.timeout.ms", k.session_timeout_ms.to_string());
    if !k.group_instance_id.is_empty() {
        c.set("group.instance.id", &k.group_instance_id);
    }
    c
}

/// The verdict limits of a live stream.
pub fn live_policy(reporting: &ReportingSettings) -> Policy {
    Policy {
        max_event_age_days: Some(reporting.max_event_age_days),
        correction_window_days: Some(reporting.correction_window_days),
        reporting: reporting.clone(),
        backfill: false,
    }
}

/// Runs ingest until `shutdown` resolves; then flushes, commits and returns.
pub async fn run(
    kafka: &KafkaSettings,
    ch: &ClickHouseSettings,
    settings: &IngestSettings,
    reporting: &ReportingSettings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    run_with(
        kafka,
        ch,
        settings,
        live_policy(reporting),
        reporting,
        shutdown,
    )
    .await
}

/// [`run`] with an explicit verdict policy (`ekino backfill` exempts history from the age
/// limit and the correction window).
pub async fn run_with(
    kafka: &KafkaSettings,
    ch: &ClickHouseSettings,
    settings: &IngestSettings,
    policy: Policy,
    reporting: &ReportingSettings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    settings
        .validate(kafka, reporting)
        .map_err(anyhow::Error::msg)?;
    reporting.validate().map_err(anyhow::Error::msg)?;
    let metrics = Metrics::new();
    let metrics_task = serve_metrics(&settings.metrics_addr, metrics.clone())?;
    // Tables are the admin's (`ekino migrate`): ingest only checks them, so its user needs no DDL.
    clickhouse_store::wait_for_schema(
        ch,
        &[schemas::ddl::Store::Events],
        settings.retry_initial_ms,
        settings.retry_max_ms,
    )
    .await
    .context("checking clickhouse tables")?;

    let fences = Arc::new(crate::fence::Fences::default());
    let consumer: IngestConsumer = consumer_config(kafka)
        .create_with_context(GroupContext::new(
            fences.clone(),
            Duration::from_millis(settings.revoke_wait_ms),
        ))
        .context("creating kafka consumer")?;
    consumer
        .subscribe(&[&kafka.topic])
        .with_context(|| format!("subscribing to {}", kafka.topic))?;
    let consumer = Arc::new(consumer);

    let lag_task = tokio::spawn(track_lag(
        consumer.clone(),
        kafka.topic.clone(),
        metrics.clone(),
    ));
    let last_consumed = Arc::new(AtomicU64::new(crate::watchdog::now_ms()));
    let watchdog_task = tokio::spawn(crate::watchdog::watch(
        consumer.clone(),
        kafka.topic.clone(),
        Duration::from_millis(settings.watchdog_ms),
        last_consumed.clone(),
        metrics.clone(),
    ));

    let (tx, rx) = mpsc::channel(settings.channel_batches);
    let client = clickhouse_store::client(ch);
    let inflight = Arc::new(AtomicUsize::new(0));
    let timeout = Duration::from_millis(ch.query_timeout_ms);
    let writer = Writer {
        fences,
        session: crate::rollup::session_client(&client),
        client: client.clone(),
        consumer: Some(consumer.clone()),
        settings: settings.clone(),
        metrics: metrics.clone(),
        timeout,
        inflight: inflight.clone(),
    };
    let mut writer_task = tokio::spawn(writer.run(rx));
    let limits = Limits {
        max_rows: settings.max_rows,
        max_bytes: settings.max_bytes,
        period: Duration::from_millis(settings.period_ms),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let policy_is_backfill = policy.backfill;
    let judging = Judging::new(
        policy,
        reporting.clock(),
        client,
        timeout,
        settings.dedup_horizon_days,
        inflight,
        (settings.retry_initial_ms, settings.retry_max_ms),
    );
    // The side topics (`side`): declared sessions and partners' records.
    let mut side_tasks = Vec::new();
    if !policy_is_backfill {
        let sink = crate::side::Sink {
            client: clickhouse_store::client(ch),
            settings: settings.clone(),
            clock: reporting.clock(),
            timeout,
            metrics: metrics.clone(),
        };
        if !kafka.sessions_topic.is_empty() {
            let c = crate::side::consumer(kafka, &kafka.sessions_topic, "sessions")?;
            side_tasks.push(tokio::spawn(crate::side::run::<
                crate::declarations::Sessions,
            >(
                Arc::new(c), sink.clone(), stop_rx.clone()
            )));
        }
        if !kafka.partner_topic.is_empty() {
            let c = crate::side::consumer(kafka, &kafka.partner_topic, "partners")?;
            side_tasks.push(tokio::spawn(crate::side::run::<
                crate::partner_sales::PartnerSales,
            >(
                Arc::new(c), sink, stop_rx.clone()
            )));
        }
    }
    let mut consumer_task = tokio::spawn(consume(
        consumer.clone(),
        judging,
        limits,
        tx,
        stop_rx,
        metrics.clone(),
        last_consumed,
    ));
    info!(topic = %kafka.topic, sessions_topic = %kafka.sessions_topic, partner_topic = %kafka.partner_topic, group = %kafka.group_id, brokers = %kafka.brokers, "ingest running");

    tokio::select! {
        _ = shutdown => info!("shutdown requested; flushing"),
        r = &mut consumer_task => warn!(result = ?r, "consumer stopped on its own"),
        r = &mut writer_task => warn!(result = ?r, "writer stopped on its own"),
    }
    let _ = stop_tx.send(true);
    let deadline = Duration::from_millis(settings.shutdown_timeout_ms);
    let drained = tokio::time::timeout(deadline, async {
        let _ = (&mut consumer_task).await;
        let _ = (&mut writer_task).await;
    })
    .await;
    if drained.is_err() {
        // Nothing past the last commit is lost: it is read again on the next start.
        warn!(
            timeout_ms = settings.shutdown_timeout_ms,
            "shutdown deadline passed with rows unwritten; they will be re-read"
        );
        consumer_task.abort();
        writer_task.abort();
    }
    for t in side_tasks {
        // Each commits after each stored batch; what it had read past that is read again.
        let _ = tokio::time::timeout(deadline, t).await;
    }
    lag_task.abort();
    watchdog_task.abort();
    if let Some(t) = metrics_task {
        t.abort();
    }
    info!("ingest stopped");
    Ok(())
}

fn serve_metrics(
    addr: &str,
    metrics: Metrics,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    if addr.is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = addr
        .parse()
        .with_context(|| format!("ingest.metrics_addr {addr:?} is not host:port"))?;
    let route = warp::path("metrics")
        .and(warp::get())
        .map(move || metrics.render());
    Ok(Some(tokio::spawn(warp::serve(route).run(addr))))
}

/// Updates the lag gauge every few seconds: high watermark minus the consumer's position.
async fn track_lag(consumer: Arc<IngestConsumer>, topic: String, metrics: Metrics) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let c = consumer.clone();
        let t = topic.clone();
        let lags = tokio::task::spawn_blocking(move || {
            let Ok(positions) = c.position() else {
                return Vec::new();
            };
            positions
                .elements_for_topic(&t)
                .iter()
                .filter_map(|e| {
                    let pos = e.offset().to_raw()?;
                    let (_, high) = c
                        .fetch_watermarks(&t, e.partition(), Duration::from_secs(2))
                        .ok()?;
                    Some((e.partition(), (high - pos.max(0)).max(0)))
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (partition, lag) in lags {
            metrics
                .lag
                .with_label_values(&[&partition.to_string()])
                .set(lag);
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing sigterm handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_consumer_starts_from_the_credentials() {
        let k = crate::config::KafkaSettings {
            security_protocol: "sasl_plaintext".into(),
            sasl_mechanism: "SCRAM-SHA-512".into(),
            sasl_username: "ekino_ingest".into(),
            sasl_password: crate::config::Secret::new("hunter2"),
            ..crate::config::KafkaSettings::default()
        };
        let c = crate::run::consumer_config(&k);
        assert_eq!(c.get("sasl.username"), Some("ekino_ingest"));
        assert_eq!(c.get("sasl.password"), Some("hunter2"));
        assert_eq!(c.get("group.id"), Some("ekino-ingest"));
        assert_eq!(c.get("client.id"), Some("ekino-ingest"));
    }
}
