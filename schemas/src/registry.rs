//! Registries of cinemas, their halls and films, and the state's funding payments, loaded
//! from CSV.
//!
//! Each CSV row is parsed into a domain record (ids and money checked); an error names the
//! file line and the column. Loading is idempotent: rows are keyed (BIN, film id, payment id)
//! in ReplacingMergeTree tables, so loading the same file twice changes nothing.

use std::io::Read;

use chrono::NaiveDate;
#[cfg(feature = "storage")]
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{Bin, FilmId};
use crate::money::Kzt;
use crate::region::Region;
#[cfg(feature = "storage")]
use crate::time::days_since_epoch;

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("line {line}: column {column}: {reason}")]
    Field {
        line: u64,
        column: &'static str,
        reason: String,
    },
    #[error("line {line}: {source}")]
    Csv { line: u64, source: csv::Error },
}

/// A cinema in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cinema {
    pub bin: Bin,
    /// The name as registered (Latin or Cyrillic); shown in any language lacking its own.
    pub name: String,
    /// The name in Kazakh and in Russian; empty when not given (then [`name`](Self::name)).
    #[serde(default)]
    pub name_kk: String,
    #[serde(default)]
    pub name_ru: String,
    pub region: Region,
    pub city: String,
    pub halls: u16,
    pub seats: u32,
    pub vat_payer: bool,
    /// Its ticketing system's vendor, as the ministry names it; empty: not known. Vendors are
    /// scored on how completely their cinemas report (`GET /v1/vendors`).
    #[serde(default)]
    pub vendor: String,
}

/// The longest vendor name, in characters.
pub const MAX_VENDOR: usize = 100;

/// A vendor's name as given: trimmed, at most [`MAX_VENDOR`] characters, no control
/// characters; empty is "not known".
pub fn vendor_name(s: &str) -> Result<String, String> {
    let v = s.trim();
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if v.chars().count() > MAX_VENDOR {
        return Err(format!("at most {MAX_VENDOR} characters"));
    }
    Ok(v.to_owned())
}

/// One hall of a cinema: the seats a session in it can sell. The key is (BIN, hall), where
/// `hall` is the name the cinema's tickets carry in their `hall` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hall {
    pub bin: Bin,
    pub hall: String,
    pub seats: u32,
    /// The hall's name for people ("Зал IMAX"); empty: the `hall` key is shown.
    #[serde(default)]
    pub name: String,
}

/// An online ticket seller registered with the ministry (a *partner*): its records are a
/// second source for the tickets cinemas report through channel `partner` (`crate::partner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub partner_id: String,
    pub name: String,
    /// Its BIN: what its `partner` API key is bound to.
    pub bin: Bin,
}

/// The most seats one hall may have: the largest cinema hall in Kazakhstan has under 1,000.
pub const MAX_HALL_SEATS: u32 = 5_000;

/// Longest hall key, in characters (as on a ticket event).
pub const MAX_HALL_CHARS: usize = 32;

/// A film in the registry, identified by its distribution certificate number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Film {
    pub film_id: FilmId,
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    pub release_date: NaiveDate,
    pub producer_bin: Bin,
    pub distributor_bin: Bin,
    pub national: bool,
    pub budget: Kzt,
    /// The ministry publishes this film's budget, state funding and recoupment on its public page.
    pub public_roi: bool,
}

/// One payment of state money to a film.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funding {
    pub film_id: FilmId,
    pub payment_id: String,
    pub paid_on: NaiveDate,
    pub amount: Kzt,
}

/// A distributor (or producer) by BIN, with its name as the public pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distributor {
    pub bin: Bin,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
}

#[derive(Debug, Deserialize)]
struct DistributorCsv {
    bin: String,
    name_kk: String,
    name_ru: String,
    name_en: String,
}

#[derive(Debug, Deserialize)]
struct PartnerCsv {
    partner_id: String,
    name: String,
    bin: String,
}

#[derive(Debug, Deserialize)]
struct HallCsv {
    bin: String,
    hall: String,
    seats: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct CinemaCsv {
    bin: String,
    name: String,
    /// Optional columns (files written before them read as empty).
    #[serde(default)]
    name_kk: String,
    #[serde(default)]
    name_ru: String,
    region: String,
    city: String,
    halls: String,
    seats: String,
    vat_payer: String,
    #[serde(default)]
    vendor: String,
}

#[derive(Debug, Deserialize)]
struct FilmCsv {
    film_id: String,
    title_kk: String,
    title_ru: String,
    title_en: String,
    release_date: String,
    producer_bin: String,
    distributor_bin: String,
    national: String,
    budget: String,
    /// Optional column (files written before it read as `false`).
    #[serde(default)]
    public_roi: String,
}

#[derive(Debug, Deserialize)]
struct FundingCsv {
    film_id: String,
    payment_id: String,
    paid_on: String,
    amount: String,
}

fn field<T, E: std::fmt::Display>(
    line: u64,
    column: &'static str,
    r: Result<T, E>,
) -> Result<T, RegistryError> {
    r.map_err(|e| RegistryError::Field {
        line,
        column,
        reason: e.to_string(),
    })
}

fn flag(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("must be true or false, got {other:?}")),
    }
}

fn nonempty(s: String) -> Result<String, &'static str> {
    if s.trim().is_empty() {
        Err("must not be empty")
    } else {
        Ok(s)
    }
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("must be YYYY-MM-DD, got {s:?}"))
}

fn read_rows<T: for<'de> Deserialize<'de>, R: Read>(
    input: R,
) -> impl Iterator<Item = (u64, Result<T, RegistryError>)> {
    csv::Reader::from_reader(input)
        .into_deserialize::<T>()
        .enumerate()
        .map(|(i, r)| {
            let line = i as u64 + 2; // header is line 1
            (
                line,
                r.map_err(|source| RegistryError::Csv { line, source }),
            )
        })
}

pub fn read_cinemas<R: Read>(input: R) -> Result<Vec<Cinema>, RegistryError> {
    read_rows::<CinemaCsv, _>(input)
        .map(|(line, r)| {
            let c = r?;
            Ok(Cinema {
                bin: field(line, "bin", Bin::parse(&c.bin))?,
                name: field(line, "name", nonempty(c.name))?,
                name_kk: c.name_kk.trim().to_owned(),
                name_ru: c.name_ru.trim().to_owned(),
                region: field(line, "region", Region::parse(&c.region))?,
                city: field(line, "city", nonempty(c.city))?,
                halls: field(line, "halls", c.halls.parse())?,
                seats: field(line, "seats", c.seats.parse())?,
                vat_payer: field(line, "vat_payer", flag(&c.vat_payer))?,
                vendor: field(line, "vendor", vendor_name(&c.vendor))?,
            })
        })
        .collect()
}

pub fn read_films<R: Read>(input: R) -> Result<Vec<Film>, RegistryError> {
    read_rows::<FilmCsv, _>(input)
        .map(|(line, r)| {
            let f = r?;
            Ok(Film {
                film_id: field(line, "film_id", FilmId::parse(&f.film_id))?,
                title_kk: f.title_kk,
                title_ru: f.title_ru,
                title_en: field(line, "title_en", nonempty(f.title_en))?,
                release_date: field(line, "release_date", date(&f.release_date))?,
                producer_bin: field(line, "producer_bin", Bin::parse(&f.producer_bin))?,
                distributor_bin: field(line, "distributor_bin", Bin::parse(&f.distributor_bin))?,
                national: field(line, "national", flag(&f.national))?,
                budget: field(line, "budget", Kzt::parse(&f.budget))?,
                public_roi: if f.public_roi.trim().is_empty() {
                    false
                } else {
                    field(line, "public_roi", flag(&f.public_roi))?
                },
            })
        })
        .collect()
}

pub fn read_funding<R: Read>(input: R) -> Result<Vec<Funding>, RegistryError> {
    read_rows::<FundingCsv, _>(input)
        .map(|(line, r)| {
            let f = r?;
            Ok(Funding {
                film_id: field(line, "film_id", FilmId::parse(&f.film_id))?,
                payment_id: field(line, "payment_id", nonempty(f.payment_id))?,
                paid_on: field(line, "paid_on", date(&f.paid_on))?,
                amount: field(line, "amount", Kzt::parse(&f.amount))?,
            })
        })
        .collect()
}

/// `partner_id,name,bin`.
pub fn read_partners<R: Read>(input: R) -> Result<Vec<Partner>, RegistryError> {
    read_rows::<PartnerCsv, _>(input)
        .map(|(line, r)| {
            let p = r?;
            Ok(Partner {
                partner_id: field(
                    line,
                    "partner_id",
                    crate::partner::partner_id(p.partner_id.trim()).map(str::to_owned),
                )?,
                name: field(line, "name", nonempty(p.name))?,
                bin: field(line, "bin", Bin::parse(&p.bin))?,
            })
        })
        .collect()
}

pub fn write_partners<W: std::io::Write>(out: W, rows: &[Partner]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["partner_id", "name", "bin"])?;
    for p in rows {
        w.write_record([p.partner_id.as_str(), &p.name, p.bin.as_str()])?;
    }
    w.flush()?;
    Ok(())
}

/// `bin,hall,seats[,name]`. A hall listed twice in one file is refused (which one is meant?).
pub fn read_halls<R: Read>(input: R) -> Result<Vec<Hall>, RegistryError> {
    let mut seen = std::collections::HashSet::new();
    read_rows::<HallCsv, _>(input)
        .map(|(line, r)| {
            let h = r?;
            let bin = field(line, "bin", Bin::parse(&h.bin))?;
            let hall = field(
                line,
                "hall",
                crate::ids::bounded_text(&h.hall, MAX_HALL_CHARS).map(str::to_owned),
            )?;
            let seats = field(line, "seats", hall_seats(&h.seats))?;
            if !seen.insert((bin.clone(), hall.clone())) {
                return Err(RegistryError::Field {
                    line,
                    column: "hall",
                    reason: "is listed twice for this cinema".into(),
                });
            }
            Ok(Hall {
                bin,
                hall,
                seats,
                name: h.name.trim().to_owned(),
            })
        })
        .collect()
}

/// A hall's seat count: a whole number from 1 to [`MAX_HALL_SEATS`].
pub fn hall_seats(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_HALL_SEATS).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number of seats from 1 to {MAX_HALL_SEATS}, got {s:?}"
        )),
    }
}

pub fn write_halls<W: std::io::Write>(out: W, rows: &[Hall]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["bin", "hall", "seats", "name"])?;
    for h in rows {
        w.write_record([h.bin.as_str(), &h.hall, &h.seats.to_string(), &h.name])?;
    }
    w.flush()?;
    Ok(())
}

pub fn read_distributors<R: Read>(input: R) -> Result<Vec<Distributor>, RegistryError> {
    read_rows::<DistributorCsv, _>(input)
        .map(|(line, r)| {
            let d = r?;
            Ok(Distributor {
                bin: field(line, "bin", Bin::parse(&d.bin))?,
                name_kk: d.name_kk,
                name_ru: d.name_ru,
                name_en: field(line, "name_en", nonempty(d.name_en))?,
            })
        })
        .collect()
}

pub fn write_distributors<W: std::io::Write>(out: W, rows: &[Distributor]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["bin", "name_kk", "name_ru", "name_en"])?;
    for d in rows {
        w.write_record([d.bin.as_str(), &d.name_kk, &d.name_ru, &d.name_en])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes records as CSV with the header the readers expect.
pub fn write_cinemas<W: std::io::Write>(out: W, rows: &[Cinema]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "bin",
        "name",
        "name_kk",
        "name_ru",
        "region",
        "city",
        "halls",
        "seats",
        "vat_payer",
        "vendor",
    ])?;
    for c in rows {
        w.write_record([
            c.bin.as_str(),
            &c.name,
            &c.name_kk,
            &c.name_ru,
            c.region.code(),
            &c.city,
            &c.halls.to_string(),
            &c.seats.to_string(),
            &c.vat_payer.to_string(),
            &c.vendor,
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_films<W: std::io::Write>(out: W, rows: &[Film]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "film_id",
        "title_kk",
        "title_ru",
        "title_en",
        "release_date",
        "producer_bin",
        "distributor_bin",
        "national",
        "budget",
        "public_roi",
    ])?;
    for f in rows {
        w.write_record([
            f.film_id.as_str(),
            &f.title_kk,
            &f.title_ru,
            &f.title_en,
            &f.release_date.to_string(),
            f.producer_bin.as_str(),
            f.distributor_bin.as_str(),
            &f.national.to_string(),
            &f.budget.to_string(),
            &f.public_roi.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_funding<W: std::io::Write>(out: W, rows: &[Funding]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["film_id", "payment_id", "paid_on", "amount"])?;
    for f in rows {
        w.write_record([
            f.film_id.as_str(),
            &f.payment_id,
            &f.paid_on.to_string(),
            &f.amount.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize)]
pub struct CinemaRow {
    pub bin: String,
    pub name: String,
    pub region: String,
    pub city: String,
    pub halls: u16,
    pub seats: u32,
    pub vat_payer: u8,
    pub updated_at: u32,
    pub name_kk: String,
    pub name_ru: String,
    pub vendor: String,
}

/// One version of a partner (`partners`, ReplacingMergeTree by `updated_at`).
#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartnerRow {
    pub partner_id: String,
    pub name: String,
    pub bin: String,
    pub deleted: u8,
    pub updated_at: u32,
}

#[cfg(feature = "storage")]
impl PartnerRow {
    pub fn from_record(p: &Partner, at: DateTime<Utc>) -> Self {
        Self {
            partner_id: p.partner_id.clone(),
            name: p.name.clone(),
            bin: p.bin.to_string(),
            deleted: 0,
            updated_at: crate::time::secs(at),
        }
    }
}

/// One version of a hall (`halls`, ReplacingMergeTree by `updated_at`; `deleted` = 1 when
/// the ministry removed it, so its history stays).
#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize, PartialEq, Eq)]
pub struct HallRow {
    pub bin: String,
    pub hall: String,
    pub seats: u32,
    pub name: String,
    pub deleted: u8,
    pub updated_at: u32,
}

#[cfg(feature = "storage")]
impl HallRow {
    pub fn from_record(h: &Hall, at: DateTime<Utc>) -> Self {
        Self {
            bin: h.bin.to_string(),
            hall: h.hall.clone(),
            seats: h.seats,
            name: h.name.clone(),
            deleted: 0,
            updated_at: crate::time::secs(at),
        }
    }
}

#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize)]
pub struct FilmRow {
    pub film_id: String,
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    pub release_date: u16,
    pub producer_bin: String,
    pub distributor_bin: String,
    pub national: u8,
    pub budget_tiyn: i64,
    pub updated_at: u32,
    pub public_roi: u8,
}

#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize)]
pub struct DistributorRow {
    pub bin: String,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    pub updated_at: u32,
}

#[cfg(feature = "storage")]
impl DistributorRow {
    pub fn from_record(d: &Distributor, at: DateTime<Utc>) -> Self {
        Self {
            bin: d.bin.to_string(),
            name_kk: d.name_kk.clone(),
            name_ru: d.name_ru.clone(),
            name_en: d.name_en.clone(),
            updated_at: crate::time::secs(at),
        }
    }
}

#[cfg(feature = "storage")]
#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize)]
pub struct FundingRow {
    pub film_id: String,
    pub payment_id: String,
    pub paid_on: u16,
    pub amount_tiyn: i64,
    pub updated_at: u32,
}

#[cfg(feature = "storage")]
impl CinemaRow {
    pub fn from_record(c: &Cinema, at: DateTime<Utc>) -> Self {
        Self {
            bin: c.bin.to_string(),
            name: c.name.clone(),
            region: c.region.code().to_owned(),
            city: c.city.clone(),
            halls: c.halls,
            seats: c.seats,
            vat_payer: u8::from(c.vat_payer),
            updated_at: crate::time::secs(at),
            name_kk: c.name_kk.clone(),
            name_ru: c.name_ru.clone(),
            vendor: c.vendor.clone(),
        }
    }
}

#[cfg(feature = "storage")]
impl FilmRow {
    pub fn from_record(f: &Film, at: DateTime<Utc>) -> Self {
        Self {
            film_id: f.film_id.to_string(),
            title_kk: f.title_kk.clone(),
            title_ru: f.title_ru.clone(),
            title_en: f.title_en.clone(),
            release_date: days_since_epoch(f.release_date),
            producer_bin: f.producer_bin.to_string(),
            distributor_bin: f.distributor_bin.to_string(),
            national: u8::from(f.national),
            budget_tiyn: f.budget.tiyn(),
            updated_at: crate::time::secs(at),
            public_roi: u8::from(f.public_roi),
        }
    }
}

#[cfg(feature = "storage")]
impl FundingRow {
    pub fn from_record(f: &Funding, at: DateTime<Utc>) -> Self {
        Self {
            film_id: f.film_id.to_string(),
            payment_id: f.payment_id.clone(),
            paid_on: days_since_epoch(f.paid_on),
            amount_tiyn: f.amount.tiyn(),
            updated_at: crate::time::secs(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_round_trip_and_refuse_a_bad_id_naming_line_and_column() {
        let csv = "partner_id,name,bin\nTICKETON,Ticketon,000000000010\n";
        let p = read_partners(csv.as_bytes()).unwrap();
        let mut out = Vec::new();
        write_partners(&mut out, &p).unwrap();
        assert_eq!(read_partners(out.as_slice()).unwrap(), p);
        let err =
            read_partners("partner_id,name,bin\nA B,x,000000000010\n".as_bytes()).unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: column partner_id"),
            "{err}"
        );
    }

    #[test]
    fn halls_round_trip_and_refuse_bad_seats_and_repeats_naming_line_and_column() {
        let csv = "bin,hall,seats,name\n000000000010,1,120,Зал 1\n000000000010,IMAX,300,\n";
        let halls = read_halls(csv.as_bytes()).unwrap();
        assert_eq!(halls.len(), 2);
        assert_eq!(
            (
                halls[0].hall.as_str(),
                halls[0].seats,
                halls[0].name.as_str()
            ),
            ("1", 120, "Зал 1")
        );
        let mut out = Vec::new();
        write_halls(&mut out, &halls).unwrap();
        assert_eq!(read_halls(out.as_slice()).unwrap(), halls);
        // Without the optional name column.
        assert_eq!(
            read_halls("bin,hall,seats\n000000000010,2,80\n".as_bytes()).unwrap()[0].name,
            ""
        );
        let err = |csv: &str| read_halls(csv.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err("bin,hall,seats\n000000000010,1,0\n"),
            "line 2: column seats: must be a whole number of seats from 1 to 5000, got \"0\""
        );
        assert!(err("bin,hall,seats\n000000000010,1,5001\n").starts_with("line 2: column seats"));
        assert!(err("bin,hall,seats\n000000000011,1,10\n").starts_with("line 2: column bin"));
        assert!(err("bin,hall,seats\n000000000010,,10\n").starts_with("line 2: column hall"));
        assert_eq!(
            err("bin,hall,seats\n000000000010,1,10\n000000000010,1,12\n"),
            "line 3: column hall: is listed twice for this cinema"
        );
    }

    #[test]
    fn cinemas_round_trip_and_errors_name_line_and_column() {
        let c = Cinema {
            bin: Bin::parse("000000000010").unwrap(),
            name: "Kinopark 8".into(),
            name_kk: "Кинопарк 8".into(),
            name_ru: String::new(),
            region: Region::parse("Almaty").unwrap(),
            city: "Almaty".into(),
            halls: 8,
            seats: 1200,
            vat_payer: true,
            vendor: "KinoSoft".into(),
        };
        let mut buf = Vec::new();
        write_cinemas(&mut buf, std::slice::from_ref(&c)).unwrap();
        assert_eq!(read_cinemas(&buf[..]).unwrap(), vec![c.clone()]);
        // A file without the kk/ru and vendor columns (written before them) reads with them
        // empty.
        let old = "bin,name,region,city,halls,seats,vat_payer\n000000000010,Kinopark 8,KZ-75,Almaty,8,1200,true\n";
        assert_eq!(
            read_cinemas(old.as_bytes()).unwrap(),
            vec![Cinema {
                name_kk: String::new(),
                vendor: String::new(),
                ..c
            }]
        );
        let controlled = "bin,name,region,city,halls,seats,vat_payer,vendor\n000000000010,X,Almaty,Almaty,1,10,true,\"Kino\u{7}Soft\"\n";
        let err = read_cinemas(controlled.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("line 2: column vendor:"), "{err}");

        let bad =
            "bin,name,region,city,halls,seats,vat_payer\n000000000011,X,Almaty,Almaty,1,10,true\n";
        let err = read_cinemas(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("line 2: column bin:"), "{err}");
    }

    #[test]
    fn funding_amount_is_money() {
        let bad = "film_id,payment_id,paid_on,amount\nF1,P1,2025-01-10,12.345\n";
        let err = read_funding(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("column amount"), "{err}");
    }
}
