//! Inserting a batch's rows so that no data can stall the stream.
//!
//! - Rows are inserted one month (storage partition) at a time, so no insert can trip a
//!   partition limit ("too many partitions for a single INSERT block") on any version.
//! - Server and network failures ([`Disposition::Retry`]) are retried with back-off forever:
//!   the rows will go in once the server is back, and nothing is committed meanwhile.
//! - A refusal for content is isolated by bisection: halves are inserted until the refused
//!   rows are single; those are returned (the caller keeps them as `storage_refused`), the
//!   rest are stored, wherever the refused rows are (alone in a month of their own or not).
//! - A refusal is the server's fault, retried and never rejected, in two cases only: its
//!   ClickHouse code is a set-up fault every row would hit (a table, column or database
//!   missing, a user or right missing, read-only: `retry::SERVER_CODES`), or every row of the
//!   whole batch, across all its months, is refused alike (a table changed under ekino): then
//!   the batch is retried and an alert raised, and the national stream is never rejected
//!   wholesale. Rows refused alike in one month while other months' rows go in are the data's.
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
        hold: &mut impl Hold<T>,
    ) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        let Some(first) = rows.first() else {
            return Vec::new();
        };
        let m0 = month(first);
        let by_month: Vec<Vec<T>> = if rows.iter().all(|r| month(r) == m0) {
            vec![rows.to_vec()]
        } else {
            let mut by: BTreeMap<u32, Vec<T>> = BTreeMap::new();
            for r in rows {
                by.entry(month(r)).or_default().push(r.clone());
            }
            by.into_values().collect()
        };
        let mut backoff = self.backoff();
        loop {
            hold.forget();
            let mut refused = Vec::new();
            for chunk in &by_month {
                refused.extend(self.insert_chunk(table, chunk, hold).await);
            }
            let held = rows.iter().filter(|r| hold.holds(r)).count();
            if !all_alike(rows.len() - held, &refused) {
                return refused;
            }
            // Every row of the batch refused the same way: nothing of it is stored, and the
            // server is not ready for ekino's rows.
            let why = refused.first().map(|(_, m)| m.clone()).unwrap_or_default();
            error!(table, rows = rows.len(), error = %why, "clickhouse refuses every row of the batch alike: a server fault, not data; retrying");
            self.wait(&mut backoff, table, &why).await;
        }
    }

    /// One month's rows: stored, or the refused ones isolated (server failures retried).
    async fn insert_chunk<T>(
        &mut self,
        table: &str,
        rows: &[T],
        hold: &mut impl Hold<T>,
    ) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        // Rows resting on a row refused in an earlier month's chunk stay out.
        let kept: Vec<T>;
        let rows = if rows.iter().any(|r| hold.holds(r)) {
            kept = rows.iter().filter(|r| !hold.holds(r)).cloned().collect();
            &kept[..]
        } else {
            rows
        };
        if rows.is_empty() {
            return Vec::new();
        }
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
            warn!(table, rows = rows.len(), error = %err, "clickhouse refused rows for their content; isolating the refused rows");
            self.metrics.bisections.inc();
            return self.bisect(table, rows, hold).await;
        }
    }

    /// Splits until every refused row stands alone. Server failures on the way are retried.
    /// Rows are tried in order, so a row resting on a refused one is held before it is tried.
    async fn bisect<T>(
        &mut self,
        table: &str,
        rows: &[T],
        hold: &mut impl Hold<T>,
    ) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'r> clickhouse::RowWrite<Value<'r> = T>,
    {
        let mut refused = Vec::new();
        let mut todo: Vec<&[T]> = vec![rows];
        let mut backoff = self.backoff();
        while let Some(whole) = todo.pop() {
            let kept: Vec<T>;
            let part = if whole.iter().any(|r| hold.holds(r)) {
                kept = whole.iter().filter(|r| !hold.holds(r)).cloned().collect();
                &kept[..]
            } else {
                whole
            };
            if part.is_empty() {
                continue;
            }
            match insert_rows(self.client, table, part, self.timeout).await {
                Ok(()) => {}
                Err(e) if classify(&e) == Disposition::Retry => {
                    self.wait(&mut backoff, table, &e).await;
                    todo.push(whole);
                }
                Err(e) if part.len() == 1 => {
                    hold.refused(&part[0]);
                    refused.push((part[0].clone(), e.to_string()));
                }
                Err(_) => {
                    // Halves of the slice as given (held rows are left out again when taken).
                    let (a, b) = whole.split_at(whole.len() / 2);
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
/// Rows kept out of an insert because another was refused (see `fence::TicketHold`).
pub trait Hold<T> {
    /// `row` was refused.
    fn refused(&mut self, _row: &T) {}
    /// Whether `row` rests on a refused one and must not be stored.
    fn holds(&self, _row: &T) -> bool {
        false
    }
    /// Starts over (the whole insert is tried again).
    fn forget(&mut self) {}
}

/// Every row stands on its own.
pub struct NoHold;

impl<T> Hold<T> for NoHold {}

/// Whether `refused` is every one of a batch's `rows` (two or more), all with one code.
fn all_alike<T>(rows: usize, refused: &[(T, String)]) -> bool {
    let one_code = refused.first().map(|(_, m)| exception_code(m));
    rows > 1
        && refused.len() == rows
        && refused
            .iter()
            .all(|(_, m)| Some(exception_code(m)) == one_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(codes: &[u32]) -> Vec<((), String)> {
        codes
            .iter()
            .map(|c| ((), format!("Code: {c}. DB::Exception: refused")))
            .collect()
    }

    #[test]
    fn only_a_whole_batch_refused_alike_is_the_servers_fault() {
        assert!(
            all_alike(2, &refused(&[395, 395])),
            "the whole batch, one code"
        );
        assert!(
            !all_alike(202, &refused(&[395, 395])),
            "two rows refused alike amid others (a month of their own or not) are the data's"
        );
        assert!(!all_alike(2, &refused(&[395, 27])), "two codes");
        assert!(!all_alike(1, &refused(&[395])), "one row is its own fault");
        assert!(!all_alike(3, &refused(&[])), "nothing refused");
    }
}
