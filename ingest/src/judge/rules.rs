//! The verdict on one message, given what its partition has accepted before it. Pure: the
//! arrival time is an argument, the book is the only state, the outputs go into the batch.
//!
//! # Rules
//! - The Kafka key must be the event's `cinema_bin` (`foreign_cinema`).
//! - An event is (`cinema_bin`, `event_id`); its first accepted version stands. A re-send with
//!   the same fingerprint counts once; any other content is `conflicting_duplicate`.
//! - A refund counts against a known sale of its cinema, once, for at most the sale's price,
//!   as one admission less, at the sale's day and VAT rate; film, hall and screening must
//!   agree (`refund_link`). A second refund or one above the price is `refund_exceeds_sale`.
//!   A refund of an unknown sale waits (`pending_refunds`) and counts when its sale arrives
//!   (of several, the first to arrive; the others get their verdict then).
//! - A void takes a sale or refund of its cinema out of every total within the correction
//!   window of the voided event's day; a refund's void reopens its sale; a pending refund's
//!   void drops it. Refused: a sale with a counted refund, a void, an unknown or another
//!   cinema's event, an event already voided, a closed window.
//! - An accepted change that arrives after its group's day closed is listed as a correction.
//!
//! # Replays
//! A message whose position the book already holds (its accepted version has this offset) is
//! a replay after a crash or a rebalance: its rows are emitted again exactly as first
//! written (same arrival, so the same verdict), and its side effects run again only where
//! the book shows they have not happened.

use chrono::{DateTime, Utc};
use schemas::clock::ReportingSettings;
use schemas::event::fingerprint;
use schemas::event::{
    decode_event, decode_event_untimed, Checks, Event, EventType, TicketEvent, VoidEvent,
};
use schemas::reject::{RejectReason as R, Rejection};
use schemas::storage::{CorrectionRow, Origin, RejectedRow, TicketRow, VoidRow};
use schemas::time::date_from_days;

use super::book::{cinema_key, Book, Entry, Kind, Waiting};
use crate::batch::{Batch, VoidTarget};

/// The limits a verdict depends on (ingest settings, or a backfill's exemptions).
#[derive(Debug, Clone)]
pub struct Policy {
    /// `None`: no age limit (backfill).
    pub max_event_age_days: Option<u32>,
    /// `None`: no correction window (backfill).
    pub correction_window_days: Option<u32>,
    pub reporting: ReportingSettings,
    /// Marks rows as history loaded by `ekino backfill`; backfilled events are not listed as
    /// corrections (history is not a change to a published day).
    pub backfill: bool,
}

/// One Kafka message as read.
pub struct Message<'a> {
    pub origin: Origin,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
}

fn secs(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp()).unwrap_or(0)
}

fn at(secs: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::from(secs), 0).unwrap_or_default()
}

fn reject(out: &mut Batch, msg: &Message<'_>, r: &Rejection, arrival: DateTime<Utc>) {
    tracing::debug!(partition = msg.origin.partition, offset = msg.origin.offset, reason = %r.reason, "event rejected");
    out.push_reject(RejectedRow::new(
        r,
        &msg.origin,
        msg.key,
        msg.payload.unwrap_or_default(),
        arrival,
    ));
}

/// Judges one message into `out`.
pub fn judge(
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    now: DateTime<Utc>,
    out: &mut Batch,
) {
    if let Some(row) = book.replayed_rejects.get(&msg.origin.offset) {
        out.push_reject(row.clone());
        return;
    }
    let Some(payload) = msg.payload else {
        return reject(
            out,
            msg,
            &Rejection::new(R::Malformed, None, "message has no payload"),
            now,
        );
    };
    let checks = Checks {
        now,
        max_age_days: policy.max_event_age_days,
    };
    let event = match decode_event(payload, &checks) {
        Ok(e) => e,
        // Too old or too far ahead *now*: what was judged in time keeps that verdict, so a
        // replay, or a re-send of an accepted event, is recognised before its age counts.
        Err(r) if matches!(r.reason, R::StaleTimestamp | R::FutureTimestamp) => {
            match decode_event_untimed(payload) {
                Ok(e) if judged_before(book, msg, &e) => e,
                _ => return reject(out, msg, &r, now),
            }
        }
        Err(r) => return reject(out, msg, &r, now),
    };
    let bin = event.cinema_bin().as_str();
    if msg.key != Some(bin.as_bytes()) {
        let key = msg.key.map(String::from_utf8_lossy).unwrap_or_default();
        let r = Rejection::field(R::ForeignCinema, "cinema_bin", format!("is not the sender's cinema: the Kafka key is {key:?}; a cinema's events are keyed by its own BIN"));
        return reject(out, msg, &r, now);
    }
    let cinema = cinema_key(bin);
    let id = event.event_id().uuid().as_u128();
    if let Some(first) = book.get(cinema, id).copied() {
        if first.offset == msg.origin.offset {
            return replay(book, policy, msg, event, first, out);
        }
        if first.fingerprint == fingerprint::of(&event) {
            out.duplicates += 1;
            return;
        }
        let r = Rejection::field(
            R::ConflictingDuplicate,
            "event_id",
            format!(
                "was first accepted at partition {} offset {} with other content; a changed event needs a new event_id (void the first one if it was a mistake)",
                msg.origin.partition, first.offset
            ),
        );
        return reject(out, msg, &r, now);
    }
    match event {
        Event::Ticket(t) if t.event_type == EventType::Sale => sale(book, policy, msg, t, now, out),
        Event::Ticket(t) => refund(book, policy, msg, t, now, out),
        Event::Void(v) => void(book, policy, msg, v, now, out),
    }
}

/// Whether `event` was accepted before from this message (a replay) or with this content (a
/// re-send), by its own cinema's key.
fn judged_before(book: &Book, msg: &Message<'_>, event: &Event) -> bool {
    let bin = event.cinema_bin().as_str();
    if msg.key != Some(bin.as_bytes()) {
        return false;
    }
    let id = event.event_id().uuid().as_u128();
    book.get(cinema_key(bin), id).is_some_and(|first| {
        first.offset == msg.origin.offset || first.fingerprint == fingerprint::of(event)
    })
}

fn link_of(row: &TicketRow) -> u64 {
    fingerprint::screening_link(&row.film_id, &row.hall, &row.screening_id)
}

fn new_row(
    t: TicketEvent,
    msg: &Message<'_>,
    arrival: DateTime<Utc>,
    policy: &Policy,
) -> TicketRow {
    let mut row = TicketRow::from_owned_event(t, &msg.origin, arrival);
    row.backfill = u8::from(policy.backfill);
    row
}

fn sale(
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    t: TicketEvent,
    now: DateTime<Utc>,
    out: &mut Batch,
) {
    let id = t.event_id.uuid().as_u128();
    let row = new_row(t, msg, now, policy);
    let e = Entry::of_row(book, &row, Kind::Sale);
    book.insert(id, e);
    correction(
        policy,
        &row,
        "sale",
        row.qty.into(),
        row.gross_tiyn,
        row.net_tiyn,
        out,
    );
    out.push_ticket(row);
    settle_waiting(book, policy, e.cinema, id, out);
}

/// Why a refund cannot count against `sale`, if it cannot.
fn refund_fault(sale: &Entry, link: u64, refund: &TicketRow) -> Option<Rejection> {
    let amount = refund.price_tiyn;
    let kind = match sale.kind {
        Kind::Sale => None,
        Kind::Refund | Kind::Pending => Some("a refund"),
        Kind::Void => Some("a void"),
    };
    if let Some(k) = kind {
        return Some(Rejection::field(
            R::RefundLink,
            "refund_of",
            format!("names {k}, not a sale"),
        ));
    }
    if sale.voided {
        return Some(Rejection::field(
            R::RefundLink,
            "refund_of",
            "names a voided sale",
        ));
    }
    if sale.link != link {
        return Some(Rejection::field(
            R::RefundLink,
            "refund_of",
            "film, hall or screening differs from the sale's",
        ));
    }
    if sale.refunded {
        return Some(Rejection::field(
            R::RefundExceedsSale,
            "refund_of",
            "the sale is already refunded",
        ));
    }
    if amount > i64::from(sale.amount) {
        return Some(Rejection::field(
            R::RefundExceedsSale,
            "price",
            format!(
                "refunds {} KZT, more than the sale's price {} KZT",
                schemas::Kzt::from_tiyn(amount),
                schemas::Kzt::from_tiyn(sale.amount.into())
            ),
        ));
    }
    // A refund counts at its sale's rate; the rate it carries is its sale's, or one in force
    // on its own dates (decode leaves a refund's rate to be judged here, by its sale).
    if refund.vat_rate_x10000 != u32::from(sale.vat) && !own_vat_in_force(refund) {
        let rate = |units: u32| schemas::VatRate::from_units(units).to_string();
        return Some(Rejection::field(
            R::InvalidVatRate,
            "vat_rate",
            format!(
                "{} is neither its sale's rate ({}) nor a rate in force on the refund's own dates",
                rate(refund.vat_rate_x10000),
                rate(u32::from(sale.vat))
            ),
        ));
    }
    None
}

/// Whether a ticket row's `vat_rate` is in force on its own sale date or screening day.
fn own_vat_in_force(row: &TicketRow) -> bool {
    let date = |secs: u32| {
        schemas::time::box_office_day(
            DateTime::from_timestamp(i64::from(secs), 0).unwrap_or_default(),
        )
    };
    schemas::vat::in_force(
        schemas::VatRate::from_units(row.vat_rate_x10000),
        date(row.occurred_at),
        date(row.show_start),
    )
}

fn refund(
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    t: TicketEvent,
    now: DateTime<Utc>,
    out: &mut Batch,
) {
    let id = t.event_id.uuid().as_u128();
    let sale_id = t.refund_of.map(|r| r.uuid().as_u128()).unwrap_or_default();
    let row = new_row(t, msg, now, policy);
    let cinema = cinema_key(&row.cinema_bin);
    let link = link_of(&row);
    match book.get(cinema, sale_id).copied() {
        None if book.belongs_to_other(cinema, sale_id) => {
            reject(
                out,
                msg,
                &Rejection::field(R::RefundLink, "refund_of", "names another cinema's sale"),
                now,
            );
        }
        None => {
            let e = Entry::of_row(book, &row, Kind::Pending);
            book.insert(id, e);
            book.targets.insert((cinema, id), sale_id);
            book.waiting
                .entry((cinema, sale_id))
                .or_default()
                .push(Waiting {
                    row: row.clone(),
                    link,
                });
            out.pending.push(row);
        }
        Some(s) => match refund_fault(&s, link, &row) {
            Some(r) => reject(out, msg, &r, now),
            None => count_refund(book, policy, row, id, sale_id, out),
        },
    }
}

/// Counts a refund against its sale (checked): at the sale's day and VAT rate, effective from
/// the row's `arrived_at`.
fn count_refund(
    book: &mut Book,
    policy: &Policy,
    mut row: TicketRow,
    id: u128,
    sale_id: u128,
    out: &mut Batch,
) {
    let cinema = cinema_key(&row.cinema_bin);
    let Some(sale) = book.get_mut(cinema, sale_id) else {
        return;
    };
    sale.refunded = true;
    let sale = *sale;
    row.take_sale_terms(sale.day, u32::from(sale.vat));
    let mut e = Entry::of_row(book, &row, Kind::Refund);
    e.film = sale.film;
    book.insert(id, e);
    book.targets.insert((cinema, id), sale_id);
    correction(
        policy,
        &row,
        "refund",
        row.qty.into(),
        row.gross_tiyn,
        row.net_tiyn,
        out,
    );
    out.push_ticket(row);
}

/// Refunds that waited for this sale: the first that fits counts (effective from the sale's
/// arrival), the others get their verdict now, at their own Kafka position.
fn settle_waiting(book: &mut Book, policy: &Policy, cinema: u64, sale_id: u128, out: &mut Batch) {
    let Some(list) = book.waiting.remove(&(cinema, sale_id)) else {
        return;
    };
    for w in list {
        let rid = uuid::Uuid::parse_str(&w.row.event_id)
            .map(|u| u.as_u128())
            .unwrap_or_default();
        let (Some(pending), Some(sale)) = (
            book.get(cinema, rid).copied(),
            book.get(cinema, sale_id).copied(),
        ) else {
            continue;
        };
        if pending.kind != Kind::Pending || pending.voided {
            continue;
        }
        // Its rows rest on the sale's: a refused sale takes them back (see `fence`).
        out.released.push(crate::batch::Released {
            topic: w.row.kafka_topic.clone(),
            partition: w.row.kafka_partition,
            offset: w.row.kafka_offset,
            by: sale.offset,
        });
        match refund_fault(&sale, w.link, &w.row) {
            None => {
                let mut row = w.row;
                row.arrived_at = sale.arrival;
                row.ingested_at = sale.arrival;
                count_refund(book, policy, row, rid, sale_id, out);
            }
            Some(r) => {
                // Rejected now: the entry goes, so a corrected re-send of this id can count.
                book.remove(cinema, rid);
                let origin = Origin {
                    topic: w.row.kafka_topic.clone(),
                    partition: w.row.kafka_partition,
                    offset: w.row.kafka_offset,
                };
                let kept = serde_json::to_vec(&w.row).unwrap_or_default();
                let r = Rejection { message: format!("{} (judged when its sale arrived; the refund as sent is in pending_refunds)", r.message), ..r };
                out.push_reject(RejectedRow::new(
                    &r,
                    &origin,
                    Some(w.row.cinema_bin.as_bytes()),
                    &kept,
                    at(sale.arrival),
                ));
            }
        }
    }
}

fn void(
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    v: VoidEvent,
    now: DateTime<Utc>,
    out: &mut Batch,
) {
    let cinema = cinema_key(v.cinema_bin.as_str());
    let target_id = v.voids.uuid().as_u128();
    let Some(target) = book.get(cinema, target_id).copied() else {
        let r = if book.belongs_to_other(cinema, target_id) {
            Rejection::field(
                R::VoidTargetForeign,
                "voids",
                "names another cinema's event",
            )
        } else {
            Rejection::field(
                R::VoidTargetUnknown,
                "voids",
                "names no accepted event of this cinema (a rejected event needs no void)",
            )
        };
        return reject(out, msg, &r, now);
    };
    let fault = match target.kind {
        Kind::Void => Some(Rejection::field(
            R::VoidOfVoid,
            "voids",
            "names a void; a void cannot be undone",
        )),
        _ if target.voided => Some(Rejection::field(
            R::VoidTargetUnknown,
            "voids",
            "names an event that is already voided",
        )),
        Kind::Sale if target.refunded => Some(Rejection::field(
            R::VoidRefundedSale,
            "voids",
            "names a sale with a counted refund: void the refund first",
        )),
        _ => None,
    };
    if let Some(r) = fault {
        return reject(out, msg, &r, now);
    }
    if let Some(window) = policy.correction_window_days {
        let arrived_on = schemas::time::box_office_day(now);
        let day = date_from_days(target.day);
        let late_by = (arrived_on - day).num_days();
        if late_by > i64::from(window) {
            let r = Rejection::field(
                R::CorrectionWindowClosed,
                "voids",
                format!("arrived {late_by} days after the voided event's day {day}; corrections are accepted for {window} days"),
            );
            return reject(out, msg, &r, now);
        }
    }
    let e = Entry::void_of(
        &target,
        msg.origin.offset,
        fingerprint::of_void(&v),
        secs(now),
    );
    book.record_void(v.event_id.uuid().as_u128(), e, target_id);
    emit_void(book, policy, msg, &v, e, target, target_id, out);
}

/// The rows of an accepted void: its record, the voided row's new version and the
/// correction (a pending refund's void changes no figure, so it has neither).
#[allow(clippy::too_many_arguments)]
fn emit_void(
    book: &Book,
    policy: &Policy,
    msg: &Message<'_>,
    v: &VoidEvent,
    e: Entry,
    target: Entry,
    target_id: u128,
    out: &mut Batch,
) {
    let film = book.film(target.film).to_owned();
    let bin = v.cinema_bin.as_str().to_owned();
    let target_event = uuid::Uuid::from_u128(target_id).hyphenated().to_string();
    out.voids.push(VoidRow {
        cinema_bin: bin.clone(),
        event_id: v.event_id.to_string(),
        voids: target_event.clone(),
        reason: v.reason.clone(),
        occurred_at: secs(v.occurred_at),
        arrived_at: e.arrival,
        target_day: target.day,
        target_film: film.clone(),
        fingerprint: e.fingerprint,
        kafka_topic: msg.origin.topic.clone(),
        kafka_partition: msg.origin.partition,
        kafka_offset: msg.origin.offset,
        backfill: u8::from(policy.backfill),
    });
    if target.kind == Kind::Pending {
        return;
    }
    out.void_targets.push(VoidTarget {
        day: target.day,
        film_id: film.clone(),
        cinema_bin: bin.clone(),
        event_id: target_event,
        void_id: v.event_id.to_string(),
        void_arrived_at: e.arrival,
    });
    let (qty, amount): (i64, i64) = match target.kind {
        Kind::Refund => (1, i64::from(target.amount)),
        _ => (-1, -i64::from(target.amount)),
    };
    let net = qty.signum()
        * schemas::VatRate::from_units(u32::from(target.vat))
            .net_of(schemas::Kzt::from_tiyn(amount.abs()))
            .tiyn();
    let as_row = CorrectionTarget {
        day: target.day,
        cinema_bin: &bin,
        film_id: &film,
        event_id: &v.event_id.to_string(),
        arrived_at: e.arrival,
        origin: &msg.origin,
    };
    push_correction(policy, as_row, "void", qty, amount, net, out);
}

/// Emits again what a replayed message produced the first time.
fn replay(
    book: &mut Book,
    policy: &Policy,
    msg: &Message<'_>,
    event: Event,
    first: Entry,
    out: &mut Batch,
) {
    let arrival = at(first.arrival);
    match (event, first.kind) {
        (Event::Ticket(t), Kind::Sale) => {
            let id = t.event_id.uuid().as_u128();
            let row = new_row(t, msg, arrival, policy);
            correction(
                policy,
                &row,
                "sale",
                row.qty.into(),
                row.gross_tiyn,
                row.net_tiyn,
                out,
            );
            out.push_ticket(row);
            settle_waiting(book, policy, first.cinema, id, out);
        }
        (Event::Ticket(t), Kind::Refund) => {
            let mut row = new_row(t, msg, arrival, policy);
            row.take_sale_terms(first.day, u32::from(first.vat));
            correction(
                policy,
                &row,
                "refund",
                row.qty.into(),
                row.gross_tiyn,
                row.net_tiyn,
                out,
            );
            out.push_ticket(row);
        }
        (Event::Ticket(t), Kind::Pending) => out.pending.push(new_row(t, msg, arrival, policy)),
        (Event::Void(v), Kind::Void) => {
            let id = v.event_id.uuid().as_u128();
            let Some(target_id) = book.targets.get(&(first.cinema, id)).copied() else {
                return;
            };
            let Some(target) = book.get(first.cinema, target_id).copied() else {
                return;
            };
            emit_void(book, policy, msg, &v, first, target, target_id, out);
        }
        // The same position with another kind cannot happen (one message, one verdict).
        (e, k) => {
            tracing::error!(offset = msg.origin.offset, kind = ?k, event = ?e.event_id(), "replayed message does not match its stored verdict")
        }
    }
}

struct CorrectionTarget<'a> {
    day: u16,
    cinema_bin: &'a str,
    film_id: &'a str,
    event_id: &'a str,
    arrived_at: u32,
    origin: &'a Origin,
}

fn correction(
    policy: &Policy,
    row: &TicketRow,
    kind: &str,
    qty: i64,
    gross: i64,
    net: i64,
    out: &mut Batch,
) {
    // The common case first, before anything is allocated: a change to an open day.
    if policy.backfill || i64::from(row.arrived_at) <= policy.reporting.closes_at_secs(row.day) {
        return;
    }
    let origin = Origin {
        topic: row.kafka_topic.clone(),
        partition: row.kafka_partition,
        offset: row.kafka_offset,
    };
    let t = CorrectionTarget {
        day: row.day,
        cinema_bin: &row.cinema_bin,
        film_id: &row.film_id,
        event_id: &row.event_id,
        arrived_at: row.arrived_at,
        origin: &origin,
    };
    push_correction(policy, t, kind, qty, gross, net, out);
}

/// Lists a change that took effect after its day had closed.
fn push_correction(
    policy: &Policy,
    t: CorrectionTarget<'_>,
    kind: &str,
    qty: i64,
    gross: i64,
    net: i64,
    out: &mut Batch,
) {
    if policy.backfill || i64::from(t.arrived_at) <= policy.reporting.closes_at_secs(t.day) {
        return;
    }
    out.corrections.push(CorrectionRow {
        day: t.day,
        cinema_bin: t.cinema_bin.to_owned(),
        film_id: t.film_id.to_owned(),
        event_id: t.event_id.to_owned(),
        kind: kind.to_owned(),
        d_admissions: qty,
        d_gross_tiyn: gross,
        d_net_tiyn: net,
        arrived_at: t.arrived_at,
        kafka_topic: t.origin.topic.clone(),
        kafka_partition: t.origin.partition,
        kafka_offset: t.origin.offset,
    });
}
