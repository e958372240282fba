//! Per-cinema reporting quality (EAIS-style): when a cinema last reported, how many days it
//! has been silent, what it sent and what was refused, its refund rate and events for films
//! not in the registry. `today` is an argument: reports never read the clock themselves.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::Registry;

/// A row of the scorecard's one statement (see [`scorecards`]).
#[derive(Debug, Row, Deserialize)]
struct CardRow {
    part: String,
    cinema: String,
    key: String,
    a: u64,
    b: u64,
    c: u64,
    d: u64,
    e: u64,
}

#[derive(Debug)]
struct FilmCountsRow {
    film_id: String,
    events: u64,
    sales: u64,
    refunds: u64,
    vat_sales: u64,
    untaxed_sales: u64,
}

#[derive(Debug, Row, Deserialize)]
struct LastRow {
    cinema_bin: String,
    last: u32,
}

#[derive(Debug)]
struct KeyCount {
    key: String,
    n: u64,
}

/// Every cinema's scorecard by BIN, per (from, to, today).
pub type ScorecardCache = super::cache::TtlCache<
    (chrono::NaiveDate, chrono::NaiveDate, chrono::NaiveDate),
    std::collections::HashMap<String, Scorecard>,
>;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scorecard {
    pub cinema_bin: String,
    pub from: String,
    pub to: String,
    /// When ekino last received an event of the cinema (its arrival, RFC 3339 UTC+5), over all
    /// time; `silent_days` counts whole days from it to today.
    pub last_event_at: Option<String>,
    pub silent_days: Option<i64>,
    pub events: u64,
    pub sales: u64,
    pub refunds: u64,
    /// refunds ÷ sales, 4 decimals.
    pub refund_rate: Option<String>,
    pub unknown_film_events: u64,
    /// Sales whose VAT differs from the cinema's registered VAT status (a payer selling
    /// without VAT, or a non-payer charging it); 0 for a cinema not in the registry.
    #[serde(default)]
    pub vat_mismatch_sales: u64,
    /// Refunds kept but not counted: their sale has not arrived.
    pub refunds_pending: u64,
    pub rejected_total: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// One cinema's card only: the median refund rate over the cinemas with at least one
    /// event in the range (4 decimals), to compare with. `None` in a list, or when none sold.
    #[serde(default)]
    pub national_median_refund_rate: Option<String>,
    /// One cinema's card only: the median of events per cinema over the same cinemas
    /// (an even count takes the mean of the two middle values).
    #[serde(default)]
    pub national_median_events: Option<String>,
}

/// The median of `values` (an even count: the mean of the two middle values).
pub fn median(mut values: Vec<rust_decimal::Decimal>) -> Option<rust_decimal::Decimal> {
    values.sort();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / rust_decimal::Decimal::TWO),
    }
}

/// The national medians a cinema's card is compared with: (refund rate, events), over the
/// cinemas with at least one event in the cards' range. The refund rate is each cinema's
/// exact refunds ÷ sales (cinemas without a sale have none), the median rounded like a card's.
pub fn national_medians(cards: &HashMap<String, Scorecard>) -> (Option<String>, Option<String>) {
    let active: Vec<&Scorecard> = cards.values().filter(|c| c.events > 0).collect();
    let rates = active
        .iter()
        .filter(|c| c.sales > 0)
        .map(|c| rust_decimal::Decimal::from(c.refunds) / rust_decimal::Decimal::from(c.sales))
        .collect();
    let events = active
        .iter()
        .map(|c| rust_decimal::Decimal::from(c.events))
        .collect();
    let round = |d: rust_decimal::Decimal| {
        d.round_dp_with_strategy(4, schemas::money::ROUNDING)
            .normalize()
            .to_string()
    };
    (
        median(rates).map(round),
        median(events).map(|d| d.normalize().to_string()),
    )
}

/// Of a cinema's sales with VAT and without, those that differ from its registered VAT
/// status: a payer's sales without VAT, a non-payer's with it. An unregistered cinema has
/// no status to differ from (it is flagged as unregistered instead).
pub fn vat_mismatches(registry: &Registry, bin: &str, vat_sales: u64, untaxed_sales: u64) -> u64 {
    match registry.cinema_vat_payers.get(bin) {
        Some(true) => untaxed_sales,
        Some(false) => vat_sales,
        None => 0,
    }
}

fn local_date(secs: u32) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::from_timestamp(i64::from(secs), 0)
        .map(|t| t.with_timezone(&schemas::time::kz_offset()))
}

/// When each cinema (or one) last reported, over all time: the last arrival of any of its
/// events (`last_arrived_at`; the last sale time for rows computed before arrivals were kept,
/// which `greatest` also covers, an arrival never being before its sale by more than the
/// allowed clock skew).
async fn last_events(
    client: &Client,
    bin: Option<&str>,
) -> Result<HashMap<String, u32>, ReportError> {
    // No FINAL: a newer version of a group never has an earlier last event.
    let sql = format!(
        "SELECT cinema_bin, max(greatest(last_arrived_at, last_occurred_at)) AS last FROM sales_by_cinema_day{} GROUP BY cinema_bin",
        if bin.is_some() { " WHERE cinema_bin = ?" } else { "" }
    );
    let mut q = client.query(&sql);
    if let Some(b) = bin {
        q = q.bind(b);
    }
    let rows: Vec<LastRow> = q.fetch_all().await?;
    Ok(rows.into_iter().map(|r| (r.cinema_bin, r.last)).collect())
}

fn silent(last: Option<u32>, today: NaiveDate) -> (Option<String>, Option<i64>) {
    match last.and_then(local_date) {
        Some(t) => (
            Some(t.to_rfc3339()),
            Some((today - t.date_naive()).num_days().max(0)),
        ),
        None => (None, None),
    }
}

/// The card of a cinema that sent nothing, had nothing refused and has nothing waiting.
pub fn empty_card(bin: &str, from: NaiveDate, to: NaiveDate) -> Scorecard {
    Scorecard {
        cinema_bin: bin.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        last_event_at: None,
        silent_days: None,
        events: 0,
        sales: 0,
        refunds: 0,
        refund_rate: None,
        unknown_film_events: 0,
        vat_mismatch_sales: 0,
        refunds_pending: 0,
        rejected_total: 0,
        rejected_by_reason: BTreeMap::new(),
        national_median_refund_rate: None,
        national_median_events: None,
    }
}

/// Every cinema's card over one range (or one cinema's, with `only`), by BIN, in one
/// statement: a cinema absent from the map has the [`empty_card`]. The API keeps the map for
/// at most a second per range, so however many cards are asked for, ClickHouse answers about
/// one statement a second (measured: one statement per card, ~5 ms of ClickHouse time each,
/// queued at 200 cards a second on two cores).
pub async fn scorecards(
    client: &Client,
    app: &str,
    registry: &Registry,
    only: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<HashMap<String, Scorecard>, ReportError> {
    let (f, t) = (from.to_string(), to.to_string());
    let arrived = schemas::time::kz_day_bounds(from, to);
    let one = |column: &str| {
        if only.is_some() {
            format!(" AND {column} = ?")
        } else {
            String::new()
        }
    };
    // The card's four parts as rows of one shape (part, cinema, key, a, b, c):
    // - `film`: per cinema and film in the range, events, sales, refunds, sales with VAT and
    //   without (FINAL: one row per group);
    // - `last`: each cinema's last arrival over all time (no FINAL: a newer version of a group
    //   never has an earlier last event);
    // - `reject`: rejects of each cinema's own messages (Kafka key or upload key) by reason,
    //   on the UTC+5 date they arrived; `foreign_cinema` counts in neither the sender's nor
    //   the named cinema's card (a sender must not inflate a victim's rejects);
    // - `waiting`: its refunds kept waiting for their sale.
    let sql = format!(
        "SELECT 'film' AS part, cinema_bin AS cinema, film_id AS key, toUInt64(sum(n_events)) AS a, toUInt64(sum(n_sales)) AS b, toUInt64(sum(n_refunds)) AS c, \
             toUInt64(sum(n_vat_sales)) AS d, toUInt64(sum(n_untaxed_sales)) AS e \
           FROM sales_by_cinema_day FINAL WHERE day >= toDate(?) AND day <= toDate(?){c1} GROUP BY cinema_bin, film_id \
         UNION ALL SELECT 'last' AS part, cinema_bin AS cinema, '' AS key, toUInt64(max(greatest(last_arrived_at, last_occurred_at))) AS a, toUInt64(0) AS b, toUInt64(0) AS c, toUInt64(0) AS d, toUInt64(0) AS e \
           FROM sales_by_cinema_day WHERE 1{c2} GROUP BY cinema_bin \
         UNION ALL SELECT 'reject' AS part, cinema, reason AS key, toUInt64(count()) AS a, toUInt64(0) AS b, toUInt64(0) AS c, toUInt64(0) AS d, toUInt64(0) AS e FROM ( \
             SELECT kafka_key AS cinema, reason FROM rejected_events FINAL WHERE received_at >= toDateTime(?) AND received_at < toDateTime(?){c3} \
             UNION ALL SELECT cinema_bin AS cinema, reason FROM {app}.upload_rejects FINAL WHERE received_at >= toDateTime(?) AND received_at < toDateTime(?){c4}) \
           WHERE reason != 'foreign_cinema' GROUP BY cinema, reason \
         UNION ALL SELECT 'waiting' AS part, cinema_bin AS cinema, '' AS key, toUInt64(count()) AS a, toUInt64(0) AS b, toUInt64(0) AS c, toUInt64(0) AS d, toUInt64(0) AS e \
           FROM pending_refunds FINAL WHERE 1{c5} GROUP BY cinema_bin",
        c1 = one("cinema_bin"),
        c2 = one("cinema_bin"),
        c3 = one("kafka_key"),
        c4 = one("cinema_bin"),
        c5 = one("cinema_bin"),
    );
    let mut q = client.query(&sql).bind(&f).bind(&t);
    if let Some(b) = only {
        q = q.bind(b).bind(b);
    }
    q = q.bind(arrived.0).bind(arrived.1);
    if let Some(b) = only {
        q = q.bind(b);
    }
    q = q.bind(arrived.0).bind(arrived.1);
    if let Some(b) = only {
        q = q.bind(b).bind(b);
    }
    let rows: Vec<CardRow> = q.fetch_all().await?;

    #[derive(Default)]
    struct Parts {
        per_film: Vec<FilmCountsRow>,
        rejected: Vec<KeyCount>,
        last: Option<u32>,
        waiting: u64,
    }
    let mut by_cinema: HashMap<String, Parts> = HashMap::new();
    for r in rows {
        let p = by_cinema.entry(r.cinema).or_default();
        match r.part.as_str() {
            "film" => p.per_film.push(FilmCountsRow {
                film_id: r.key,
                events: r.a,
                sales: r.b,
                refunds: r.c,
                vat_sales: r.d,
                untaxed_sales: r.e,
            }),
            "last" => p.last = u32::try_from(r.a).ok().filter(|&secs| secs > 0),
            "reject" => p.rejected.push(KeyCount { key: r.key, n: r.a }),
            _ => p.waiting = r.a,
        }
    }
    // Whether a waiting refund is still open needs every counted refund and void; most
    // cinemas have no refund waiting at all, so that is asked only when one does.
    let mut pending: HashMap<String, u64> = HashMap::new();
    if by_cinema.values().any(|p| p.waiting > 0) {
        let mut q = client.query(&format!(
            "SELECT cinema_bin, toUInt64(count()) FROM pending_refunds FINAL WHERE {}{} GROUP BY cinema_bin",
            schemas::ddl::PENDING_OPEN,
            one("cinema_bin")
        ));
        if let Some(b) = only {
            q = q.bind(b);
        }
        pending = q.fetch_all::<(String, u64)>().await?.into_iter().collect();
    }
    Ok(by_cinema
        .into_iter()
        .map(|(bin, p)| {
            let sum = |f: fn(&FilmCountsRow) -> u64| p.per_film.iter().map(f).sum::<u64>();
            let counts = (sum(|r| r.events), sum(|r| r.sales), sum(|r| r.refunds));
            let unknown_film = p
                .per_film
                .iter()
                .filter(|r| !registry.films.contains_key(&r.film_id))
                .map(|r| r.events)
                .sum::<u64>();
            let vat_mismatch = vat_mismatches(
                registry,
                &bin,
                sum(|r| r.vat_sales),
                sum(|r| r.untaxed_sales),
            );
            let (last_event_at, silent_days) = silent(p.last, today);
            let rejected_by_reason: BTreeMap<String, u64> =
                p.rejected.into_iter().map(|r| (r.key, r.n)).collect();
            let card = Scorecard {
                cinema_bin: bin.clone(),
                from: f.clone(),
                to: t.clone(),
                last_event_at,
                silent_days,
                events: counts.0,
                sales: counts.1,
                refunds: counts.2,
                refund_rate: schemas::money::ratio(
                    i64::try_from(counts.2).unwrap_or(i64::MAX),
                    i64::try_from(counts.1).unwrap_or(i64::MAX),
                    4,
                )
                .map(|d| d.normalize().to_string()),
                unknown_film_events: unknown_film,
                vat_mismatch_sales: vat_mismatch,
                refunds_pending: pending.get(&bin).copied().unwrap_or(0),
                rejected_total: rejected_by_reason.values().sum(),
                rejected_by_reason,
                national_median_refund_rate: None,
                national_median_events: None,
            };
            (bin, card)
        })
        .collect())
}

#[derive(Debug, Row, Deserialize)]
struct CinemaRow {
    bin: String,
    name: String,
    region: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SilentCinema {
    pub cinema_bin: String,
    pub name: String,
    pub region: String,
    pub last_event_at: Option<String>,
    /// `None`: never reported.
    pub silent_days: Option<i64>,
}

/// Registered cinemas silent for at least `days` days (or that never reported).
pub async fn silent_cinemas(
    client: &Client,
    app: &str,
    days: i64,
    today: NaiveDate,
) -> Result<Vec<SilentCinema>, ReportError> {
    let cinemas: Vec<CinemaRow> = client
        .query(&format!("SELECT bin, argMax(name, updated_at) AS name, argMax(region, updated_at) AS region FROM {app}.cinemas GROUP BY bin ORDER BY bin"))
        .fetch_all()
        .await?;
    let last = last_events(client, None).await?;
    Ok(cinemas
        .into_iter()
        .filter_map(|c| {
            let (last_event_at, silent_days) = silent(last.get(&c.bin).copied(), today);
            silent_days
                .is_none_or(|d| d >= days)
                .then_some(SilentCinema {
                    cinema_bin: c.bin,
                    name: c.name,
                    region: c.region,
                    last_event_at,
                    silent_days,
                })
        })
        .collect())
}

/// A refused message of one cinema: from Kafka (`source` = `kafka`, its partition and
/// offset) or a line of an upload the API refused itself (`upload`: partition -1, the
/// upload's id and line number).
#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedEvent {
    pub source: String,
    pub upload_id: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub received_at: u32,
    pub reason: String,
    pub field: String,
    pub message: String,
    pub payload_encoding: String,
    pub payload: String,
}

pub async fn rejected_events(
    client: &Client,
    app: &str,
    bin: &str,
    limit: u64,
    offset: u64,
) -> Result<Vec<RejectedEvent>, ReportError> {
    Ok(client
        .query(&format!(
            "SELECT source, upload_id, kafka_partition, kafka_offset, received_at, reason, field, message, payload_encoding, payload FROM ( \
               SELECT 'kafka' AS source, '' AS upload_id, kafka_partition, kafka_offset, received_at, reason, field, message, payload_encoding, payload \
               FROM rejected_events FINAL WHERE kafka_key = ? \
               UNION ALL \
               SELECT 'upload' AS source, upload_id, toInt32(-1) AS kafka_partition, toInt64(line) AS kafka_offset, received_at, reason, field, message, payload_encoding, payload \
               FROM {app}.upload_rejects FINAL WHERE cinema_bin = ?) \
             ORDER BY received_at DESC, kafka_partition, kafka_offset DESC LIMIT ? OFFSET ?",
        ))
        .bind(bin)
        .bind(bin)
        .bind(limit)
        .bind(offset)
        .fetch_all()
        .await?)
}

/// Rejected events per reason code, summed over `cards`.
pub fn rejected_by_reason(cards: &[Scorecard]) -> BTreeMap<String, u64> {
    let mut all: BTreeMap<String, u64> = BTreeMap::new();
    for c in cards {
        for (code, n) in &c.rejected_by_reason {
            *all.entry(code.clone()).or_default() += n;
        }
    }
    all
}
