//! ClickHouse access for ingest: the client, migrations, and raw inserts.
//!
//! The client speaks plain `RowBinary` without compression or schema validation, because
//! ClickHouse 18.16 (what Debian ships) knows neither `RowBinaryWithNamesAndTypes` nor the
//! crate's LZ4 framing; current servers accept the same requests.

use std::time::Duration;

use anyhow::Context;
use clickhouse::{Client, Row};
use serde::Serialize;

use crate::config::ClickHouseSettings;

/// A client bound to the ekino database.
pub fn client(s: &ClickHouseSettings) -> Client {
    server_client(s).with_database(&s.database)
}

/// A client with no database selected, for creating it.
pub fn server_client(s: &ClickHouseSettings) -> Client {
    Client::default()
        .with_url(&s.url)
        .with_user(&s.user)
        .with_password(&s.password)
        .with_compression(clickhouse::Compression::None)
        .with_validation(false)
}

/// Creates the database and tables if missing and adds the columns later schemas added to
/// existing tables. Idempotent; a database made by an earlier schema is migrated in place.
pub async fn migrate(s: &ClickHouseSettings) -> anyhow::Result<()> {
    server_client(s)
        .query(&format!("CREATE DATABASE IF NOT EXISTS {}", quote_ident(&s.database)?))
        .execute()
        .await
        .with_context(|| format!("creating database {}", s.database))?;
    let c = client(s);
    for stmt in schemas::ddl::statements() {
        // Raw: DDL may hold `?` in comments or defaults, which `query` takes for a bind.
        c.query_raw(&stmt).execute().await.with_context(|| format!("running ddl: {}", first_line(&stmt)))?;
    }
    let existing: Vec<(String, String)> = c
        .query("SELECT table, name FROM system.columns WHERE database = ?")
        .bind(&s.database)
        .fetch_all()
        .await
        .context("reading existing columns")?;
    for (table, column, decl) in schemas::ddl::ADDED_COLUMNS {
        if !existing.iter().any(|(t, n)| t == table && n == column) {
            let sql = schemas::ddl::add_column_sql(table, column, decl);
            c.query_raw(&sql).execute().await.with_context(|| format!("migrating: {sql}"))?;
            tracing::info!(table, column, "column added");
        }
    }
    Ok(())
}

/// [`migrate`], waiting with back-off while ClickHouse is unreachable (a service started
/// before its database is up waits for it instead of exiting). Other failures are returned.
pub async fn migrate_when_ready(s: &ClickHouseSettings, retry_initial_ms: u64, retry_max_ms: u64) -> anyhow::Result<()> {
    let mut backoff = crate::retry::Backoff::new(retry_initial_ms, retry_max_ms);
    loop {
        match migrate(s).await {
            Ok(()) => return Ok(()),
            Err(e) if e.chain().any(|c| c.downcast_ref::<clickhouse::error::Error>().is_some_and(|ce| crate::retry::classify(ce) == crate::retry::Disposition::Retry)) => {
                let delay = backoff.next_delay();
                tracing::warn!(attempt = backoff.attempts(), delay_ms = delay.as_millis() as u64, error = format!("{e:#}"), "clickhouse is not ready; waiting");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Database names are configuration, not user input, but are still checked before being
/// spliced into DDL.
pub fn quote_ident(name: &str) -> anyhow::Result<&str> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(name)
    } else {
        anyhow::bail!("clickhouse.database must be letters, digits and underscores, got {name:?}")
    }
}

/// Inserts all rows in one `INSERT`; either all are acknowledged or the call fails.
pub async fn insert_rows<T>(client: &Client, table: &str, rows: &[T], timeout: Duration) -> Result<(), clickhouse::error::Error>
where
    T: Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client.insert::<T>(table).await?.with_timeouts(Some(timeout), Some(timeout));
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await
}
