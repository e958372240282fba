//! The audit log: every request with a valid key appended to `api_audit` in ClickHouse,
//! refusals included (404 outside its scope, 413, 429: the key's id, the client address, the
//! status). Refusals without a valid key (401, and 404/405/413/429 of anonymous callers) are
//! not one row each, or a flood would fill the log: they are tallied per client address,
//! status and minute ([`RefusalTally`]), at most [`RefusalTally::MAX_PER_MINUTE`] addresses
//! a minute (the rest tallied as `(other addresses)`), and written as one row per tally
//! with its count in `rows`. Query strings are stored truncated to [`QUERY_MAX_CHARS`].
//! Records go through a bounded channel to one writer that inserts them in batches every
//! second; when the channel is full a record is counted as dropped (never blocks a request).

use std::time::Duration;

use clickhouse::Client;
use tokio::sync::mpsc;

pub use crate::audit_row::{truncated, AuditRow, QUERY_MAX_CHARS};

/// Refusals counted per (address, status).
type Counts = std::collections::HashMap<(String, u16), u64>;

/// Refusals without a valid key, counted per (address, status) within the current minute.
#[derive(Default)]
pub struct RefusalTally {
    /// The minute counted (its first second since the epoch) and its counts.
    inner: std::sync::Mutex<(u32, Counts)>,
}

impl RefusalTally {
    pub const MAX_PER_MINUTE: usize = 1000;
    pub const OTHERS: &'static str = "(other addresses)";

    /// Counts one refusal at `now` (seconds); returns the rows of a minute that has ended.
    pub fn count(&self, client: &str, status: u16, now: u32) -> Vec<AuditRow> {
        let mut g = self.inner.lock().expect("tally lock");
        let minute = now - now % 60;
        let done = if g.0 != minute && !g.1.is_empty() {
            Self::rows(g.0, std::mem::take(&mut g.1))
        } else {
            Vec::new()
        };
        g.0 = minute;
        let key =
            if g.1.len() < Self::MAX_PER_MINUTE || g.1.contains_key(&(client.to_owned(), status)) {
                client.to_owned()
            } else {
                Self::OTHERS.to_owned()
            };
        *g.1.entry((key, status)).or_default() += 1;
        done
    }

    /// The rows of every minute before `now`'s (for a periodic flush).
    pub fn flush_before(&self, now: u32) -> Vec<AuditRow> {
        let mut g = self.inner.lock().expect("tally lock");
        if g.0 < now - now % 60 && !g.1.is_empty() {
            let minute = g.0;
            return Self::rows(minute, std::mem::take(&mut g.1));
        }
        Vec::new()
    }

    fn rows(minute: u32, counts: std::collections::HashMap<(String, u16), u64>) -> Vec<AuditRow> {
        counts
            .into_iter()
            .map(|((client, status), n)| AuditRow {
                at: minute,
                key_id: String::new(),
                role: "anonymous".into(),
                method: "*".into(),
                path: "(refused without a valid key)".into(),
                query: String::new(),
                status,
                rows: n,
                latency_ms: 0,
                client,
            })
            .collect()
    }
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditRow>,
    pub dropped: prometheus::IntCounter,
    /// Records neither ClickHouse nor the spool took (the spool full or failing).
    pub unaudited: prometheus::IntCounter,
}

impl AuditSink {
    /// A sink and the writer task to spawn with a ClickHouse client.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<AuditRow>) {
        let (tx, rx) = mpsc::channel(capacity);
        let dropped =
            prometheus::IntCounter::new("ekino_api_audit_dropped_total", "audit records dropped")
                .expect("metric");
        let unaudited = prometheus::IntCounter::new(
            "ekino_api_audit_unaudited_total",
            "audit records neither stored nor spooled (spool full)",
        )
        .expect("metric");
        (
            Self {
                tx,
                dropped,
                unaudited,
            },
            rx,
        )
    }

    pub fn record(&self, row: AuditRow) {
        if self.tx.try_send(row).is_err() {
            self.dropped.inc();
        }
    }
}

/// Writes audit records until the channel closes: spooled batches first (oldest first), then
/// the new ones; a batch ClickHouse does not take goes to the spool (see `spool`), and one
/// the spool cannot take is counted as unaudited.
pub async fn writer(
    client: Client,
    mut rx: mpsc::Receiver<AuditRow>,
    spool: crate::spool::Spool,
    unaudited: prometheus::IntCounter,
) {
    let mut buf = Vec::new();
    let insert = |rows: Vec<AuditRow>| {
        let client = client.clone();
        async move {
            ingest::clickhouse_store::insert_rows(
                &client,
                "api_audit",
                &rows,
                Duration::from_secs(10),
            )
            .await
        }
    };
    loop {
        let closed = tokio::select! {
            r = rx.recv() => match r { Some(row) => { buf.push(row); false } None => true },
            _ = tokio::time::sleep(Duration::from_secs(1)) => false,
        };
        // What waits on disk goes first; stop at the first refusal (the store is still away).
        let mut store_away = false;
        for file in spool.files().unwrap_or_default() {
            let rows = match crate::spool::Spool::read(&file) {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(file = %file.display(), error = %e, "reading an audit spool file failed");
                    continue;
                }
            };
            match insert(rows).await {
                Ok(()) => {
                    if let Err(e) = spool.done(&file) {
                        tracing::error!(file = %file.display(), error = %e, "removing a stored audit spool file failed; its rows may be written twice");
                    }
                }
                Err(_) => {
                    store_away = true;
                    break;
                }
            }
        }
        if (buf.len() >= 1000 || closed || rx.is_empty()) && !buf.is_empty() {
            let batch = std::mem::take(&mut buf);
            let stored = if store_away {
                Err(None)
            } else {
                insert(batch.clone()).await.map_err(Some)
            };
            if let Err(e) = stored {
                if let Some(e) = e {
                    tracing::warn!(error = %e, rows = batch.len(), "audit insert failed; the records wait in the spool");
                }
                match spool.append(&batch) {
                    Ok(true) => {}
                    Ok(false) => {
                        unaudited.inc_by(batch.len() as u64);
                        tracing::error!(
                            rows = batch.len(),
                            spool_bytes = spool.bytes(),
                            "audit spool full: records lost, writes refused until it drains"
                        );
                    }
                    Err(e) => {
                        unaudited.inc_by(batch.len() as u64);
                        tracing::error!(rows = batch.len(), error = %e, "writing the audit spool failed: records lost");
                    }
                }
            }
        }
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_tallied_per_address_status_and_minute_within_a_budget() {
        let t = RefusalTally::default();
        let m = 1_795_114_800; // a minute's start
        assert!(t.count("1.2.3.4", 401, m).is_empty());
        assert!(t.count("1.2.3.4", 401, m + 5).is_empty());
        assert!(t.count("1.2.3.4", 429, m + 6).is_empty());
        for i in 0..RefusalTally::MAX_PER_MINUTE + 50 {
            t.count(&format!("10.0.{}.{}", i / 256, i % 256), 401, m + 7);
        }
        let rows = t.count("1.2.3.4", 401, m + 60);
        assert_eq!(
            rows.len(),
            RefusalTally::MAX_PER_MINUTE + 1,
            "the budget, plus the tally of the others"
        );
        let of = |c: &str, s: u16| {
            rows.iter()
                .find(|r| r.client == c && r.status == s)
                .map(|r| r.rows)
        };
        assert_eq!(of("1.2.3.4", 401), Some(2));
        assert_eq!(of("1.2.3.4", 429), Some(1));
        assert_eq!(
            rows.iter().map(|r| r.rows).sum::<u64>(),
            3 + (RefusalTally::MAX_PER_MINUTE as u64 + 50)
        );
        assert!(of(RefusalTally::OTHERS, 401).is_some_and(|n| n >= 50));
        assert!(rows.iter().all(|r| r.at == m && r.key_id.is_empty()));
        assert!(
            t.flush_before(m + 90).is_empty(),
            "the new minute is still open"
        );
        assert_eq!(t.flush_before(m + 120).len(), 1);
    }

    #[test]
    fn long_query_strings_are_cut_at_a_character_boundary() {
        let q = "ф".repeat(QUERY_MAX_CHARS + 10);
        let t = truncated(&q);
        assert_eq!(t.chars().count(), QUERY_MAX_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(truncated("a=1"), "a=1");
    }
}
