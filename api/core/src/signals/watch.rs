//! The signal watcher: every API process runs one (`api.signals.interval_ms`). Each round it
//! finds the cinema days whose inputs changed since its last round — a daily aggregate
//! recomputed (tickets counted or voided), a session declared, a hall changed, a partner's
//! record stored or a partner registered, an inspector's head count — reads those
//! days' stored rows, applies [`rules`](super::rules) and stores what changed in `signals`.
//!
//! # Why this is safe with several processes and restarts
//! A cinema day's signals are a function of what is stored, so two watchers evaluating the
//! same day write the same findings; a round re-reads a margin before its last one
//! (`api.signals.overlap_ms`), so a change whose version was taken before the round but
//! stored after it is still seen; the progress is stored (`signal_progress`), so a restarted
//! watcher goes on where the last one stopped. The versions compared are storage versions
//! (the writers' system clocks, as the daily aggregates' are), not the business clock.
//!
//! # First and last seen
//! A signal's `first_seen` is when a watcher first stored it (kept through later versions,
//! and when it comes back after it stopped holding); `last_seen` when its evidence last
//! changed. Both are the state's clock. A signal that no longer holds gets a version with
//! `active` = 0, so the list shows only what the data show now.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Weak;
use std::time::Duration;

use clickhouse::Row;
use schemas::declared::SessionStatus;
use serde::Deserialize;

use super::report::SignalRow;
use super::rules::{self, CinemaDay, Declared, HeadCount, Kind, PartnerSale, Ticket};
use super::store::{progress, row_of, store_progress};
use crate::reports::ReportError;
use crate::state::AppState;

/// Cinema days evaluated per query: bounds every statement's size (a literal list of pairs).
const CHUNK: usize = 200;

/// The one progress row all watchers share.
const WATCHER: &str = "signals";

/// Runs rounds until the state is dropped.
pub async fn run(state: Weak<AppState>) {
    let Some(interval) = state
        .upgrade()
        .map(|s| s.settings.signals.interval_ms)
        .filter(|ms| *ms > 0)
    else {
        return;
    };
    let mut since = None;
    // The regional round runs on its own, slower beat (`regional_interval_ms`) between the
    // per-session ones; its first is due at once.
    let mut regional_since = None;
    let mut regional_due = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(interval)).await;
        let Some(s) = state.upgrade() else { return };
        match round(&s, since).await {
            Ok(done) => since = Some(done),
            Err(e) => tracing::warn!(error = %e, "signal watcher: round failed; retrying"),
        }
        let every = s.settings.signals.regional_interval_ms;
        if every > 0 && tokio::time::Instant::now() >= regional_due {
            match super::watch_regional::round(&s, regional_since).await {
                Ok(done) => regional_since = Some(done),
                Err(e) => {
                    tracing::warn!(error = %e, "signal watcher: regional round failed; retrying")
                }
            }
            regional_due = tokio::time::Instant::now() + Duration::from_millis(every);
        }
    }
}

/// One round: evaluates every cinema day changed since `since` (µs; `None`: the stored
/// progress) less the overlap, and returns the version the next round starts from.
pub async fn round(s: &AppState, since: Option<u64>) -> Result<u64, ReportError> {
    let started = ingest::rollup::version_now();
    let since = match since {
        Some(v) => v,
        None => progress(s, WATCHER).await?,
    };
    let from = since.saturating_sub(s.settings.signals.overlap_ms.saturating_mul(1000));
    let days = changed(s, from).await?;
    let pairs: Vec<(String, u16)> = days.into_iter().collect();
    let mut stored = 0usize;
    for chunk in pairs.chunks(CHUNK) {
        stored += evaluate(s, chunk).await?;
    }
    store_progress(s, WATCHER, started).await?;
    tracing::debug!(
        cinema_days = pairs.len(),
        stored,
        "signal watcher: round done"
    );
    Ok(started)
}

/// The rows of one read, as the read identity.
async fn rows<T>(s: &AppState, sql: &str) -> Result<Vec<T>, ReportError>
where
    T: clickhouse::RowOwned + clickhouse::RowRead,
{
    Ok(s.ch.query(sql).fetch_all::<T>().await?)
}

#[derive(Debug, Row, Deserialize)]
struct DayKey {
    cinema_bin: String,
    day: u16,
}

/// Cinema days whose tickets, declarations or halls changed at or after `from` (µs).
async fn changed(s: &AppState, from: u64) -> Result<BTreeSet<(String, u16)>, ReportError> {
    let secs = from / 1_000_000;
    let app = &s.app_db;
    let sql = format!(
        "SELECT cinema_bin, day FROM sales_by_cinema_day WHERE version >= {from} GROUP BY cinema_bin, day \
         UNION ALL SELECT cinema_bin, day FROM declared_sessions WHERE ingested_at >= toDateTime({secs}) GROUP BY cinema_bin, day \
         UNION ALL SELECT cinema_bin, day FROM sales_by_cinema_day \
           WHERE cinema_bin IN (SELECT bin FROM {app}.halls WHERE updated_at >= toDateTime({secs})) GROUP BY cinema_bin, day \
         UNION ALL SELECT cinema_bin, day FROM {app}.head_counts WHERE version >= {from} GROUP BY cinema_bin, day \
         UNION ALL SELECT cinema_bin, day FROM partner_sales WHERE ingested_at >= toDateTime({secs}) \
           OR partner_id IN (SELECT partner_id FROM {app}.partners WHERE updated_at >= toDateTime({secs})) GROUP BY cinema_bin, day"
    );
    let rows: Vec<DayKey> = s.ch.query(&sql).fetch_all().await?;
    Ok(rows.into_iter().map(|k| (k.cinema_bin, k.day)).collect())
}

/// The distinct cinemas of `pairs` as a quoted SQL list (without the parentheses).
fn bin_list(pairs: &[(String, u16)]) -> String {
    let bins: BTreeSet<&str> = pairs.iter().map(|(b, _)| b.as_str()).collect();
    let mut out = String::new();
    for (i, b) in bins.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        schemas::ddl::push_literal(&mut out, b);
    }
    out
}

/// `(cinema_bin, day) IN (...)` and the day and cinema lists that let the key skip the rest.
fn day_filter(pairs: &[(String, u16)]) -> String {
    let bins = bin_list(pairs);
    let mut days = String::new();
    let mut both = String::new();
    let distinct_days: BTreeSet<u16> = pairs.iter().map(|(_, d)| *d).collect();
    for (i, d) in distinct_days.iter().enumerate() {
        if i > 0 {
            days.push_str(", ");
        }
        days.push_str(&format!("toDate('{}')", schemas::time::date_from_days(*d)));
    }
    for (i, (b, d)) in pairs.iter().enumerate() {
        if i > 0 {
            both.push_str(", ");
        }
        both.push('(');
        schemas::ddl::push_literal(&mut both, b);
        both.push_str(&format!(
            ", toDate('{}'))",
            schemas::time::date_from_days(*d)
        ));
    }
    format!("day IN ({days}) AND cinema_bin IN ({bins}) AND (cinema_bin, day) IN ({both})")
}

#[derive(Debug, Row, Deserialize)]
struct TicketIn {
    cinema_bin: String,
    day: u16,
    screening_id: String,
    hall: String,
    film_id: String,
    show_start: u32,
    qty: i8,
    gross_tiyn: i64,
    seat_row: String,
    seat_number: String,
    channel: i8,
    voided_by: String,
}

#[derive(Debug, Row, Deserialize)]
struct CountIn {
    cinema_bin: String,
    day: u16,
    screening_id: String,
    counted: u32,
    counted_at: u32,
}

#[derive(Debug, Row, Deserialize)]
struct PartnerIn {
    partner_id: String,
    cinema_bin: String,
    day: u16,
    screening_id: String,
    tickets: i32,
    gross_tiyn: i64,
}

#[derive(Debug, Row, Deserialize)]
struct DeclaredIn {
    cinema_bin: String,
    day: u16,
    screening_id: String,
    hall: String,
    film_id: String,
    show_start: u32,
    ends_at: u32,
    seats_on_sale: u32,
    status: i8,
    declared_at: u32,
    arrived_at: u32,
}

#[derive(Debug, Row, Deserialize)]
struct HallIn {
    bin: String,
    hall: String,
    seats: u32,
    deleted: u8,
}

/// Evaluates a chunk of cinema days and stores what changed; returns the rows stored.
async fn evaluate(s: &AppState, pairs: &[(String, u16)]) -> Result<usize, ReportError> {
    let filter = day_filter(pairs);
    let bin_list = bin_list(pairs);
    let app = &s.app_db;
    // Conditions on columns outside the sorting keys (voided_by, deleted) are applied here,
    // after the FINAL read, never in WHERE (see `report::in_force`).
    let tickets: Vec<TicketIn> = rows(
        s,
        &format!("SELECT ?fields FROM ticket_events FINAL WHERE {filter}"),
    )
    .await?;
    let declared: Vec<DeclaredIn> = rows(
        s,
        &format!("SELECT ?fields FROM declared_sessions FINAL WHERE {filter}"),
    )
    .await?;
    let halls: Vec<HallIn> = rows(
        s,
        &format!("SELECT ?fields FROM {app}.halls FINAL WHERE bin IN ({bin_list})"),
    )
    .await?;
    let declaring: Vec<(String, u32)> = s
        .ch
        .query(&format!(
            "SELECT cinema_bin, toUInt32(min(arrived_at)) FROM declared_sessions WHERE cinema_bin IN ({bin_list}) GROUP BY cinema_bin"
        ))
        .fetch_all()
        .await?;
    let declaring: HashMap<String, u32> = declaring.into_iter().collect();
    // Partners' records: FINAL keeps a record's first version within its month's partition
    // (the partition key), so the months are chosen inside, the cinema days outside.
    let months: BTreeSet<u32> = pairs
        .iter()
        .map(|(_, d)| schemas::time::month_of_day(*d))
        .collect();
    let months: Vec<String> = months.iter().map(u32::to_string).collect();
    let partner_sales: Vec<PartnerIn> = s
        .ch
        .query(&format!(
            "SELECT ?fields FROM (SELECT * FROM partner_sales FINAL WHERE toYYYYMM(day) IN ({})) \
             WHERE {filter} AND partner_id IN \
             (SELECT partner_id FROM (SELECT partner_id, deleted FROM {app}.partners FINAL) WHERE deleted = 0)",
            months.join(", ")
        ))
        .fetch_all()
        .await?;
    let counts: Vec<CountIn> = rows(
        s,
        &format!("SELECT ?fields FROM {app}.head_counts FINAL WHERE {filter}"),
    )
    .await?;
    let existing: Vec<SignalRow> = rows(
        s,
        &format!("SELECT ?fields FROM {app}.signals FINAL WHERE {filter}"),
    )
    .await?;

    let mut days: BTreeMap<(String, u16), CinemaDay> = pairs
        .iter()
        .map(|p| (p.clone(), CinemaDay::default()))
        .collect();
    for t in tickets.into_iter().filter(|t| t.voided_by.is_empty()) {
        if let Some(d) = days.get_mut(&(t.cinema_bin, t.day)) {
            d.tickets.push(Ticket {
                screening_id: t.screening_id,
                hall: t.hall,
                film_id: t.film_id,
                show_start: t.show_start,
                qty: i64::from(t.qty),
                gross_tiyn: t.gross_tiyn,
                seat: (t.seat_row, t.seat_number),
                partner: schemas::Channel::from_i8(t.channel) == Some(schemas::Channel::Partner),
            });
        }
    }
    for r in declared {
        let Some(status) = SessionStatus::from_i8(r.status) else {
            continue;
        };
        if let Some(d) = days.get_mut(&(r.cinema_bin, r.day)) {
            d.declarations.push(Declared {
                screening_id: r.screening_id,
                hall: r.hall,
                film_id: r.film_id,
                show_start: r.show_start,
                ends_at: r.ends_at,
                seats_on_sale: r.seats_on_sale,
                status,
                declared_at: r.declared_at,
                arrived_at: r.arrived_at,
            });
        }
    }
    for c in counts {
        if let Some(d) = days.get_mut(&(c.cinema_bin, c.day)) {
            d.head_counts.push(HeadCount {
                screening_id: c.screening_id,
                counted: c.counted,
                counted_at: c.counted_at,
            });
        }
    }
    for p in partner_sales {
        if let Some(d) = days.get_mut(&(p.cinema_bin, p.day)) {
            d.partner_sales.push(PartnerSale {
                partner_id: p.partner_id,
                screening_id: p.screening_id,
                tickets: i64::from(p.tickets),
                gross_tiyn: p.gross_tiyn,
            });
        }
    }
    let mut seats: HashMap<&str, HashMap<String, u32>> = HashMap::new();
    for h in halls.iter().filter(|h| h.deleted == 0) {
        seats
            .entry(h.bin.as_str())
            .or_default()
            .insert(h.hall.clone(), h.seats);
    }
    for ((bin, _), d) in days.iter_mut() {
        d.halls = seats.get(bin.as_str()).cloned().unwrap_or_default();
        d.declares_since = declaring.get(bin).copied();
    }
    // The regional kinds are the regional round's (`watch_regional`): never judged here.
    let mut before: HashMap<(String, u16, String, String), SignalRow> = existing
        .into_iter()
        .filter(|r| !Kind::parse(&r.kind).is_some_and(Kind::regional))
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
        .collect();
    let thresholds = s.settings.signals.thresholds();
    let (now, version) = (s.now_secs(), ingest::rollup::version_now());
    let mut write = Vec::new();
    for ((bin, day), d) in &days {
        for f in rules::evaluate(d, &thresholds) {
            let key = (
                bin.clone(),
                *day,
                f.kind.code().to_owned(),
                f.screening_id.clone(),
            );
            let row = row_of(bin, *day, &f, before.remove(&key), now, version);
            if let Some(row) = row {
                write.push(row);
            }
        }
    }
    // Only the cinema days judged here: a stored row of another day stays as it is.
    let left = before
        .into_values()
        .filter(|old| days.contains_key(&(old.cinema_bin.clone(), old.day)));
    super::store::write(s, write, left, version).await
}
