//! ClickHouse DDL and the report queries, as SQL text shared by ingest, the CLI, the API and
//! the compatibility test that runs them on a current ClickHouse (chdb).
//!
//! Report queries use `?` placeholders bound client-side by the `clickhouse` crate, so the
//! same text works on servers without query parameters (18.16). Every query reads with
//! `FINAL`: see `sql/001_tables.sql` for why that makes totals exact. Reports read the daily
//! aggregates ([`crate::rollup`]); only the reconciliation report needs single events.

/// The table definitions, in order.
pub const TABLES_SQL: &str = include_str!("../sql/001_tables.sql");

/// The DDL split into single statements (the HTTP interface takes one at a time).
pub fn statements() -> Vec<String> {
    split_statements(TABLES_SQL)
}

pub fn split_statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Daily box office per film, cinema and screening day, over an inclusive day range, from
/// the cinema-day aggregate (one row per group under `FINAL`).
/// Binds: from, to (`YYYY-MM-DD`), then `film_filter` and `cinema_filter` values if used.
pub fn box_office_daily(film: bool, cinema: bool) -> String {
    format!(
        "SELECT film_id, cinema_bin, day, \
         toInt64(sum(qty_sum)) AS admissions, toInt64(sum(gross_sum)) AS gross_tiyn, \
         toInt64(sum(net_sum)) AS net_tiyn, toUInt64(sum(n_screenings)) AS screenings \
         FROM sales_by_cinema_day FINAL \
         WHERE day >= toDate(?) AND day <= toDate(?){}{} \
         GROUP BY film_id, cinema_bin, day \
         ORDER BY day, film_id, cinema_bin",
        if film { " AND film_id = ?" } else { "" },
        if cinema { " AND cinema_bin = ?" } else { "" },
    )
}

/// Totals over the same range and filters as [`box_office_daily`].
pub fn box_office_totals(film: bool, cinema: bool) -> String {
    format!(
        "SELECT toInt64(sum(qty_sum)) AS admissions, toInt64(sum(gross_sum)) AS gross_tiyn, \
         toInt64(sum(net_sum)) AS net_tiyn, toUInt64(sum(n_events)) AS events \
         FROM sales_by_cinema_day FINAL \
         WHERE day >= toDate(?) AND day <= toDate(?){}{}",
        if film { " AND film_id = ?" } else { "" },
        if cinema { " AND cinema_bin = ?" } else { "" },
    )
}

/// Rejected messages by reason code (each Kafka position counted once).
pub const REJECTED_BY_REASON: &str = "SELECT reason AS key, toUInt64(count()) AS n FROM rejected_events FINAL GROUP BY key ORDER BY key";

/// Events kept but flagged for reconciliation, by flag: films not in the registry, cinemas not
/// in the registry, refunds whose sale is unknown. Computed at read time, so a film registered
/// later stops being flagged without rewriting any event.
pub const RECONCILIATION: &str = "\
SELECT 'unknown_film' AS key, toUInt64(count()) AS n FROM ticket_events FINAL \
  WHERE film_id NOT IN (SELECT film_id FROM films) \
UNION ALL \
SELECT 'unregistered_cinema' AS key, toUInt64(count()) AS n FROM ticket_events FINAL \
  WHERE cinema_bin NOT IN (SELECT bin FROM cinemas) \
UNION ALL \
SELECT 'refund_unknown_sale' AS key, toUInt64(count()) AS n FROM ticket_events FINAL \
  WHERE event_type = 'refund' AND refund_of NOT IN (SELECT event_id FROM ticket_events WHERE event_type = 'sale')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_splits_into_create_statements() {
        let s = statements();
        assert_eq!(s.len(), 11);
        assert!(s.iter().all(|q| q.starts_with("CREATE TABLE IF NOT EXISTS")));
    }

    #[test]
    fn filters_add_placeholders() {
        assert_eq!(box_office_daily(true, true).matches('?').count(), 4);
        assert_eq!(box_office_totals(false, false).matches('?').count(), 2);
    }
}

/// Appends `v` as a quoted ClickHouse string literal (`'` and `\` escaped).
pub fn push_literal(out: &mut String, v: &str) {
    out.push('\'');
    for ch in v.chars() {
        if ch == '\'' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('\'');
}

/// Replaces each `?` with a quoted string literal, as the `clickhouse` crate's client-side
/// binding does; used to hand the exact report SQL to another engine (the chdb check).
pub fn bind_literals(sql: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(sql.len() + 16 * values.len());
    let mut values = values.iter();
    for c in sql.chars() {
        match (c, c == '?') {
            (_, true) => push_literal(&mut out, values.next().expect("as many values as placeholders")),
            (c, false) => out.push(c),
        }
    }
    assert!(values.next().is_none(), "more values than placeholders");
    out
}

#[cfg(test)]
mod bind_tests {
    #[test]
    fn literals_are_quoted_and_escaped() {
        assert_eq!(super::bind_literals("a = ? AND b = ?", &["x", "it's"]), "a = 'x' AND b = 'it\\'s'");
    }
}
