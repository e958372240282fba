//! Subcommands of `ekino`. Each file owns one command family; this one parses and dispatches.

mod fx;
mod keys;
mod rebate;
mod registry;
mod report;
mod services;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::simulate::{self, SimulateArgs};

#[derive(Debug, Parser)]
#[command(name = "ekino", version, about = "Kazakhstan's e-cinema data system")]
pub struct Cli {
    /// TOML settings file; environment variables `EKINO_SECTION__KEY` override it.
    #[arg(long, global = true, env = "EKINO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install when missing, start, stop or check ClickHouse and the Kafka broker (loopback).
    Services {
        #[arg(value_parser = ["up", "down", "status"])]
        action: String,
        /// Only this service.
        #[arg(value_parser = ["clickhouse", "kafka", "kafka-memory"])]
        service: Option<String>,
    },
    /// Create the ClickHouse database and tables and the Kafka topic. Idempotent.
    Migrate,
    /// Run the Kafka → ClickHouse ingest until SIGTERM.
    Ingest,
    /// Load historical events (NDJSON, one per line) straight into ClickHouse, judged like
    /// the live stream but exempt from the age limit and the correction window; audited.
    Backfill { file: PathBuf },
    /// Rebuild the daily aggregates of a range of screening days from the raw ticket rows
    /// (after a migration onto existing rows, or to repair). Safe while ingest runs.
    Rollup {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// Produce realistic cinema traffic to Kafka.
    Simulate(SimulateArgs),
    /// Registries of cinemas, films and state funding.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Reports read back from ClickHouse.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Film production rebates: compute a claim, estimate, list programmes.
    #[command(subcommand)]
    Rebate(rebate::RebateCommand),
    /// Serve the HTTP API (127.0.0.1:8080 unless `api.listen_addr` says otherwise).
    Api,
    /// API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Official FX rates (the ministry's table claims are decided with).
    #[command(subcommand)]
    Fx(fx::FxCommand),
    /// Measure ekino against its ceilings; writes BENCHMARKS.md.
    Bench(crate::bench::BenchArgs),
}

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Services { action, service } => services::run(&action, service.as_deref()),
        Command::Migrate => {
            ingest::clickhouse_store::migrate(&settings.clickhouse).await?;
            ingest::topic::ensure_topic(
                &settings.kafka,
                &settings.kafka.topic,
                ingest::topic::DEFAULT_PARTITIONS,
            )
            .await?;
            // Claim decisions: one partition, so one decider applies them in order.
            ingest::topic::ensure_topic(
                &settings.kafka,
                &api_core::decision_queue::topic_of(&settings.kafka.topic),
                1,
            )
            .await?;
            ingest::topic::ensure_side_topics(&settings.kafka).await?;
            tracing::info!(database = %settings.clickhouse.database, topic = %settings.kafka.topic, sessions_topic = %settings.kafka.sessions_topic, partner_topic = %settings.kafka.partner_topic, "migrated");
            Ok(())
        }
        Command::Ingest => {
            ingest::topic::ensure_topic(
                &settings.kafka,
                &settings.kafka.topic,
                ingest::topic::DEFAULT_PARTITIONS,
            )
            .await?;
            ingest::topic::ensure_side_topics(&settings.kafka).await?;
            ingest::run(
                &settings.kafka,
                &settings.clickhouse,
                &settings.ingest,
                &settings.reporting,
                ingest::run::shutdown_signal(),
            )
            .await
            .context("ingest failed")
        }
        Command::Backfill { file } => {
            let summary = ingest::backfill::run(
                &settings.clickhouse,
                &settings.ingest,
                &settings.reporting,
                &file,
            )
            .await
            .context("backfill failed")?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::Rollup { from, to } => {
            anyhow::ensure!(from <= to, "--to {to} is before --from {from}");
            let client = ingest::clickhouse_store::client(&settings.clickhouse);
            let days = ingest::rollup::raw_days(&client, from, to)
                .await
                .context("reading the days present")?;
            let timeout = std::time::Duration::from_millis(settings.clickhouse.query_timeout_ms);
            ingest::rollup::rebuild_days(&client, &days, timeout)
                .await
                .context("rebuilding the daily aggregates")?;
            tracing::info!(days = days.len(), %from, %to, "daily aggregates rebuilt");
            Ok(())
        }
        Command::Simulate(args) => {
            let ledger = simulate::run(
                &args,
                &settings.kafka,
                &settings.kafka.topic,
                &settings.reporting,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&ledger)?);
            Ok(())
        }
        Command::Registry(cmd) => registry::run(cmd, &settings).await,
        Command::Report(cmd) => report::run(cmd, &settings).await,
        Command::Rebate(cmd) => rebate::run(cmd),
        Command::Api => {
            api_server::run(
                &settings.api,
                &settings.clickhouse,
                &settings.kafka,
                &settings.reporting,
                ingest::run::shutdown_signal(),
            )
            .await
        }
        Command::Keys(cmd) => keys::run(cmd, &settings).await,
        Command::Fx(cmd) => fx::run(cmd, &settings).await,
        Command::Bench(args) => crate::bench::run(&args, &settings).await,
    }
}
