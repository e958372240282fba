//! The sessions topic (`kafka.sessions_topic`) → `declared_sessions`: cinemas' declared
//! sessions (contract `ekino.session/1`, `schemas::declared`), a side topic (`side`) consumed
//! in the group `<group_id>.sessions`. A message whose key is not its `cinema_bin` is
//! `foreign_cinema`, as on the ticket topic.

use chrono::{DateTime, Utc};
use schemas::declared::{self, DeclarationRow};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::Origin;

use crate::side::{self, Contract, Judged};

/// The sessions topic's contract.
pub struct Sessions;

impl Contract for Sessions {
    type Row = DeclarationRow;
    const NAME: &'static str = "sessions";
    const TABLE: &'static str = "declared_sessions";

    fn judge(
        origin: &Origin,
        key: Option<&[u8]>,
        payload: &[u8],
        arrived: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Judged<DeclarationRow> {
        let verdict = declared::decode(payload).and_then(|d| {
            if key.is_some_and(|k| k != d.cinema_bin.as_str().as_bytes()) {
                Err(Rejection::field(
                    RejectReason::ForeignCinema,
                    "cinema_bin",
                    "is not the message key's cinema",
                ))
            } else {
                Ok(DeclarationRow::new(&d, origin, arrived, now))
            }
        });
        side::judged(origin, key, payload, now, verdict)
    }

    fn kept(row: &DeclarationRow) -> (Origin, String, String) {
        let payload = serde_json::json!({
            "cinema_bin": row.cinema_bin, "screening_id": row.screening_id, "hall": row.hall,
            "film_id": row.film_id,
        })
        .to_string();
        (
            side::origin(&row.kafka_topic, row.kafka_partition, row.kafka_offset),
            row.cinema_bin.clone(),
            payload,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::side::Contract;

    fn origin() -> Origin {
        Origin {
            topic: "ekino.sessions".into(),
            partition: 2,
            offset: 7,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    const VALID: &str = r#"{"schema":"ekino.session/1","cinema_bin":"000000000010","hall":"1","screening_id":"S-1","film_id":"F-1","show_start":"2026-11-20T19:00:00+05:00","ends_at":"2026-11-20T21:00:00+05:00","seats_on_sale":100,"status":"cancelled","declared_at":"2026-11-19T10:00:00+05:00"}"#;

    #[test]
    fn a_declaration_is_stored_with_its_arrival_and_position() {
        let arrived = at("2026-11-19T10:00:05+05:00");
        let now = at("2026-11-19T10:00:06+05:00");
        let Judged::Stored(row) = Sessions::judge(
            &origin(),
            Some(b"000000000010"),
            VALID.as_bytes(),
            arrived,
            now,
        ) else {
            panic!("refused")
        };
        assert_eq!(row.arrived_at, schemas::time::secs(arrived));
        assert_eq!((row.kafka_partition, row.kafka_offset), (2, 7));
        assert_eq!(row.status, 2);
        // The same message judged again (a replay) is the same row but for when it was read.
        let Judged::Stored(again) = Sessions::judge(
            &origin(),
            Some(b"000000000010"),
            VALID.as_bytes(),
            arrived,
            at("2026-12-01T00:00:00Z"),
        ) else {
            panic!("refused on replay")
        };
        assert!(
            row.first_judged > again.first_judged,
            "the first judgement is kept"
        );
        assert_eq!(
            DeclarationRow {
                ingested_at: 0,
                first_judged: 0,
                ..again
            },
            DeclarationRow {
                ingested_at: 0,
                first_judged: 0,
                ..row
            }
        );
    }

    #[test]
    fn a_bad_or_foreign_declaration_is_kept_with_its_reason() {
        let now = at("2026-11-19T10:00:06+05:00");
        let Judged::Refused(r) =
            Sessions::judge(&origin(), Some(b"000000000028"), VALID.as_bytes(), now, now)
        else {
            panic!("a foreign key was accepted")
        };
        assert_eq!(
            (r.reason.as_str(), r.field.as_str()),
            ("foreign_cinema", "cinema_bin")
        );
        assert_eq!(r.payload, VALID);
        let bad = VALID.replace("cancelled", "moved");
        let Judged::Refused(r) = Sessions::judge(&origin(), None, bad.as_bytes(), now, now) else {
            panic!("a bad status was accepted")
        };
        assert_eq!(
            (r.reason.as_str(), r.field.as_str()),
            ("invalid_status", "status")
        );
    }
}
