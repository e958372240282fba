//! The audit log: every authenticated request appended to `api_audit` in ClickHouse.
//! Records go through a bounded channel to one writer that inserts them in batches every
//! second; when the channel is full a record is counted as dropped (never blocks a request).

use std::time::Duration;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: u32,
    pub key_id: String,
    pub role: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub rows: u64,
    pub latency_ms: u32,
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditRow>,
    pub dropped: prometheus::IntCounter,
}

impl AuditSink {
    /// A sink and the writer task to spawn with a ClickHouse client.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<AuditRow>) {
        let (tx, rx) = mpsc::channel(capacity);
        let dropped = prometheus::IntCounter::new("ekino_api_audit_dropped_total", "audit records dropped").expect("metric");
        (Self { tx, dropped }, rx)
    }

    pub fn record(&self, row: AuditRow) {
        if self.tx.try_send(row).is_err() {
            self.dropped.inc();
        }
    }
}

/// Writes audit records until the channel closes.
pub async fn writer(client: Client, mut rx: mpsc::Receiver<AuditRow>) {
    let mut buf = Vec::new();
    loop {
        let closed = tokio::select! {
            r = rx.recv() => match r { Some(row) => { buf.push(row); false } None => true },
            _ = tokio::time::sleep(Duration::from_secs(1)), if !buf.is_empty() => false,
        };
        if (buf.len() >= 1000 || closed || rx.is_empty()) && !buf.is_empty() {
            if let Err(e) = ingest::clickhouse_store::insert_rows(&client, "api_audit", &buf, Duration::from_secs(10)).await {
                tracing::warn!(error = %e, rows = buf.len(), "audit insert failed; retrying with the next batch");
                if buf.len() > 100_000 {
                    buf.clear();
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            buf.clear();
        }
        if closed {
            return;
        }
    }
}
