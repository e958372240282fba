//! `ekino backfill FILE`: an operator's import of historical events (the KPI covers films
//! funded since 2019), one event per line (NDJSON), judged by the same rules as the live
//! stream except the age limit and the correction window, marked `backfill = 1`, and stored
//! by the same writer. Backfilled history is not listed as corrections.
//!
//! Backfilled events live on a topic of their own, [`BACKFILL_TOPIC`], partition 0: each
//! line gets the next offset there, so the backfill's own index (rebuilt from ClickHouse at
//! each run) knows every event backfilled before, and a file loaded twice counts once. A
//! backfill does not see the live partitions' indexes: an event both streamed live and
//! backfilled is counted twice, so a backfill covers days before live reporting began.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clickhouse::Row;
use schemas::clock::ReportingSettings;
use schemas::reject::RejectReason;
use schemas::storage::Origin;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::batch::{Batch, Limits};
use crate::config::{ClickHouseSettings, IngestSettings};
use crate::fence::Fences;
use crate::judge::{self, Message, Policy};
use crate::metrics::Metrics;
use crate::write::Writer;

/// The pseudo-topic positions of backfilled events are recorded under.
pub const BACKFILL_TOPIC: &str = "ekino.backfill";

/// What a backfill did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    pub lines: u64,
    pub first_offset: i64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Row, Deserialize)]
struct MaxOffset {
    next: i64,
}

/// The cinema a line names, used as its key: a backfill is vouched for by the operator.
fn key_of(line: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Bin<'a> {
        #[serde(borrow)]
        cinema_bin: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Bin<'_>>(line)
        .ok()?
        .cinema_bin
        .map(|c| c.into_owned())
}

/// Loads `path` and returns what happened to its lines.
pub async fn run(
    ch: &ClickHouseSettings,
    settings: &IngestSettings,
    reporting: &ReportingSettings,
    path: &std::path::Path,
) -> anyhow::Result<Summary> {
    // Read line by line in each pass, never whole: a year of a country is gigabytes.
    std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    crate::clickhouse_store::wait_for_schema(
        ch,
        &[schemas::ddl::Store::Events, schemas::ddl::Store::App],
        settings.retry_initial_ms,
        settings.retry_max_ms,
    )
    .await
    .context("checking clickhouse tables")?;
    let client = crate::clickhouse_store::client(ch);
    let timeout = Duration::from_millis(ch.query_timeout_ms);
    let clock = reporting.clock();
    // The next free position: after every verdict stored for the backfill topic.
    let next: MaxOffset = client
        .query(
            "SELECT toInt64(max(o) + 1) AS next FROM ( \
               SELECT kafka_offset AS o FROM ticket_events WHERE kafka_topic = ? UNION ALL \
               SELECT kafka_offset AS o FROM rejected_events WHERE kafka_topic = ? UNION ALL \
               SELECT kafka_offset AS o FROM pending_refunds WHERE kafka_topic = ? UNION ALL \
               SELECT kafka_offset AS o FROM event_voids WHERE kafka_topic = ? UNION ALL SELECT toInt64(-1) AS o)",
        )
        .bind(BACKFILL_TOPIC)
        .bind(BACKFILL_TOPIC)
        .bind(BACKFILL_TOPIC)
        .bind(BACKFILL_TOPIC)
        .fetch_one()
        .await
        .context("reading the backfill topic's last position")?;
    let policy = Policy {
        max_event_age_days: None,
        correction_window_days: None,
        reporting: reporting.clone(),
        backfill: true,
    };
    let first = next.next;
    // Per line (blank ones are not lines): its fate, and where it starts in the file (known
    // once a pass has read it; a later pass resumes after a line read before).
    let mut outcome: Vec<Outcome> = Vec::new();
    let mut starts: Vec<u64> = Vec::new();
    let mut from = 0;
    // A line ClickHouse refuses ends a pass (see `fence`): the lines after it are judged
    // again, by a book read back from what is stored, in the next one.
    loop {
        let resume = first + i64::try_from(from).unwrap_or(i64::MAX);
        let from_byte = starts.get(from).copied().unwrap_or(0);
        if let Some(refused) = pass(
            &client,
            settings,
            &policy,
            &clock,
            timeout,
            Lines {
                path,
                from,
                from_byte,
            },
            first,
            &mut outcome,
            &mut starts,
        )
        .await?
        {
            let i = usize::try_from(refused - first).unwrap_or(usize::MAX);
            if refused < resume || i >= outcome.len() {
                anyhow::bail!(
                    "clickhouse refused a row at position {refused}, outside this file's lines"
                );
            }
            outcome[i] = Outcome::Rejected(RejectReason::StorageRefused.code().to_owned());
            from = i + 1;
            if from >= outcome.len() {
                break;
            }
        } else {
            break;
        }
    }
    let mut summary = Summary {
        first_offset: first,
        lines: outcome.len() as u64,
        ..Summary::default()
    };
    for o in outcome {
        match o {
            Outcome::Accepted => summary.accepted += 1,
            Outcome::Duplicate => summary.duplicates += 1,
            Outcome::Rejected(reason) => *summary.rejected.entry(reason).or_default() += 1,
        }
    }
    // The audit is in the application database: backfill is an operator's command, run as the
    // admin identity (ingest's own user cannot write there).
    audit(&crate::clickhouse_store::app_client(ch), path, &summary)
        .await
        .context("writing the audit record")?;
    Ok(summary)
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Duplicate,
    Rejected(String),
}

/// The lines of a pass: the file's, from line `from` (0-based, blank lines not counted), which
/// starts at byte `from_byte`.
struct Lines<'a> {
    path: &'a std::path::Path,
    from: usize,
    from_byte: u64,
}

/// Judges and stores the lines from `lines.from` on (line `i` at position `first + i`) with a
/// book rebuilt from ClickHouse, recording each new line's start and fate; returns the
/// position of a line ClickHouse refused, after which nothing of this pass was stored.
#[allow(clippy::too_many_arguments)]
async fn pass(
    client: &clickhouse::Client,
    settings: &IngestSettings,
    policy: &Policy,
    clock: &schemas::clock::Clock,
    timeout: Duration,
    lines: Lines<'_>,
    first: i64,
    outcome: &mut Vec<Outcome>,
    starts: &mut Vec<u64>,
) -> anyhow::Result<Option<i64>> {
    use std::io::{BufRead, Seek};
    let from = lines.from;
    let position = |i: usize| first + i64::try_from(i).unwrap_or(i64::MAX);
    // No horizon: every event ever backfilled is remembered.
    let mut book = judge::load::load(
        client,
        BACKFILL_TOPIC,
        0,
        position(from),
        clock.now(),
        365 * 100,
        timeout,
    )
    .await
    .context("loading backfilled events")?;
    let fences = Arc::new(Fences::default());
    let inflight = Arc::new(AtomicUsize::new(0));
    let writer = Writer {
        session: crate::rollup::session_client(client),
        client: client.clone(),
        consumer: None,
        settings: settings.clone(),
        metrics: Metrics::new(),
        timeout,
        inflight: inflight.clone(),
        fences: fences.clone(),
    };
    let (tx, rx) = mpsc::channel(settings.channel_batches);
    let writer_task = tokio::spawn(writer.run(rx));
    let limits = Limits {
        max_rows: settings.max_rows,
        max_bytes: settings.max_bytes,
        period: Duration::from_secs(3600),
    };
    let mut batch = Batch::default();
    let mut reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(lines.path)
            .with_context(|| format!("reading {}", lines.path.display()))?,
    );
    reader.seek(std::io::SeekFrom::Start(lines.from_byte))?;
    let (mut buf, mut byte, mut i) = (Vec::new(), lines.from_byte, from);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading {}", lines.path.display()))?;
        if n == 0 {
            break;
        }
        let at = byte;
        byte += n as u64;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if i == starts.len() {
            starts.push(at);
            outcome.push(Outcome::Accepted);
        }
        let offset = position(i);
        let key = key_of(raw);
        let m = Message {
            origin: Origin {
                topic: BACKFILL_TOPIC.to_owned(),
                partition: 0,
                offset,
            },
            key: key.as_deref().map(str::as_bytes),
            payload: Some(raw),
        };
        let (rejects_before, duplicates_before) = (batch.rejects.len(), batch.duplicates);
        judge::judge(&mut book, policy, &m, clock.now(), &mut batch);
        outcome[i] = if batch.duplicates > duplicates_before {
            Outcome::Duplicate
        } else {
            Outcome::Accepted
        };
        // A reject may be this line's, or a waiting refund's an earlier line sent.
        for r in &batch.rejects[rejects_before..] {
            let at = usize::try_from(r.kafka_offset - first).ok();
            if let Some(slot) = at.and_then(|j| outcome.get_mut(j)) {
                *slot = Outcome::Rejected(r.reason.clone());
            }
        }
        batch.advance(BACKFILL_TOPIC, 0, offset);
        i += 1;
        if batch.is_full(&limits) {
            inflight.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            tx.send(std::mem::take(&mut batch))
                .await
                .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
        }
    }
    if !batch.is_empty() {
        inflight.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        tx.send(batch)
            .await
            .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
    }
    drop(tx);
    writer_task.await.context("the writer failed")?;
    Ok(fences.take_rewinds().into_iter().map(|(_, o)| o).min())
}

#[derive(Debug, Row, serde::Serialize)]
struct AuditRow {
    at: u32,
    key_id: String,
    role: String,
    method: String,
    path: String,
    query: String,
    status: u16,
    rows: u64,
    latency_ms: u32,
}

/// Who runs this command, for audit records of operator actions: `os:<user>`.
pub fn operator() -> String {
    format!("os:{}", os_user())
}

fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Records the import in the audit log, under the operating-system user who ran it.
async fn audit(
    client: &clickhouse::Client,
    path: &std::path::Path,
    s: &Summary,
) -> anyhow::Result<()> {
    let user = os_user();
    let row = AuditRow {
        at: u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0),
        key_id: format!("os:{user}"),
        role: "operator".into(),
        method: "BACKFILL".into(),
        path: path.display().to_string(),
        query: serde_json::to_string(s)?,
        status: 200,
        rows: s.accepted,
        latency_ms: 0,
    };
    let mut insert = client.insert::<AuditRow>("api_audit").await?;
    insert.write(&row).await?;
    insert.end().await?;
    Ok(())
}
