//! Rebuilds a partition's [`Book`] from what ClickHouse holds, when the partition is assigned
//! (start-up, rebalance): accepted sales and refunds (`ticket_events`), voids
//! (`event_voids`), refunds still waiting (`pending_refunds` less those settled since), all
//! within the dedup horizon; and the verdicts already stored for positions at or after the
//! one reading resumes from, so that a replayed message gets its first verdict again.
//!
//! Cost: one scan per table filtered by Kafka partition (the tables are not keyed by it), so
//! a partition of a year's events takes seconds; it happens once per assignment.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clickhouse::Client;
use schemas::storage::{RejectedRow, TicketRow, VoidRow};

use super::book::{cinema_key, Book, Entry, Kind, Waiting};

fn uuid_of(s: &str) -> u128 {
    uuid::Uuid::parse_str(s)
        .map(|u| u.as_u128())
        .unwrap_or_default()
}

/// Loads the book of `topic`/`partition`; `resume_offset` is the first offset about to be
/// read, `now` and `horizon_days` bound what is remembered.
pub async fn load(
    client: &Client,
    topic: &str,
    partition: i32,
    resume_offset: i64,
    now: DateTime<Utc>,
    horizon_days: u32,
    timeout: Duration,
) -> Result<Book, clickhouse::error::Error> {
    let since = (now - chrono::Duration::days(i64::from(horizon_days)))
        .timestamp()
        .max(0);
    let t = timeout.as_secs().max(1).to_string();
    let mut book = Book::default();

    let rows = |sql: String, bound: i64| {
        client
            .query(&sql)
            .bind(topic)
            .bind(partition)
            .bind(bound)
            .with_setting("max_execution_time", t.clone())
    };
    // What can still be referred to (see `book`): arrived within the horizon, or for a
    // screening day within it (the horizon's first box-office day, written by ekino itself).
    let since_day =
        schemas::time::box_office_day(DateTime::from_timestamp(since, 0).unwrap_or_default());
    let within =
        |day: &str| format!("(arrived_at >= toDateTime(?) OR {day} >= toDate('{since_day}'))");
    // Without FINAL: `FINAL` merges the whole table for every partition's load, and the
    // versions of one event (a replayed copy, the voided version) are folded here instead.
    let tickets: Vec<TicketRow> = rows(
        format!(
            "SELECT ?fields FROM ticket_events WHERE kafka_topic = ? AND kafka_partition = ? AND {}",
            within("day")
        ),
        since,
    )
    .fetch_all()
    .await?;
    for r in &tickets {
        let id = uuid_of(&r.event_id);
        let kind = if r.event_type == schemas::EventType::Refund.to_i8() {
            Kind::Refund
        } else {
            Kind::Sale
        };
        let mut e = Entry::of_row(&mut book, r, kind);
        if let Some(seen) = book.get(e.cinema, id) {
            // Another version of the same event: voided if any version is.
            e.voided |= seen.voided;
        }
        book.insert(id, e);
        if kind == Kind::Refund {
            book.targets.insert((e.cinema, id), uuid_of(&r.refund_of));
        }
    }
    // A sale is refunded when a refund of it counts (is not voided).
    let counted: Vec<(u64, u128)> = tickets
        .iter()
        .filter(|r| r.event_type == schemas::EventType::Refund.to_i8())
        .map(|r| {
            (
                cinema_key(&r.cinema_bin),
                uuid_of(&r.event_id),
                uuid_of(&r.refund_of),
            )
        })
        .filter(|(c, id, _)| book.get(*c, *id).is_some_and(|e| !e.voided))
        .map(|(c, _, sale)| (c, sale))
        .collect();
    for (cinema, sale) in counted {
        if let Some(s) = book.get_mut(cinema, sale) {
            s.refunded = true;
        }
    }
    drop(tickets);

    // Waiting refunds: pending rows not counted (a ticket row) and not rejected since.
    let waiting: Vec<TicketRow> = rows(
        format!(
            "SELECT ?fields FROM pending_refunds FINAL WHERE kafka_topic = ? AND kafka_partition = ? AND {} \
             AND (cinema_bin, event_id) NOT IN (SELECT cinema_bin, event_id FROM ticket_events WHERE event_type = 'refund') \
             AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM rejected_events) \
             ORDER BY kafka_offset",
            within("day")
        ),
        since,
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

    let voids: Vec<VoidRow> =
        rows(
            format!(
                "SELECT ?fields FROM event_voids FINAL WHERE kafka_topic = ? AND kafka_partition = ? AND {}",
                within("target_day")
            ),
            since,
        )
        .fetch_all()
        .await?;
    for v in voids {
        let cinema = cinema_key(&v.cinema_bin);
        let id = uuid_of(&v.event_id);
        let target_id = uuid_of(&v.voids);
        // A target older than the horizon is forgotten: the void keeps its group.
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
        });
        book.record_void(
            id,
            Entry::void_of(&target, v.kafka_offset, v.fingerprint, v.arrived_at),
            target_id,
        );
    }

    let replayed: Vec<RejectedRow> =
        rows("SELECT ?fields FROM rejected_events FINAL WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset >= ?".into(), resume_offset).fetch_all().await?;
    book.replayed_rejects = replayed.into_iter().map(|r| (r.kafka_offset, r)).collect();
    Ok(book)
}
