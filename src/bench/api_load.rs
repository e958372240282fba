//! The API under load: `api_events` simulated tickets written straight into a fresh database
//! (the API is measured, not ingest, so the rows skip Kafka) with their daily aggregates
//! rebuilt, then each route driven at a fixed 200 requests/s by the open-loop generator in
//! [`super::load`], cycling over days, films and cinemas so that no single answer is hot.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schemas::storage::{Origin, TicketRow};

use super::figure::{progress, Figure};
use super::load::{open_loop, Request};
use crate::settings::Settings;
use crate::simulate::{model::Market, traffic::day_events, write_registries};

pub const RATE: f64 = 200.0;
const FIRST_DAY: (i32, u32, u32) = (2025, 1, 1);

/// What was loaded: the days, films and cinemas to cycle over.
struct Loaded {
    events: u64,
    days: Vec<NaiveDate>,
    films: Vec<String>,
    cinemas: Vec<String>,
}

async fn load(client: &clickhouse::Client, dir: &Path, want: u64) -> anyhow::Result<Loaded> {
    let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).context("date")?;
    // About 45,000 tickets a day at this market size: enough days for `want`, and then some.
    let span = (want / 30_000 + 2) as u32;
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let market = Market::generate(&mut rng, first, span);
    write_registries(dir, &market)?;
    let origin = Origin {
        topic: "bench-direct".into(),
        partition: 0,
        offset: 0,
    };
    let now = Utc::now();
    let (mut loaded, mut days, mut last_report) = (0u64, BTreeSet::new(), Instant::now());
    let mut rows: Vec<TicketRow> = Vec::with_capacity(200_000);
    for d in 0..span {
        let day = first + Days::new(u64::from(d));
        for e in day_events(&mut rng, &market, day, now) {
            if loaded == want {
                break;
            }
            days.insert(e.day());
            rows.push(TicketRow::from_owned_event(e, &origin, now));
            loaded += 1;
        }
        if rows.len() >= 100_000 || loaded == want {
            ingest::clickhouse_store::insert_rows(
                client,
                "ticket_events",
                &rows,
                Duration::from_secs(120),
            )
            .await?;
            rows.clear();
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            progress(&format!("  {loaded} / {want} events loaded"));
            last_report = Instant::now();
        }
        if loaded == want {
            break;
        }
    }
    progress(&format!(
        "rebuilding the daily aggregates of {} days",
        days.len()
    ));
    ingest::rollup::rebuild_days(client, &days, Duration::from_secs(300)).await?;
    Ok(Loaded {
        events: loaded,
        days: days.into_iter().collect(),
        films: market
            .films
            .iter()
            .map(|f| f.record.film_id.as_str().to_owned())
            .collect(),
        cinemas: market
            .cinemas
            .iter()
            .map(|c| c.record.bin.as_str().to_owned())
            .collect(),
    })
}

/// What an earlier run loaded into `client`'s database.
async fn reuse(client: &clickhouse::Client, app: &clickhouse::Client) -> anyhow::Result<Loaded> {
    let events: u64 = client
        .query("SELECT count() FROM ticket_events")
        .fetch_one()
        .await?;
    let days: Vec<u16> = client
        .query("SELECT DISTINCT day FROM sales_by_film_day ORDER BY day")
        .fetch_all()
        .await?;
    let films: Vec<String> = app
        .query("SELECT DISTINCT film_id FROM films ORDER BY film_id")
        .fetch_all()
        .await?;
    let cinemas: Vec<String> = app
        .query("SELECT DISTINCT bin FROM cinemas ORDER BY bin")
        .fetch_all()
        .await?;
    anyhow::ensure!(
        !days.is_empty() && !films.is_empty() && !cinemas.is_empty(),
        "the database holds no loaded bench data"
    );
    Ok(Loaded {
        events,
        days: days
            .into_iter()
            .map(schemas::time::date_from_days)
            .collect(),
        films,
        cinemas,
    })
}

/// Stores signals as the watcher would for the loaded days (three a cinema a day, of the
/// kinds in turn): what the signals list is measured on, a month of Kazakhstan at a
/// dishonest rate. Returns how many.
async fn plant_signals(app: &clickhouse::Client, loaded: &Loaded) -> anyhow::Result<usize> {
    use api_core::signals::{report::SignalRow, rules::Kind};
    let version = ingest::rollup::version_now();
    let mut rows = Vec::new();
    for (d, day) in loaded.days.iter().enumerate() {
        for (c, cinema) in loaded.cinemas.iter().enumerate() {
            for n in 0..3 {
                let kind = Kind::ALL[(d + c + n) % Kind::ALL.len()];
                rows.push(SignalRow {
                    cinema_bin: cinema.clone(),
                    day: schemas::time::days_since_epoch(*day),
                    kind: kind.code().to_owned(),
                    screening_id: format!("S-{n}"),
                    film_id: loaded.films[(c + n) % loaded.films.len()].clone(),
                    hall: "1".into(),
                    evidence: r#"{"admissions":130,"seats":120}"#.into(),
                    gross_at_stake_tiyn: 2_500_000,
                    first_seen: 1,
                    last_seen: 1,
                    active: 1,
                    version,
                });
            }
        }
    }
    ingest::clickhouse_store::insert_rows(app, "signals", &rows, Duration::from_secs(60)).await?;
    Ok(rows.len())
}

pub async fn run(
    settings: &Settings,
    exe: &Path,
    work: &Path,
    secs: u64,
    events: u64,
    existing: Option<&str>,
    keep: bool,
) -> anyhow::Result<Vec<Figure>> {
    let db = existing.map_or_else(
        || format!("bench_api_{}", Utc::now().format("%Y%m%d_%H%M%S")),
        str::to_owned,
    );
    let mut ch = settings.clickhouse.clone();
    ch.database = db.clone();
    ingest::clickhouse_store::migrate(&ch).await?;
    let client = ingest::clickhouse_store::client(&ch);
    let app = ingest::clickhouse_store::app_client(&ch);
    let dir = work.join("sim-api");
    let loaded = match existing {
        Some(_) => reuse(&client, &app).await?,
        None => {
            progress(&format!("loading {events} events into {db} for the api"));
            load(&client, &dir, events).await?
        }
    };
    let now = u32::try_from(Utc::now().timestamp()).unwrap_or(0);
    let (ministry, m_row) = api_core::auth::generate(api_core::auth::Role::Ministry, None, now);
    ingest::clickhouse_store::insert_rows(&app, "api_keys", &[m_row], Duration::from_secs(10))
        .await?;
    if existing.is_none() {
        let status = Command::new(exe)
            .args(["registry", "load", "--dir"])
            .arg(&dir)
            .env("EKINO_CLICKHOUSE__DATABASE", &db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "registry load failed");
    }

    let stored_signals = plant_signals(&app, &loaded).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut api = Command::new(exe)
        .arg("api")
        // The watcher would evaluate the whole loaded history while the routes are measured;
        // the signals list is measured on the signals stored by `plant_signals`.
        .env("EKINO_API__SIGNALS__INTERVAL_MS", "0")
        .env("EKINO_CLICKHOUSE__DATABASE", &db)
        .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("EKINO_API__RATE_LIMIT_PER_MINUTE", "100000000")
        // The load comes from one address: the per-address limit of the public routes would
        // measure the refusal, not the route.
        .env("EKINO_API__PUBLIC_RATE_LIMIT_PER_MINUTE", "100000000")
        .env("EKINO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join("api-bench.log"))?)
        .spawn()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let bearer = format!("Bearer {ministry}");
    let auth = [("Authorization", bearer.as_str())];
    // The last 30 loaded days: a chart is asked for recent days.
    let recent = &loaded.days[loaded.days.len().saturating_sub(30)..];
    let (month_from, month_to) = (
        recent.first().context("a day")?,
        recent.last().context("a day")?,
    );
    let estimate =
        include_str!("../../rebate-engine/examples/estimate-steppe-light.json").as_bytes();
    let json = [("Content-Type", "application/json")];
    let cases: Vec<(&'static str, Vec<Request>)> = vec![
        (
            "api: daily chart",
            recent
                .iter()
                .map(|d| Request::new("GET", &format!("/v1/box-office/daily?date={d}"), &[], b""))
                .collect(),
        ),
        (
            "api: a film's ROI",
            loaded
                .films
                .iter()
                .map(|f| Request::new("GET", &format!("/v1/films/{f}/roi"), &auth, b""))
                .collect(),
        ),
        (
            "api: a cinema's scorecard",
            loaded
                .cinemas
                .iter()
                .map(|c| {
                    Request::new(
                        "GET",
                        &format!("/v1/cinemas/{c}/reporting?from={month_from}&to={month_to}"),
                        &auth,
                        b"",
                    )
                })
                .collect(),
        ),
        (
            "api: signals list (a month)",
            std::iter::once(None)
                .chain(api_core::signals::rules::Kind::ALL.iter().map(Some))
                .map(|k| {
                    let kind = k.map_or(String::new(), |k| format!("&kind={}", k.code()));
                    Request::new(
                        "GET",
                        &format!("/v1/signals?from={month_from}&to={month_to}{kind}"),
                        &auth,
                        b"",
                    )
                })
                .collect(),
        ),
        (
            "api: rebate estimate",
            vec![Request::new(
                "POST",
                "/v1/rebates/estimate?compare=kz,ge,uz",
                &json,
                estimate,
            )],
        ),
    ];
    let mut figures = Vec::new();
    for (name, requests) in cases {
        progress(&format!("{name} ({secs} s at {RATE} req/s)"));
        // A short warm-up at the same rate, not counted.
        open_loop(addr, &requests, RATE, 2).await?;
        let o = open_loop(addr, &requests, RATE, secs).await?;
        figures.push(Figure {
            name,
            value: o.p99_ms,
            unit: "ms p99",
            ceiling: None,
            goal: "p99 ≤ 20 ms at 200 req/s",
            lower_is_better: true,
            note: format!(
                "p50 {:.2} ms, max {:.1} ms; {} requests open-loop at {RATE:.0}/s (achieved {:.0}/s, {secs} s) cycling over {} variants; {} events loaded{}{}{}",
                o.p50_ms,
                o.max_ms,
                o.sent,
                o.achieved_rps,
                requests.len(),
                loaded.events,
                if name.starts_with("api: signals") { format!("; {stored_signals} signals stored") } else { String::new() },
                if o.non_2xx > 0 { format!("; {} non-2xx", o.non_2xx) } else { String::new() },
                if o.failed > 0 { format!("; {} failed", o.failed) } else { String::new() },
            ),
        });
    }
    let _ = api.kill();
    let _ = api.wait();
    if existing.is_none() && !keep {
        super::databases::drop_databases(&ch).await?;
    }
    Ok(figures)
}
