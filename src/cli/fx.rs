//! `ekino fx load FILE`: the ministry's official FX rates (`date,currency,kzt`, KZT per unit,
//! as the National Bank publishes them) into `fx_official`, all lines checked before any is
//! stored, recorded under the operating-system user. Claims are computed and decided with
//! these rates (see `api_core::fx`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum FxCommand {
    /// Load a CSV of official rates: date,currency,kzt.
    Load { file: PathBuf },
}

pub async fn run(cmd: FxCommand, settings: &Settings) -> anyhow::Result<()> {
    let FxCommand::Load { file } = cmd;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let at = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let rows = api_core::fx::rows_from_csv(&text, &ingest::backfill::operator(), at)
        .map_err(|e| anyhow::anyhow!("{}: {}: {}", file.display(), e.field, e.reason))?;
    anyhow::ensure!(
        !rows.is_empty(),
        "{}: no rate (date,currency,kzt lines)",
        file.display()
    );
    ingest::clickhouse_store::check_schema(&settings.clickhouse, &[schemas::ddl::Store::App])
        .await?;
    let client = ingest::clickhouse_store::app_client(&settings.clickhouse);
    ingest::clickhouse_store::insert_rows(&client, "fx_official", &rows, Duration::from_secs(10))
        .await
        .context("storing the official rates")?;
    tracing::info!(rates = rows.len(), file = %file.display(), "official fx rates loaded");
    println!(
        "loaded {} official rates from {}",
        rows.len(),
        file.display()
    );
    Ok(())
}
