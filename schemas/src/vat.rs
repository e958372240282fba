//! VAT rates in force, as data (`schemas/data/vat_rates.csv`), not code.
//!
//! A ticket's `vat_rate` must be a rate in force on its sale date (local date of
//! `occurred_at`) or on its screening day: a ticket sold in December 2025 for a January 2026
//! show may carry 12 % or 16 %. Which of the rates in force a cinema must charge (0 for a
//! cinema below the registration threshold) belongs to the cinema registry; a mismatch there
//! is flagged in reconciliation, not rejected, because the registry may be stale.

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::money::VatRate;

/// The published table, compiled in.
pub const VAT_RATES_CSV: &str = include_str!("../data/vat_rates.csv");

/// One rate and the inclusive dates it is in force (open ends are `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub rate: VatRate,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl InForce {
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d <= t)
    }
}

/// Parses the table; a malformed file is a build defect, so the error names the line.
pub fn parse_table(csv_text: &str) -> Result<Vec<InForce>, String> {
    let mut out = Vec::new();
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("vat_rates.csv line {}: {e}", i + 2))?;
        let date = |s: &str| -> Result<Option<NaiveDate>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|e| format!("vat_rates.csv line {}: {s:?}: {e}", i + 2))
            }
        };
        let rate = VatRate::parse(&rec[0])
            .map_err(|e| format!("vat_rates.csv line {}: rate {e}", i + 2))?;
        out.push(InForce {
            rate,
            from: date(&rec[1])?,
            to: date(&rec[2])?,
        });
    }
    Ok(out)
}

/// The compiled-in table.
pub fn table() -> &'static [InForce] {
    static T: OnceLock<Vec<InForce>> = OnceLock::new();
    T.get_or_init(|| parse_table(VAT_RATES_CSV).expect("schemas/data/vat_rates.csv is valid"))
}

/// Whether `rate` is in force on either date.
pub fn in_force(rate: VatRate, sale_date: NaiveDate, screening_day: NaiveDate) -> bool {
    table()
        .iter()
        .any(|r| r.rate == rate && (r.covers(sale_date) || r.covers(screening_day)))
}

/// The rates in force on a date, for messages (`0, 0.16`).
pub fn rates_on(d: NaiveDate) -> String {
    let rates: Vec<String> = table()
        .iter()
        .filter(|r| r.covers(d))
        .map(|r| r.rate.to_string())
        .collect();
    rates.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rate(s: &str) -> VatRate {
        VatRate::parse(s).unwrap()
    }

    #[test]
    fn rates_in_force_by_date() {
        // (rate, sale date, screening day, in force?) from the Tax Codes, not from the table.
        let cases = [
            ("0", "2019-05-01", "2019-05-01", true),
            ("0", "2026-11-20", "2026-11-20", true),
            ("0.12", "2025-12-31", "2025-12-31", true),
            ("0.12", "2026-01-01", "2026-01-01", false),
            ("0.16", "2025-12-31", "2025-12-31", false),
            ("0.16", "2026-01-01", "2026-01-01", true),
            // Sold in December 2025 for a January show: either rate.
            ("0.12", "2025-12-28", "2026-01-03", true),
            ("0.16", "2025-12-28", "2026-01-03", true),
            ("0.15", "2026-11-20", "2026-11-20", false),
            ("0.1", "2026-11-20", "2026-11-20", false),
            ("0.16", "2024-06-01", "2024-06-01", false),
        ];
        for (r, sale, day, want) in cases {
            assert_eq!(
                in_force(rate(r), d(sale), d(day)),
                want,
                "{r} sold {sale} for {day}"
            );
        }
        assert_eq!(rates_on(d("2026-03-01")), "0, 0.16");
    }

    #[test]
    fn malformed_table_names_the_line() {
        let e = parse_table("rate,from,to,note\n0.16,2026-13-01,,x\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }
}
