//! How completely each ticketing vendor's cinemas report (issue 25, item 6; China's film fund
//! rates vendors on ≥ 98 % daily completeness): `GET /v1/vendors`, the ministry's
//! `/{lang}/ministry/vendors`. Read from what is stored, per request.
//!
//! # Words
//! - A cinema's **vendor** is the registry's (`cinemas.vendor`); empty: not known, scored
//!   under the empty name.
//! - **Completeness** of a cinema on a box-office day: of its declared sessions in force
//!   (the latest declaration of each, as the chart and the signals read them), scheduled and
//!   already ended (`ends_at` at or before now), the share with at least one ticket stored.
//!   A vendor's is the same share over all its cinemas' sessions. Only cinemas that declare
//!   sessions have one. A day **below target** is a day whose completeness is under
//!   `api.completeness_target_percent` (98).
//! - **Latency p95**: over the ticket events received live in the range (not backfilled),
//!   the time from the sale (`occurred_at`) to its arrival at ekino, as the upper bound of a
//!   power-of-two bucket of seconds (1, 2, 4, … s): "95 % arrived within this".
//! - **Reject rate**: messages keyed by the cinema refused in the range (backfills left out),
//!   over those and the ticket events stored in it; both by arrival.
//!
//! The range is of box-office days (UTC+5); arrivals count from `from` 00:00 to the end of
//! `to`, UTC+5. Ratios have 4 decimals, rounded half away from zero (`schemas::money::ratio`).
//! Ranks: by completeness, highest first, then by name; those without one are listed last,
//! unranked.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;

/// Per cinema and box-office day: declared sessions in force, scheduled and ended by the
/// given time, and how many of them have a stored ticket. Binds: from − 1, to + 1 (a
/// re-declaration may move a session by a day), from, to, now (seconds), from − 1, to + 1.
pub const SESSIONS_SQL: &str = "\
SELECT cinema_bin, toUInt16(d) AS day, toUInt64(count()) AS declared, toUInt64(sum(sold)) AS with_tickets \
FROM (SELECT cinema_bin, screening_id, d FROM \
        (SELECT cinema_bin, screening_id, \
           argMax(day, toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS d, \
           argMax(ends_at, toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS e, \
           argMax(toString(status), toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS st \
         FROM declared_sessions FINAL WHERE day >= toDate(?) AND day <= toDate(?) \
         GROUP BY cinema_bin, screening_id) \
      WHERE d >= toDate(?) AND d <= toDate(?) AND st = 'scheduled' AND toUInt32(e) <= toUInt32(?)) AS declared_in_force \
ANY LEFT JOIN \
     (SELECT cinema_bin, screening_id, toUInt8(1) AS sold FROM ticket_events \
      WHERE day >= toDate(?) AND day <= toDate(?) GROUP BY cinema_bin, screening_id) AS sold_sessions \
USING (cinema_bin, screening_id) \
GROUP BY cinema_bin, d";

/// Per cinema: live ticket events received in [start, end) (seconds) by latency bucket
/// (upper bound, seconds). Binds: start, end. Without `FINAL`: a replay that stored a row
/// twice, not yet merged, weighs it twice until the merge.
pub const LATENCY_SQL: &str = "\
SELECT cinema_bin, toUInt32(b) AS bucket, toUInt64(count()) AS events \
FROM (SELECT cinema_bin, \
        pow(2, ceil(log2(greatest(toInt64(arrived_at) - toInt64(occurred_at), 0) + 1))) AS b \
      FROM ticket_events \
      WHERE backfill = 0 AND toUInt32(arrived_at) >= toUInt32(?) AND toUInt32(arrived_at) < toUInt32(?)) \
GROUP BY cinema_bin, bucket";

/// Per message key (the cinema's BIN): messages refused in [start, end) (seconds), the
/// backfill's pseudo-topic left out. Binds: the backfill topic, start, end. The received
/// time is filtered outside the `FINAL` read (it is not in the sorting key).
pub const REJECTS_SQL: &str = "\
SELECT cinema_bin, toUInt64(count()) AS rejected \
FROM (SELECT kafka_key AS cinema_bin, received_at AS r FROM rejected_events FINAL WHERE kafka_topic != ?) \
WHERE toUInt32(r) >= toUInt32(?) AND toUInt32(r) < toUInt32(?) \
GROUP BY cinema_bin";

#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct SessionsRow {
    pub cinema_bin: String,
    pub day: u16,
    pub declared: u64,
    pub with_tickets: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct LatencyRow {
    pub cinema_bin: String,
    pub bucket: u32,
    pub events: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct RejectsRow {
    pub cinema_bin: String,
    pub rejected: u64,
}

/// What one vendor or one cinema scores over the range.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Score {
    /// Declared sessions (scheduled, ended) and those with a ticket stored.
    pub sessions: u64,
    pub sessions_with_tickets: u64,
    /// Their share, 4 decimals; `None` without a declared session.
    pub completeness: Option<String>,
    /// Whether it reaches the target (false without a completeness).
    pub meets_target: bool,
    /// Days with declared sessions, and those of them below the target.
    pub days: u64,
    pub days_below_target: u64,
    /// Seconds within which 95 % of the live ticket events arrived (a power-of-two bucket's
    /// upper bound); `None` without live events.
    pub latency_p95_seconds: Option<u32>,
    /// Ticket events stored and messages refused, by arrival in the range, and the share
    /// refused (4 decimals; `None` with neither).
    pub events: u64,
    pub rejected: u64,
    pub reject_rate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VendorScore {
    /// From 1, by completeness; `None`: no declared session to rank by.
    pub rank: Option<u32>,
    /// The registry's name; empty: cinemas whose vendor is not known.
    pub vendor: String,
    pub cinemas: u64,
    pub score: Score,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CinemaScore {
    pub rank: Option<u32>,
    pub cinema_bin: String,
    pub vendor: String,
    pub score: Score,
}

/// One vendor's one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VendorDay {
    pub vendor: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub sessions: u64,
    pub sessions_with_tickets: u64,
    pub completeness: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VendorReport {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The completeness target, as a share (0.98).
    pub target: String,
    pub vendors: Vec<VendorScore>,
    pub cinemas: Vec<CinemaScore>,
    /// Each vendor's completeness day by day (days with declared sessions).
    pub daily: Vec<VendorDay>,
}

fn ratio(a: u64, b: u64) -> Option<String> {
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    schemas::money::ratio(i(a), i(b), 4).map(|d| d.normalize().to_string())
}

/// Below `target_percent` %: integer arithmetic, no rounding.
fn below(with: u64, of: u64, target_percent: u8) -> bool {
    of > 0 && u128::from(with) * 100 < u128::from(of) * u128::from(target_percent)
}

/// The bucket holding the 95th percentile of `buckets` (upper bound → events).
fn p95(buckets: &BTreeMap<u32, u64>) -> Option<u32> {
    let total: u64 = buckets.values().sum();
    let mut seen = 0u64;
    for (b, n) in buckets {
        seen += n;
        if u128::from(seen) * 100 >= u128::from(total) * 95 {
            return Some(*b);
        }
    }
    None
}

/// Sums of one group (a vendor or a cinema) before the ratios are taken.
#[derive(Default)]
struct Tally {
    sessions: u64,
    with: u64,
    by_day: BTreeMap<u16, (u64, u64)>,
    latency: BTreeMap<u32, u64>,
    events: u64,
    rejected: u64,
    cinemas: BTreeSet<String>,
}

impl Tally {
    fn score(&self, target_percent: u8) -> Score {
        let completeness = ratio(self.with, self.sessions);
        Score {
            sessions: self.sessions,
            sessions_with_tickets: self.with,
            meets_target: completeness.is_some()
                && !below(self.with, self.sessions, target_percent),
            completeness,
            days: self.by_day.len() as u64,
            days_below_target: self
                .by_day
                .values()
                .filter(|(of, with)| below(*with, *of, target_percent))
                .count() as u64,
            latency_p95_seconds: p95(&self.latency),
            events: self.events,
            rejected: self.rejected,
            reject_rate: ratio(self.rejected, self.events + self.rejected),
        }
    }
}

/// Ranks by completeness (highest first), then by `name`; unranked without one.
fn ranked<T>(mut items: Vec<(T, Score, String)>) -> Vec<(Option<u32>, T, Score)> {
    let key = |s: &Score| {
        s.completeness
            .as_deref()
            .and_then(|c| c.parse::<rust_decimal::Decimal>().ok())
    };
    items.sort_by(|a, b| match (key(&a.1), key(&b.1)) {
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| a.2.cmp(&b.2)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.2.cmp(&b.2),
    });
    let mut rank = 0;
    items
        .into_iter()
        .map(|(t, s, _)| {
            let r = s.completeness.is_some().then(|| {
                rank += 1;
                rank
            });
            (r, t, s)
        })
        .collect()
}

/// The report from the stored rows (pure): `vendors` maps each registered cinema to its
/// vendor; cinemas in the rows but not registered count under the empty vendor.
pub fn score(
    from: NaiveDate,
    to: NaiveDate,
    target_percent: u8,
    vendors: &HashMap<String, String>,
    sessions: &[SessionsRow],
    latency: &[LatencyRow],
    rejects: &[RejectsRow],
) -> VendorReport {
    let mut by_cinema: BTreeMap<String, Tally> = BTreeMap::new();
    for bin in vendors.keys() {
        by_cinema.entry(bin.clone()).or_default();
    }
    for r in sessions {
        let t = by_cinema.entry(r.cinema_bin.clone()).or_default();
        t.sessions += r.declared;
        t.with += r.with_tickets;
        let d = t.by_day.entry(r.day).or_default();
        d.0 += r.declared;
        d.1 += r.with_tickets;
    }
    for r in latency {
        let t = by_cinema.entry(r.cinema_bin.clone()).or_default();
        *t.latency.entry(r.bucket).or_default() += r.events;
        t.events += r.events;
    }
    for r in rejects {
        // A refused message's key may name no cinema at all (it was refused): only keys of
        // cinemas known here count.
        if let Some(t) = by_cinema.get_mut(&r.cinema_bin) {
            t.rejected += r.rejected;
        }
    }
    let vendor_of = |bin: &str| vendors.get(bin).cloned().unwrap_or_default();
    let mut by_vendor: BTreeMap<String, Tally> = BTreeMap::new();
    for (bin, t) in &by_cinema {
        let v = by_vendor.entry(vendor_of(bin)).or_default();
        v.cinemas.insert(bin.clone());
        v.sessions += t.sessions;
        v.with += t.with;
        for (day, (of, with)) in &t.by_day {
            let d = v.by_day.entry(*day).or_default();
            d.0 += of;
            d.1 += with;
        }
        for (b, n) in &t.latency {
            *v.latency.entry(*b).or_default() += n;
        }
        v.events += t.events;
        v.rejected += t.rejected;
    }
    let daily = by_vendor
        .iter()
        .flat_map(|(vendor, t)| {
            t.by_day.iter().map(|(day, (of, with))| VendorDay {
                vendor: vendor.clone(),
                day: schemas::time::date_from_days(*day),
                sessions: *of,
                sessions_with_tickets: *with,
                completeness: ratio(*with, *of),
            })
        })
        .collect();
    let vendors_ranked = ranked(
        by_vendor
            .iter()
            .map(|(v, t)| {
                (
                    (v.clone(), t.cinemas.len() as u64),
                    t.score(target_percent),
                    v.clone(),
                )
            })
            .collect(),
    );
    let cinemas_ranked = ranked(
        by_cinema
            .iter()
            .map(|(bin, t)| (bin.clone(), t.score(target_percent), bin.clone()))
            .collect(),
    );
    VendorReport {
        from,
        to,
        target: ratio(u64::from(target_percent), 100).unwrap_or_default(),
        vendors: vendors_ranked
            .into_iter()
            .map(|(rank, (vendor, cinemas), score)| VendorScore {
                rank,
                vendor,
                cinemas,
                score,
            })
            .collect(),
        cinemas: cinemas_ranked
            .into_iter()
            .map(|(rank, bin, score)| CinemaScore {
                rank,
                vendor: vendor_of(&bin),
                cinema_bin: bin,
                score,
            })
            .collect(),
        daily,
    }
}

/// Reads the three statements (one after another: each is a scan of the range) and scores.
#[allow(clippy::too_many_arguments)]
pub async fn read(
    ch: &Client,
    from: NaiveDate,
    to: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    target_percent: u8,
    vendors: &HashMap<String, String>,
    backfill_topic: &str,
) -> Result<VendorReport, ReportError> {
    let day = chrono::Days::new(1);
    let (before, after) = (from - day, to + day);
    let secs = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(schemas::time::kz_offset()).single())
            .map_or(0, |t| u32::try_from(t.timestamp()).unwrap_or(u32::MAX))
    };
    let (start, end) = (secs(from), secs(after));
    let now = u32::try_from(now.timestamp()).unwrap_or(u32::MAX);
    let sessions = ch
        .query(SESSIONS_SQL)
        .bind(before.to_string())
        .bind(after.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(now)
        .bind(before.to_string())
        .bind(after.to_string())
        .fetch_all::<SessionsRow>()
        .await?;
    let latency = ch
        .query(LATENCY_SQL)
        .bind(start)
        .bind(end)
        .fetch_all::<LatencyRow>()
        .await?;
    let rejects = ch
        .query(REJECTS_SQL)
        .bind(backfill_topic)
        .bind(start)
        .bind(end)
        .fetch_all::<RejectsRow>()
        .await?;
    Ok(score(
        from,
        to,
        target_percent,
        vendors,
        &sessions,
        &latency,
        &rejects,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rank, vendor, cinemas, completeness, meets target, days below, latency p95
    type VendorLine<'a> = (
        Option<u32>,
        &'a str,
        u64,
        Option<&'a str>,
        bool,
        u64,
        Option<u32>,
    );
    /// rank, cinema, completeness, meets target, days below, latency p95, reject rate
    type CinemaLine<'a> = (
        Option<u32>,
        &'a str,
        Option<&'a str>,
        bool,
        u64,
        Option<u32>,
        Option<&'a str>,
    );

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn days(d: &str) -> u16 {
        schemas::time::days_since_epoch(day(d))
    }

    /// Worked by hand: A and B run "Alpha", C runs "Beta", D has no vendor known.
    /// A: day 1 50 of 50, day 2 48 of 50 → 98 of 100, 0.98, meets 98 % (day 2 at 96 % is
    /// below). B: 30 of 40 → 0.75. Alpha: 128 of 140 → 0.9143, days 1 (80 of 90, 88.9 %) and 2
    /// (48 of 50) both below. C: 10 of 10 → 1, rank 1. D declares nothing: unranked.
    #[test]
    fn vendors_and_cinemas_are_scored_and_ranked_against_the_target() {
        let vendors: HashMap<String, String> =
            [("A", "Alpha"), ("B", "Alpha"), ("C", "Beta"), ("D", "")]
                .into_iter()
                .map(|(b, v)| (b.to_owned(), v.to_owned()))
                .collect();
        let s = |bin: &str, d: &str, declared, with_tickets| SessionsRow {
            cinema_bin: bin.into(),
            day: days(d),
            declared,
            with_tickets,
        };
        let sessions = [
            s("A", "2026-11-01", 50, 50),
            s("A", "2026-11-02", 50, 48),
            s("B", "2026-11-01", 40, 30),
            s("C", "2026-11-02", 10, 10),
        ];
        // A: 90 events within 4 s, 10 within 64 s → p95 in the 64 s bucket. B: 100 within 2 s.
        let l = |bin: &str, bucket, events| LatencyRow {
            cinema_bin: bin.into(),
            bucket,
            events,
        };
        let latency = [l("A", 4, 90), l("A", 64, 10), l("B", 2, 100)];
        let rejects = [
            RejectsRow {
                cinema_bin: "A".into(),
                rejected: 25,
            },
            RejectsRow {
                cinema_bin: "not a cinema".into(),
                rejected: 7,
            },
        ];
        let r = score(
            day("2026-11-01"),
            day("2026-11-02"),
            98,
            &vendors,
            &sessions,
            &latency,
            &rejects,
        );
        assert_eq!(r.target, "0.98");
        let v: Vec<VendorLine<'_>> = r
            .vendors
            .iter()
            .map(|v| {
                (
                    v.rank,
                    v.vendor.as_str(),
                    v.cinemas,
                    v.score.completeness.as_deref(),
                    v.score.meets_target,
                    v.score.days_below_target,
                    v.score.latency_p95_seconds,
                )
            })
            .collect();
        assert_eq!(
            v,
            vec![
                (Some(1), "Beta", 1, Some("1"), true, 0, None),
                (Some(2), "Alpha", 2, Some("0.9143"), false, 2, Some(4)),
                (None, "", 1, None, false, 0, None),
            ]
        );
        // Alpha's p95: of 200 events, 100 within 2 s and 190 within 4 s (95 %): 4 s. A's
        // alone: 90 of 100 within 4 s is under 95 %: 64 s. A's reject rate 25 of 125.
        let c: Vec<CinemaLine<'_>> = r
            .cinemas
            .iter()
            .map(|c| {
                (
                    c.rank,
                    c.cinema_bin.as_str(),
                    c.score.completeness.as_deref(),
                    c.score.meets_target,
                    c.score.days_below_target,
                    c.score.latency_p95_seconds,
                    c.score.reject_rate.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            c,
            vec![
                (Some(1), "C", Some("1"), true, 0, None, None),
                (Some(2), "A", Some("0.98"), true, 1, Some(64), Some("0.2")),
                (Some(3), "B", Some("0.75"), false, 1, Some(2), Some("0")),
                (None, "D", None, false, 0, None, None),
            ]
        );
        assert_eq!(
            r.daily
                .iter()
                .map(|d| (
                    d.vendor.as_str(),
                    d.day.to_string(),
                    d.completeness.as_deref()
                ))
                .collect::<Vec<_>>(),
            vec![
                ("Alpha", "2026-11-01".to_owned(), Some("0.8889")),
                ("Alpha", "2026-11-02".to_owned(), Some("0.96")),
                ("Beta", "2026-11-02".to_owned(), Some("1")),
            ]
        );
    }
}
