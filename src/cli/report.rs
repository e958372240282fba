//! `ekino report …`: the operators' view of the same numbers the API serves.

use chrono::NaiveDate;
use schemas::{Bin, FilmId};

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Daily box office per film, cinema and screening day (UTC+5), with totals.
    BoxOffice {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        film: Option<String>,
        #[arg(long)]
        cinema: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Rejected events by reason code.
    Rejected {
        #[arg(long)]
        json: bool,
    },
    /// Events kept but flagged: unknown film, unregistered cinema, refunds waiting for their
    /// sale (listed), VAT rate different from the cinema's registered status.
    Reconciliation {
        #[arg(long)]
        json: bool,
    },
    /// Changes to closed days: every event that arrived after its day's close, with the
    /// difference it made.
    Corrections {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        cinema: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Where figures cannot be true: the signals in force of a range of screening days, with
    /// their evidence (README, "Signals").
    Signals {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        cinema: Option<String>,
        /// over_capacity, seat_sold_twice, undeclared_session, cancelled_session_sold,
        /// overlapping_sessions or late_night_full.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// How completely each ticketing vendor's cinemas report over a range of box-office days
    /// (README, "Vendors"): what `GET /v1/vendors` answers.
    Vendors {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        json: bool,
    },
}

/// `--cinema`, a BIN when given.
fn cinema_arg(cinema: Option<String>) -> anyhow::Result<Option<Bin>> {
    cinema
        .map(|c| Bin::parse(&c))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--cinema: {e}"))
}

pub async fn run(cmd: ReportCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = ingest::clickhouse_store::read_client(&settings.clickhouse);
    match cmd {
        ReportCommand::BoxOffice {
            from,
            to,
            film,
            cinema,
            json,
        } => {
            let film = film
                .map(|f| FilmId::parse(&f))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--film: {e}"))?;
            let cinema = cinema_arg(cinema)?;
            let q = api_core::reports::BoxOfficeQuery::new(from, to, film, cinema)?;
            let report = api_core::reports::box_office(
                &client,
                &q,
                settings.reporting.clock().now(),
                &settings.reporting,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{:<12} {:<14} {:<12} {:>10} {:>16} {:>16} {:>6} {:<11}",
                    "day",
                    "film",
                    "cinema",
                    "admissions",
                    "gross KZT",
                    "net KZT",
                    "shows",
                    "status"
                );
                for r in &report.rows {
                    let status = serde_json::to_value(r.status)?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    println!(
                        "{:<12} {:<14} {:<12} {:>10} {:>16} {:>16} {:>6} {:<11}",
                        r.day,
                        r.film_id,
                        r.cinema_bin,
                        r.admissions,
                        r.gross,
                        r.net,
                        r.screenings,
                        status
                    );
                }
                let t = &report.totals;
                println!(
                    "total {} rows: admissions {}, gross {} KZT, net {} KZT",
                    report.rows.len(),
                    t.admissions,
                    t.gross,
                    t.net
                );
            }
        }
        ReportCommand::Rejected { json } => {
            let s = api_core::reports::rejected_summary(&client).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                for (reason, n) in &s.by_reason {
                    println!("{reason:<22} {n:>10}");
                }
                println!("{:<22} {:>10}", "total", s.total);
            }
        }
        ReportCommand::Reconciliation { json } => {
            let r = api_core::reports::reconciliation(&client, &settings.clickhouse.app_database())
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for (flag, n) in &r.flags {
                    println!("{flag:<26} {n:>10}");
                }
                for p in &r.pending_refunds {
                    println!(
                        "refund_pending {} {} refund_of {} film {} day {} {} KZT",
                        p.cinema_bin, p.event_id, p.refund_of, p.film_id, p.day, p.amount
                    );
                }
            }
        }
        ReportCommand::Corrections {
            from,
            to,
            cinema,
            json,
        } => {
            anyhow::ensure!(from <= to, "--to {to} is before --from {from}");
            let cinema = cinema_arg(cinema)?;
            let r = api_core::reports::corrections::corrections(
                &client,
                from,
                to,
                cinema.as_ref().map(Bin::as_str),
                100_000,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{:<12} {:<12} {:<14} {:<36} {:<7} {:>6} {:>14} {:>14} arrived",
                    "day", "cinema", "film", "event", "kind", "adm", "gross KZT", "net KZT"
                );
                for c in &r.rows {
                    println!(
                        "{:<12} {:<12} {:<14} {:<36} {:<7} {:>6} {:>14} {:>14} {}",
                        c.day,
                        c.cinema_bin,
                        c.film_id,
                        c.event_id,
                        c.kind,
                        c.admissions_change,
                        c.gross_change,
                        c.net_change,
                        c.arrived_at
                    );
                }
                println!("{} corrections", r.rows.len());
            }
        }
        ReportCommand::Signals {
            from,
            to,
            cinema,
            kind,
            json,
        } => {
            use api_core::signals::{report, rules::Kind};
            anyhow::ensure!(from <= to, "--to {to} is before --from {from}");
            let cinema = cinema_arg(cinema)?;
            let kind = kind
                .map(|k| {
                    Kind::parse(&k).ok_or_else(|| {
                        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
                        anyhow::anyhow!("--kind: must be one of {}", known.join(", "))
                    })
                })
                .transpose()?;
            let f = report::SignalFilter {
                from,
                to,
                cinema: cinema.map(|b| b.to_string()),
                kind,
            };
            let r = report::list(&client, &settings.clickhouse.app_database(), &f, None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{:<12} {:<12} {:<24} {:<20} {:<8} {:>14} evidence",
                    "day", "cinema", "kind", "session", "hall", "at stake KZT"
                );
                for g in &r.signals {
                    println!(
                        "{:<12} {:<12} {:<24} {:<20} {:<8} {:>14} {}",
                        g.day,
                        g.cinema_bin,
                        g.kind,
                        g.screening_id,
                        g.hall,
                        g.gross_at_stake,
                        g.evidence
                    );
                }
                println!("{} signals", r.total);
            }
        }
        ReportCommand::Vendors { from, to, json } => {
            use anyhow::Context as _;
            anyhow::ensure!(from <= to, "--to {to} is before --from {from}");
            let registry = api_core::reports::registry::Registry::load(
                &client
                    .clone()
                    .with_database(settings.clickhouse.app_database()),
            )
            .await
            .context("reading the cinema registry")?;
            let r = api_core::reports::completeness::read(
                &client,
                from,
                to,
                settings.reporting.clock().now(),
                settings.api.completeness_target_percent,
                &registry.cinema_vendors,
                ingest::backfill::BACKFILL_TOPIC,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{:>4} {:<24} {:>7} {:>12} {:>10} {:>9} {:>10} {:>9}",
                    "rank",
                    "vendor",
                    "cinemas",
                    "sessions",
                    "complete",
                    "days<",
                    "p95 s",
                    "refused"
                );
                for v in &r.vendors {
                    let s = &v.score;
                    println!(
                        "{:>4} {:<24} {:>7} {:>12} {:>10} {:>9} {:>10} {:>9}",
                        v.rank.map_or("-".to_owned(), |n| n.to_string()),
                        if v.vendor.is_empty() {
                            "(not known)"
                        } else {
                            &v.vendor
                        },
                        v.cinemas,
                        format!("{}/{}", s.sessions_with_tickets, s.sessions),
                        s.completeness.as_deref().unwrap_or("-"),
                        format!("{}/{}", s.days_below_target, s.days),
                        s.latency_p95_seconds
                            .map_or("-".to_owned(), |n| n.to_string()),
                        s.reject_rate.as_deref().unwrap_or("-"),
                    );
                }
                println!("target {}", r.target);
            }
        }
    }
    Ok(())
}
