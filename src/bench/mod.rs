//! `ekino bench [--quick]`: every figure next to a ceiling measured in the same run where one
//! exists, printed as a table and written to `BENCHMARKS.md`. Needs the services up.

mod api_load;
mod databases;
mod figure;
mod hot;
mod load;
mod pipeline;

use figure::{progress, Figure};

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::settings::Settings;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// A small run for CI (under 5 minutes): proves the command works, not the speed.
    #[arg(long)]
    pub quick: bool,
    /// Events preloaded for the ingest figure (default 5,000,000; 100,000 with --quick).
    #[arg(long)]
    pub events: Option<u64>,
    /// Events loaded for the API figures (default 10,000,000; 200,000 with --quick).
    #[arg(long)]
    pub api_events: Option<u64>,
    /// Measure the API over this already loaded database (a `bench_api_*` one from an
    /// earlier run) instead of loading a new one.
    #[arg(long)]
    pub api_db: Option<String>,
    /// Keep the database the API figures loaded (to measure again with `--api-db`); by
    /// default every database a run makes is dropped at its end.
    #[arg(long)]
    pub keep: bool,
    /// Only these parts (comma-separated: hot, rebate, ingest, api); all by default.
    #[arg(long, value_delimiter = ',', value_parser = ["hot", "rebate", "ingest", "api"])]
    pub only: Vec<String>,
    /// Where the report is written.
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
}

impl BenchArgs {
    fn wants(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

fn fmt(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
                    / 1024
            })
        })
        .unwrap_or(0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cores} cores ({cpu}), {mem} GiB; ClickHouse 18.16 (Debian) and tansu on loopback, all co-located")
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn table(figures: &[Figure], quick: bool, events: u64, api_events: u64) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(s, "- machine: {}", machine());
    let _ = writeln!(
        s,
        "- date: {} (UTC)",
        chrono::Utc::now().format("%Y-%m-%d %H:%M")
    );
    let _ = writeln!(s, "- commit: {}", commit());
    let _ = writeln!(s, "- mode: {} ({events} events through ingest, {api_events} loaded for the API); reproduce with `cargo build --release && target/release/ekino bench{}`", if quick { "quick" } else { "full" }, if quick { " --quick" } else { "" });
    let _ = writeln!(
        s,
        "- build: {}\n",
        if cfg!(debug_assertions) {
            "DEBUG (figures not representative)"
        } else {
            "release"
        }
    );
    let _ = writeln!(
        s,
        "| figure | value | ceiling (same run) | ratio | goal | notes |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for f in figures {
        let (ceiling, ratio) = match f.ceiling {
            Some((what, c)) => (
                format!("{} {} ({what})", fmt(c), f.unit),
                if f.lower_is_better {
                    format!("{:.2}×", f.value / c)
                } else {
                    format!("{:.0} %", 100.0 * f.value / c)
                },
            ),
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            s,
            "| {} | {} {} | {ceiling} | {ratio} | {} | {} |",
            f.name,
            fmt(f.value),
            f.unit,
            f.goal,
            f.note
        );
    }
    s
}

pub async fn run(args: &BenchArgs, settings: &Settings) -> anyhow::Result<()> {
    let events = args
        .events
        .unwrap_or(if args.quick { 100_000 } else { 5_000_000 });
    let exe = std::env::current_exe()?;
    let work = PathBuf::from(".ekino/bench");
    std::fs::create_dir_all(&work)?;
    let api_events = args
        .api_events
        .unwrap_or(if args.quick { 200_000 } else { 10_000_000 });
    let mut figures = Vec::new();
    if args.wants("hot") {
        progress("hot path");
        figures.push(hot::hot_path(if args.quick { 20_000 } else { 100_000 }));
        figures.push(hot::dedup_memory(if args.quick {
            100_000
        } else {
            2_000_000
        }));
    }
    if args.wants("rebate") {
        progress("rebate engine");
        let (claim, estimates) = hot::rebate_claim();
        figures.extend([claim, estimates]);
    }
    if args.wants("ingest") {
        let plan = pipeline::Plan {
            events,
            outage_secs: if args.quick { 5 } else { 60 },
            steady_secs: if args.quick { 5 } else { 30 },
        };
        figures.extend(pipeline::run(settings, &plan, &exe, &work).await?);
    }
    if args.wants("api") {
        figures.extend(
            api_load::run(
                settings,
                &exe,
                &work,
                if args.quick { 3 } else { 20 },
                api_events,
                args.api_db.as_deref(),
                args.keep,
            )
            .await?,
        );
    }
    let report = table(&figures, args.quick, events, api_events);
    println!("{report}");
    std::fs::write(&args.out, &report)?;
    progress(&format!("written to {}", args.out.display()));
    Ok(())
}
