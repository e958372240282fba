//! FX and index tables, parsed from CSV text (the caller reads the file).
//!
//! FX: KZT per one unit of a currency by date (the National Bank of Kazakhstan publishes
//! official rates in that form). A line is converted at the latest rate on or before its date.
//! Conversion between two non-KZT currencies goes through KZT.
//! Index: a yearly value such as Kazakhstan's MCI (monthly calculation index). A claim needs
//! its year's published value; an estimate of a shoot past the last published year uses the
//! latest value instead ([`IndexTable::carried_forward`]) and says so.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::error::{EngineError, InputError, Reason};
use crate::money::{round_line, Currency};

/// The data lines of a small CSV table: `#` comments, blank lines and the header (the line
/// starting with `header`) are skipped; each line must have exactly `N` fields. Yields the
/// field name for errors (`{what} line N`) and the trimmed fields.
fn lines<'a, const N: usize>(
    text: &'a str,
    header: &'a str,
    what: &'a str,
) -> impl Iterator<Item = Result<(String, [&'a str; N]), InputError>> + 'a {
    text.lines().enumerate().filter_map(move |(i, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(header) {
            return None;
        }
        let field = format!("{what} line {}", i + 1);
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        Some(match <[&str; N]>::try_from(parts) {
            Ok(f) => Ok((field, f)),
            Err(_) => Err(InputError::new(
                field,
                Reason::Fields {
                    count: N,
                    header: header.trim_end_matches(',').to_owned(),
                },
            )),
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
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                InputError::new(
                    format!("{field} date"),
                    Reason::NotDate {
                        got: date.to_owned(),
                    },
                )
            })?;
            let currency = Currency::parse(currency).map_err(|_| {
                InputError::new(
                    format!("{field} currency"),
                    Reason::NotCurrency {
                        got: currency.to_owned(),
                    },
                )
            })?;
            let kzt: Decimal = kzt.parse().map_err(|_| {
                InputError::new(
                    format!("{field} kzt"),
                    Reason::NotDecimal {
                        got: kzt.to_owned(),
                    },
                )
            })?;
            if kzt <= Decimal::ZERO {
                return Err(InputError::new(format!("{field} kzt"), Reason::NotPositive));
            }
            out.push((currency, date, kzt));
        }
        Ok(out)
    }

    /// Whether the table holds no rate.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    pub fn insert(
        &mut self,
        currency: Currency,
        date: NaiveDate,
        kzt: Decimal,
    ) -> Result<(), InputError> {
        if kzt <= Decimal::ZERO {
            return Err(InputError::new("kzt", Reason::NotPositive));
        }
        self.rates.entry(currency).or_default().insert(date, kzt);
        Ok(())
    }

    /// A table with `other`'s rates taking precedence (a claim's own `fx` list wins).
    pub fn overlaid(&self, other: &FxTable) -> FxTable {
        let mut t = self.clone();
        for (c, by_date) in &other.rates {
            t.rates
                .entry(c.clone())
                .or_default()
                .extend(by_date.iter().map(|(d, r)| (*d, *r)));
        }
        t
    }

    /// KZT per unit of `currency` on `date` (latest published on or before it).
    pub fn kzt_per_unit(
        &self,
        currency: &Currency,
        date: NaiveDate,
    ) -> Result<Decimal, EngineError> {
        if currency.as_str() == "KZT" {
            return Ok(Decimal::ONE);
        }
        self.rates
            .get(currency)
            .and_then(|by_date| by_date.range(..=date).next_back())
            .map(|(_, r)| *r)
            .ok_or_else(|| EngineError::MissingFx {
                currency: currency.to_string(),
                date,
            })
    }

    /// Converts and rounds to 2 decimals by the line rule.
    pub fn convert(
        &self,
        amount: Decimal,
        from: &Currency,
        to: &Currency,
        date: NaiveDate,
    ) -> Result<Decimal, EngineError> {
        if from == to {
            return Ok(amount);
        }
        let kzt = amount
            .checked_mul(self.kzt_per_unit(from, date)?)
            .ok_or(EngineError::Overflow(amount))?;
        let out = kzt
            .checked_div(self.kzt_per_unit(to, date)?)
            .ok_or(EngineError::Overflow(kzt))?;
        Ok(round_line(out))
    }

    pub fn currencies(&self) -> impl Iterator<Item = &Currency> {
        self.rates.keys()
    }

    pub fn latest_date(&self) -> Option<NaiveDate> {
        self.rates
            .values()
            .filter_map(|m| m.keys().next_back().copied())
            .max()
    }
}

#[derive(Debug, Clone, Default)]
pub struct IndexTable {
    /// index name → year → value in KZT.
    values: BTreeMap<String, BTreeMap<i32, Decimal>>,
    /// (index, year) → the earlier year whose value stands in for it (estimates only).
    carried: BTreeMap<(String, i32), i32>,
}

/// An index value an estimate used for a year not yet published: the latest earlier one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Carried {
    pub index: String,
    /// The year the estimate needed.
    pub year: i32,
    /// The latest published year, whose value was used.
    pub from_year: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub value: Decimal,
}

impl IndexTable {
    /// Parses `index,year,value` lines.
    pub fn parse_csv(text: &str) -> Result<Self, InputError> {
        let mut t = IndexTable::default();
        for row in lines::<3>(text, "index,year,value", "index") {
            let (field, [index, year, value]) = row?;
            let year: i32 = year.parse().map_err(|_| {
                InputError::new(
                    format!("{field} year"),
                    Reason::NotWholeNumber {
                        got: year.to_owned(),
                    },
                )
            })?;
            let value: Decimal = value.parse().map_err(|_| {
                InputError::new(
                    format!("{field} value"),
                    Reason::NotDecimal {
                        got: value.to_owned(),
                    },
                )
            })?;
            t.values
                .entry(index.to_owned())
                .or_default()
                .insert(year, value);
        }
        Ok(t)
    }

    pub fn value(&self, index: &str, date: NaiveDate) -> Result<Decimal, EngineError> {
        self.value_and_year(index, date).map(|(v, _)| v)
    }

    /// The value for `date`'s year and the year it was published for (an earlier one when
    /// the table was [carried forward](Self::carried_forward)).
    pub fn value_and_year(
        &self,
        index: &str,
        date: NaiveDate,
    ) -> Result<(Decimal, i32), EngineError> {
        let year = date.year();
        let value = self
            .values
            .get(index)
            .and_then(|y| y.get(&year))
            .copied()
            .ok_or_else(|| EngineError::MissingIndex {
                index: index.to_owned(),
                year,
            })?;
        Ok((
            value,
            self.carried
                .get(&(index.to_owned(), year))
                .copied()
                .unwrap_or(year),
        ))
    }

    /// A copy in which every index without a value for `year`, but with one for an earlier
    /// year, takes the latest earlier value: what an estimate of a future shoot uses. A year
    /// before the first published one is not invented. Claims never use this.
    pub fn carried_forward(&self, year: i32) -> (IndexTable, Vec<Carried>) {
        let mut t = self.clone();
        let mut used = Vec::new();
        for (index, years) in &self.values {
            if years.contains_key(&year) {
                continue;
            }
            if let Some((&from_year, &value)) = years.range(..year).next_back() {
                t.values
                    .get_mut(index)
                    .expect("present")
                    .insert(year, value);
                t.carried.insert((index.clone(), year), from_year);
                used.push(Carried {
                    index: index.clone(),
                    year,
                    from_year,
                    value,
                });
            }
        }
        (t, used)
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
        let t = FxTable::parse_csv("date,currency,kzt\n2026-01-05,USD,500\n2026-02-02,USD,510\n")
            .unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(t.kzt_per_unit(&usd, d("2026-01-31")).unwrap(), dec!(500));
        assert_eq!(t.kzt_per_unit(&usd, d("2026-02-02")).unwrap(), dec!(510));
        assert!(matches!(
            t.kzt_per_unit(&usd, d("2025-12-31")),
            Err(EngineError::MissingFx { .. })
        ));
        assert_eq!(
            t.convert(dec!(10), &usd, &Currency::kzt(), d("2026-03-01"))
                .unwrap(),
            dec!(5100)
        );
    }

    #[test]
    fn claim_fx_wins() {
        let base = FxTable::parse_csv("2026-01-05,USD,500\n").unwrap();
        let own = FxTable::parse_csv("2026-01-05,USD,512.34\n").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            base.overlaid(&own)
                .kzt_per_unit(&usd, d("2026-01-06"))
                .unwrap(),
            dec!(512.34)
        );
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let e = FxTable::parse_csv("date,currency,kzt\n2026-01-05,USD\n").unwrap_err();
        assert_eq!(e.field, "fx line 2");
        let e = IndexTable::parse_csv("# MCI\nMCI,twenty,4325\n").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason),
            (
                "index line 2 year",
                Reason::NotWholeNumber {
                    got: "twenty".into()
                }
            )
        );
    }

    #[test]
    fn mci_by_year() {
        let t = IndexTable::parse_csv("index,year,value\nMCI,2026,4325\n").unwrap();
        assert_eq!(t.value("MCI", d("2026-09-01")).unwrap(), dec!(4325));
        assert!(t.value("MCI", d("2027-01-01")).is_err());
    }

    #[test]
    fn carried_forward_only_past_the_last_year() {
        let t =
            IndexTable::parse_csv("index,year,value\nMCI,2025,3932\nMCI,2026,4325\nOTHER,2027,7\n")
                .unwrap();
        // A published year is used as it is, and nothing is reported carried.
        let (same, used) = t.carried_forward(2026);
        assert_eq!(
            (
                same.value_and_year("MCI", d("2026-05-01")).unwrap(),
                used.len()
            ),
            ((dec!(4325), 2026), 0)
        );
        // 2028: MCI takes 2026's value (the latest), OTHER its 2027 one; both said.
        let (later, used) = t.carried_forward(2028);
        assert_eq!(
            later.value_and_year("MCI", d("2028-03-01")).unwrap(),
            (dec!(4325), 2026)
        );
        assert_eq!(
            later.value_and_year("OTHER", d("2028-03-01")).unwrap(),
            (dec!(7), 2027)
        );
        assert_eq!(
            used,
            vec![
                Carried {
                    index: "MCI".into(),
                    year: 2028,
                    from_year: 2026,
                    value: dec!(4325)
                },
                Carried {
                    index: "OTHER".into(),
                    year: 2028,
                    from_year: 2027,
                    value: dec!(7)
                },
            ]
        );
        // Before the first published year nothing is invented, and the original is untouched.
        let (earlier, used) = t.carried_forward(2024);
        assert!(earlier.value("MCI", d("2024-01-01")).is_err() && used.is_empty());
        assert!(t.value("MCI", d("2028-01-01")).is_err());
    }
}
