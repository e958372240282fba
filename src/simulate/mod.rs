//! `ekino simulate`: realistic Kazakh cinema traffic into Kafka.
//!
//! Deterministic for a seed: the same seed, days and start date give byte-identical messages.
//! Writes the registries it used (`cinemas.csv`, `films.csv`, `funding.csv`,
//! `distributors.csv`, `halls.csv`, `partners.csv`) and a ledger (`ledger.json`: counts and sums of what was
//! sent) into `--out`.
//!
//! History and today (the demo's shape): with `--ndjson` the days before today are written
//! to a file for `ekino backfill`; with `--live` today's (and later days') messages are sent
//! as their time comes; with `--declare` every session is declared first, so the cinemas
//! declare their sessions from before any ticket of this run arrives (`declares_since`) and
//! the chart reads seats from them. `ledger.json` is written once the days before today are
//! out, before the live part begins.

mod corrupt;
mod dishonest;
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
use schemas::TicketEvent;

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
    /// and tickets, one case of each signal the rules find from them; `simulate::planted`),
    /// and have three cinemas of its region report every day dishonestly (a price cut, extra
    /// refunds, two sales in three left out: the regional outliers; `simulate::dishonest`).
    #[arg(long)]
    pub plant_signals: bool,
    /// Write the ticket messages of the days before today to this file, one per line (for
    /// `ekino backfill`), instead of sending them; the ledger counts them.
    #[arg(long)]
    pub ndjson: Option<PathBuf>,
    /// Declare every simulated session on the sessions topic first (each cinema's ticketing
    /// system sends its schedule), all acknowledged before any ticket goes out.
    #[arg(long)]
    pub declare: bool,
    /// Send the messages of today and later as they happen: each when the clock reaches its
    /// time (those already past at once). The days before today are sent (or written) first,
    /// and the ledger counts only them.
    #[arg(long)]
    pub live: bool,
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
    schemas::registry::write_partners(file("partners.csv")?, &[planted::partner()])?;
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

    let today = schemas::time::box_office_day(now);
    anyhow::ensure!(
        !(args.live && args.dry_run),
        "--live sends as time passes: it cannot be a --dry-run"
    );
    let last = first + Days::new(u64::from(args.days.max(1)) - 1);
    anyhow::ensure!(
        args.live || args.ndjson.is_none() || last < today,
        "--ndjson writes the days before today; the days from {today} on need --live"
    );
    let live_days: Vec<NaiveDate> = if args.live {
        (0..args.days)
            .map(|d| first + Days::new(u64::from(d)))
            .filter(|d| *d >= today)
            .collect()
    } else {
        Vec::new()
    };
    let past_days = args.days - live_days.len() as u32;
    // The planted cinema's own traffic of the planted day is left out when sessions are
    // declared: its regular schedule would overlap the planted one.
    let skip = (args.plant_signals && args.declare)
        .then(|| planted::planted_cinema(&market, now))
        .flatten();
    // With the planted sessions, three cinemas of the planted one's region report every day
    // dishonestly (`dishonest`), for the regional outliers.
    let dishonest = args
        .plant_signals
        .then(|| dishonest::Dishonest::of(&market))
        .flatten();
    // What each day's traffic becomes before it is sent (as of `now` for its refunds).
    let adjust = |events: &mut Vec<TicketEvent>, now: DateTime<Utc>| {
        events.retain(|e| kept(skip.as_ref(), &e.cinema_bin, e.day()));
        if let Some(d) = &dishonest {
            d.distort(events, now);
        }
    };
    let kafka_needed = !args.dry_run && (args.ndjson.is_none() || args.live);
    let producer = if kafka_needed {
        ingest::topic::ensure_topic(kafka, topic, ingest::topic::DEFAULT_PARTITIONS).await?;
        Some(ingest::produce::TicketProducer::new(kafka, topic)?)
    } else {
        None
    };
    let declared = if args.declare && !args.dry_run {
        // A copy of the traffic's generator as it stands before the first day: the same
        // draws, so the declared schedule is the one the tickets are sold for.
        declare_all(args, &market, kafka, now, skip.as_ref(), rng.clone()).await?
    } else {
        0
    };
    let mut file = match &args.ndjson {
        Some(path) if !args.dry_run => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
        )),
        _ => None,
    };
    let mut ledger = Ledger {
        seed: args.seed,
        first_day: first.to_string(),
        days: args.days,
        declared_sessions: declared,
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

    // A backfill is exempt from the age limit: in a file for one, an old event is no fault.
    let kinds: Vec<schemas::RejectReason> = corrupt::KINDS
        .iter()
        .copied()
        .filter(|k| file.is_none() || *k != schemas::RejectReason::StaleTimestamp)
        .collect();
    let mut exhausted = false;
    for d in 0..past_days {
        let day = first + Days::new(u64::from(d));
        let mut events = traffic::day_events(&mut rng, &market, day, now);
        adjust(&mut events, now);
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
                let reason = kinds[corruption % kinds.len()];
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
            // A dishonest cinema's refunds are its own: no hard case refunds its sales again.
            let plain = dishonest
                .as_ref()
                .is_none_or(|d| !d.contains(e.cinema_bin.as_str()));
            if args.hard_rate > 0.0 && plain && hard.gen_bool(args.hard_rate.min(1.0)) {
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
                if let Some(f) = file.as_mut() {
                    write_line(f, &m.payload)?;
                } else if let Some(p) = &producer {
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
            if let Some(f) = file.as_mut() {
                write_line(f, &m.payload)?;
            } else if let Some(p) = &producer {
                pending.push(p.enqueue(&m.key, &m.payload).await?);
            }
        }
        if exhausted {
            break;
        }
    }
    if let Some(mut f) = file.take() {
        for m in after.drain(..) {
            write_line(&mut f, &m.payload)?;
        }
        use std::io::Write;
        f.flush().context("writing the --ndjson file")?;
    } else if let Some(p) = &producer {
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
    if let (Some(p), false) = (&producer, live_days.is_empty()) {
        live(
            args,
            &market,
            &mut rng,
            p,
            &live_days,
            &reporting.clock(),
            &adjust,
        )
        .await?;
    }
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
    let sessions = sessions_producer(kafka, "--plant-signals").await?;
    if !p.partner_records.is_empty() {
        anyhow::ensure!(
            !kafka.partner_topic.is_empty(),
            "--plant-signals needs kafka.partner_topic"
        );
        ingest::topic::ensure_side_topics(kafka).await?;
        let partners = ingest::produce::TicketProducer::new(kafka, &kafka.partner_topic)?;
        for r in &p.partner_records {
            partners
                .send(r.partner_id.as_bytes(), r.to_json().to_string().as_bytes())
                .await?;
        }
    }
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

/// A producer to the sessions topic, made (broker-stamped) if it is not there; `flag` names
/// the option that needs it.
async fn sessions_producer(
    kafka: &ingest::KafkaSettings,
    flag: &str,
) -> anyhow::Result<ingest::produce::TicketProducer> {
    anyhow::ensure!(
        !kafka.sessions_topic.is_empty(),
        "{flag} needs kafka.sessions_topic"
    );
    ingest::topic::ensure_side_topics(kafka).await?;
    ingest::produce::TicketProducer::new(kafka, &kafka.sessions_topic)
}

/// Whether a cinema's traffic of a day is sent: not the planted cinema's on the planted day
/// (`skip`), whose schedule the planted sessions take.
fn kept(skip: Option<&(String, NaiveDate)>, bin: &schemas::Bin, day: NaiveDate) -> bool {
    skip.is_none_or(|(b, on)| !(bin.as_str() == b && *on == day))
}

/// One message as one line of the `--ndjson` file.
fn write_line(f: &mut impl std::io::Write, payload: &[u8]) -> anyhow::Result<()> {
    f.write_all(payload)
        .and_then(|()| f.write_all(b"\n"))
        .context("writing the --ndjson file")
}

/// Declares every session of the simulated days on the sessions topic, each keyed by its
/// cinema's BIN, and waits until all are acknowledged. The traffic is drawn from a copy of
/// the market's random stream, so declaring changes no ticket.
async fn declare_all(
    args: &SimulateArgs,
    market: &Market,
    kafka: &ingest::KafkaSettings,
    now: DateTime<Utc>,
    skip: Option<&(String, NaiveDate)>,
    mut rng: ChaCha8Rng,
) -> anyhow::Result<u64> {
    let sessions = sessions_producer(kafka, "--declare").await?;
    let first = args.first_day(now);
    let mut pending = Vec::new();
    let mut declared = 0u64;
    for d in 0..args.days {
        let day = first + Days::new(u64::from(d));
        let (_, mut day_sessions) = traffic::day_traffic(&mut rng, market, day, far_future(day));
        day_sessions.retain(|s| kept(skip, &s.cinema_bin, s.day()));
        for mut s in day_sessions {
            s.declared_at = now;
            pending.push(
                sessions
                    .enqueue(
                        s.cinema_bin.as_str().as_bytes(),
                        s.to_json().to_string().as_bytes(),
                    )
                    .await?,
            );
            declared += 1;
            if pending.len() >= 20_000 {
                confirm(&sessions, &mut pending).await?;
            }
        }
    }
    confirm(&sessions, &mut pending).await?;
    sessions.flush(Duration::from_secs(30))?;
    tracing::info!(declared, "declared every simulated session");
    Ok(declared)
}

/// A "now" no sale of `day` reaches: the live part draws its traffic unclamped, then waits
/// for each message's time.
fn far_future(day: NaiveDate) -> DateTime<Utc> {
    (day + Days::new(3))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
}

/// Sends the days from today on as they happen: all their messages in order of time, each
/// once the clock reaches it (those already past at once), with the run's invalid and
/// re-sent shares; returns when the last is acknowledged.
async fn live(
    args: &SimulateArgs,
    market: &Market,
    rng: &mut ChaCha8Rng,
    producer: &ingest::produce::TicketProducer,
    days: &[NaiveDate],
    clock: &schemas::clock::Clock,
    adjust: &(dyn Fn(&mut Vec<TicketEvent>, DateTime<Utc>) + Sync),
) -> anyhow::Result<()> {
    let mut events: Vec<TicketEvent> = Vec::new();
    for day in days {
        let mut e = traffic::day_events(rng, market, *day, far_future(*day));
        adjust(&mut e, far_future(*day));
        events.append(&mut e);
    }
    // Stable: a refund stays after its sale when both happen in the same second.
    events.sort_by_key(|e| e.occurred_at);
    let mut faults = ChaCha8Rng::seed_from_u64(args.seed ^ 0x11fe_5eed);
    let mut pending = Vec::new();
    let (mut sent, mut corruption) = (0u64, 0usize);
    let total = events.len();
    tracing::info!(
        events = total,
        days = days.len(),
        "live: sending each event when its time comes"
    );
    for e in events {
        if let Ok(wait) = (e.occurred_at - clock.now()).to_std() {
            // Everything due so far is out before waiting.
            confirm(producer, &mut pending).await?;
            tokio::time::sleep(wait).await;
        }
        let key = e.cinema_bin.as_str().as_bytes().to_vec();
        if args.invalid_rate > 0.0 && faults.gen_bool(args.invalid_rate.min(1.0)) {
            let reason = corrupt::KINDS[corruption % corrupt::KINDS.len()];
            corruption += 1;
            let mut other = e.clone();
            other.event_id = traffic::new_event_id(&mut faults);
            let bad = corrupt::corrupt(&other.to_json(), reason, clock.now());
            pending.push(producer.enqueue(&key, &bad).await?);
        }
        let json = e.to_json();
        pending.push(producer.enqueue(&key, json.as_bytes()).await?);
        if args.duplicate_rate > 0.0 && faults.gen_bool(args.duplicate_rate.min(1.0)) {
            pending.push(producer.enqueue(&key, json.as_bytes()).await?);
        }
        sent += 1;
        if pending.len() >= 20_000 {
            confirm(producer, &mut pending).await?;
        }
        if sent % 10_000 == 0 {
            tracing::info!(sent, of = total, "live");
        }
    }
    confirm(producer, &mut pending).await?;
    tracing::info!(sent, "live: the simulated days are over");
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
