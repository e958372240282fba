//! Ingest measured against its ceilings, on the real services, in one run. The broker is
//! tansu with its in-memory store (`services.sh up kafka-memory`): its durable sqlite store
//! re-scans the partition tail on every fetch, which would make the broker the figure.
//! - raw consume: an rdkafka consumer reading the preloaded topic and discarding;
//! - raw insert: the same rows inserted into ClickHouse by the crate, in 50,000-row batches;
//! - ekino ingest: the `ekino ingest` process from start until every row is in ClickHouse;
//! - freshness: Kafka timestamp → the daily aggregates including the event, at a steady 10,000 events/s,
//!   from ingest's own histogram (bucket upper bounds);
//! - peak RSS of the ingest process, and again across a ClickHouse outage.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use schemas::storage::{Origin, TicketRow};

use super::figure::{progress, Figure};
use crate::settings::Settings;
use crate::simulate::{self, SimulateArgs};

pub struct Plan {
    pub events: u64,
    pub outage_secs: u64,
    pub steady_secs: u64,
}

fn rss_peak_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn http_get(addr: &str, path: &str) -> anyhow::Result<String> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default())
}

/// The value of an unlabelled Prometheus sample, e.g. `ekino_ingest_rollup_seconds_count`.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' '))
        })?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Mean of a Prometheus histogram (`_sum / _count`).
fn mean(metrics: &str, name: &str) -> Option<f64> {
    let (sum, count) = (
        sample(metrics, &format!("{name}_sum"))?,
        sample(metrics, &format!("{name}_count"))?,
    );
    (count > 0.0).then(|| sum / count)
}

/// A Prometheus histogram's cumulative buckets: (upper bound, count).
fn buckets(metrics: &str, name: &str) -> Vec<(f64, f64)> {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}_bucket{{le=\"")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let n: f64 = l.split_whitespace().last()?.parse().ok()?;
            Some((
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                },
                n,
            ))
        })
        .collect()
}

/// p-quantile of what a histogram counted between two scrapes: the upper bound of the first
/// bucket reaching it.
fn quantile_between(before: &str, after: &str, name: &str, q: f64) -> Option<f64> {
    let b = buckets(before, name);
    let buckets: Vec<(f64, f64)> = buckets(after, name)
        .into_iter()
        .map(|(le, n)| {
            (
                le,
                n - b.iter().find(|(l, _)| *l == le).map_or(0.0, |(_, m)| *m),
            )
        })
        .collect();
    let total = buckets.last()?.1;
    (total > 0.0)
        .then(|| {
            buckets
                .iter()
                .find(|(_, n)| *n >= q * total)
                .map(|(le, _)| *le)
        })
        .flatten()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .map(|l| l.local_addr().map(|a| a.port()).unwrap_or(0))
        .unwrap_or(0)
}

fn spawn_ingest(
    exe: &Path,
    brokers: &str,
    db: &str,
    topic: &str,
    group: &str,
    metrics: &str,
    log: &Path,
) -> anyhow::Result<Child> {
    Command::new(exe)
        .arg("ingest")
        .env("EKINO_KAFKA__BROKERS", brokers)
        .env("EKINO_CLICKHOUSE__DATABASE", db)
        .env("EKINO_KAFKA__TOPIC", topic)
        .env("EKINO_KAFKA__GROUP_ID", group)
        .env("EKINO_INGEST__METRICS_ADDR", metrics)
        .env("EKINO_LOG", "warn,ingest=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .context("spawning ekino ingest")
}

/// (offsets the group has committed, high watermarks), summed over the topic's partitions.
fn committed(consumer: &BaseConsumer, topic: &str) -> Option<(i64, i64)> {
    let timeout = Duration::from_secs(5);
    let md = consumer.fetch_metadata(Some(topic), timeout).ok()?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    let parts: Vec<i32> = md
        .topics()
        .first()?
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    for p in &parts {
        tpl.add_partition(topic, *p);
    }
    let c = consumer.committed_offsets(tpl, timeout).ok()?;
    let (mut done, mut high) = (0, 0);
    for p in &parts {
        high += consumer.fetch_watermarks(topic, *p, timeout).ok()?.1;
        if let Some(rdkafka::Offset::Offset(o)) = c.find_partition(topic, *p).map(|e| e.offset()) {
            done += o;
        }
    }
    Some((done, high))
}

/// Waits until ingest has settled every message of the topic: its group's committed offsets
/// reach the end, which happens only after the rows and their daily aggregates are stored.
/// (Counting rows no longer works: a re-sent event is judged and stores nothing.)
async fn wait_settled(
    brokers: &str,
    topic: &str,
    group: &str,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()?;
    let t = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let (done, high) = committed(&consumer, topic).unwrap_or((0, 1));
        if done >= high {
            return Ok(t.elapsed());
        }
        anyhow::ensure!(
            t.elapsed() < limit,
            "only {done} of {high} offsets committed after {limit:?}"
        );
        if last_report.elapsed() > Duration::from_secs(5) {
            progress(&format!("  {done} / {high} offsets settled"));
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn services(action: &str, which: &str) -> anyhow::Result<()> {
    let script = std::env::var_os("EKINO_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
        .join("scripts/services.sh");
    let ok = Command::new("bash")
        .arg(script)
        .args([action, which])
        .status()?
        .success();
    anyhow::ensure!(ok, "services {action} {which} failed");
    Ok(())
}

pub async fn run(
    settings: &Settings,
    plan: &Plan,
    exe: &Path,
    work: &Path,
) -> anyhow::Result<Vec<Figure>> {
    let name = format!("bench_{}", chrono::Utc::now().format("%Y%m%d_%H%M%S"));
    let mut ch = settings.clickhouse.clone();
    ch.database = name.clone();
    ingest::clickhouse_store::migrate(&ch).await?;
    let client = ingest::clickhouse_store::client(&ch);
    // The in-memory tansu (scripts/services.sh explains why not the durable one).
    services("up", "kafka-memory")?;
    let brokers = format!(
        "127.0.0.1:{}",
        std::env::var("EKINO_KAFKA_MEMORY_PORT").unwrap_or_else(|_| "9093".into())
    );
    // ekino's own loopback broker: plaintext, whatever the deployment's credentials are.
    let kafka = ingest::KafkaSettings {
        brokers: brokers.clone(),
        ..ingest::KafkaSettings::default()
    };
    ingest::topic::ensure_topic(&kafka, &name, ingest::topic::DEFAULT_PARTITIONS).await?;

    progress(&format!(
        "preloading {} events into topic {name}",
        plan.events
    ));
    let today = chrono::Utc::now()
        .with_timezone(&schemas::time::kz_offset())
        .date_naive();
    let sim = SimulateArgs {
        seed: 7,
        days: (plan.events / 50_000 + 1) as u32,
        // Days from today on: live traffic (advance sales), whose days are still open. Events
        // of closed days would each also be listed as a correction, which is late data's
        // cost, not the live path's.
        start: Some(today),
        rate: 0,
        invalid_rate: 0.0,
        duplicate_rate: 0.0,
        hard_rate: 0.0,
        max_events: Some(plan.events),
        out: work.join("sim"),
        dry_run: false,
        plant_signals: false,
        ndjson: None,
        declare: false,
        live: false,
    };
    let ledger = simulate::run(
        &sim,
        &kafka,
        &name,
        &schemas::clock::ReportingSettings::default(),
    )
    .await?;
    let total = ledger.messages;

    progress("ceiling: raw consume (read and discard)");
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("{name}-raw"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set(
            "fetch.wait.max.ms",
            settings.kafka.fetch_wait_max_ms.to_string(),
        )
        .create()?;
    consumer.subscribe(&[&name])?;
    let keep = total.min(1_000_000);
    let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(keep as usize);
    let mut seen = 0u64;
    let t = Instant::now();
    let mut first: Option<Instant> = None;
    while seen < total {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(1200),
            "raw consume stalled at {seen}"
        );
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            first.get_or_insert_with(Instant::now);
            seen += 1;
            if (payloads.len() as u64) < keep {
                payloads.push(m.payload().unwrap_or_default().to_vec());
            }
        }
    }
    // Timed from the first message: group join is the same fixed cost for both consumers.
    let raw_consume = total as f64 / first.map_or(t, |f| f).elapsed().as_secs_f64();
    drop(consumer);

    progress("ceiling: raw clickhouse insert of the same rows");
    client
        .query("CREATE TABLE IF NOT EXISTS ticket_events_ceiling AS ticket_events")
        .execute()
        .await?;
    let now = chrono::Utc::now();
    let origin = Origin {
        topic: name.clone(),
        partition: 0,
        offset: 0,
    };
    let rows_built: Vec<TicketRow> = payloads
        .iter()
        .filter_map(|p| schemas::event::decode(p, now).ok())
        .map(|e| TicketRow::from_event(&e, &origin, now))
        .collect();
    drop(payloads);
    let t = Instant::now();
    for chunk in rows_built.chunks(50_000) {
        ingest::clickhouse_store::insert_rows(
            &client,
            "ticket_events_ceiling",
            chunk,
            Duration::from_secs(60),
        )
        .await?;
    }
    let raw_insert = rows_built.len() as f64 / t.elapsed().as_secs_f64();
    drop(rows_built);

    progress("ekino ingest, end to end");
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let mut child = spawn_ingest(
        exe,
        &brokers,
        &name,
        &name,
        &format!("{name}-ingest"),
        &metrics_addr,
        &work.join("ingest-bench.log"),
    )?;
    let group = format!("{name}-ingest");
    let took = wait_settled(&brokers, &name, &group, Duration::from_secs(3600)).await?;
    let ours = total as f64 / took.as_secs_f64();
    let rss_run = rss_peak_kib(child.id()).unwrap_or(0);
    let run_metrics = http_get(&metrics_addr, "/metrics").unwrap_or_default();
    let ms = |name: &str| {
        mean(&run_metrics, name).map_or("n/a".to_owned(), |s| format!("{:.0} ms", s * 1000.0))
    };
    let phases = format!(
        "mean batch insert {}, mean aggregate recompute {} ({} recomputes for {} batches)",
        ms("ekino_ingest_batch_write_seconds"),
        ms("ekino_ingest_rollup_seconds"),
        sample(&run_metrics, "ekino_ingest_rollup_seconds_count").unwrap_or(f64::NAN),
        sample(&run_metrics, "ekino_ingest_batch_write_seconds_count").unwrap_or(f64::NAN),
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    // Every message must have become a row (the traffic has no invalid events or re-sends).
    let stored: u64 = client
        .query("SELECT (SELECT uniqExact(cinema_bin, event_id) FROM ticket_events) + (SELECT uniqExact(cinema_bin, event_id) FROM pending_refunds) + (SELECT count() FROM rejected_events)")
        .fetch_one()
        .await?;
    let gaps = sample(&run_metrics, "ekino_ingest_offset_gaps_total").unwrap_or(0.0);
    let completeness = if stored == total {
        format!("every one of the {total} events stored")
    } else {
        format!(
            "{stored} of {total} events stored: {} lost by the broker at {gaps:.0} offset gaps (tansu's memory store answers a fetch from inside a record batch with the next batch, so each pause of the consumer skips the rest of one; see ingest/src/inbox.rs)",
            total.saturating_sub(stored)
        )
    };

    progress("freshness at a steady 10,000 events/s, then a clickhouse outage");
    let mut child = spawn_ingest(
        exe,
        &brokers,
        &name,
        &name,
        &format!("{name}-ingest"),
        &metrics_addr,
        &work.join("ingest-steady.log"),
    )?;
    // A restarted ingest first rebuilds its memory of event ids from ClickHouse (the events
    // loaded above), partition by partition as traffic reaches each: a little warm-up
    // traffic on every partition, then the measured steady traffic.
    let restarted = Instant::now();
    // Sales of two days ago interleave every cinema (advance sales of a future day all
    // happen "now", cinema by cinema), so the warm-up reaches every partition.
    // Each phase its own seed: the same seed makes the same event ids, so it would re-send
    // the preloaded events (each a conflicting duplicate), not new traffic.
    let warm = SimulateArgs {
        seed: 8,
        rate: 0,
        max_events: Some(5_000),
        start: Some(today - chrono::Days::new(2)),
        days: 1,
        out: work.join("sim-warm"),
        ..sim.clone()
    };
    simulate::run(
        &warm,
        &kafka,
        &name,
        &schemas::clock::ReportingSettings::default(),
    )
    .await?;
    let partitions = f64::from(ingest::topic::DEFAULT_PARTITIONS);
    while http_get(&metrics_addr, "/metrics")
        .ok()
        .and_then(|m| sample(&m, "ekino_ingest_book_loads_total"))
        .unwrap_or(0.0)
        < partitions
    {
        anyhow::ensure!(
            restarted.elapsed() < Duration::from_secs(900),
            "ingest did not rebuild its memory of event ids within 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rebuild = restarted.elapsed();
    wait_settled(&brokers, &name, &group, Duration::from_secs(300)).await?;
    let warm_metrics = http_get(&metrics_addr, "/metrics").unwrap_or_default();
    let remembered = sample(&warm_metrics, "ekino_ingest_dedup_events").unwrap_or(f64::NAN);
    let steady = SimulateArgs {
        seed: 9,
        rate: 10_000,
        max_events: Some(10_000 * plan.steady_secs),
        start: Some(today + chrono::Days::new(150)),
        out: work.join("sim-steady"),
        ..sim.clone()
    };
    let steady_ledger = simulate::run(
        &steady,
        &kafka,
        &name,
        &schemas::clock::ReportingSettings::default(),
    )
    .await?;
    wait_settled(&brokers, &name, &group, Duration::from_secs(300)).await?;
    let metrics = http_get(&metrics_addr, "/metrics").unwrap_or_default();
    let p50 = quantile_between(
        &warm_metrics,
        &metrics,
        "ekino_ingest_freshness_seconds",
        0.5,
    )
    .unwrap_or(f64::NAN);
    let p99 = quantile_between(
        &warm_metrics,
        &metrics,
        "ekino_ingest_freshness_seconds",
        0.99,
    )
    .unwrap_or(f64::NAN);

    let outage = SimulateArgs {
        seed: 10,
        rate: 10_000,
        max_events: Some(10_000 * (plan.outage_secs + 4)),
        start: Some(today + chrono::Days::new(160)),
        out: work.join("sim-outage"),
        ..sim.clone()
    };
    let producer = tokio::spawn({
        let (k, n) = (kafka.clone(), name.clone());
        async move {
            simulate::run(
                &outage,
                &k,
                &n,
                &schemas::clock::ReportingSettings::default(),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    services("down", "clickhouse")?;
    tokio::time::sleep(Duration::from_secs(plan.outage_secs)).await;
    services("up", "clickhouse")?;
    let outage_ledger = producer.await??;
    let _ = outage_ledger;
    wait_settled(&brokers, &name, &group, Duration::from_secs(600)).await?;
    let rss_outage = rss_peak_kib(child.id()).unwrap_or(0);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let slower = raw_consume.min(raw_insert);

    let figures = vec![
        Figure {
            name: "ingest end to end",
            value: ours,
            unit: "events/s",
            ceiling: Some((if raw_consume <= raw_insert { "raw consume (slower ceiling)" } else { "raw insert (slower ceiling)" }, slower)),
            goal: "≥ 100,000 events/s and ≥ 70 % of the slower ceiling",
            lower_is_better: false,
            note: format!(
                "{total} events preloaded in tansu's memory store; from process start (group join included) until all rows are in ClickHouse; raw consume {raw_consume:.0}/s, raw insert {raw_insert:.0}/s (first {} rows, no aggregates); fetch.wait.max.ms {}, batches of {} rows; {phases}; {completeness}",
                total.min(1_000_000),
                settings.kafka.fetch_wait_max_ms,
                settings.ingest.max_rows
            ),
        },
        Figure {
            name: "freshness p50 (occurred → in reports)",
            value: p50,
            unit: "s",
            ceiling: None,
            goal: "",
            lower_is_better: true,
            note: format!("{} events at 10,000/s; Kafka timestamp to the daily aggregates (what reports read) including the event; histogram bucket upper bound", steady_ledger.messages),
        },
        Figure { name: "freshness p99", value: p99, unit: "s", ceiling: None, goal: "≤ 2 s", lower_is_better: true, note: "same run; bucket upper bound".into() },
        Figure {
            name: "ingest restart: memory of event ids rebuilt",
            value: rebuild.as_secs_f64(),
            unit: "s",
            ceiling: None,
            goal: "",
            lower_is_better: true,
            note: format!(
                "from process start until every partition's memory is loaded from ClickHouse ({remembered:.0} events remembered); messages wait meanwhile, so this is the freshness of the first minute after a restart"
            ),
        },
        Figure {
            name: "ingest peak RSS, end-to-end run",
            value: rss_run as f64 / 1024.0,
            unit: "MiB",
            ceiling: None,
            goal: "≤ 256 MiB",
            lower_is_better: true,
            note: "VmHWM of the ingest process".into(),
        },
        Figure {
            name: "ingest peak RSS, clickhouse outage",
            value: rss_outage as f64 / 1024.0,
            unit: "MiB",
            ceiling: None,
            goal: "≤ 256 MiB",
            lower_is_better: true,
            note: format!("ClickHouse stopped {} s while 10,000 events/s kept arriving; the process that lived through the steady and outage phases", plan.outage_secs),
        },
    ];
    // A run's databases are of no use after it (unlike the API's, see `--keep`).
    super::databases::drop_databases(&ch).await?;
    Ok(figures)
}
