//! What the watcher's rounds share (`watch`, `watch_regional`): where a round stopped, and
//! the row to store for a finding given the version in force.

use std::time::Duration;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use super::report::SignalRow;
use super::rules::Found;
use crate::reports::ReportError;
use crate::state::AppState;

pub fn timeout(s: &AppState) -> Duration {
    Duration::from_millis(s.settings.query_timeout_ms.max(1_000))
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct ProgressRow {
    watcher: String,
    version: u64,
}

/// Where a watcher's rounds stopped (0: never ran).
pub async fn progress(s: &AppState, watcher: &str) -> Result<u64, ReportError> {
    let v: Vec<u64> = s
        .app
        .query("SELECT max(version) FROM signal_progress WHERE watcher = ?")
        .bind(watcher)
        .fetch_all()
        .await?;
    Ok(v.first().copied().unwrap_or(0))
}

/// Stores where a watcher's round started, for the next round (of any process) to go on from.
pub async fn store_progress(s: &AppState, watcher: &str, version: u64) -> Result<(), ReportError> {
    let row = ProgressRow {
        watcher: watcher.into(),
        version,
    };
    ingest::clickhouse_store::insert_rows(&s.app, "signal_progress", &[row], timeout(s)).await?;
    Ok(())
}

/// Stores a round's changes: `write` (findings new or changed), then every row of `left` (the
/// judged stored rows no finding matched) still active, switched off at `version`. Returns how
/// many rows it stored.
pub async fn write(
    s: &AppState,
    mut write: Vec<SignalRow>,
    left: impl IntoIterator<Item = SignalRow>,
    version: u64,
) -> Result<usize, ReportError> {
    // What held before and holds no more.
    write.extend(
        left.into_iter()
            .filter(|old| old.active == 1)
            .map(|old| SignalRow {
                active: 0,
                version,
                ..old
            }),
    );
    if !write.is_empty() {
        ingest::clickhouse_store::insert_rows(&s.app, "signals", &write, timeout(s)).await?;
    }
    Ok(write.len())
}

/// The row to store for a finding, or `None` when the stored version already says it.
pub fn row_of(
    bin: &str,
    day: u16,
    f: &Found,
    old: Option<SignalRow>,
    now: u32,
    version: u64,
) -> Option<SignalRow> {
    let evidence = f.evidence.to_string();
    if let Some(o) = &old {
        if o.active == 1
            && o.evidence == evidence
            && o.gross_at_stake_tiyn == f.gross_at_stake_tiyn
            && o.film_id == f.film_id
            && o.hall == f.hall
        {
            return None;
        }
    }
    Some(SignalRow {
        cinema_bin: bin.to_owned(),
        day,
        kind: f.kind.code().to_owned(),
        screening_id: f.screening_id.clone(),
        film_id: f.film_id.clone(),
        hall: f.hall.clone(),
        evidence,
        gross_at_stake_tiyn: f.gross_at_stake_tiyn,
        first_seen: old.map_or(now, |o| o.first_seen),
        last_seen: now,
        active: 1,
        version,
    })
}
