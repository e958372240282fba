//! `ekino keys create --role R [--bin B]`: prints the new key alone on stdout, once; only its
//! hash is stored.

use std::time::Duration;

use anyhow::Context;
use api::auth::{self, Role};

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    Create {
        /// cinema, producer, ministry or commission.
        #[arg(long)]
        role: String,
        /// The BIN a cinema or producer key acts for.
        #[arg(long)]
        bin: Option<String>,
    },
}

pub async fn run(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    let KeysCommand::Create { role, bin } = cmd;
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("--role: must be cinema, producer, ministry or commission, got {role:?}"))?;
    let bin = bin.map(|b| schemas::Bin::parse(&b).map_err(|e| anyhow::anyhow!("--bin: {e}"))).transpose()?;
    match (role.needs_bin(), &bin) {
        (true, None) => anyhow::bail!("--bin: a {} key acts for one BIN and needs it", role.as_str()),
        (false, Some(_)) => anyhow::bail!("--bin: a {} key is not scoped to a BIN", role.as_str()),
        _ => {}
    }
    ingest::clickhouse_store::migrate(&settings.clickhouse).await?;
    let now = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let (token, row) = auth::generate(role, bin.as_ref(), now);
    let client = ingest::clickhouse_store::client(&settings.clickhouse);
    ingest::clickhouse_store::insert_rows(&client, "api_keys", std::slice::from_ref(&row), Duration::from_secs(10)).await.context("storing the key")?;
    tracing::info!(key_id = %row.key_id, role = role.as_str(), "api key created");
    println!("{token}");
    Ok(())
}
