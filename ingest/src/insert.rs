//! Inserting a batch's rows so that no data can stall the stream.
//!
//! - Rows are inserted one month (storage partition) at a time, so no insert can trip a
//!   partition limit ("too many partitions for a single INSERT block") on any version.
//! - Server and network failures ([`Disposition::Retry`]) are retried with back-off forever:
//!   the rows will go in once the server is back, and nothing is committed meanwhile.
//! - A refusal for content is isolated by bisection: halves are inserted until the refused
//!   rows are single; those are returned (the caller keeps them as `storage_refused`), the
//!   rest are stored. If every row of a batch of two or more is refused alike, the fault is
//!   the server's (a table changed under ekino, a right revoked), not the data's: the batch is
//!   retried and an alert raised, and the national stream is never rejected wholesale.
//! - A batch not stored within `ingest.stall_alert_ms` sets `ekino_ingest_stalled` and logs
//!   an error naming its first partition and offset.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clickhouse::{Client, Row};
use serde::Serialize;
use tracing::{error, warn};

use crate::clickhouse_store::insert_rows;
use crate::metrics::Metrics;
use crate::retry::{classify, exception_code, Backoff, Disposition};

/// Where a batch's first row came from, for the stall alert.
#[derive(Debug, Clone, Copy, Default)]
pub struct Position {
    pub partition: i32,
    pub offset: i64,
}

/// The retry policy and the alarm of one batch being written.
pub struct Attempt<'a> {
    pub client: &'a Client,
    pub metrics: &'a Metrics,
    pub timeout: Duration,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    pub stall_alert: Duration,
    pub started: Instant,
    pub at: Position,
    pub alerted: bool,
}

impl Attempt<'_> {
    /// Sleeps the back-off after a server failure, raising the stall alarm when due.
    pub async fn wait(
        &mut self,
        backoff: &mut Backoff,
        what: &str,
        err: &(dyn std::fmt::Display + Send + Sync),
    ) {
        let delay = backoff.next_delay();
        self.metrics.retries.inc();
        warn!(what, attempt = backoff.attempts(), delay_ms = delay.as_millis() as u64, error = %err, "clickhouse failed; retrying");
        if !self.alerted && self.started.elapsed() >= self.stall_alert {
            self.alerted = true;
            self.metrics.stalled.set(1);
            error!(
                partition = self.at.partition,
                offset = self.at.offset,
                stalled_ms = self.started.elapsed().as_millis() as u64,
                what,
                error = %err,
                "ingest is stalled: a batch has not been stored within ingest.stall_alert_ms"
            );
        }
        tokio::time::sleep(delay).await;
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(self.retry_initial_ms, self.retry_max_ms)
    }

    /// Inserts `rows` into `table` month by month (`month` gives a row's storage partition);
    /// returns the rows ClickHouse refused for their content, each with its message.
    pub async fn insert<T>(
        &mut self,
        table: &str,
        rows: &[T],
        month: impl Fn(&T) -> u32,
    ) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        let Some(first) = rows.first() else {
            return Vec::new();
        };
        let m0 = month(first);
        if rows.iter().all(|r| month(r) == m0) {
            return self.insert_chunk(table, rows).await;
        }
        let mut by_month: BTreeMap<u32, Vec<T>> = BTreeMap::new();
        for r in rows {
            by_month.entry(month(r)).or_default().push(r.clone());
        }
        let mut refused = Vec::new();
        for chunk in by_month.values() {
            refused.extend(self.insert_chunk(table, chunk).await);
        }
        refused
    }

    async fn insert_chunk<T>(&mut self, table: &str, rows: &[T]) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        let mut backoff = self.backoff();
        loop {
            let err = match insert_rows(self.client, table, rows, self.timeout).await {
                Ok(()) => return Vec::new(),
                Err(e) => e,
            };
            if classify(&err) == Disposition::Retry {
                self.wait(&mut backoff, table, &err).await;
                continue;
            }
            warn!(table, rows = rows.len(), error = %err, "clickhouse refused a batch for its content; isolating the refused rows");
            self.metrics.bisections.inc();
            let refused = self.bisect(table, rows).await;
            let one_code = refused.first().map(|(_, m)| exception_code(m));
            let alike = refused
                .iter()
                .all(|(_, m)| Some(exception_code(m)) == one_code);
            if rows.len() > 1 && refused.len() == rows.len() && alike {
                // Every row refused the same way: the server is not ready for ekino's rows.
                let why = refused.first().map(|(_, m)| m.clone()).unwrap_or_default();
                error!(table, rows = rows.len(), error = %why, "clickhouse refuses every row alike: a server fault, not data; retrying");
                self.wait(&mut backoff, table, &why).await;
                continue;
            }
            return refused;
        }
    }

    /// Splits until every refused row stands alone. Server failures on the way are retried.
    async fn bisect<T>(&mut self, table: &str, rows: &[T]) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        let mut refused = Vec::new();
        let mut todo: Vec<&[T]> = vec![rows];
        let mut backoff = self.backoff();
        while let Some(part) = todo.pop() {
            match insert_rows(self.client, table, part, self.timeout).await {
                Ok(()) => {}
                Err(e) if classify(&e) == Disposition::Retry => {
                    self.wait(&mut backoff, table, &e).await;
                    todo.push(part);
                }
                Err(e) if part.len() == 1 => refused.push((part[0].clone(), e.to_string())),
                Err(_) => {
                    let (a, b) = part.split_at(part.len() / 2);
                    // Depth first, left half first: rows keep their order.
                    todo.push(b);
                    todo.push(a);
                }
            }
        }
        refused
    }

    /// Runs a statement (no rows), retrying server failures; a refusal for the statement
    /// itself is returned.
    pub async fn execute(
        &mut self,
        client: &Client,
        sql: &str,
        what: &str,
    ) -> Result<(), clickhouse::error::Error> {
        self.metrics.statement(sql);
        let mut backoff = self.backoff();
        loop {
            let q = client.query_raw(sql).with_setting(
                "max_execution_time",
                self.timeout.as_secs().max(1).to_string(),
            );
            match q.execute().await {
                Ok(()) => return Ok(()),
                Err(e) if classify(&e) == Disposition::Retry => {
                    self.wait(&mut backoff, what, &e).await
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Clears the alarm once the batch is stored.
    pub fn done(&self) {
        if self.alerted {
            self.metrics.stalled.set(0);
            tracing::info!(
                partition = self.at.partition,
                offset = self.at.offset,
                stalled_ms = self.started.elapsed().as_millis() as u64,
                "stalled batch stored"
            );
        }
    }
}
