//! ClickHouse access for ingest: the client, migrations, and raw inserts.
//!
//! The client speaks plain `RowBinary` without compression or schema validation, because
//! ClickHouse 18.16 (what Debian ships) knows neither `RowBinaryWithNamesAndTypes` nor the
//! crate's LZ4 framing; current servers accept the same requests.

use std::time::Duration;

use anyhow::Context;
use clickhouse::{Client, Row};
use serde::Serialize;

use schemas::ddl::Store;

use crate::config::ClickHouseSettings;

/// A client bound to the events database, as `user` (ingest's writer identity).
pub fn client(s: &ClickHouseSettings) -> Client {
    server_client(s).with_database(&s.database)
}

/// A client bound to the application database (registry, keys, audit, claims), as `user`.
pub fn app_client(s: &ClickHouseSettings) -> Client {
    server_client(s).with_database(s.app_database())
}

/// A client bound to the events database as the read identity (`read_user`, else `user`).
/// Queries that also read the registry name the application database explicitly.
pub fn read_client(s: &ClickHouseSettings) -> Client {
    reader_server_client(s).with_database(&s.database)
}

/// The read identity with no database selected.
fn reader_server_client(s: &ClickHouseSettings) -> Client {
    let (user, password) = s.reader();
    base(s)
        .with_url(&s.url)
        .with_user(user)
        .with_password(password.expose())
        .with_compression(clickhouse::Compression::None)
        .with_validation(false)
}

/// A client with no database selected, for creating it.
pub fn server_client(s: &ClickHouseSettings) -> Client {
    base(s)
        .with_url(&s.url)
        .with_user(&s.user)
        .with_password(s.password.expose())
        .with_compression(clickhouse::Compression::None)
        .with_validation(false)
}

/// A client whose connections time out on the client side too: connecting within 5 s, and
/// no reply silent for longer than `clickhouse.read_timeout_ms`. The server's
/// `max_execution_time` ends a long query; this ends a wait on a server that hangs or a
/// network that drops packets without a reset, which the server's own limit cannot.
fn base(s: &ClickHouseSettings) -> Client {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_keepalive(Some(Duration::from_secs(60)));
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let mut timeouts = hyper_timeout::TimeoutConnector::new(connector);
    let read = Duration::from_millis(s.read_timeout_ms.max(1));
    timeouts.set_read_timeout(Some(read));
    timeouts.set_write_timeout(Some(read));
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        // ClickHouse closes idle connections after 3 s.
        .pool_idle_timeout(Duration::from_secs(2))
        .build(timeouts);
    Client::with_http_client(http)
}

/// The database of a store under these settings.
fn database_of(s: &ClickHouseSettings, store: Store) -> String {
    match store {
        Store::Events => s.database.clone(),
        Store::App => s.app_database(),
    }
}

/// Creates both databases and their tables if missing, moves the application tables out of
/// the events database where an earlier single-database schema left them (`RENAME TABLE`,
/// rows kept), and adds the columns later schemas added to existing tables. Idempotent.
/// Run by `ekino migrate` as the admin identity; the services only [`check_schema`].
pub async fn migrate(s: &ClickHouseSettings) -> anyhow::Result<()> {
    let (events, app) = (
        quote_ident(&s.database)?.to_owned(),
        quote_ident(&s.app_database())?.to_owned(),
    );
    for db in [&events, &app] {
        server_client(s)
            .query(&format!("CREATE DATABASE IF NOT EXISTS {db}"))
            .execute()
            .await
            .with_context(|| format!("creating database {db}"))?;
    }
    let existing = tables(s, &[&events, &app]).await?;
    for table in schemas::ddl::APP_TABLES {
        if existing.contains(&(events.clone(), (*table).to_owned()))
            && !existing.contains(&(app.clone(), (*table).to_owned()))
        {
            server_client(s)
                .query(&format!("RENAME TABLE {events}.{table} TO {app}.{table}"))
                .execute()
                .await
                .with_context(|| format!("moving {table} to the application database"))?;
            tracing::info!(table, from = %events, to = %app, "table moved");
        }
    }
    for (store, stmt) in schemas::ddl::statements_by_store() {
        // Raw: DDL may hold `?` in comments or defaults, which `query` takes for a bind.
        server_client(s)
            .with_database(database_of(s, store))
            .query_raw(&stmt)
            .execute()
            .await
            .with_context(|| format!("running ddl: {}", first_line(&stmt)))?;
    }
    let existing: Vec<(String, String, String)> = server_client(s)
        .query("SELECT database, table, name FROM system.columns WHERE database IN (?, ?)")
        .bind(&events)
        .bind(&app)
        .fetch_all()
        .await
        .context("reading existing columns")?;
    for (table, column, decl) in schemas::ddl::ADDED_COLUMNS {
        let db = database_of(s, schemas::ddl::store_of(table));
        if !existing
            .iter()
            .any(|(d, t, n)| *d == db && t == table && n == column)
        {
            let sql = schemas::ddl::add_column_sql(table, column, decl);
            server_client(s)
                .with_database(&db)
                .query_raw(&sql)
                .execute()
                .await
                .with_context(|| format!("migrating: {sql}"))?;
            tracing::info!(table, column, "column added");
        }
    }
    Ok(())
}

/// (database, table) of the tables in these databases.
async fn tables(s: &ClickHouseSettings, dbs: &[&str]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for db in dbs {
        let rows: Vec<String> = server_client(s)
            .query("SELECT name FROM system.tables WHERE database = ?")
            .bind(*db)
            .fetch_all()
            .await
            .context("reading existing tables")?;
        out.extend(rows.into_iter().map(|t| ((*db).to_owned(), t)));
    }
    Ok(out)
}

/// Checks that the tables and columns this version needs exist, in the store `store` (or
/// both). Services call this at start-up instead of creating anything: tables are the
/// admin's job (`ekino migrate`), so a service's ClickHouse user needs no DDL rights.
pub async fn check_schema(s: &ClickHouseSettings, stores: &[Store]) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for store in stores {
        let db = database_of(s, *store);
        // The read identity: the one a service has that may see every store it uses.
        // (With the database selected: a user restricted by `allow_databases` is refused its
        // default database.)
        let columns: Vec<(String, String)> = match reader_server_client(s)
            .with_database(&db)
            .query("SELECT table, name FROM system.columns WHERE database = ?")
            .bind(&db)
            .fetch_all()
            .await
        {
            Ok(c) => c,
            // 81: the database does not exist, a schema never migrated (not a server fault
            // to wait out).
            Err(clickhouse::error::Error::BadResponse(text))
                if crate::retry::exception_code(&text) == Some(81) =>
            {
                missing.push(format!("the database {db}"));
                continue;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("reading the tables of {db}")))
            }
        };
        for (st, stmt) in schemas::ddl::statements_by_store() {
            let Some(table) = schemas::ddl::created_table(&stmt) else {
                continue;
            };
            if st == *store && !columns.iter().any(|(t, _)| t == table) {
                missing.push(format!("{db}.{table}"));
            }
        }
        for (table, column, _) in schemas::ddl::ADDED_COLUMNS {
            if schemas::ddl::store_of(table) == *store
                && columns.iter().any(|(t, _)| t == table)
                && !columns.iter().any(|(t, n)| t == table && n == column)
            {
                missing.push(format!("{db}.{table}.{column}"));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SchemaMissing(missing.join(", ")).into())
    }
}

/// The schema is older than this version or absent.
#[derive(Debug, thiserror::Error)]
#[error("the clickhouse schema lacks {0}: run `ekino migrate` as the admin user first")]
pub struct SchemaMissing(pub String);

/// [`check_schema`], waiting with back-off while ClickHouse is unreachable (a service started
/// before its database is up waits for it instead of exiting). A missing schema is returned.
pub async fn wait_for_schema(
    s: &ClickHouseSettings,
    stores: &[Store],
    retry_initial_ms: u64,
    retry_max_ms: u64,
) -> anyhow::Result<()> {
    let mut backoff = crate::retry::Backoff::new(retry_initial_ms, retry_max_ms);
    loop {
        match check_schema(s, stores).await {
            Ok(()) => return Ok(()),
            Err(e) if is_unreachable(&e) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    attempt = backoff.attempts(),
                    delay_ms = delay.as_millis() as u64,
                    error = format!("{e:#}"),
                    "clickhouse is not ready; waiting"
                );
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// [`migrate`], waiting with back-off while ClickHouse is unreachable (for the benchmark and
/// the operator's commands, which run as the admin identity).
pub async fn migrate_when_ready(
    s: &ClickHouseSettings,
    retry_initial_ms: u64,
    retry_max_ms: u64,
) -> anyhow::Result<()> {
    let mut backoff = crate::retry::Backoff::new(retry_initial_ms, retry_max_ms);
    loop {
        match migrate(s).await {
            Ok(()) => return Ok(()),
            Err(e) if is_unreachable(&e) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    attempt = backoff.attempts(),
                    delay_ms = delay.as_millis() as u64,
                    error = format!("{e:#}"),
                    "clickhouse is not ready; waiting"
                );
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<clickhouse::error::Error>()
            .is_some_and(|ce| crate::retry::classify(ce) == crate::retry::Disposition::Retry)
    })
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
        anyhow::bail!(
            "clickhouse database names must be letters, digits and underscores, got {name:?}"
        )
    }
}

/// Inserts all rows in one `INSERT`; either all are acknowledged or the call fails.
pub async fn insert_rows<T>(
    client: &Client,
    table: &str,
    rows: &[T],
    timeout: Duration,
) -> Result<(), clickhouse::error::Error>
where
    T: Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client
        .insert::<T>(table)
        .await?
        .with_timeouts(Some(timeout), Some(timeout));
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await
}

#[cfg(test)]
mod timeout_tests {
    use super::*;

    /// A peer that accepts and then says nothing (a hung server, a black-holed network): the
    /// client gives up after its read timeout instead of waiting for ever.
    #[tokio::test]
    async fn a_silent_server_is_abandoned_after_the_read_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                open.push(sock);
            }
        });
        let s = ClickHouseSettings {
            url: format!("http://{addr}"),
            read_timeout_ms: 300,
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            client(&s).query("SELECT 1").fetch_one::<u8>(),
        )
        .await;
        let r = r.expect("the client waited past its own read timeout");
        assert!(r.is_err(), "a silent server answered");
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "gave up before the timeout: {:?}",
            started.elapsed()
        );
        held.abort();
    }
}
