//! `ekino registry load`: cinemas, their halls, films, funding payments and distributors
//! from CSV into ClickHouse.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use schemas::history::{Entity, HistoryRow};
use schemas::registry::{
    self, CinemaRow, DistributorRow, FilmRow, FundingRow, HallRow, PartnerRow,
};

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Load CSV files (any subset). Idempotent: rows are keyed, a reload replaces them.
    Load {
        #[arg(long)]
        cinemas: Option<PathBuf>,
        #[arg(long)]
        films: Option<PathBuf>,
        #[arg(long)]
        funding: Option<PathBuf>,
        /// bin,name_kk,name_ru,name_en
        #[arg(long)]
        distributors: Option<PathBuf>,
        /// bin,hall,seats[,name]: the seats of each hall, by the hall key tickets carry.
        #[arg(long)]
        halls: Option<PathBuf>,
        /// partner_id,name,bin: online ticket sellers whose own records ekino compares with
        /// what cinemas report (`ekino.partner/1`).
        #[arg(long)]
        partners: Option<PathBuf>,
        /// A folder holding cinemas.csv, halls.csv, films.csv, funding.csv and
        /// distributors.csv (as `ekino simulate` writes); a file missing from it is skipped.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn open(p: &PathBuf) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))
}

pub async fn run(cmd: RegistryCommand, settings: &Settings) -> anyhow::Result<()> {
    let RegistryCommand::Load {
        cinemas,
        films,
        funding,
        distributors,
        halls,
        partners,
        dir,
    } = cmd;
    // From --dir, only the files that are there (older folders have no distributors.csv).
    let pick = |explicit: Option<PathBuf>, name: &str| {
        explicit.or_else(|| dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists()))
    };
    let (cinemas, films, funding) = (
        pick(cinemas, "cinemas.csv"),
        pick(films, "films.csv"),
        pick(funding, "funding.csv"),
    );
    let distributors = pick(distributors, "distributors.csv");
    let halls = pick(halls, "halls.csv");
    let partners = pick(partners, "partners.csv");
    anyhow::ensure!(
        cinemas.is_some()
            || films.is_some()
            || funding.is_some()
            || distributors.is_some()
            || halls.is_some()
            || partners.is_some(),
        "nothing to load: give --cinemas, --halls, --partners, --films, --funding, --distributors or a --dir holding them"
    );
    ingest::clickhouse_store::check_schema(&settings.clickhouse, &[schemas::ddl::Store::App])
        .await?;
    let client = ingest::clickhouse_store::app_client(&settings.clickhouse);
    let timeout = Duration::from_millis(settings.clickhouse.query_timeout_ms);
    let now = Utc::now();
    let (at, by) = (
        u32::try_from(now.timestamp()).unwrap_or(0),
        ingest::backfill::operator(),
    );
    let remember = |rows: Vec<HistoryRow>| {
        let client = client.clone();
        async move {
            ingest::clickhouse_store::insert_rows(&client, "registry_history", &rows, timeout)
                .await
                .context("recording the registry's history")
        }
    };
    if let Some(p) = cinemas {
        let rows: Vec<CinemaRow> = registry::read_cinemas(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|c| CinemaRow::from_record(c, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| HistoryRow::of(Entity::Cinema, &r.bin, "", &by, at, r))
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "cinemas", &rows, timeout)
            .await
            .context("inserting cinemas")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "cinemas loaded");
    }
    if let Some(p) = halls {
        let rows: Vec<HallRow> = registry::read_halls(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|h| HallRow::from_record(h, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| {
                    HistoryRow::of(
                        Entity::Hall,
                        &format!("{}/{}", r.bin, r.hall),
                        "",
                        &by,
                        at,
                        r,
                    )
                })
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "halls", &rows, timeout)
            .await
            .context("inserting halls")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "halls loaded");
    }
    if let Some(p) = partners {
        let rows: Vec<PartnerRow> = registry::read_partners(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|r| PartnerRow::from_record(r, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| HistoryRow::of(Entity::Partner, &r.partner_id, "", &by, at, r))
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "partners", &rows, timeout)
            .await
            .context("inserting partners")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "partners loaded");
    }
    if let Some(p) = films {
        let rows: Vec<FilmRow> = registry::read_films(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|f| FilmRow::from_record(f, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| HistoryRow::of(Entity::Film, &r.film_id, &r.film_id, &by, at, r))
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "films", &rows, timeout)
            .await
            .context("inserting films")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "films loaded");
    }
    if let Some(p) = funding {
        let rows: Vec<FundingRow> = registry::read_funding(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|f| FundingRow::from_record(f, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| HistoryRow::of(Entity::Funding, &r.payment_id, &r.film_id, &by, at, r))
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "film_funding", &rows, timeout)
            .await
            .context("inserting funding")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "funding loaded");
    }
    if let Some(p) = distributors {
        let rows: Vec<DistributorRow> = registry::read_distributors(open(&p)?)
            .with_context(|| p.display().to_string())?
            .iter()
            .map(|d| DistributorRow::from_record(d, now))
            .collect();
        remember(
            rows.iter()
                .map(|r| HistoryRow::of(Entity::Distributor, &r.bin, "", &by, at, r))
                .collect(),
        )
        .await?;
        ingest::clickhouse_store::insert_rows(&client, "distributors", &rows, timeout)
            .await
            .context("inserting distributors")?;
        tracing::info!(rows = rows.len(), file = %p.display(), "distributors loaded");
    }
    Ok(())
}
