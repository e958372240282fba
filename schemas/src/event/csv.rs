//! `ekino.ticket/1` as a CSV file, for cinemas whose till exports a spreadsheet: one event a
//! row, the JSON contract's fields as columns, read into the very JSON object a cinema would
//! have sent, so that every check after this one is the JSON path's (`decode_event`).
//!
//! # The file
//! - A header row names the columns, in any order: [`COLUMNS`]. `seat` is two columns,
//!   `seat_row` and `seat_number`; the void fields are `voids` and `reason`. A column the
//!   contract does not have (`unknown_field`), or one named twice (`malformed`), refuses every
//!   row for that reason, naming the column; each row is kept with its own text. `schema` and `currency` may be left out: they
//!   have one value each (`ekino.ticket/1`, `KZT`).
//! - Comma or semicolon separated (what the header uses most; Russian Excel writes
//!   semicolons), fields quoted with `"` as RFC 4180 says.
//! - UTF-8 (with or without a byte-order mark), or Windows-1251 when the bytes are not UTF-8
//!   (what Excel saves as "CSV" on a Russian or Kazakh Windows).
//! - In `price` and `vat_rate`, one decimal comma is read as a decimal point (`2500,50`,
//!   `0,16`); nothing else is rewritten, so a thousands separator is still refused by the
//!   price check.
//!
//! # A row
//! - An empty cell is an absent field, so the contract's own `missing_field` names it.
//! - Both seat cells empty is general admission (`seat: null`) on a sale or refund, and no
//!   seat at all on a void; one of the two empty is `invalid_seat` naming that column.
//! - A row with more or fewer cells than the header is `malformed`, naming its line.
//! - Line numbers are the file's (the header is line 1), so a person can find the row.

use std::borrow::Cow;

use super::wire::{SeatWire, TicketEventWire};
use super::{SCHEMA_ID, VOID_TYPE};
use crate::reject::{RejectReason, Rejection};

/// Every column a file may have.
pub const COLUMNS: &[&str] = &[
    "schema",
    "event_id",
    "type",
    "cinema_bin",
    "hall",
    "screening_id",
    "film_id",
    "show_start",
    "occurred_at",
    "price",
    "currency",
    "vat_rate",
    "seat_row",
    "seat_number",
    "channel",
    "ticket_type",
    "refund_of",
    "voids",
    "reason",
];

/// What refuses a whole file (each message names the column or the reason).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsvError {
    #[error("has no header row")]
    NoHeader,
    #[error("is not CSV: {0}")]
    Unreadable(String),
}

/// How the file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1251,
}

/// One data row: its line in the file, its own text (kept with a refusal), and the JSON
/// event it reads as, or why it cannot be one.
#[derive(Debug)]
pub struct CsvRow {
    pub line: usize,
    pub raw: String,
    pub json: Result<Vec<u8>, Rejection>,
}

#[derive(Debug)]
pub struct CsvFile {
    pub encoding: Encoding,
    pub delimiter: u8,
    pub rows: Vec<CsvRow>,
}

/// The text of `bytes`: UTF-8 when it is, else Windows-1251 (every byte is a character there,
/// so this never fails).
pub fn text(bytes: &[u8]) -> (Cow<'_, str>, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), Encoding::Utf8),
        Err(_) => (
            encoding_rs::WINDOWS_1251
                .decode_without_bom_handling(bytes)
                .0,
            Encoding::Windows1251,
        ),
    }
}

/// `;` when the header has more semicolons than commas, else `,`.
fn delimiter(header: &str) -> u8 {
    let count = |c: char| header.chars().filter(|x| *x == c).count();
    if count(';') > count(',') {
        b';'
    } else {
        b','
    }
}

/// One decimal comma read as a point: `2500,50` → `2500.50`; anything else unchanged.
fn decimal_point(cell: &str) -> Cow<'_, str> {
    if cell.matches(',').count() == 1 && !cell.contains('.') {
        Cow::Owned(cell.replacen(',', ".", 1))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Reads a whole file; at most `max_rows` rows are read (the caller refuses a longer file by
/// the count it gets back: `rows.len() > max_rows`).
pub fn read(bytes: &[u8], max_rows: usize) -> Result<CsvFile, CsvError> {
    read_with(bytes, max_rows, SCHEMA_ID, COLUMNS, &|record, index| {
        event_json(record, index)
    })
}

/// Where each of a contract's columns is in the header (`None`: left out), in the order of
/// the contract's column list.
pub type ColumnIndex = [Option<usize>];

/// How a row of the right length becomes its contract's JSON object (or why it cannot).
pub type RowToJson = dyn Fn(&csv::StringRecord, &ColumnIndex) -> Result<Vec<u8>, Rejection>;

/// [`read`] for any contract of one JSON object per row: its name (for messages), its
/// columns, and how a row of the right length becomes its JSON object. The ticket file and
/// the declared sessions' file (`crate::declared::read_csv`) share the reading rules above.
pub fn read_with(
    bytes: &[u8],
    max_rows: usize,
    contract: &str,
    columns: &[&str],
    to_json: &RowToJson,
) -> Result<CsvFile, CsvError> {
    let (text, encoding) = text(bytes);
    let header_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(CsvError::NoHeader)?;
    let delimiter = delimiter(header_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CsvError::Unreadable(e.to_string()))?
        .clone();
    let mut index = vec![None::<usize>; columns.len()];
    // A bad header refuses every row for its reason (each row kept with its own text), so
    // nothing of the file is lost and the reply names the column on every line.
    let mut header_fault: Option<Rejection> = None;
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        match columns.iter().position(|c| *c == name) {
            None => {
                header_fault.get_or_insert_with(|| {
                    Rejection::field(
                        RejectReason::UnknownField,
                        name,
                        format!(
                            "is not a column of {contract} (columns: {})",
                            columns.join(", ")
                        ),
                    )
                });
            }
            Some(at) => {
                if index[at].replace(i).is_some() {
                    header_fault.get_or_insert_with(|| {
                        Rejection::field(
                            RejectReason::Malformed,
                            name,
                            "is a column named twice in the header",
                        )
                    });
                }
            }
        }
    }
    let mut starts = Vec::new();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let at = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A broken quote runs to the end of the file: the rest is one refusal.
                let start = usize::try_from(at.byte()).unwrap_or(usize::MAX);
                let line = text.as_bytes()[..start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                starts.push(start);
                rows.push(CsvRow {
                    line,
                    raw: String::new(),
                    json: Err(Rejection::new(
                        RejectReason::Malformed,
                        None,
                        format!("line {line}: not CSV: {e}"),
                    )),
                });
                break;
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut start = usize::try_from(record.position().map_or(at.byte(), |p| p.byte()))
            .unwrap_or(usize::MAX)
            .min(text.len());
        // The reader's position is before the blank lines it skipped.
        start += text.as_bytes()[start..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        // Counted from the text: the reader's own count skips blank lines.
        let line = text.as_bytes()[..start.min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        starts.push(start);
        let json = if let Some(fault) = &header_fault {
            Err(fault.clone())
        } else if record.len() != header.len() {
            Err(Rejection::new(
                RejectReason::Malformed,
                None,
                format!(
                    "line {line}: has {} cells, the header has {}",
                    record.len(),
                    header.len()
                ),
            ))
        } else {
            Ok(to_json(&record, &index))
        };
        rows.push(CsvRow {
            line,
            raw: String::new(),
            json: json.and_then(|j| j),
        });
        if rows.len() > max_rows {
            break;
        }
    }
    // Each row's own text: from its start to the next row's (or the end), without the newline.
    for (i, row) in rows.iter_mut().enumerate() {
        let from = starts[i].min(text.len());
        let to = starts
            .get(i + 1)
            .copied()
            .unwrap_or(text.len())
            .clamp(from, text.len());
        row.raw = text
            .get(from..to)
            .unwrap_or("")
            .trim_end_matches(['\r', '\n'])
            .to_owned();
    }
    Ok(CsvFile {
        encoding,
        delimiter,
        rows,
    })
}

/// The JSON object of one row of the right length.
fn event_json(record: &csv::StringRecord, index: &ColumnIndex) -> Result<Vec<u8>, Rejection> {
    let cell = |name: &str| -> Option<&str> {
        let at = COLUMNS.iter().position(|c| *c == name)?;
        index[at]
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|c| !c.is_empty())
    };
    let owned = |name: &str| cell(name).map(|c| Cow::Owned(c.to_owned()));
    let is_void = cell("type") == Some(VOID_TYPE);
    let seat = match (cell("seat_row"), cell("seat_number")) {
        (None, None) if is_void => None,
        (None, None) => Some(None),
        (Some(row), Some(number)) => Some(Some(SeatWire {
            row: Cow::Owned(row.to_owned()),
            number: Cow::Owned(number.to_owned()),
        })),
        (None, Some(_)) => {
            return Err(Rejection::field(
                RejectReason::InvalidSeat,
                "seat_row",
                "is empty while seat_number is given (leave both empty for general admission)",
            ))
        }
        (Some(_), None) => {
            return Err(Rejection::field(
                RejectReason::InvalidSeat,
                "seat_number",
                "is empty while seat_row is given (leave both empty for general admission)",
            ))
        }
    };
    // A left-out column has its one value; a column that is there is taken as written.
    let defaulted = |name: &str, value: &'static str| {
        let at = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        if index[at].is_none() {
            Some(Cow::Borrowed(value))
        } else {
            owned(name)
        }
    };
    let wire = TicketEventWire {
        schema: defaulted("schema", SCHEMA_ID),
        event_id: owned("event_id"),
        event_type: owned("type"),
        cinema_bin: owned("cinema_bin"),
        hall: owned("hall"),
        screening_id: owned("screening_id"),
        film_id: owned("film_id"),
        show_start: owned("show_start"),
        occurred_at: owned("occurred_at"),
        price: cell("price").map(|c| Cow::Owned(decimal_point(c).into_owned())),
        currency: if is_void {
            owned("currency")
        } else {
            defaulted("currency", "KZT")
        },
        vat_rate: cell("vat_rate").map(|c| Cow::Owned(decimal_point(c).into_owned())),
        seat,
        channel: owned("channel"),
        ticket_type: owned("ticket_type"),
        refund_of: owned("refund_of"),
        voids: owned("voids"),
        reason: owned("reason"),
    };
    serde_json::to_vec(&wire)
        .map_err(|e| Rejection::new(RejectReason::Malformed, None, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode_event, Checks};
    use crate::Event;

    const HEADER: &str = "event_id,type,cinema_bin,hall,screening_id,film_id,show_start,occurred_at,price,vat_rate,seat_row,seat_number,channel,ticket_type,refund_of";

    fn checks() -> Checks {
        Checks::live(
            chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00+05:00")
                .unwrap()
                .to_utc(),
        )
    }

    fn decoded(row: &CsvRow) -> Result<Event, Rejection> {
        decode_event(row.json.as_ref().map_err(Clone::clone)?, &checks())
    }

    /// A file headed by every column (the cinema's upload template, `COLUMNS`) with the
    /// columns a sale does not use left empty reads as the sale.
    #[test]
    fn a_file_headed_by_every_column_reads() {
        let file = format!(
            "{}\n{}\n",
            COLUMNS.join(";"),
            "ekino.ticket/1;5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a11;sale;000000000101;1;S-1;KF-0001;2026-11-20T19:00:00+05:00;2026-11-20T18:10:00+05:00;2500,00;KZT;0,16;;;box_office;full;;;"
        );
        let csv = read(file.as_bytes(), 10).unwrap();
        let event = decoded(&csv.rows[0]).unwrap();
        assert!(matches!(event, Event::Ticket(_)), "{event:?}");
    }

    #[test]
    fn a_comma_file_reads_as_the_json_contract() {
        let file = format!("{HEADER}\n5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a11,sale,000000000101,Zal 1,S-1,KF-0001,2026-11-20T19:00:00+05:00,2026-11-20T18:10:00+05:00,2500.00,0.16,7,12,box_office,full,\n");
        let csv = read(file.as_bytes(), 10).unwrap();
        assert_eq!(
            (csv.encoding, csv.delimiter, csv.rows.len()),
            (Encoding::Utf8, b',', 1)
        );
        assert_eq!(csv.rows[0].line, 2);
        let json: serde_json::Value =
            serde_json::from_slice(csv.rows[0].json.as_ref().unwrap()).unwrap();
        assert_eq!(json["schema"], "ekino.ticket/1");
        assert_eq!(json["currency"], "KZT");
        assert_eq!(
            json["seat"],
            serde_json::json!({"row": "7", "number": "12"})
        );
        assert!(
            json.get("refund_of").is_none(),
            "an empty cell is an absent field"
        );
        assert!(csv.rows[0].raw.starts_with("5e1b9c1e-") && csv.rows[0].raw.ends_with("full,"));
    }

    #[test]
    fn russian_excel_semicolons_decimal_commas_and_windows_1251() {
        let text = "event_id;type;cinema_bin;hall;screening_id;film_id;show_start;occurred_at;price;vat_rate;seat_row;seat_number;channel;ticket_type;refund_of\r\n\
                    5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a12;sale;000000000101;Зал 2;S-2;KF-0001;2026-11-20T19:00:00+05:00;2026-11-20T18:10:00+05:00;2500,50;0,16;;;kiosk;child;\r\n";
        let (bytes, _, lossy) = encoding_rs::WINDOWS_1251.encode(text);
        assert!(!lossy);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the test file must not be UTF-8"
        );
        let csv = read(&bytes, 10).unwrap();
        assert_eq!((csv.encoding, csv.delimiter), (Encoding::Windows1251, b';'));
        let json: serde_json::Value =
            serde_json::from_slice(csv.rows[0].json.as_ref().unwrap()).unwrap();
        assert_eq!(json["hall"], "Зал 2");
        assert_eq!(json["price"], "2500.50");
        assert_eq!(json["vat_rate"], "0.16");
        assert_eq!(
            json["seat"],
            serde_json::Value::Null,
            "both seat cells empty is general admission"
        );
        assert!(decoded(&csv.rows[0]).is_ok(), "{:?}", decoded(&csv.rows[0]));
    }

    #[test]
    fn a_byte_order_mark_and_quoted_cells_are_read() {
        let file = format!("\u{FEFF}{HEADER}\n5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a13,sale,000000000101,\"Hall \"\"A\"\", 3D\",S-3,KF-0001,2026-11-20T19:00:00+05:00,2026-11-20T18:10:00+05:00,\"1500,00\",0,,,online,student,\n");
        let csv = read(file.as_bytes(), 10).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(csv.rows[0].json.as_ref().unwrap()).unwrap();
        assert_eq!(json["event_id"], "5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a13");
        assert_eq!(json["hall"], "Hall \"A\", 3D");
        assert_eq!(json["price"], "1500.00");
    }

    #[test]
    fn a_void_row_has_no_seat_and_no_currency() {
        let file = "type,event_id,cinema_bin,occurred_at,voids,reason\nvoid,5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a14,000000000101,2026-11-20T20:00:00+05:00,5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a11,wrong film\n";
        let csv = read(file.as_bytes(), 10).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(csv.rows[0].json.as_ref().unwrap()).unwrap();
        assert!(
            json.get("seat").is_none() && json.get("currency").is_none(),
            "{json}"
        );
        match decoded(&csv.rows[0]) {
            Ok(Event::Void(v)) => assert_eq!(v.reason, "wrong film"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_header_refuses_every_row_naming_the_column() {
        let csv = read(b"event_id,seet_row\n1,2\n3,4\n", 10).unwrap();
        assert_eq!(csv.rows.len(), 2);
        for r in &csv.rows {
            let e = r.json.as_ref().unwrap_err();
            assert_eq!(
                (e.reason, e.field.as_deref()),
                (RejectReason::UnknownField, Some("seet_row"))
            );
            assert!(
                e.message.contains("seat_row"),
                "the columns are listed: {}",
                e.message
            );
        }
        assert_eq!(csv.rows[1].raw, "3,4");
        let twice = read(b"price;price\n1;2\n", 10).unwrap();
        let e = twice.rows[0].json.as_ref().unwrap_err();
        assert_eq!(
            (e.reason, e.field.as_deref()),
            (RejectReason::Malformed, Some("price"))
        );
        assert_eq!(read(b"\n\n", 10).unwrap_err(), CsvError::NoHeader);
    }

    #[test]
    fn bad_rows_are_refused_one_by_one_with_their_line() {
        let file = format!("{HEADER}\n\
            5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a15,sale,000000000101,H,S,KF-1,2026-11-20T19:00:00+05:00,2026-11-20T18:10:00+05:00,2500,0.16,7,,box_office,full,\n\
            \n\
            too,few,cells\n\
            5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a16,sale,000000000101,H,S,KF-1,2026-11-20T19:00:00+05:00,,2500,0.16,,,box_office,full,\n");
        let csv = read(file.as_bytes(), 10).unwrap();
        let lines: Vec<usize> = csv.rows.iter().map(|r| r.line).collect();
        assert_eq!(
            lines,
            vec![2, 4, 5],
            "the blank line 3 is skipped and counted"
        );
        let seat = csv.rows[0].json.as_ref().unwrap_err();
        assert_eq!(
            (seat.reason, seat.field.as_deref()),
            (RejectReason::InvalidSeat, Some("seat_number"))
        );
        let short = csv.rows[1].json.as_ref().unwrap_err();
        assert_eq!(short.reason, RejectReason::Malformed);
        assert!(
            short.message.contains("line 4") && short.message.contains("3 cells"),
            "{}",
            short.message
        );
        assert_eq!(csv.rows[1].raw, "too,few,cells");
        let missing = decoded(&csv.rows[2]).unwrap_err();
        assert_eq!(
            (missing.reason, missing.field.as_deref()),
            (RejectReason::MissingField, Some("occurred_at"))
        );
    }

    #[test]
    fn a_thousands_separator_is_not_taken_for_a_decimal() {
        assert_eq!(decimal_point("2500,50"), "2500.50");
        assert_eq!(decimal_point("0,16"), "0.16");
        assert_eq!(decimal_point("1,500.00"), "1,500.00");
        assert_eq!(decimal_point("1,500,00"), "1,500,00");
        assert_eq!(decimal_point("2500"), "2500");
    }

    #[test]
    fn reading_stops_after_one_row_past_the_limit() {
        let row = "5e1b9c1e-8a3f-4c57-9a43-2f0d3b7e8a17,sale,000000000101,H,S,KF-1,2026-11-20T19:00:00+05:00,2026-11-20T18:10:00+05:00,2500,0.16,,,box_office,full,\n";
        let file = format!("{HEADER}\n{}", row.repeat(5));
        assert_eq!(read(file.as_bytes(), 2).unwrap().rows.len(), 3);
        assert_eq!(read(file.as_bytes(), 5).unwrap().rows.len(), 5);
    }

    proptest::proptest! {
        /// Any bytes: a file is refused or read, never a panic, and every row has a line.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let mut file = HEADER.as_bytes().to_vec();
            file.push(b'\n');
            file.extend(bytes);
            if let Ok(csv) = read(&file, 50) {
                for r in &csv.rows { proptest::prop_assert!(r.line >= 2); }
            }
        }
    }
}
