//! Cuts, holds and the writer–reader hand-over, on rows the judge made from real messages.

use chrono::{DateTime, Utc};
use schemas::clock::ReportingSettings;
use schemas::storage::Origin;
use serde_json::{json, Value};

use super::*;
use crate::insert::Hold;
use crate::judge::{judge, Book, Message, Policy};

const CINEMA: &str = "000000000010";
const TOPIC: &str = "t";

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn sale(n: u32) -> Value {
    json!({
        "schema": "ekino.ticket/1", "event_id": id(n), "type": "sale", "cinema_bin": CINEMA,
        "hall": "1", "screening_id": "S1", "film_id": "F1",
        "show_start": "2026-11-20T19:00:00+05:00", "occurred_at": "2026-11-20T18:00:00+05:00",
        "price": "2000", "currency": "KZT", "vat_rate": "0.16", "seat": null,
        "channel": "box_office", "ticket_type": "full"
    })
}

fn refund(n: u32, of: u32) -> Value {
    let mut v = sale(n);
    v["type"] = json!("refund");
    v["refund_of"] = json!(id(of));
    v
}

fn void(n: u32, of: u32) -> Value {
    json!({"schema": "ekino.ticket/1", "event_id": id(n), "type": "void", "cinema_bin": CINEMA,
           "occurred_at": "2026-11-20T20:00:00+05:00", "voids": id(of), "reason": "keyed twice"})
}

/// Judges `msgs` at offsets 0.. of partition 0 into one batch.
fn judged(msgs: &[Value]) -> Batch {
    let policy = Policy {
        max_event_age_days: Some(400),
        correction_window_days: Some(14),
        reporting: ReportingSettings::default(),
        backfill: false,
    };
    let now: DateTime<Utc> = "2026-11-20T21:00:00+05:00".parse().unwrap();
    let mut book = Book::default();
    let mut out = Batch::default();
    for (offset, v) in msgs.iter().enumerate() {
        let payload = serde_json::to_vec(v).unwrap();
        let m = Message {
            origin: Origin {
                topic: TOPIC.into(),
                partition: 0,
                offset: offset as i64,
            },
            key: Some(CINEMA.as_bytes()),
            payload: Some(&payload),
        };
        judge(&mut book, &policy, &m, now, &mut out);
        out.advance(TOPIC, 0, offset as i64);
    }
    out
}

/// Offsets: 0 sale A; 1 refund of sale 9, which waits; 2 sale E; 3 refund of E;
/// 4 sale 9, which releases the refund at 1; 5 sale B; 6 void of B.
fn scene() -> Batch {
    judged(&[
        sale(1),
        refund(2, 9),
        sale(3),
        refund(4, 3),
        sale(9),
        sale(5),
        void(6, 5),
    ])
}

fn offsets<T: Positioned>(rows: &[T]) -> Vec<i64> {
    rows.iter().map(|r| r.position().2).collect()
}

#[test]
fn the_scene_is_what_the_judge_says() {
    let b = scene();
    // Sales 0, 2, 4, 5; the refund of E at 3; the released refund at 1 (after its sale).
    assert_eq!(offsets(&b.tickets), vec![0, 2, 3, 4, 1, 5]);
    assert_eq!(offsets(&b.pending), vec![1]);
    assert_eq!(offsets(&b.voids), vec![6]);
    assert_eq!(b.void_targets.len(), 1);
    assert_eq!(
        b.released,
        vec![crate::batch::Released {
            topic: TOPIC.into(),
            partition: 0,
            offset: 1,
            by: 4
        }]
    );
}

#[test]
fn a_refused_sale_holds_back_its_refund_and_what_its_message_released() {
    let b = scene();
    let mut hold = TicketHold::new(&b);
    let row = |o: i64| b.tickets.iter().find(|r| r.kafka_offset == o).unwrap();
    assert!(!hold.holds(row(3)), "nothing is held before a refusal");
    hold.refused(row(2));
    assert!(hold.holds(row(3)), "the refund of the refused sale");
    assert!(!hold.holds(row(0)) && !hold.holds(row(4)) && !hold.holds(row(1)));
    hold.refused(row(4));
    assert!(hold.holds(row(1)), "the refund the refused sale released");
    hold.forget();
    assert!(
        !hold.holds(row(3)) && !hold.holds(row(1)),
        "a new try starts over"
    );
}

#[test]
fn a_cut_drops_what_came_from_its_message_on_and_what_those_released() {
    let mut b = scene();
    let mut cuts = Cuts::default();
    cuts.add(TOPIC, 0, 4);
    cuts.add(TOPIC, 0, 5);
    assert_eq!(cuts.at(TOPIC, 0), Some(4), "the earliest refusal cuts");
    cuts.apply(&mut b, true);
    // The refund at 1 counted only because sale 9 (at 4) came: it goes; its waiting row stays.
    assert_eq!(offsets(&b.tickets), vec![0, 2, 3]);
    assert_eq!(offsets(&b.pending), vec![1]);
    assert!(b.voids.is_empty() && b.void_targets.is_empty());
    assert_eq!(
        b.last_offsets.get(&(TOPIC.to_owned(), 0)),
        Some(&4),
        "the refused message is committed, nothing after it"
    );
    // A later batch of the same partition, judged before the reader heard: nothing of it.
    let mut later = judged(&[sale(1)]);
    later.last_offsets.insert((TOPIC.to_owned(), 0), 9);
    let mut later_cut = Cuts::default();
    later_cut.add(TOPIC, 0, 0);
    later_cut.apply(&mut later, false);
    assert!(later.tickets.is_empty() && later.last_offsets.is_empty());
}

#[test]
fn batches_are_cut_until_the_reader_has_judged_the_partition_again() {
    let f = Fences::default();
    let mut cuts = Cuts::default();
    cuts.add(TOPIC, 0, 7);
    f.refused(&cuts);
    assert_eq!(
        f.cuts_for(0).at(TOPIC, 0),
        Some(7),
        "judged before the rewind"
    );
    assert_eq!(f.take_rewinds(), vec![((TOPIC.to_owned(), 0), 7)]);
    assert!(f.take_rewinds().is_empty(), "asked once");
    assert_eq!(
        f.cuts_for(0).at(TOPIC, 0),
        Some(7),
        "still cut: the reader has not answered"
    );
    f.rewound(&(TOPIC.to_owned(), 0), 1);
    assert_eq!(
        f.cuts_for(0).at(TOPIC, 0),
        Some(7),
        "an older batch is still cut"
    );
    assert!(f.cuts_for(1).is_empty(), "judged after the rewind");
    assert!(f.cuts_for(0).is_empty(), "and the cut is gone for good");
    // A new refusal in the same partition is a new cut.
    let mut again = Cuts::default();
    again.add(TOPIC, 0, 12);
    f.refused(&again);
    assert_eq!(f.cuts_for(1).at(TOPIC, 0), Some(12));
}
