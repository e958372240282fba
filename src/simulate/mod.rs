//! `ekino simulate`: realistic Kazakh cinema traffic into Kafka.
//!
//! Deterministic for a seed: the same seed, days and start date give byte-identical messages.
//! Writes the registries it used (`cinemas.csv`, `films.csv`, `funding.csv`,
//! `distributors.csv`) and a ledger
//! (`ledger.json`: counts and sums of what was sent) into `--out`.

mod corrupt;
mod hard;
mod ledger;
pub mod model;
mod planted;
pub mod traffic;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use ledger::Ledger;
pub use model::Market;

#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Seed of the simulated market and traffic.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of box-office days to simulate.
    #[arg(long, default_value_t = 1)]
    pub days: u32,
    /// First day (YYYY-MM-DD); default: the last `days` full days before today (UTC+5).
    #[arg(long)]
    pub start: Option<NaiveDate>,
    /// Messages per second; 0 sends as fast as the broker takes them.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Share of extra invalid messages (each breaks one rule; all reasons in turn).
    #[arg(long, default_value_t = 0.0)]
    pub invalid_rate: f64,
    /// Share of valid events sent a second time (a till retrying).
    #[arg(long, default_value_t = 0.0)]
    pub duplicate_rate: f64,
    /// Share of sales that bring a hard case along, in turn: a sale keyed by mistake and
    /// voided (in the correction window or too late), a refund sent before its sale, the same
    /// id re-sent with another price, a refund on the day before the show.
    #[arg(long, default_value_t = 0.0)]
    pub hard_rate: f64,
    /// Stop after this many valid events.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Where registries and the ledger are written.
    #[arg(long, default_value = ".ekino/sim")]
    pub out: PathBuf,
    /// Write registries and ledger only; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also plant one dishonest cinema's sessions for the day after "now" (declared sessions
    /// and tickets, one case of each signal the rules find from them; `simulate::planted`).
    #[arg(long)]
    pub plant_signals: bool,
}

impl SimulateArgs {
    /// `--start`, else the `--days` before the day of `now` (UTC+5).
    pub fn first_day(&self, now: DateTime<Utc>) -> NaiveDate {
        self.start.unwrap_or_else(|| {
            let today = now.with_timezone(&schemas::time::kz_offset()).date_naive();
            today - Days::new(u64::from(self.days.max(1)))
        })
    }
}

pub(crate) fn write_registries(dir: &Path, market: &Market) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = |name: &str| {
        std::fs::File::create(dir.join(name)).with_context(|| format!("writing {name}"))
    };
    let cinemas: Vec<_> = market.cinemas.iter().map(|c| c.record.clone()).collect();
    let films: Vec<_> = market.films.iter().map(|f| f.record.clone()).collect();
    schemas::registry::write_cinemas(file("cinemas.csv")?, &cinemas)?;
    schemas::registry::write_films(file("films.csv")?, &films)?;
    schemas::registry::write_funding(file("funding.csv")?, &market.funding)?;
    schemas::registry::write_distributors(file("distributors.csv")?, &model::distributors())?;
    let halls: Vec<schemas::registry::Hall> = market
        .cinemas
        .iter()
        .flat_map(|c| {
            c.halls.iter().map(|h| schemas::registry::Hall {
                bin: c.record.bin.clone(),
                hall: h.name.clone(),
                seats: h.seats,
                name: String::new(),
            })
        })
        .collect();
    schemas::registry::write_halls(file("halls.csv")?, &halls)?;
    Ok(())
}

/// Something to send: a key and a payload.
struct Outgoing {
    key: Vec<u8>,
    payload: Vec<u8>,
}

/// Runs the simulation; returns the ledger (also written to `out/ledger.json`).
/// Sends the simulated traffic; `clock` is the one ingest judges by (`reporting.clock_start`),
/// so no sale is sent later than ingest's "now" and a simulated past stays past.
pub async fn run(
    args: &SimulateArgs,
    kafka: &ingest::KafkaSettings,
    topic: &str,
    reporting: &schemas::clock::ReportingSettings,
) -> anyhow::Result<Ledger> {
    let now = reporting.clock().now();
    let first = args.first_day(now);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let market = Market::generate(&mut rng, first, args.days);
    write_registries(&args.out, &market)?;
    tracing::info!(cinemas = market.cinemas.len(), halls = market.halls(), films = market.films.len(), first_day = %first, days = args.days, "simulated market ready");

    let producer = if args.dry_run {
        None
    } else {
        ingest::topic::ensure_topic(kafka, topic, ingest::topic::DEFAULT_PARTITIONS).await?;
        Some(ingest::produce::TicketProducer::new(kafka, topic)?)
    };
    let mut ledger = Ledger {
        seed: args.seed,
        first_day: first.to_string(),
        days: args.days,
        ..Ledger::default()
    };
    // Separate stream for faults so that changing rates does not change the traffic itself.
    let mut faults = ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed_fa17);
    let mut hard = ChaCha8Rng::seed_from_u64(args.seed ^ 0x4a7d_ca5e);
    let mut hard_cases = 0usize;
    // A hard case's second message (a void after its sale, a conflicting copy after the
    // original) is produced only once its first is acknowledged: a delivery the broker refused
    // during a restart is sent again later, which would otherwise put it after the second.
    let mut after: Vec<Outgoing> = Vec::new();
    let started = Instant::now();
    let mut pending = Vec::new();
    let mut sent: u64 = 0;
    let mut corruption = 0usize;
    let mut valid_budget = args.max_events.unwrap_or(u64::MAX);

    let mut exhausted = false;
    for d in 0..args.days {
        let day = first + Days::new(u64::from(d));
        let events = traffic::day_events(&mut rng, &market, day, now);
        let mut resend: Vec<Outgoing> = Vec::new();
        for e in events {
            if valid_budget == 0 {
                exhausted = true;
                break;
            }
            valid_budget -= 1;
            let json = e.to_json();
            let key = e.cinema_bin.as_str().as_bytes().to_vec();
            let mut batch = Vec::with_capacity(3);
            if args.invalid_rate > 0.0 && faults.gen_bool(args.invalid_rate.min(1.0)) {
                let reason = corrupt::KINDS[corruption % corrupt::KINDS.len()];
                corruption += 1;
                // A fresh id, so the broken copy is never mistaken for the valid event.
                let mut other = e.clone();
                other.event_id = traffic::new_event_id(&mut faults);
                batch.push(Outgoing {
                    key: key.clone(),
                    payload: corrupt::corrupt(&other.to_json(), reason, now),
                });
                ledger.count_invalid(reason);
            }
            ledger.count_valid(&e);
            let mut case = None;
            if args.hard_rate > 0.0 && hard.gen_bool(args.hard_rate.min(1.0)) {
                case = hard::case(
                    hard_cases,
                    &e,
                    &mut hard,
                    now,
                    reporting.correction_window_days,
                    &mut ledger,
                );
                hard_cases += usize::from(case.is_some());
            }
            if args.duplicate_rate > 0.0 && faults.gen_bool(args.duplicate_rate.min(1.0)) {
                resend.push(Outgoing {
                    key: key.clone(),
                    payload: json.clone().into_bytes(),
                });
                ledger.count_duplicate();
            }
            batch.push(Outgoing {
                key: key.clone(),
                payload: json.into_bytes(),
            });
            if let Some(case) = case {
                for payload in case.now {
                    batch.push(Outgoing {
                        key: key.clone(),
                        payload: payload.into_bytes(),
                    });
                }
                for payload in case.later {
                    sent += 1;
                    after.push(Outgoing {
                        key: key.clone(),
                        payload: payload.into_bytes(),
                    });
                }
            }
            // Re-sends arrive a little later, as a till's retry would.
            if resend.len() >= 16 {
                batch.append(&mut resend);
            }
            for m in batch {
                sent += 1;
                if let Some(p) = &producer {
                    pending.push(p.enqueue(&m.key, &m.payload).await?);
                    if pending.len() >= 20_000 {
                        confirm(p, &mut pending).await?;
                        // Every first of a hard case so far is acknowledged.
                        for m in after.drain(..) {
                            pending.push(p.enqueue(&m.key, &m.payload).await?);
                        }
                    }
                }
                pace(args.rate, sent, started).await;
                if sent % 100_000 == 0 {
                    tracing::info!(sent, elapsed_s = started.elapsed().as_secs(), "simulating");
                }
            }
        }
        for m in resend {
            sent += 1;
            if let Some(p) = &producer {
                pending.push(p.enqueue(&m.key, &m.payload).await?);
            }
        }
        if exhausted {
            break;
        }
    }
    if let Some(p) = &producer {
        confirm(p, &mut pending).await?;
        for m in after.drain(..) {
            pending.push(p.enqueue(&m.key, &m.payload).await?);
        }
        confirm(p, &mut pending).await?;
        p.flush(Duration::from_secs(30))?;
    }
    anyhow::ensure!(
        sent == ledger.messages,
        "simulator sent {sent} messages but its ledger counts {}",
        ledger.messages
    );
    if args.plant_signals {
        if let Some(p) = &producer {
            plant(args, &market, kafka, p, now).await?;
        }
    }
    let path = args.out.join("ledger.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&ledger)?)
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(
        messages = ledger.messages, valid = ledger.valid_events, invalid = ledger.invalid, duplicates = ledger.duplicates,
        elapsed_ms = started.elapsed().as_millis() as u64, ledger = %path.display(), "simulation sent"
    );
    Ok(ledger)
}

/// Sends the planted sessions (`planted`): declarations first, acknowledged before any of
/// their tickets is sent, as a ticketing system declares before it sells.
async fn plant(
    args: &SimulateArgs,
    market: &Market,
    kafka: &ingest::KafkaSettings,
    tickets: &ingest::produce::TicketProducer,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x9_1a47);
    let Some(p) = planted::plant(&mut rng, market, now) else {
        tracing::warn!("no cinema with two halls: nothing planted");
        return Ok(());
    };
    anyhow::ensure!(
        !kafka.sessions_topic.is_empty(),
        "--plant-signals needs kafka.sessions_topic"
    );
    ingest::topic::ensure_topic_with(
        kafka,
        &kafka.sessions_topic,
        ingest::topic::DEFAULT_PARTITIONS,
        ingest::topic::BROKER_TIME,
    )
    .await?;
    let sessions = ingest::produce::TicketProducer::new(kafka, &kafka.sessions_topic)?;
    for d in &p.declarations {
        sessions
            .send(p.bin.as_bytes(), d.to_json().to_string().as_bytes())
            .await?;
    }
    let mut pending = Vec::new();
    for t in &p.tickets {
        pending.push(
            tickets
                .enqueue(p.bin.as_bytes(), t.to_json().as_bytes())
                .await?,
        );
    }
    confirm(tickets, &mut pending).await?;
    tracing::info!(cinema = %p.bin, declarations = p.declarations.len(), tickets = p.tickets.len(), "planted a dishonest cinema's sessions (ekino report signals)");
    Ok(())
}

/// Waits for every pending delivery. Messages the broker refused are sent again, all of a
/// round together, with back-off (a restarting broker answers some requests with errors
/// librdkafka treats as final); should one have landed after all, the copy is a duplicate
/// event, which ekino counts once.
async fn confirm(
    producer: &ingest::produce::TicketProducer,
    pending: &mut Vec<rdkafka::producer::DeliveryFuture>,
) -> anyhow::Result<()> {
    use rdkafka::message::Message;
    for round in 1..=30u64 {
        let mut failed = Vec::new();
        for f in pending.drain(..) {
            match f.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, msg))) => failed.push((
                    msg.key().unwrap_or_default().to_vec(),
                    msg.payload().unwrap_or_default().to_vec(),
                    e.to_string(),
                )),
                Err(_) => anyhow::bail!("a simulated event was dropped before delivery"),
            }
        }
        let Some((_, _, why)) = failed.first() else {
            return Ok(());
        };
        tracing::warn!(round, failed = failed.len(), error = %why, "deliveries failed; sending those events again");
        tokio::time::sleep(Duration::from_millis(500 * round.min(10))).await;
        for (key, payload, _) in &failed {
            pending.push(producer.enqueue(key, payload).await?);
        }
    }
    anyhow::bail!("the broker kept refusing simulated events after 30 rounds")
}

async fn pace(rate: u64, sent: u64, started: Instant) {
    if rate == 0 {
        return;
    }
    let due = Duration::from_secs_f64(sent as f64 / rate as f64);
    if let Some(wait) = due.checked_sub(started.elapsed()) {
        if wait > Duration::from_millis(2) {
            tokio::time::sleep(wait).await;
        }
    }
}
