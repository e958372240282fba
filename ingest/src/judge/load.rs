//! A partition's [`Book`] from what ClickHouse holds: built when the partition is assigned
//! (start-up, rebalance, a rewind, a filter grown past its size), and asked when a message
//! names an event the book does not hold in memory.
//!
//! # Building
//! - the filter: every id of the partition's stored tickets within the dedup horizon
//!   (`event_index`, streamed: ids only);
//! - memory: the tickets of the newest `ingest.hot_events` positions before where reading
//!   resumes (so a replay finds its first verdict without asking), with the refunds stored
//!   against those sales wherever they are; the refunds still waiting (`pending_refunds`
//!   less those settled since); the voids (`event_voids`); all within the horizon;
//! - the verdicts already stored for positions at or after the one reading resumes from, so
//!   that a replayed message gets its first verdict again.
//!
//! # Looking up
//! [`look_up`] reads `event_index` by id (its sorting key) for the ids a message needs:
//! each event's stored versions (voided when any is) and, for a sale, the refunds stored
//! against it (refunded when one of them is not voided). [`judge`] judges a message,
//! looking up until the book can decide.
//!
//! Cost: the build scans the partition's index rows once (ids only) and reads the hot rows;
//! a lookup reads one or a few granules of the index.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clickhouse::{Client, Row};
use schemas::storage::{RejectedRow, TicketRow, VoidRow};
use serde::Deserialize;

use super::book::{cinema_key, Book, Entry, Kind, Waiting};
use super::rules::{self, Judged, Message, Policy};
use crate::batch::Batch;

fn uuid_of(s: &str) -> u128 {
    uuid::Uuid::parse_str(s)
        .map(|u| u.as_u128())
        .unwrap_or_default()
}

/// One row of `event_index` (`schemas/sql/012_event_index.sql`).
#[derive(Debug, Clone, Row, Deserialize)]
pub struct IndexRow {
    pub key_id: String,
    /// 1: the event under its own id; 2: a refund under its sale's id.
    pub role: u8,
    pub event_id: String,
    pub event_type: i8,
    pub cinema_bin: String,
    pub refund_of: String,
    pub voided: u8,
    pub film_id: String,
    pub hall: String,
    pub screening_id: String,
    pub day: u16,
    pub price_tiyn: i64,
    pub vat_rate_x10000: u32,
    pub arrived_at: u32,
    pub fingerprint: u64,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
}

impl IndexRow {
    fn is_refund(&self) -> bool {
        self.event_type == schemas::EventType::Refund.to_i8()
    }

    fn entry(&self, book: &mut Book) -> Entry {
        Entry {
            cinema: cinema_key(&self.cinema_bin),
            offset: self.kafka_offset,
            fingerprint: self.fingerprint,
            link: schemas::event::fingerprint::screening_link(
                &self.film_id,
                &self.hall,
                &self.screening_id,
            ),
            arrival: self.arrived_at,
            day: self.day,
            vat: u16::try_from(self.vat_rate_x10000).unwrap_or(u16::MAX),
            amount: u32::try_from(self.price_tiyn).unwrap_or(u32::MAX),
            film: book.film_index(&self.film_id),
            kind: if self.is_refund() {
                Kind::Refund
            } else {
                Kind::Sale
            },
            voided: self.voided != 0,
            refunded: false,
            touched: self.kafka_offset,
        }
    }
}

/// What can still be referred to (see `book`): arrived within the horizon, or for a
/// screening day within it (the horizon's first box-office day, written by ekino itself).
struct Horizon {
    since: i64,
    since_day: chrono::NaiveDate,
}

impl Horizon {
    fn new(now: DateTime<Utc>, horizon_days: u32) -> Self {
        let since = (now - chrono::Duration::days(i64::from(horizon_days)))
            .timestamp()
            .max(0);
        let since_day =
            schemas::time::box_office_day(DateTime::from_timestamp(since, 0).unwrap_or_default());
        Self { since, since_day }
    }

    /// The condition, with `arrived_at`'s bound as a literal (so it needs no bind).
    fn within(&self, day: &str) -> String {
        format!(
            "(arrived_at >= toDateTime({}) OR {day} >= toDate('{}'))",
            self.since, self.since_day
        )
    }
}

/// Where a book is built from and what it may hold.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub now: DateTime<Utc>,
    pub horizon_days: u32,
    /// Positions held in memory (see `book`).
    pub hot_events: usize,
    /// The smallest filter (ids).
    pub filter_min_ids: usize,
    pub timeout: Duration,
}

impl Scope<'_> {
    fn query(&self, client: &Client, sql: &str) -> clickhouse::query::Query {
        client
            .query(sql)
            .bind(self.topic)
            .bind(self.partition)
            .with_setting(
                "max_execution_time",
                self.timeout.as_secs().max(1).to_string(),
            )
    }
}

/// Loads the book of `scope`'s partition; `resume_offset` is the first offset about to be
/// read.
pub async fn load(
    client: &Client,
    scope: Scope<'_>,
    resume_offset: i64,
) -> Result<Book, clickhouse::error::Error> {
    let h = Horizon::new(scope.now, scope.horizon_days);
    let part = "kafka_topic = ? AND kafka_partition = ?";
    let floor = resume_offset.saturating_sub(i64::try_from(scope.hot_events).unwrap_or(i64::MAX));

    let stored: u64 = scope
        .query(
            client,
            &format!(
                "SELECT count() FROM event_index WHERE {part} AND role = 1 AND {}",
                h.within("day")
            ),
        )
        .fetch_one()
        .await?;
    let stored = usize::try_from(stored).unwrap_or(usize::MAX);
    let mut book = Book::with_capacity(stored.saturating_mul(2).max(scope.filter_min_ids));

    // The filter: the ids below the hot positions (the hot ones enter with their entries).
    let mut ids = scope
        .query(
            client,
            &format!(
                "SELECT event_id FROM event_index WHERE {part} AND role = 1 AND kafka_offset < {floor} AND {}",
                h.within("day")
            ),
        )
        .fetch::<String>()?;
    while let Some(id) = ids.next().await? {
        book.remember_id(uuid_of(&id));
    }

    // Memory: the hot positions' tickets, and the refunds stored against their sales.
    let hot: Vec<IndexRow> = scope
        .query(
            client,
            &format!(
                "SELECT ?fields FROM event_index WHERE {part} AND {within} AND (kafka_offset >= {floor} \
                 OR (role = 2 AND key_id IN (SELECT event_id FROM event_index WHERE {part} AND role = 1 AND kafka_offset >= {floor} AND {within})))",
                within = h.within("day")
            ),
        )
        .bind(scope.topic)
        .bind(scope.partition)
        .fetch_all()
        .await?;
    let hot = with_fingerprints(client, &scope, hot).await?;
    hold(&mut book, &hot, true);
    drop(hot);

    // Waiting refunds: pending rows not counted (a ticket row) and not rejected since.
    let waiting: Vec<TicketRow> = scope
        .query(
            client,
            &format!(
            "SELECT ?fields FROM pending_refunds FINAL WHERE {part} AND {} \
             AND (cinema_bin, event_id) NOT IN (SELECT cinema_bin, event_id FROM ticket_events WHERE event_type = 'refund') \
             AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM rejected_events) \
             ORDER BY kafka_offset",
            h.within("day")
        ),
        )
        .fetch_all()
        .await?;
    for r in waiting {
        let id = uuid_of(&r.event_id);
        let e = Entry::of_row(&mut book, &r, Kind::Pending);
        book.insert(id, e);
        let sale = uuid_of(&r.refund_of);
        book.targets.insert((e.cinema, id), sale);
        let link = e.link;
        book.waiting
            .entry((e.cinema, sale))
            .or_default()
            .push(Waiting { row: r, link });
    }

    let voids: Vec<VoidRow> = scope
        .query(
            client,
            &format!(
                "SELECT ?fields FROM event_voids FINAL WHERE {part} AND {}",
                h.within("target_day")
            ),
        )
        .fetch_all()
        .await?;
    for v in voids {
        let cinema = cinema_key(&v.cinema_bin);
        let id = uuid_of(&v.event_id);
        let target_id = uuid_of(&v.voids);
        // A target not in memory keeps its own stored state (voided); the void keeps its group.
        let target = book.get(cinema, target_id).copied().unwrap_or(Entry {
            cinema,
            offset: -1,
            fingerprint: 0,
            link: 0,
            arrival: v.arrived_at,
            day: v.target_day,
            vat: 0,
            amount: 0,
            film: book.film_index(&v.target_film),
            kind: Kind::Sale,
            voided: true,
            refunded: false,
            touched: v.kafka_offset,
        });
        book.record_void(
            id,
            Entry::void_of(&target, v.kafka_offset, v.fingerprint, v.arrived_at),
            target_id,
        );
    }

    let replayed: Vec<RejectedRow> = scope
        .query(
            client,
            "SELECT ?fields FROM rejected_events FINAL WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset >= ?",
        )
        .bind(resume_offset)
        .fetch_all()
        .await?;
    book.replayed_rejects = replayed.into_iter().map(|r| (r.kafka_offset, r)).collect();
    Ok(book)
}

/// Rebuilds the book's filter twice as large (it is full): every stored id of the partition
/// from `event_index`, and the ids memory holds. Nothing leaves memory meanwhile (the caller
/// awaits this), so every id is in one or the other.
pub async fn grow_filter(
    client: &Client,
    scope: Scope<'_>,
    book: &mut Book,
) -> Result<(), clickhouse::error::Error> {
    let h = Horizon::new(scope.now, scope.horizon_days);
    let mut filter = super::filter::Filter::with_capacity(
        book.filter_len()
            .saturating_mul(2)
            .max(scope.filter_min_ids),
    );
    let mut ids = scope
        .query(
            client,
            &format!(
                "SELECT event_id FROM event_index WHERE kafka_topic = ? AND kafka_partition = ? AND role = 1 AND {}",
                h.within("day")
            ),
        )
        .fetch::<String>()?;
    while let Some(id) = ids.next().await? {
        filter.insert(uuid_of(&id));
    }
    book.replace_filter(filter);
    Ok(())
}

/// Puts index rows in the book's memory: each event once (voided when any stored version
/// is), refunds with their sale (a refund found under its sale's id too), and a sale
/// refunded when a refund stored against it is not voided. `new` adds the ids to the filter too (a build), else they are in it (a lookup).
fn hold(book: &mut Book, rows: &[IndexRow], new: bool) -> Vec<(u128, Entry, Option<u128>)> {
    let mut events: std::collections::HashMap<(u64, u128), (Entry, Option<u128>)> =
        std::collections::HashMap::new();
    let mut refunds: std::collections::HashMap<(u64, u128), (u128, bool)> =
        std::collections::HashMap::new();
    for r in rows {
        let cinema = cinema_key(&r.cinema_bin);
        let id = uuid_of(&r.event_id);
        if r.is_refund() {
            let sale = uuid_of(&r.refund_of);
            let seen = refunds.entry((cinema, id)).or_insert((sale, false));
            seen.1 |= r.voided != 0;
        }
        // A refund stored against a sale (role 2) is that refund's own row too: held as its
        // event, so a message naming the refund finds it even if the filter does not know it
        // yet (another member stored it since this book was built).
        let e = r.entry(book);
        let target = r.is_refund().then(|| uuid_of(&r.refund_of));
        events
            .entry((cinema, id))
            .and_modify(|(seen, _)| seen.voided |= e.voided)
            .or_insert((e, target));
    }
    for ((cinema, _), (sale, voided)) in &refunds {
        if !voided {
            if let Some((s, _)) = events.get_mut(&(*cinema, *sale)) {
                s.refunded = true;
            }
        }
    }
    let found: Vec<(u128, Entry, Option<u128>)> = events
        .into_iter()
        .map(|((_, id), (e, t))| (id, e, t))
        .collect();
    if new {
        for (id, e, t) in &found {
            book.insert(*id, *e);
            if let Some(t) = t {
                book.targets.insert((e.cinema, *id), *t);
            }
        }
    }
    found
}

/// Rows stored before fingerprints were (fingerprint 0): the fingerprint of the event their
/// ticket row records, read from `ticket_events` by its sorting key.
async fn with_fingerprints(
    client: &Client,
    scope: &Scope<'_>,
    mut rows: Vec<IndexRow>,
) -> Result<Vec<IndexRow>, clickhouse::error::Error> {
    let old: Vec<usize> = (0..rows.len())
        .filter(|i| rows[*i].fingerprint == 0)
        .collect();
    for chunk in old.chunks(500) {
        // Days and ids only: a literal holding `?` would be taken for a bind, and days and
        // ids cannot hold one (the film, the key's second column, could).
        let (mut days, mut keys) = (String::new(), String::new());
        for (n, i) in chunk.iter().enumerate() {
            let r = &rows[*i];
            if n > 0 {
                days.push(',');
                keys.push(',');
            }
            days.push_str(&format!(
                "toDate('{}')",
                schemas::time::date_from_days(r.day)
            ));
            keys.push('(');
            schemas::ddl::push_literal(&mut keys, &r.cinema_bin);
            keys.push(',');
            schemas::ddl::push_literal(&mut keys, &r.event_id);
            keys.push(')');
        }
        let tickets: Vec<TicketRow> = scope
            .query(
                client,
                &format!(
                    "SELECT ?fields FROM ticket_events WHERE kafka_topic = ? AND kafka_partition = ? \
                     AND day IN ({days}) AND (cinema_bin, event_id) IN ({keys})"
                ),
            )
            .fetch_all()
            .await?;
        let by_id: std::collections::HashMap<(&str, &str), u64> = tickets
            .iter()
            .map(|t| {
                (
                    (t.cinema_bin.as_str(), t.event_id.as_str()),
                    t.event_fingerprint(),
                )
            })
            .collect();
        for i in chunk {
            let r = &mut rows[*i];
            if let Some(fp) = by_id.get(&(r.cinema_bin.as_str(), r.event_id.as_str())) {
                r.fingerprint = *fp;
            }
        }
    }
    Ok(rows)
}

/// Reads the stored state of `ids` (see the module docs) into the book's memory.
/// Ids asked for in one lookup statement at most (~40 bytes each: the statement stays well
/// under 64 KiB).
pub const MAX_LOOKUP_IDS: usize = 1000;

/// Reads the stored state of the (cinema, id) pairs (see the module docs) into the book's
/// memory, [`MAX_LOOKUP_IDS`] ids a statement.
pub async fn look_up(
    client: &Client,
    scope: Scope<'_>,
    book: &mut Book,
    wanted: &[(u64, u128)],
) -> Result<(), clickhouse::error::Error> {
    for chunk in wanted.chunks(MAX_LOOKUP_IDS) {
        look_up_some(client, scope, book, chunk).await?;
    }
    Ok(())
}

async fn look_up_some(
    client: &Client,
    scope: Scope<'_>,
    book: &mut Book,
    wanted: &[(u64, u128)],
) -> Result<(), clickhouse::error::Error> {
    let h = Horizon::new(scope.now, scope.horizon_days);
    let mut ids: Vec<u128> = wanted.iter().map(|(_, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut keys = String::new();
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            keys.push(',');
        }
        schemas::ddl::push_literal(
            &mut keys,
            &uuid::Uuid::from_u128(*id).hyphenated().to_string(),
        );
    }
    let rows: Vec<IndexRow> = scope
        .query(
            client,
            &format!(
                "SELECT ?fields FROM event_index WHERE key_id IN ({keys}) AND kafka_topic = ? AND kafka_partition = ? AND {}",
                h.within("day")
            ),
        )
        .fetch_all()
        .await?;
    let rows = with_fingerprints(client, &scope, rows).await?;
    let found = hold(book, &rows, false);
    book.cache(wanted, found);
    Ok(())
}

/// Judges `msg` into `out`, looking up what the book must ask storage first (see `rules`).
/// On a storage error nothing of the message is in `out`: judge it again.
pub async fn judge(
    client: &Client,
    scope: Scope<'_>,
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    out: &mut Batch,
) -> Result<(), clickhouse::error::Error> {
    loop {
        match rules::judge(book, policy, msg, scope.now, out) {
            Judged::Done => {
                book.judged();
                return Ok(());
            }
            Judged::LookUp(cinema, ids) => {
                let wanted: Vec<(u64, u128)> = ids.into_iter().map(|id| (cinema, id)).collect();
                look_up(client, scope, book, &wanted).await?
            }
        }
    }
}
