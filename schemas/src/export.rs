//! Exports for auditors: the column schemas of the list endpoints, and their encoding as CSV
//! or an Arrow IPC stream. Money is `Decimal128(20, 2)` in Arrow (exact to the tiyn) and a
//! decimal string in CSV; ratios stay decimal strings; dates are `Date32`.
//!
//! Rows come in as JSON objects (the same values the JSON reply carries), so one definition of
//! each reply serves every format.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Bool,
    /// KZT with 2 decimals.
    Money,
    /// `YYYY-MM-DD`.
    Date,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: true,
    }
}

pub const BOX_OFFICE_FILMS: &[Column] = &[
    col("film_id", Kind::Text),
    col("admissions", Kind::Int),
    col("gross", Kind::Money),
    col("net", Kind::Money),
    col("screenings", Kind::Int),
    col("cinemas", Kind::Int),
];

/// The box-office chart of a day, weekend or week (the public chart page's `format=csv`):
/// one row per registered film in rank order, then the unregistered films as one row
/// (`film_id` `unregistered`, rank and the film's own columns empty).
pub const CHART: &[Column] = &[
    opt("rank", Kind::Int),
    opt("rank_change", Kind::Int),
    opt("new", Kind::Bool),
    col("film_id", Kind::Text),
    opt("title_en", Kind::Text),
    opt("title_ru", Kind::Text),
    opt("title_kk", Kind::Text),
    opt("release_date", Kind::Date),
    opt("days_in_release", Kind::Int),
    opt("distributor", Kind::Text),
    col("gross", Kind::Money),
    col("share", Kind::Text),
    opt("gross_change", Kind::Money),
    opt("gross_change_ratio", Kind::Text),
    col("admissions", Kind::Int),
    opt("cumulative_gross", Kind::Money),
    opt("cumulative_admissions", Kind::Int),
    opt("screens", Kind::Int),
    col("screenings", Kind::Int),
    // From declared sessions (`api_core::reports::occupancy`); empty where none was declared.
    opt("shows_share", Kind::Text),
    opt("seats_share", Kind::Text),
    opt("occupancy", Kind::Text),
    opt("status", Kind::Text),
];

/// The ministry's daily national report as data (`/{lang}/ministry/daily?format=csv`): one
/// table of three sections, told apart by `section`: `total` (the country: key `KZ`), `film`
/// (the day's films in rank order, key the film id) and `region` (key the ISO code, empty for
/// cinemas without a registered region). Each row carries the day's gross and admissions, its
/// share of the national gross, and for the total and the films the gross of the day before
/// and of the same day a week earlier.
pub const DAILY_REPORT: &[Column] = &[
    col("section", Kind::Text),
    col("key", Kind::Text),
    opt("name_en", Kind::Text),
    opt("name_ru", Kind::Text),
    opt("name_kk", Kind::Text),
    opt("rank", Kind::Int),
    col("day", Kind::Date),
    col("gross", Kind::Money),
    opt("share", Kind::Text),
    col("admissions", Kind::Int),
    opt("gross_day_before", Kind::Money),
    opt("gross_week_before", Kind::Money),
    opt("cinemas", Kind::Int),
    opt("status", Kind::Text),
];

/// A cinema's sales per screening day and film (`/v1/cinemas/{bin}/sales`), for its books.
pub const CINEMA_SALES: &[Column] = &[
    col("day", Kind::Date),
    col("film_id", Kind::Text),
    col("admissions", Kind::Int),
    col("gross", Kind::Money),
    col("net", Kind::Money),
    col("screenings", Kind::Int),
    col("status", Kind::Text),
];

/// A film per day, or per day and cinema (`/v1/box-office/films/{film_id}/daily`): the
/// producer's file for settling with exhibitors.
pub const FILM_DAILY: &[Column] = &[
    col("day", Kind::Date),
    opt("cinema_bin", Kind::Text),
    col("admissions", Kind::Int),
    col("gross", Kind::Money),
    col("net", Kind::Money),
    col("screenings", Kind::Int),
    col("status", Kind::Text),
];

/// Every cinema's reporting card over a range (`/v1/cinemas/scorecards`).
pub const SCORECARDS: &[Column] = &[
    col("cinema_bin", Kind::Text),
    opt("last_event_at", Kind::Text),
    opt("silent_days", Kind::Int),
    col("events", Kind::Int),
    col("sales", Kind::Int),
    col("refunds", Kind::Int),
    opt("refund_rate", Kind::Text),
    col("unknown_film_events", Kind::Int),
    col("vat_mismatch_sales", Kind::Int),
    col("refunds_pending", Kind::Int),
    col("rejected_total", Kind::Int),
];

/// The corrections to closed days (`/v1/corrections`, `/v1/cinemas/{bin}/corrections`): what
/// each late event changed, for the books of whoever had settled the day.
pub const CORRECTIONS: &[Column] = &[
    col("day", Kind::Date),
    col("cinema_bin", Kind::Text),
    col("film_id", Kind::Text),
    col("event_id", Kind::Text),
    col("kind", Kind::Text),
    col("admissions_change", Kind::Int),
    col("gross_change", Kind::Money),
    col("net_change", Kind::Money),
    col("arrived_at", Kind::Text),
];

pub const ROI_FILMS: &[Column] = &[
    col("film_id", Kind::Text),
    col("producer_bin", Kind::Text),
    col("distributor_bin", Kind::Text),
    col("budget", Kind::Money),
    col("state_funding", Kind::Money),
    col("gross", Kind::Money),
    col("net", Kind::Money),
    col("rentals", Kind::Money),
    col("producer_share", Kind::Money),
    opt("recoupment", Kind::Text),
    opt("producer_share_to_state_funding", Kind::Text),
    col("paid_back", Kind::Bool),
    col("rebate_paid", Kind::Money),
    opt("funding_year", Kind::Int),
    opt("first_screening_day", Kind::Date),
    opt("last_screening_day", Kind::Date),
    col("released", Kind::Bool),
];

pub const REJECTED: &[Column] = &[
    col("kafka_partition", Kind::Int),
    col("kafka_offset", Kind::Int),
    col("received_at", Kind::Int),
    col("reason", Kind::Text),
    col("field", Kind::Text),
    col("message", Kind::Text),
    col("payload_encoding", Kind::Text),
    col("payload", Kind::Text),
];

pub const AUDIT: &[Column] = &[
    col("at", Kind::Int),
    col("key_id", Kind::Text),
    col("role", Kind::Text),
    col("method", Kind::Text),
    col("path", Kind::Text),
    col("query", Kind::Text),
    col("status", Kind::Int),
    col("rows", Kind::Int),
    col("latency_ms", Kind::Int),
    col("client", Kind::Text),
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("row {row}: column {column}: {reason}")]
    Value {
        row: usize,
        column: &'static str,
        reason: String,
    },
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

pub fn arrow_schema(cols: &[Column]) -> Schema {
    Schema::new(
        cols.iter()
            .map(|c| {
                let t = match c.kind {
                    Kind::Text => DataType::Utf8,
                    Kind::Int => DataType::Int64,
                    Kind::Bool => DataType::Boolean,
                    Kind::Money => DataType::Decimal128(20, 2),
                    Kind::Date => DataType::Date32,
                };
                Field::new(c.name, t, c.nullable)
            })
            .collect::<Vec<_>>(),
    )
}

fn bad(row: usize, column: &'static str, reason: impl Into<String>) -> ExportError {
    ExportError::Value {
        row,
        column,
        reason: reason.into(),
    }
}

fn money_units(row: usize, c: &Column, v: &Value) -> Result<i128, ExportError> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(row, c.name, "money must be a decimal string"))?;
    let d: Decimal = s
        .parse()
        .map_err(|_| bad(row, c.name, format!("{s:?} is not a decimal")))?;
    if d.scale() > 2 {
        return Err(bad(row, c.name, "more than 2 decimals"));
    }
    let mut scaled = d;
    scaled.rescale(2);
    Ok(scaled.mantissa())
}

fn build(cols: &[Column], rows: &[Value]) -> Result<RecordBatch, ExportError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for c in cols {
        let cell = |i: usize, r: &Value| -> Result<Option<Value>, ExportError> {
            match r.get(c.name) {
                None | Some(Value::Null) if c.nullable => Ok(None),
                None | Some(Value::Null) => Err(bad(i, c.name, "missing")),
                Some(v) => Ok(Some(v.clone())),
            }
        };
        let array: ArrayRef = match c.kind {
            Kind::Text => {
                let mut b = StringBuilder::new();
                for (i, r) in rows.iter().enumerate() {
                    match cell(i, r)? {
                        Some(Value::String(s)) => b.append_value(s),
                        Some(other) => b.append_value(other.to_string()),
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Int => {
                let mut b = Int64Builder::new();
                for (i, r) in rows.iter().enumerate() {
                    match cell(i, r)? {
                        Some(v) => b.append_value(
                            v.as_i64()
                                .or_else(|| v.as_u64().and_then(|u| i64::try_from(u).ok()))
                                .ok_or_else(|| bad(i, c.name, "not an integer"))?,
                        ),
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Bool => {
                let mut b = BooleanBuilder::new();
                for (i, r) in rows.iter().enumerate() {
                    match cell(i, r)? {
                        Some(v) => b.append_value(
                            v.as_bool().ok_or_else(|| bad(i, c.name, "not a boolean"))?,
                        ),
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Money => {
                let mut b = Decimal128Builder::new().with_precision_and_scale(20, 2)?;
                for (i, r) in rows.iter().enumerate() {
                    match cell(i, r)? {
                        Some(v) => b.append_value(money_units(i, c, &v)?),
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Date => {
                let mut b = Date32Builder::new();
                let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
                for (i, r) in rows.iter().enumerate() {
                    match cell(i, r)? {
                        Some(v) => {
                            let s = v.as_str().unwrap_or_default();
                            let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                                .map_err(|_| bad(i, c.name, format!("{s:?} is not a date")))?;
                            b.append_value(i32::try_from((d - epoch).num_days()).unwrap_or(0));
                        }
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(Arc::new(arrow_schema(cols)), arrays)?)
}

/// An Arrow IPC stream (schema, one record batch, end of stream).
pub fn to_arrow_ipc(cols: &[Column], rows: &[Value]) -> Result<Vec<u8>, ExportError> {
    let batch = build(cols, rows)?;
    let mut out = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema())?;
        w.write(&batch)?;
        w.finish()?;
    }
    Ok(out)
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as it may be written to a CSV opened in a spreadsheet: one that begins with a
/// formula character gets a leading `'` (OWASP's "CSV injection" advice), so it shows as the
/// text it is. The caller quotes it. Only text columns pass through here: numbers (negative
/// ones included) and dates are ekino's own values and are never changed.
pub fn neutralise_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// One CSV field: quoted when it holds a separator (`,`, or the `;` that Excel in Kazakh and
/// Russian locales splits on), a quote or a line break, or when it was neutralised (always
/// quoted, as OWASP advises); quotes doubled inside.
fn push_field(out: &mut String, text: &str, force_quotes: bool) {
    if force_quotes || text.contains([',', ';', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// CSV with a header row; money as decimal strings, nulls as empty cells. Text cells that a
/// spreadsheet would run as a formula are neutralised ([`neutralise_formula`]); machine
/// readers should prefer the Arrow export, which carries every value as sent.
pub fn to_csv(cols: &[Column], rows: &[Value]) -> Result<Vec<u8>, ExportError> {
    // Validate through the same typed path as Arrow, so both formats refuse the same rows.
    build(cols, rows)?;
    let mut out = String::new();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, c.name, false);
    }
    out.push('\n');
    for r in rows {
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let cell = match r.get(c.name) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            if c.kind == Kind::Text {
                let safe = neutralise_formula(&cell);
                push_field(&mut out, &safe, matches!(safe, std::borrow::Cow::Owned(_)));
            } else {
                push_field(&mut out, &cell, false);
            }
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use serde_json::json;

    fn rows() -> Vec<Value> {
        vec![
            json!({"film_id": "F1", "admissions": 14, "gross": "26680.00", "net": "23000.00", "screenings": 4, "cinemas": 2}),
            json!({"film_id": "F2", "admissions": -1, "gross": "-1160.5", "net": "-1000.00", "screenings": 0, "cinemas": 1}),
        ]
    }

    #[test]
    fn arrow_round_trip_keeps_money_exact() {
        let bytes = to_arrow_ipc(BOX_OFFICE_FILMS, &rows()).unwrap();
        let reader =
            arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
        assert_eq!(reader.schema().as_ref(), &arrow_schema(BOX_OFFICE_FILMS));
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        let gross = batches[0]
            .column(2)
            .as_any()
            .downcast_ref::<arrow_array::Decimal128Array>()
            .unwrap();
        assert_eq!((gross.value(0), gross.value(1)), (2_668_000, -116_050));
        assert_eq!(gross.value_as_string(1), "-1160.50");
    }

    #[test]
    fn formula_cells_in_text_columns_are_neutralised_and_numbers_are_not() {
        let rows = vec![
            json!({"film_id": "=HYPERLINK(\"http://x\",\"a\")", "admissions": -3, "gross": "-10.00", "net": "-9.00", "screenings": 0, "cinemas": 1}),
            json!({"film_id": "+1", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
            json!({"film_id": "-2+3", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
            json!({"film_id": "@SUM(A1)", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
            json!({"film_id": "\tx", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
            json!({"film_id": "\rx", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
            json!({"film_id": "a=b, c", "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}),
        ];
        let text = String::from_utf8(to_csv(BOX_OFFICE_FILMS, &rows).unwrap()).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(
            lines[1],
            r#""'=HYPERLINK(""http://x"",""a"")",-3,-10.00,-9.00,0,1"#
        );
        assert_eq!(lines[2], r#""'+1",1,1.00,1.00,1,1"#);
        assert_eq!(lines[3], r#""'-2+3",1,1.00,1.00,1,1"#);
        assert_eq!(lines[4], r#""'@SUM(A1)",1,1.00,1.00,1,1"#);
        assert_eq!(lines[5], "\"'\tx\",1,1.00,1.00,1,1");
        assert_eq!(lines[6], "\"'\rx\",1,1.00,1.00,1,1");
        assert_eq!(
            lines[7], r#""a=b, c",1,1.00,1.00,1,1"#,
            "only a leading formula character counts"
        );
        // What a CSV reader makes of it: the text with its leading quote, numbers as sent.
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let first = r.records().next().unwrap().unwrap();
        assert_eq!(
            (&first[0], &first[1], &first[2]),
            ("'=HYPERLINK(\"http://x\",\"a\")", "-3", "-10.00")
        );
    }

    #[test]
    fn csv_has_a_header_and_refuses_bad_money() {
        let text = String::from_utf8(to_csv(BOX_OFFICE_FILMS, &rows()).unwrap()).unwrap();
        assert!(
            text.starts_with(
                "film_id,admissions,gross,net,screenings,cinemas\nF1,14,26680.00,23000.00,4,2\n"
            ),
            "{text}"
        );
        let mut bad = rows();
        bad[0]["gross"] = json!("1.234");
        assert!(matches!(
            to_csv(BOX_OFFICE_FILMS, &bad),
            Err(ExportError::Value {
                column: "gross",
                ..
            })
        ));
    }

    /// Tenant text read back by a real CSV reader splitting on `,` and on `;` (the separator
    /// of Excel in Kazakh and Russian locales): no cell it lands in starts a formula.
    #[test]
    fn tenant_text_starts_no_formula_whichever_separator_the_reader_splits_on() {
        let hostile = ["x;=2+3", "=1+2", "@SUM(A1)", "\t=1", "a;b,c", "-1;+2"];
        let rows: Vec<Value> = hostile
            .iter()
            .map(|h| json!({"film_id": h, "admissions": 1, "gross": "1.00", "net": "1.00", "screenings": 1, "cinemas": 1}))
            .collect();
        let file = to_csv(BOX_OFFICE_FILMS, &rows).unwrap();
        for sep in [b',', b';'] {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(sep)
                .has_headers(true)
                .flexible(true)
                .from_reader(file.as_slice());
            let mut cells = 0;
            for record in reader.records() {
                for cell in record.unwrap().iter() {
                    cells += 1;
                    assert!(
                        !cell.starts_with(FORMULA_STARTS),
                        "split on {:?}: a cell starts a formula: {cell:?}",
                        sep as char
                    );
                }
            }
            assert!(cells >= hostile.len(), "{cells} cells");
        }
    }
}
