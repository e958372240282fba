//! FX and index tables, parsed from CSV text (the caller reads the file).
//!
//! FX: KZT per one unit of a currency by date (the National Bank of Kazakhstan publishes
//! official rates in that form). A line is converted at the latest rate on or before its date.
//! Conversion between two non-KZT currencies goes through KZT.
//! Index: a yearly value such as Kazakhstan's MCI (monthly calculation index).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::error::{EngineError, InputError};
use crate::money::{round_line, Currency};

/// The data lines of a small CSV table: `#` comments, blank lines and the header (the line
/// starting with `header`) are skipped; each line must have exactly `N` fields. Yields the
/// field name for errors (`{what} line N`) and the trimmed fields.
fn lines<'a, const N: usize>(text: &'a str, header: &'a str, what: &'a str) -> impl Iterator<Item = Result<(String, [&'a str; N]), InputError>> + 'a {
    text.lines().enumerate().filter_map(move |(i, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(header) {
            return None;
        }
        let field = format!("{what} line {}", i + 1);
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        Some(match <[&str; N]>::try_from(parts) {
            Ok(f) => Ok((field, f)),
            Err(_) => Err(InputError::new(field, format!("must have {N} fields: {}", header.trim_end_matches(',')))),
        })
    })
}

#[derive(Debug, Clone, Default)]
pub struct FxTable {
    /// currency → date → KZT per unit.
    rates: BTreeMap<Currency, BTreeMap<NaiveDate, Decimal>>,
}

impl FxTable {
    /// Parses `date,currency,kzt` lines (a header and `#` comments allowed).
    pub fn parse_csv(text: &str) -> Result<Self, InputError> {
        let mut t = FxTable::default();
        for (currency, date, kzt) in Self::parse_rows(text)? {
            t.insert(currency, date, kzt)?;
        }
        Ok(t)
    }

    /// The rates of `date,currency,kzt` text, each checked (a positive decimal, a currency
    /// code, a date), in the order given: for storing an official table as loaded.
    pub fn parse_rows(text: &str) -> Result<Vec<(Currency, NaiveDate, Decimal)>, InputError> {
        let mut out = Vec::new();
        for row in lines::<3>(text, "date,currency,kzt", "fx") {
            let (field, [date, currency, kzt]) = row?;
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| InputError::new(&field, "date must be YYYY-MM-DD"))?;
            let currency = Currency::parse(currency).map_err(|e| InputError::new(&field, e))?;
            let kzt: Decimal = kzt.parse().map_err(|_| InputError::new(&field, "kzt must be a decimal"))?;
            if kzt <= Decimal::ZERO {
                return Err(InputError::new(&field, "kzt must be positive"));
            }
            out.push((currency, date, kzt));
        }
        Ok(out)
    }

    /// Whether the table holds no rate.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    pub fn insert(&mut self, currency: Currency, date: NaiveDate, kzt: Decimal) -> Result<(), InputError> {
        if kzt <= Decimal::ZERO {
            return Err(InputError::new("kzt", "must be positive"));
        }
        self.rates.entry(currency).or_default().insert(date, kzt);
        Ok(())
    }

    /// A table with `other`'s rates taking precedence (a claim's own `fx` list wins).
    pub fn overlaid(&self, other: &FxTable) -> FxTable {
        let mut t = self.clone();
        for (c, by_date) in &other.rates {
            t.rates.entry(c.clone()).or_default().extend(by_date.iter().map(|(d, r)| (*d, *r)));
        }
        t
    }

    /// KZT per unit of `currency` on `date` (latest published on or before it).
    pub fn kzt_per_unit(&self, currency: &Currency, date: NaiveDate) -> Result<Decimal, EngineError> {
        if currency.as_str() == "KZT" {
            return Ok(Decimal::ONE);
        }
        self.rates
            .get(currency)
            .and_then(|by_date| by_date.range(..=date).next_back())
            .map(|(_, r)| *r)
            .ok_or_else(|| EngineError::MissingFx { currency: currency.to_string(), date })
    }

    /// Converts and rounds to 2 decimals by the line rule.
    pub fn convert(&self, amount: Decimal, from: &Currency, to: &Currency, date: NaiveDate) -> Result<Decimal, EngineError> {
        if from == to {
            return Ok(amount);
        }
        let kzt = amount.checked_mul(self.kzt_per_unit(from, date)?).ok_or(EngineError::Overflow(amount))?;
        let out = kzt.checked_div(self.kzt_per_unit(to, date)?).ok_or(EngineError::Overflow(kzt))?;
        Ok(round_line(out))
    }

    pub fn currencies(&self) -> impl Iterator<Item = &Currency> {
        self.rates.keys()
    }

    pub fn latest_date(&self) -> Option<NaiveDate> {
        self.rates.values().filter_map(|m| m.keys().next_back().copied()).max()
    }
}

#[derive(Debug, Clone, Default)]
pub struct IndexTable {
    /// index name → year → value in KZT.
    values: BTreeMap<String, BTreeMap<i32, Decimal>>,
}

impl IndexTable {
    /// Parses `index,year,value` lines.
    pub fn parse_csv(text: &str) -> Result<Self, InputError> {
        let mut t = IndexTable::default();
        for row in lines::<3>(text, "index,year,value", "index") {
            let (field, [index, year, value]) = row?;
            let year: i32 = year.parse().map_err(|_| InputError::new(&field, "year must be a number"))?;
            let value: Decimal = value.parse().map_err(|_| InputError::new(&field, "value must be a decimal"))?;
            t.values.entry(index.to_owned()).or_default().insert(year, value);
        }
        Ok(t)
    }

    pub fn value(&self, index: &str, date: NaiveDate) -> Result<Decimal, EngineError> {
        self.values
            .get(index)
            .and_then(|y| y.get(&date.year()))
            .copied()
            .ok_or_else(|| EngineError::MissingIndex { index: index.to_owned(), year: date.year() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn latest_rate_on_or_before() {
        let t = FxTable::parse_csv("date,currency,kzt\n2026-01-05,USD,500\n2026-02-02,USD,510\n").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(t.kzt_per_unit(&usd, d("2026-01-31")).unwrap(), dec!(500));
        assert_eq!(t.kzt_per_unit(&usd, d("2026-02-02")).unwrap(), dec!(510));
        assert!(matches!(t.kzt_per_unit(&usd, d("2025-12-31")), Err(EngineError::MissingFx { .. })));
        assert_eq!(t.convert(dec!(10), &usd, &Currency::kzt(), d("2026-03-01")).unwrap(), dec!(5100));
    }

    #[test]
    fn claim_fx_wins() {
        let base = FxTable::parse_csv("2026-01-05,USD,500\n").unwrap();
        let own = FxTable::parse_csv("2026-01-05,USD,512.34\n").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(base.overlaid(&own).kzt_per_unit(&usd, d("2026-01-06")).unwrap(), dec!(512.34));
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let e = FxTable::parse_csv("date,currency,kzt\n2026-01-05,USD\n").unwrap_err();
        assert_eq!(e.field, "fx line 2");
        let e = IndexTable::parse_csv("# MCI\nMCI,twenty,4325\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("index line 2", "year must be a number"));
    }

    #[test]
    fn mci_by_year() {
        let t = IndexTable::parse_csv("index,year,value\nMCI,2026,4325\n").unwrap();
        assert_eq!(t.value("MCI", d("2026-09-01")).unwrap(), dec!(4325));
        assert!(t.value("MCI", d("2027-01-01")).is_err());
    }
}
