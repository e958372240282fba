//! Keeps the daily aggregates in step with the raw rows: after a batch's raw rows are
//! acknowledged, the groups it touched are staged in a session's temporary table and
//! recomputed from `ticket_events FINAL` (semantics in [`schemas::rollup`]); voided rows are
//! re-inserted as their voided version first. The batch's offsets are committed only after
//! that, so a crash in between replays the batch and does the same work again.
//!
//! Every statement here has a fixed size whatever the batch: the groups and void targets
//! travel as row data into temporary tables, never as literals in SQL.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::rollup::Scope;
use schemas::storage::TicketRow;
use serde::{Deserialize, Serialize};

use crate::batch::VoidTarget;
use crate::insert::Attempt;
use crate::retry::{classify, Backoff, Disposition};

/// Microseconds since the epoch: the version of a recompute that starts now.
pub fn version_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A client whose statements share one server session (for its temporary tables).
pub fn session_client(client: &Client) -> Client {
    let id = format!("ekino-ingest-{}-{}", std::process::id(), version_now());
    client
        .clone()
        .with_setting("session_id", id)
        .with_setting("session_timeout", "3600")
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct ScopeRow {
    day: u16,
    film_id: String,
    cinema_bin: String,
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct TargetRow {
    day: u16,
    film_id: String,
    cinema_bin: String,
    event_id: String,
}

const CREATE_TARGETS: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS void_targets (day Date, film_id String, cinema_bin String, event_id String)";
const CLEAR_TARGETS: &str = "TRUNCATE TABLE void_targets";
const READ_TARGETS: &str = "SELECT ?fields FROM ticket_events FINAL \
    WHERE day IN (SELECT day FROM void_targets) AND film_id IN (SELECT film_id FROM void_targets) \
    AND (day, film_id, cinema_bin, event_id) IN (SELECT day, film_id, cinema_bin, event_id FROM void_targets)";

async fn stage<T: Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>>(
    session: &Client,
    table: &str,
    rows: &[T],
    timeout: Duration,
) -> Result<(), clickhouse::error::Error> {
    crate::clickhouse_store::insert_rows(session, table, rows, timeout).await
}

/// Re-inserts each void's target as its voided version and adds its group to `scope`.
///
/// A void is applied or ingest waits: a target that cannot be read or stored is retried with
/// back-off (the stall alarm rises after `ingest.stall_alert_ms`), never skipped, because the
/// void's correction is stored after this and the corrections list shows only changes made.
/// A target the book knew is stored (see `fence`), so a missing one is a fault of storage.
pub async fn apply_voids(
    session: &Client,
    targets: &[VoidTarget],
    scope: &mut Scope,
    attempt: &mut Attempt<'_>,
) {
    if targets.is_empty() {
        return;
    }
    let keys: Vec<TargetRow> = targets
        .iter()
        .map(|t| TargetRow {
            day: t.day,
            film_id: t.film_id.clone(),
            cinema_bin: t.cinema_bin.clone(),
            event_id: t.event_id.clone(),
        })
        .collect();
    let by_key: HashMap<(&str, &str), &VoidTarget> = targets
        .iter()
        .map(|t| ((t.cinema_bin.as_str(), t.event_id.as_str()), t))
        .collect();
    let mut backoff = Backoff::new(attempt.retry_initial_ms, attempt.retry_max_ms);
    loop {
        // Each try starts over: a restarted server has lost the session's tables.
        let found = match read_targets(session, &keys, attempt.timeout).await {
            Ok(rows) => rows,
            Err(e) => {
                if classify(&e) != Disposition::Retry {
                    tracing::error!(targets = targets.len(), error = %e, "reading the rows to void was refused; retrying");
                }
                attempt.wait(&mut backoff, "void targets", &e).await;
                continue;
            }
        };
        let voided: Vec<TicketRow> = found
            .iter()
            .filter_map(|row| {
                by_key
                    .get(&(row.cinema_bin.as_str(), row.event_id.as_str()))
                    .map(|t| row.voided(&t.void_id, t.void_arrived_at))
            })
            .collect();
        let distinct: std::collections::HashSet<(&str, &str)> = voided
            .iter()
            .map(|r| (r.cinema_bin.as_str(), r.event_id.as_str()))
            .collect();
        if distinct.len() < by_key.len() {
            let missing = by_key
                .iter()
                .find(|(k, _)| !distinct.contains(k))
                .map(|(_, t)| {
                    format!(
                        "{} of cinema {} (void {})",
                        t.event_id, t.cinema_bin, t.void_id
                    )
                })
                .unwrap_or_default();
            tracing::error!(
                targets = by_key.len(),
                found = distinct.len(),
                missing = %missing,
                "voided events are not in ticket_events; the void waits"
            );
            let err = format!("void target {missing} not found in ticket_events");
            attempt.wait(&mut backoff, "void targets", &err).await;
            continue;
        }
        let refused = attempt
            .insert(
                crate::write::TICKETS_TABLE,
                &voided,
                |r| schemas::time::month_of_day(r.day),
                &mut crate::insert::NoHold,
            )
            .await;
        if let Some((row, why)) = refused.first() {
            // Its stored row went in; its voided version must too: ekino's own fault.
            tracing::error!(event_id = %row.event_id, rows = refused.len(), error = %why, "clickhouse refused a voided row; retrying");
            let err = format!("voided row {} refused: {why}", row.event_id);
            attempt.wait(&mut backoff, "voided rows", &err).await;
            continue;
        }
        break;
    }
    for t in targets {
        scope.add(
            schemas::time::date_from_days(t.day),
            &t.film_id,
            &t.cinema_bin,
        );
    }
}

/// Recomputes every group in `scope`.
pub async fn refresh(session: &Client, scope: &Scope, attempt: &mut Attempt<'_>) {
    if scope.is_empty() {
        return;
    }
    let rows: Vec<ScopeRow> = scope
        .groups
        .iter()
        .map(|(d, f, c)| ScopeRow {
            day: schemas::time::days_since_epoch(*d),
            film_id: f.clone(),
            cinema_bin: c.clone(),
        })
        .collect();
    let mut backoff = Backoff::new(attempt.retry_initial_ms, attempt.retry_max_ms);
    loop {
        match recompute(session, &rows, attempt.timeout, attempt.metrics).await {
            Ok(()) => return,
            Err(e) if classify(&e) == Disposition::Retry => {
                attempt.wait(&mut backoff, "daily aggregates", &e).await
            }
            Err(e) => {
                tracing::error!(groups = scope.groups.len(), error = %e, "daily aggregates refused the recompute; run ekino rollup");
                return;
            }
        }
    }
}

async fn read_targets(
    session: &Client,
    keys: &[TargetRow],
    timeout: Duration,
) -> Result<Vec<TicketRow>, clickhouse::error::Error> {
    session.query_raw(CREATE_TARGETS).execute().await?;
    session.query_raw(CLEAR_TARGETS).execute().await?;
    stage(session, "void_targets", keys, timeout).await?;
    session.query(READ_TARGETS).fetch_all::<TicketRow>().await
}

async fn recompute(
    session: &Client,
    rows: &[ScopeRow],
    timeout: Duration,
    metrics: &crate::metrics::Metrics,
) -> Result<(), clickhouse::error::Error> {
    session
        .query_raw(schemas::rollup::CREATE_SCOPE)
        .execute()
        .await?;
    session
        .query_raw(schemas::rollup::CLEAR_SCOPE)
        .execute()
        .await?;
    stage(session, schemas::rollup::SCOPE_TABLE, rows, timeout).await?;
    // Film days read the cinema days just written, so each statement takes its version when
    // it starts: a film day's version is then later than every cinema day it saw stored.
    let statements: [fn(u64) -> String; 2] = [
        schemas::rollup::cinema_day_from_scope,
        schemas::rollup::film_day_from_scope,
    ];
    for statement in statements {
        let sql = statement(version_now());
        metrics.statement(&sql);
        session
            .query_raw(&sql)
            .with_setting("max_execution_time", timeout.as_secs().max(1).to_string())
            .execute()
            .await?;
    }
    Ok(())
}

/// Rebuilds whole days from the raw rows, a day at a time (used by `ekino rollup` after a
/// migration or to repair).
pub async fn rebuild_days(
    client: &Client,
    days: &BTreeSet<NaiveDate>,
    timeout: Duration,
) -> Result<(), clickhouse::error::Error> {
    for day in days {
        let one: BTreeSet<NaiveDate> = [*day].into();
        let statements: [fn(&BTreeSet<NaiveDate>, u64) -> String; 2] =
            [schemas::rollup::cinema_days, schemas::rollup::film_days];
        for statement in statements {
            let sql = statement(&one, version_now());
            client
                .query_raw(&sql)
                .with_setting("max_execution_time", timeout.as_secs().max(1).to_string())
                .execute()
                .await?;
        }
    }
    Ok(())
}

/// The screening days present in the raw rows between `from` and `to`.
pub async fn raw_days(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeSet<NaiveDate>, clickhouse::error::Error> {
    let days: Vec<u16> = client
        .query("SELECT DISTINCT day FROM ticket_events WHERE day >= toDate(?) AND day <= toDate(?) ORDER BY day")
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all()
        .await?;
    Ok(days
        .into_iter()
        .map(schemas::time::date_from_days)
        .collect())
}
