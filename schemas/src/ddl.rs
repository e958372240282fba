//! ClickHouse DDL and the report queries, as SQL text shared by ingest, the CLI, the API and
//! the compatibility test that runs them on a current ClickHouse (chdb).
//!
//! Report queries use `?` placeholders bound client-side by the `clickhouse` crate, so the
//! same text works on servers without query parameters (18.16). Every query reads with
//! `FINAL`: see `sql/001_tables.sql` for why that makes totals exact. Reports read the daily
//! aggregates ([`crate::rollup`]); only the reconciliation report needs single events.

/// The table definitions, in order.
pub const TABLES_SQL: &str = include_str!("../sql/001_tables.sql");

/// The integrity tables (voids, pending refunds, corrections, upload rejects).
pub const INTEGRITY_SQL: &str = include_str!("../sql/002_integrity.sql");

/// Key labels, expiry and revocations (issue 10).
pub const KEYS_SQL: &str = include_str!("../sql/003_keys.sql");

/// The outcomes of claim decisions, applied one at a time by the decider.
pub const DECISIONS_SQL: &str = include_str!("../sql/005_decisions.sql");

/// Rebate applicants without a Kazakh BIN.
pub const APPLICANTS_SQL: &str = include_str!("../sql/006_applicants.sql");

/// What the public pages show: distributors' names (issue 11).
pub const PUBLIC_SQL: &str = include_str!("../sql/007_public.sql");

/// Web sessions of the signed-in screens (issue 12).
pub const SESSIONS_SQL: &str = include_str!("../sql/008_sessions.sql");

/// The film commission's saved estimates per production (issue 12).
pub const COMMISSION_SQL: &str = include_str!("../sql/009_commission.sql");

/// Halls, declared sessions, signals and the cases opened from them (issue 25).
pub const TRUTH_SQL: &str = include_str!("../sql/010_truth.sql");

/// Ministry keys issued and the last but one revoked by two people (issue 26).
pub const TWO_KEYS_SQL: &str = include_str!("../sql/011_two_keys.sql");

/// The views business-intelligence tools read (as `ekino_bi`).
pub const BI_VIEWS_SQL: &str = include_str!("../sql/004_bi_views.sql");

/// The views of [`BI_VIEWS_SQL`] in the application database (the others are in the events one).
pub const APP_VIEWS: &[&str] = &["bi_films", "bi_cinemas"];

/// Columns added to tables of an earlier schema: (table, column, type and default). Old rows
/// read the default, so a migrated database needs no rewrite. Added only when missing
/// (`system.columns`), since 18.16 has no `ADD COLUMN IF NOT EXISTS`.
pub const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "ticket_events",
        "arrived_at",
        "DateTime DEFAULT ingested_at",
    ),
    ("ticket_events", "voided_by", "String DEFAULT ''"),
    ("ticket_events", "fingerprint", "UInt64 DEFAULT 0"),
    ("ticket_events", "backfill", "UInt8 DEFAULT 0"),
    ("api_keys", "label", "String DEFAULT ''"),
    // Seconds since the epoch; 0: never expires.
    ("api_keys", "expires_at", "UInt32 DEFAULT 0"),
    ("api_audit", "client", "String DEFAULT ''"),
    ("claim_events", "request_id", "String DEFAULT ''"),
    // A producer key of a foreign applicant (`applicants`) instead of a BIN.
    ("api_keys", "applicant_id", "String DEFAULT ''"),
    // The ministry publishes the film's budget, funding and recoupment on its public page.
    ("films", "public_roi", "UInt8 DEFAULT 0"),
    // Who issued a key (its author, or the operator of `ekino keys`).
    ("api_keys", "created_by", "String DEFAULT ''"),
    // A cinema's name in Kazakh and Russian (empty: its registered `name`).
    ("cinemas", "name_kk", "String DEFAULT ''"),
    ("cinemas", "name_ru", "String DEFAULT ''"),
    // The cinema's ticketing vendor (empty: not known): vendors are scored on completeness.
    ("cinemas", "vendor", "String DEFAULT ''"),
    // Sales with and without VAT per cinema, day and film: the reconciliation flag "VAT
    // different from the registry" read from the aggregates. Both 0 on a row computed before
    // they existed (no flag either way) until `ekino rollup` recomputes it.
    ("sales_by_cinema_day", "n_vat_sales", "UInt64 DEFAULT 0"),
    ("sales_by_cinema_day", "n_untaxed_sales", "UInt64 DEFAULT 0"),
    // Orders a record's versions written within one second (see `history::HistoryRow::seq`).
    ("registry_history", "seq", "UInt64 DEFAULT 0"),
    // When ekino last received an event of the cinema, film and day (its arrival, not its sale
    // time): "last event received" and days silent. 0 on a row computed before it existed
    // (then its last sale time stands in) until `ekino rollup` recomputes it.
    (
        "sales_by_cinema_day",
        "last_arrived_at",
        "DateTime DEFAULT toDateTime(0)",
    ),
];

/// The `ALTER TABLE` adding one of [`ADDED_COLUMNS`].
pub fn add_column_sql(table: &str, column: &str, decl: &str) -> String {
    format!("ALTER TABLE {table} ADD COLUMN {column} {decl}")
}

/// Where a table lives. Storage is split so ClickHouse 18.16's only access control, a user's
/// `allow_databases` and `readonly` profile, can give each service least privilege: ingest
/// writes the events database and cannot touch keys or the audit; the API reads the events
/// database and writes only the application database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Tickets, rejects, voids, pending refunds, corrections and the daily aggregates:
    /// written by ingest only.
    Events,
    /// The registry (films, cinemas, funding, agreements, official FX and its history), keys,
    /// the audit, claims and upload rejects: written by the API and the operator's commands.
    App,
}

/// The application database's tables; every other table is in the events database.
pub const APP_TABLES: &[&str] = &[
    "cinemas",
    "films",
    "film_funding",
    "film_agreements",
    "api_keys",
    "api_audit",
    "claim_events",
    "upload_rejects",
    "api_key_revocations",
    "registry_history",
    "fx_official",
    "claim_decisions",
    "applicants",
    "distributors",
    "web_sessions",
    "commission_estimates",
    "halls",
    "partners",
    "signals",
    "signal_progress",
    "head_counts",
    "cases",
    "case_steps",
    "signal_explanations",
    "api_key_requests",
    "api_key_approvals",
];

/// The store of a table or view by name.
pub fn store_of(table: &str) -> Store {
    if APP_TABLES.contains(&table) || APP_VIEWS.contains(&table) {
        Store::App
    } else {
        Store::Events
    }
}

/// The table or view a `CREATE TABLE|VIEW IF NOT EXISTS name` statement creates.
pub fn created_table(stmt: &str) -> Option<&str> {
    let s = stmt.trim_start();
    let rest = s
        .strip_prefix("CREATE TABLE IF NOT EXISTS")
        .or_else(|| s.strip_prefix("CREATE VIEW IF NOT EXISTS"))?;
    rest.split(|c: char| c.is_whitespace() || c == '(')
        .find(|w| !w.is_empty())
}

/// [`statements`] with the store each belongs in.
pub fn statements_by_store() -> Vec<(Store, String)> {
    statements()
        .into_iter()
        .map(|s| (created_table(&s).map_or(Store::Events, store_of), s))
        .collect()
}

/// The DDL split into single statements (the HTTP interface takes one at a time): the first
/// schema's tables, then the integrity tables, then the keys' revocations. Column additions follow.
pub fn statements() -> Vec<String> {
    let mut s = split_statements(TABLES_SQL);
    s.extend(split_statements(INTEGRITY_SQL));
    s.extend(split_statements(KEYS_SQL));
    s.extend(split_statements(BI_VIEWS_SQL));
    s.extend(split_statements(DECISIONS_SQL));
    s.extend(split_statements(APPLICANTS_SQL));
    s.extend(split_statements(PUBLIC_SQL));
    s.extend(split_statements(SESSIONS_SQL));
    s.extend(split_statements(COMMISSION_SQL));
    s.extend(split_statements(TRUTH_SQL));
    s.extend(split_statements(TWO_KEYS_SQL));
    s
}

pub fn split_statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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

/// The condition that a `pending_refunds` row still waits for its sale: no counted refund, void
/// or later verdict (a row at its Kafka position in `rejected_events`) has settled it.
macro_rules! pending_open {
    () => {
        "(cinema_bin, event_id) NOT IN (SELECT cinema_bin, event_id FROM ticket_events WHERE event_type = 'refund') \
  AND (cinema_bin, event_id) NOT IN (SELECT cinema_bin, voids FROM event_voids) \
  AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM rejected_events)"
    };
}

/// [`pending_open!`] as a constant, for ingest's index rebuild.
pub const PENDING_OPEN: &str = pending_open!();

/// Events kept but flagged for reconciliation, by flag: films not in the registry, cinemas not
/// in the registry, refunds waiting for their sale (`refund_pending`, counted nowhere), and
/// sales whose VAT rate disagrees with the cinema's registered VAT status (a payer charging
/// 0, or a non-payer charging VAT). The counts are ingest's, kept in the daily aggregates
/// (`n_events`, `n_vat_sales`, `n_untaxed_sales`) and `pending_refunds`; only the verdict
/// against the registry is taken here, so a film registered later stops being flagged
/// without rewriting anything, and no raw event is scanned. Voided events are out of every
/// count. `app` is the application database, where the registry lives (the query runs in the
/// events one). Inner aliases differ from outer ones: 18.16 would resolve a same-named alias
/// inside the aggregate.
pub fn reconciliation(app: &str) -> String {
    let app = app.to_owned() + ".";
    format!(
        "SELECT 'unknown_film' AS key, toUInt64(sum(n_events)) AS n FROM sales_by_cinema_day FINAL \
           WHERE film_id NOT IN (SELECT film_id FROM {app}films) \
         UNION ALL \
         SELECT 'unregistered_cinema' AS key, toUInt64(sum(n_events)) AS n FROM sales_by_cinema_day FINAL \
           WHERE cinema_bin NOT IN (SELECT bin FROM {app}cinemas) \
         UNION ALL \
         SELECT 'refund_pending' AS key, toUInt64(count()) AS n FROM pending_refunds FINAL \
           WHERE {pending} \
         UNION ALL \
         SELECT 'vat_differs_from_registry' AS key, toUInt64(sum(m)) AS n FROM ( \
             SELECT sum(n_untaxed_sales) AS m FROM sales_by_cinema_day FINAL \
               WHERE cinema_bin IN (SELECT bin FROM {app}cinemas FINAL WHERE vat_payer = 1) \
             UNION ALL \
             SELECT sum(n_vat_sales) AS m FROM sales_by_cinema_day FINAL \
               WHERE cinema_bin IN (SELECT bin FROM {app}cinemas FINAL WHERE vat_payer = 0))",
        pending = PENDING_OPEN
    )
}

/// Refunds still waiting for their sale, newest first (reconciliation's list): a pending row
/// that no counted refund, void or later verdict has settled. Binds: limit.
pub const PENDING_REFUNDS: &str = concat!(
    "SELECT cinema_bin, event_id, refund_of, film_id, toString(day) AS day, price_tiyn, arrived_at FROM pending_refunds FINAL WHERE ",
    pending_open!(),
    " ORDER BY arrived_at DESC, cinema_bin, event_id LIMIT ?"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_splits_into_create_statements() {
        let s = statements();
        assert_eq!(
            s.len(),
            39,
            "{}",
            s.iter()
                .map(|q| q.split_whitespace().nth(5).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            s.iter()
                .filter(|q| q.starts_with("CREATE TABLE IF NOT EXISTS"))
                .count(),
            35
        );
        assert_eq!(
            s.iter()
                .filter(|q| q.starts_with("CREATE VIEW IF NOT EXISTS"))
                .count(),
            4
        );
        // Every application table is created by the DDL, and the split leaves ingest's
        // tables in the events store.
        let by_store = statements_by_store();
        for t in APP_TABLES {
            assert!(
                by_store
                    .iter()
                    .any(|(st, q)| *st == Store::App && created_table(q) == Some(t)),
                "{t} has no ddl"
            );
        }
        for t in [
            "ticket_events",
            "rejected_events",
            "sales_by_cinema_day",
            "sales_by_film_day",
            "event_voids",
            "pending_refunds",
            "corrections",
            "declared_sessions",
            "partner_sales",
        ] {
            assert!(
                by_store
                    .iter()
                    .any(|(st, q)| *st == Store::Events && created_table(q) == Some(t)),
                "{t} is not an events table"
            );
        }
        assert_eq!(
            by_store.iter().filter(|(st, _)| *st == Store::App).count(),
            APP_TABLES.len() + APP_VIEWS.len()
        );
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
            (_, true) => push_literal(
                &mut out,
                values.next().expect("as many values as placeholders"),
            ),
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
        assert_eq!(
            super::bind_literals("a = ? AND b = ?", &["x", "it's"]),
            "a = 'x' AND b = 'it\\'s'"
        );
    }
}
