//! Declared sessions: contract `ekino.session/1`, what a cinema's ticketing system says it
//! will show (hall, film, start and end, seats on sale), sent before the show on the topic
//! `kafka.sessions_topic` keyed by the cinema's BIN, or uploaded by the cinema.
//!
//! # Semantics
//! A session is (cinema, `screening_id`), the same `screening_id` its tickets carry. A later
//! declaration of the same session replaces the earlier one — "later" by `declared_at`, then
//! by arrival — and every declaration is kept, so the history of a session (moved, cancelled)
//! stays visible. A declaration counts as made *before* a show only if ekino received it
//! before `show_start` (its arrival, `ingest::side::arrival`): a `declared_at` or a message
//! timestamp written by the sender alone proves nothing.
//!
//! Decoding is stateless, so replaying a declaration always gives the same verdict. Bad
//! declarations are kept in `rejected_events` with their reason, as ticket events are.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::contract::{object, required, string, text, timestamp};

use crate::ids::{Bin, FilmId};
use crate::reject::{RejectReason as R, Rejection};

/// The contract of a declaration.
pub const SESSION_SCHEMA_ID: &str = "ekino.session/1";

/// The longest a declaration may be, in bytes.
pub const MAX_DECLARATION_BYTES: usize = 4 * 1024;

/// The most seats a session may offer (as a hall may have: `registry::MAX_HALL_SEATS`).
pub const MAX_SEATS_ON_SALE: u32 = crate::registry::MAX_HALL_SEATS;

/// The longest a session may last.
pub const MAX_SESSION_HOURS: i64 = 12;

/// The fields of `ekino.session/1`, all required.
pub const FIELDS: [&str; 10] = [
    "schema",
    "cinema_bin",
    "hall",
    "screening_id",
    "film_id",
    "show_start",
    "ends_at",
    "seats_on_sale",
    "status",
    "declared_at",
];

/// Whether a declared session will run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    Scheduled,
    Cancelled,
}

impl SessionStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scheduled" => Some(Self::Scheduled),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
        }
    }

    /// The value stored in the `Enum8` column.
    pub fn to_i8(self) -> i8 {
        match self {
            Self::Scheduled => 1,
            Self::Cancelled => 2,
        }
    }

    pub fn from_i8(n: i8) -> Option<Self> {
        match n {
            1 => Some(Self::Scheduled),
            2 => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A valid declaration of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub cinema_bin: Bin,
    pub hall: String,
    pub screening_id: String,
    pub film_id: FilmId,
    pub show_start: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub seats_on_sale: u32,
    pub status: SessionStatus,
    pub declared_at: DateTime<Utc>,
}

impl Declaration {
    /// The box-office day: local (UTC+5) date of the show's start, as for its tickets.
    pub fn day(&self) -> NaiveDate {
        crate::time::box_office_day(self.show_start)
    }

    /// The declaration as its JSON contract.
    pub fn to_json(&self) -> Value {
        let t = crate::event::wire::rfc3339_kz;
        serde_json::json!({
            "schema": SESSION_SCHEMA_ID,
            "cinema_bin": self.cinema_bin.as_str(),
            "hall": self.hall,
            "screening_id": self.screening_id,
            "film_id": self.film_id.as_str(),
            "show_start": t(self.show_start),
            "ends_at": t(self.ends_at),
            "seats_on_sale": self.seats_on_sale,
            "status": self.status.as_str(),
            "declared_at": t(self.declared_at),
        })
    }
}

/// Decodes one message of the sessions topic; a refusal names the field and the reason.
pub fn decode(bytes: &[u8]) -> Result<Declaration, Rejection> {
    let map = object(bytes, MAX_DECLARATION_BYTES, SESSION_SCHEMA_ID, &FIELDS)?;
    let cinema_bin = Bin::parse(string(&map, "cinema_bin")?)
        .map_err(|e| Rejection::field(R::InvalidBin, "cinema_bin", e))?;
    let hall = text(&map, "hall", crate::registry::MAX_HALL_CHARS)?;
    let screening_id = text(&map, "screening_id", 64)?;
    let film_id = FilmId::parse(string(&map, "film_id")?)
        .map_err(|e| Rejection::field(R::InvalidText, "film_id", e))?;
    let show_start = timestamp(&map, "show_start")?;
    let ends_at = timestamp(&map, "ends_at")?;
    let declared_at = timestamp(&map, "declared_at")?;
    if ends_at <= show_start {
        return Err(Rejection::field(
            R::InvalidInterval,
            "ends_at",
            "must be after show_start",
        ));
    }
    if ends_at - show_start > chrono::Duration::hours(MAX_SESSION_HOURS) {
        return Err(Rejection::field(
            R::InvalidInterval,
            "ends_at",
            format!("is more than {MAX_SESSION_HOURS} hours after show_start"),
        ));
    }
    let seats_on_sale = match required(&map, "seats_on_sale")?.as_u64() {
        Some(n) if n <= u64::from(MAX_SEATS_ON_SALE) => {
            u32::try_from(n).unwrap_or(MAX_SEATS_ON_SALE)
        }
        _ => {
            return Err(Rejection::field(
                R::InvalidSeats,
                "seats_on_sale",
                format!("must be a whole number from 0 to {MAX_SEATS_ON_SALE}"),
            ))
        }
    };
    let status = SessionStatus::parse(string(&map, "status")?).ok_or_else(|| {
        Rejection::field(R::InvalidStatus, "status", "must be scheduled or cancelled")
    })?;
    Ok(Declaration {
        cinema_bin,
        hall,
        screening_id,
        film_id,
        show_start,
        ends_at,
        seats_on_sale,
        status,
        declared_at,
    })
}

/// The declared sessions' CSV file (`POST /v1/sessions` with `Content-Type: text/csv`): a
/// header naming the contract's fields in any order (`schema` may be left out), a session a
/// row, read by the ticket file's rules (`event::csv`: comma or semicolon, UTF-8 or
/// Windows-1251, an empty cell an absent field, each row kept with its own text).
pub fn read_csv(
    bytes: &[u8],
    max_rows: usize,
) -> Result<crate::event::csv::CsvFile, crate::event::csv::CsvError> {
    crate::event::csv::read_with(bytes, max_rows, SESSION_SCHEMA_ID, &FIELDS, &row_json)
}

/// One CSV row as the JSON object of the contract; `seats_on_sale` a number when it reads as
/// one (else kept as written, for `decode` to refuse by name).
fn row_json(
    record: &csv::StringRecord,
    index: &crate::event::csv::ColumnIndex,
) -> Result<Vec<u8>, Rejection> {
    let mut m = Map::new();
    for (at, name) in FIELDS.iter().enumerate() {
        let cell = index[at]
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let value = match (*name, cell) {
            ("schema", None) if index[at].is_none() => Value::from(SESSION_SCHEMA_ID),
            (_, None) => continue,
            ("seats_on_sale", Some(c)) => c
                .parse::<u64>()
                .map_or_else(|_| Value::from(c), Value::from),
            (_, Some(c)) => Value::from(c),
        };
        m.insert((*name).to_owned(), value);
    }
    Ok(Value::Object(m).to_string().into_bytes())
}

/// One row of `declared_sessions`: a declaration as received (every one is kept).
#[cfg(feature = "storage")]
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, serde::Serialize, serde::Deserialize)]
pub struct DeclarationRow {
    pub cinema_bin: String,
    pub day: u16,
    pub screening_id: String,
    pub hall: String,
    pub film_id: String,
    pub show_start: u32,
    pub ends_at: u32,
    pub seats_on_sale: u32,
    pub status: i8,
    pub declared_at: u32,
    /// When ekino received it: what "declared before the show" means (`ingest::side::arrival`).
    pub arrived_at: u32,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub ingested_at: u32,
    /// `u32::MAX - ingested_at`: the table's replacing version, so the row of a message's
    /// first judgement is the one kept and its arrival never changes on a replay.
    pub first_judged: u32,
}

#[cfg(feature = "storage")]
impl DeclarationRow {
    pub fn new(
        d: &Declaration,
        origin: &crate::storage::Origin,
        arrived_at: DateTime<Utc>,
        ingested_at: DateTime<Utc>,
    ) -> Self {
        use crate::time::secs;
        Self {
            cinema_bin: d.cinema_bin.to_string(),
            day: crate::time::days_since_epoch(d.day()),
            screening_id: d.screening_id.clone(),
            hall: d.hall.clone(),
            film_id: d.film_id.to_string(),
            show_start: secs(d.show_start),
            ends_at: secs(d.ends_at),
            seats_on_sale: d.seats_on_sale,
            status: d.status.to_i8(),
            declared_at: secs(d.declared_at),
            arrived_at: secs(arrived_at),
            kafka_topic: origin.topic.clone(),
            kafka_partition: origin.partition,
            kafka_offset: origin.offset,
            ingested_at: secs(ingested_at),
            first_judged: u32::MAX - secs(ingested_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "schema": "ekino.session/1", "cinema_bin": "000000000010", "hall": "1",
            "screening_id": "S-1", "film_id": "F-1",
            "show_start": "2026-11-20T19:00:00+05:00", "ends_at": "2026-11-20T21:10:00+05:00",
            "seats_on_sale": 120, "status": "scheduled",
            "declared_at": "2026-11-19T10:00:00+05:00"
        })
    }

    fn refused(v: &Value) -> (String, Option<String>) {
        let r = decode(v.to_string().as_bytes()).unwrap_err();
        (r.reason.code().to_owned(), r.field)
    }

    fn with(field: &str, value: Value) -> Value {
        let mut v = valid();
        v[field] = value;
        v
    }

    #[test]
    fn a_valid_declaration_decodes_and_round_trips() {
        let d = decode(valid().to_string().as_bytes()).unwrap();
        assert_eq!(d.seats_on_sale, 120);
        assert_eq!(d.status, SessionStatus::Scheduled);
        assert_eq!(d.day(), NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(decode(d.to_json().to_string().as_bytes()).unwrap(), d);
        // A show starting at 00:30 local time belongs to that local day, not UTC's.
        let late = with("show_start", json!("2026-11-21T00:30:00+05:00"));
        let late = decode(
            with_end(late, "2026-11-21T02:00:00+05:00")
                .to_string()
                .as_bytes(),
        );
        assert_eq!(
            late.unwrap().day(),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
    }

    fn with_end(mut v: Value, end: &str) -> Value {
        v["ends_at"] = json!(end);
        v
    }

    #[test]
    fn every_refusal_names_its_field_and_reason() {
        let cases: Vec<(Value, &str, Option<&str>)> = vec![
            (json!([1]), "malformed", None),
            (with("extra", json!(1)), "unknown_field", Some("extra")),
            (
                with("schema", json!("ekino.ticket/1")),
                "unsupported_schema",
                Some("schema"),
            ),
            (
                with("cinema_bin", json!("000000000011")),
                "invalid_bin",
                Some("cinema_bin"),
            ),
            (with("hall", json!("")), "invalid_text", Some("hall")),
            (
                with("screening_id", json!("x".repeat(65))),
                "invalid_text",
                Some("screening_id"),
            ),
            (
                with("film_id", Value::Null),
                "missing_field",
                Some("film_id"),
            ),
            (
                with("show_start", json!("2026-11-20 19:00")),
                "invalid_timestamp",
                Some("show_start"),
            ),
            (
                with("ends_at", json!("2026-11-20T18:00:00+05:00")),
                "invalid_interval",
                Some("ends_at"),
            ),
            (
                with("ends_at", json!("2026-11-21T08:00:00+05:00")),
                "invalid_interval",
                Some("ends_at"),
            ),
            (
                with("seats_on_sale", json!(-1)),
                "invalid_seats",
                Some("seats_on_sale"),
            ),
            (
                with("seats_on_sale", json!(5001)),
                "invalid_seats",
                Some("seats_on_sale"),
            ),
            (
                with("seats_on_sale", json!(1.5)),
                "invalid_seats",
                Some("seats_on_sale"),
            ),
            (
                with("status", json!("moved")),
                "invalid_status",
                Some("status"),
            ),
            (
                with("declared_at", json!(17)),
                "malformed",
                Some("declared_at"),
            ),
        ];
        for (v, code, field) in cases {
            assert_eq!(
                refused(&v),
                (code.to_owned(), field.map(str::to_owned)),
                "{v}"
            );
        }
        let big = with("hall", json!("x".repeat(MAX_DECLARATION_BYTES)));
        assert_eq!(refused(&big).0, "too_large");
    }

    #[test]
    fn a_csv_file_reads_as_the_json_contract_row_by_row() {
        let file = "hall;cinema_bin;screening_id;film_id;show_start;ends_at;seats_on_sale;status;declared_at\n\
            1;000000000010;S-1;F-1;2026-11-20T19:00:00+05:00;2026-11-20T21:00:00+05:00;120;scheduled;2026-11-19T10:00:00+05:00\n\
            1;000000000010;S-2;F-1;2026-11-20T21:30:00+05:00;2026-11-20T23:30:00+05:00;many;scheduled;2026-11-19T10:00:00+05:00\n\
            1;000000000010;S-3;F-1;;2026-11-20T23:30:00+05:00;10;scheduled;2026-11-19T10:00:00+05:00\n";
        let rows = read_csv(file.as_bytes(), 10).unwrap().rows;
        assert_eq!(rows.len(), 3);
        let first = decode(rows[0].json.as_ref().unwrap()).unwrap();
        assert_eq!(
            (first.screening_id.as_str(), first.seats_on_sale),
            ("S-1", 120)
        );
        let second = decode(rows[1].json.as_ref().unwrap()).unwrap_err();
        assert_eq!(
            (second.reason, second.field.as_deref()),
            (R::InvalidSeats, Some("seats_on_sale"))
        );
        let third = decode(rows[2].json.as_ref().unwrap()).unwrap_err();
        assert_eq!(
            (third.reason, third.field.as_deref()),
            (R::MissingField, Some("show_start"))
        );
        assert_eq!(rows[2].line, 4);
        let unknown = read_csv("hall,seats\n1,2\n".as_bytes(), 10).unwrap().rows;
        let r = unknown[0].json.as_ref().unwrap_err();
        assert_eq!(
            (r.reason, r.field.as_deref()),
            (R::UnknownField, Some("seats"))
        );
        assert!(r.message.contains("ekino.session/1"), "{}", r.message);
    }

    #[test]
    fn the_json_schema_requires_exactly_the_contract_fields() {
        let schema: Value =
            serde_json::from_str(include_str!("../session-declaration.schema.json")).unwrap();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        required.sort_unstable();
        let mut fields = FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(required, fields);
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(
            schema["properties"]["schema"]["const"],
            json!(SESSION_SCHEMA_ID)
        );
    }
}
