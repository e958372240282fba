//! The databases a bench run makes, dropped at its end.

use anyhow::Context as _;

use super::figure::progress;

/// Drops a run's events database and its application database (each CI run once left two).
pub async fn drop_databases(ch: &ingest::ClickHouseSettings) -> anyhow::Result<()> {
    let client = ingest::clickhouse_store::client(ch).with_database("default");
    for db in [ch.database.clone(), ch.app_database()] {
        client
            .query(&format!("DROP DATABASE IF EXISTS {db}"))
            .execute()
            .await
            .with_context(|| format!("dropping the bench database {db}"))?;
    }
    progress(&format!("dropped {} and its _app", ch.database));
    Ok(())
}
