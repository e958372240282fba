//! The signals list (`ekino report signals`, `GET /v1/signals`, `GET /v1/cinemas/{bin}/signals`):
//! the stored signals in force (`signals FINAL`, active), never computed per request.

use std::collections::HashMap;

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::rules::Kind;
use crate::reports::ReportError;

/// One stored version of a signal.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct SignalRow {
    pub cinema_bin: String,
    pub day: u16,
    pub kind: String,
    pub screening_id: String,
    pub film_id: String,
    pub hall: String,
    /// JSON object: the counts, seats, other session… the signal rests on.
    pub evidence: String,
    pub gross_at_stake_tiyn: i64,
    pub first_seen: u32,
    pub last_seen: u32,
    pub active: u8,
    pub version: u64,
}

/// A signal as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Signal {
    /// `over_capacity`, `seat_sold_twice`, `undeclared_session`, `cancelled_session_sold`,
    /// `overlapping_sessions` or `late_night_full` (README, "Signals").
    pub kind: String,
    pub cinema_bin: String,
    /// The box-office day of the session.
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub screening_id: String,
    pub film_id: String,
    pub hall: String,
    /// What the signal rests on, by kind (admissions and seats, the seats counted twice, the
    /// other session, …); times are seconds since the epoch.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// The gross the signal puts in doubt, where it can be estimated (else 0.00).
    #[schema(value_type = String)]
    pub gross_at_stake: Kzt,
    /// When ekino first found it, and when its evidence last changed (RFC 3339, UTC+5).
    pub first_seen: String,
    pub last_seen: String,
    /// The cinema's latest explanation of it, if it gave one.
    pub explanation: Option<Explanation>,
}

/// What a cinema said about one of its signals.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub text: String,
    /// RFC 3339, UTC+5.
    pub written_at: String,
}

/// One stored explanation.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct ExplanationRow {
    pub cinema_bin: String,
    pub day: u16,
    pub kind: String,
    pub screening_id: String,
    pub seq: u64,
    pub written_at: u32,
    pub written_by: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SignalList {
    /// This page of them.
    pub signals: Vec<Signal>,
    /// Signals matching the filter, on every page.
    pub total: u64,
    /// The gross all of them put in doubt (each signal's, summed).
    #[schema(value_type = String)]
    pub gross_at_stake: Kzt,
    /// The page (from 1) and its size; without paging (`ekino report signals`), one page
    /// of all of them.
    pub page: u64,
    pub page_size: u64,
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignalFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cinema: Option<String>,
    pub kind: Option<Kind>,
}

impl Signal {
    pub fn of_row(r: &SignalRow) -> Signal {
        let time = |t: u32| {
            chrono::DateTime::from_timestamp(i64::from(t), 0)
                .map(schemas::event::wire::rfc3339_kz)
                .unwrap_or_default()
        };
        Signal {
            kind: r.kind.clone(),
            cinema_bin: r.cinema_bin.clone(),
            day: schemas::time::date_from_days(r.day),
            screening_id: r.screening_id.clone(),
            film_id: r.film_id.clone(),
            hall: r.hall.clone(),
            evidence: serde_json::from_str(&r.evidence).unwrap_or(serde_json::Value::Null),
            gross_at_stake: Kzt::from_tiyn(r.gross_at_stake_tiyn),
            first_seen: time(r.first_seen),
            last_seen: time(r.last_seen),
            explanation: None,
        }
    }
}

/// The read of the signals in force matching the filter, active ones only, and its binds.
/// `active` is filtered outside the `FINAL` read: a condition on a column that is not in the
/// sorting key could be moved before the merge (PREWHERE) and bring back an older version.
fn active_in_force(app_db: &str, f: &SignalFilter) -> (String, Vec<String>) {
    let mut sql = format!(
        "SELECT * FROM (SELECT * FROM {app_db}.signals FINAL WHERE day >= toDate(?) AND day <= toDate(?)"
    );
    let mut binds = vec![f.from.to_string(), f.to.to_string()];
    if let Some(c) = &f.cinema {
        sql.push_str(" AND cinema_bin = ?");
        binds.push(c.clone());
    }
    if let Some(k) = f.kind {
        sql.push_str(" AND kind = ?");
        binds.push(k.code().to_owned());
    }
    sql.push_str(") WHERE active = 1");
    (sql, binds)
}

/// A page of a list: rows to skip and at most how many to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// The stored signals in force and active matching the filter, by day, cinema, kind and
/// session; with a window, only that page of them (the server skips and cuts, so an answer
/// costs its page, not the month).
pub async fn in_force(
    ch: &Client,
    app_db: &str,
    f: &SignalFilter,
    window: Option<Window>,
) -> Result<Vec<SignalRow>, ReportError> {
    let (inner, binds) = active_in_force(app_db, f);
    let mut sql =
        format!("SELECT ?fields FROM ({inner}) ORDER BY day, cinema_bin, kind, screening_id");
    if let Some(w) = window {
        sql.push_str(&format!(" LIMIT {}, {}", w.offset, w.limit));
    }
    let mut q = ch.query(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    Ok(q.fetch_all::<SignalRow>().await?)
}

#[derive(Debug, Clone, Copy, Row, Deserialize)]
struct Totals {
    n: u64,
    at_stake: i64,
}

/// How many signals match the filter, and the gross they put at stake together.
async fn totals(ch: &Client, app_db: &str, f: &SignalFilter) -> Result<Totals, ReportError> {
    let (inner, binds) = active_in_force(app_db, f);
    let sql = format!("SELECT count() AS n, sum(gross_at_stake_tiyn) AS at_stake FROM ({inner})");
    let mut q = ch.query(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    Ok(q.fetch_one::<Totals>().await?)
}

/// The latest explanation of each signal of the filter's days (and cinema), by key.
pub async fn explanations(
    ch: &Client,
    app_db: &str,
    f: &SignalFilter,
) -> Result<HashMap<(String, u16, String, String), ExplanationRow>, ReportError> {
    let mut sql = format!(
        "SELECT ?fields FROM {app_db}.signal_explanations FINAL WHERE day >= toDate(?) AND day <= toDate(?)"
    );
    if f.cinema.is_some() {
        sql.push_str(" AND cinema_bin = ?");
    }
    sql.push_str(" ORDER BY seq");
    let mut q = ch
        .query(&sql)
        .bind(f.from.to_string())
        .bind(f.to.to_string());
    if let Some(c) = &f.cinema {
        q = q.bind(c.as_str());
    }
    let rows = q.fetch_all::<ExplanationRow>().await?;
    // In order of `seq`, so the latest of each signal is the one kept.
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                (
                    r.cinema_bin.clone(),
                    r.day,
                    r.kind.clone(),
                    r.screening_id.clone(),
                ),
                r,
            )
        })
        .collect())
}

/// The list: signals in force and active, by day, cinema, kind and session, each with the
/// cinema's latest explanation; with a window, one page of it, `total` and the gross at
/// stake still of every signal the filter matches.
pub async fn list(
    ch: &Client,
    app_db: &str,
    f: &SignalFilter,
    window: Option<Window>,
) -> Result<SignalList, ReportError> {
    let (rows, sum) = tokio::try_join!(in_force(ch, app_db, f, window), totals(ch, app_db, f))?;
    let said = if rows.is_empty() {
        HashMap::new()
    } else {
        explanations(ch, app_db, f).await?
    };
    let (page, page_size) = match window {
        Some(w) if w.limit > 0 => (w.offset / w.limit + 1, w.limit),
        _ => (1, sum.n.max(rows.len() as u64)),
    };
    Ok(SignalList {
        total: sum.n,
        gross_at_stake: Kzt::from_tiyn(sum.at_stake),
        page,
        page_size,
        signals: rows
            .iter()
            .map(|r| {
                let mut g = Signal::of_row(r);
                let key = (
                    r.cinema_bin.clone(),
                    r.day,
                    r.kind.clone(),
                    r.screening_id.clone(),
                );
                g.explanation = said.get(&key).map(|e| Explanation {
                    text: e.text.clone(),
                    written_at: chrono::DateTime::from_timestamp(i64::from(e.written_at), 0)
                        .map(schemas::event::wire::rfc3339_kz)
                        .unwrap_or_default(),
                });
                g
            })
            .collect(),
    })
}

/// Lists served from memory (`api.signals_cache_ms`, ≤ 1 s), by filter and page.
pub type ListCache = crate::reports::cache::TtlCache<(SignalFilter, Window), SignalList>;

/// Pages a list cache keeps: each holds up to `api.max_page_rows` signals.
pub const CACHED_LISTS: usize = 256;

/// One hall of a cinema as registered now (its cabinet shows them).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct HallRow {
    pub hall: String,
    pub seats: u32,
    pub name: String,
    pub deleted: u8,
}

/// A cinema's halls in force (removed ones left out, outside the `FINAL` read), by key.
pub async fn halls_of(ch: &Client, app_db: &str, bin: &str) -> Result<Vec<HallRow>, ReportError> {
    let sql = format!(
        "SELECT ?fields FROM (SELECT hall, seats, name, deleted FROM {app_db}.halls FINAL WHERE bin = ?) \
         WHERE deleted = 0 ORDER BY hall"
    );
    Ok(ch.query(&sql).bind(bin).fetch_all::<HallRow>().await?)
}
