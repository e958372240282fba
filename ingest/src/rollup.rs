//! Keeps the daily aggregates in step with the raw rows: after a batch's raw rows are
//! acknowledged, the groups it touched are recomputed from `ticket_events FINAL`
//! (semantics in [`schemas::rollup`]). The batch's offsets are committed only after that, so
//! a crash in between replays the batch and recomputes the same groups again.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use clickhouse::Client;
use schemas::rollup::Scope;

/// Microseconds since the epoch: the version of a recompute that starts now.
pub fn version_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

async fn run(client: &Client, statements: [String; 2], timeout: Duration) -> Result<(), clickhouse::error::Error> {
    for sql in statements {
        // Raw: the statement carries its own escaped literals, and a film id may contain `?`,
        // which `query` would take for a bind placeholder.
        let q = client.query_raw(&sql).with_setting("max_execution_time", timeout.as_secs().max(1).to_string());
        q.execute().await?;
    }
    Ok(())
}

/// Recomputes every group in `scope`.
pub async fn refresh(client: &Client, scope: &Scope, timeout: Duration) -> Result<(), clickhouse::error::Error> {
    if scope.is_empty() {
        return Ok(());
    }
    run(client, schemas::rollup::for_scope(scope, version_now()), timeout).await
}

/// Rebuilds whole days from the raw rows, a day at a time (used by `ekino rollup` after a
/// migration or to repair).
pub async fn rebuild_days(client: &Client, days: &BTreeSet<NaiveDate>, timeout: Duration) -> Result<(), clickhouse::error::Error> {
    for day in days {
        let one: BTreeSet<NaiveDate> = [*day].into();
        run(client, schemas::rollup::for_days(&one, version_now()), timeout).await?;
    }
    Ok(())
}

/// The screening days present in the raw rows between `from` and `to`.
pub async fn raw_days(client: &Client, from: NaiveDate, to: NaiveDate) -> Result<BTreeSet<NaiveDate>, clickhouse::error::Error> {
    let days: Vec<u16> = client
        .query("SELECT DISTINCT day FROM ticket_events WHERE day >= toDate(?) AND day <= toDate(?) ORDER BY day")
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all()
        .await?;
    Ok(days.into_iter().map(schemas::time::date_from_days).collect())
}
