//! The API under load with `wrk` (Debian package), on the database the pipeline benchmark
//! filled: the daily chart, a film's ROI, a cinema's scorecard, and an estimate.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use super::{progress, Figure};
use crate::settings::Settings;

/// Parses `1.23ms`, `850.00us`, `1.02s` into milliseconds.
fn ms(s: &str) -> Option<f64> {
    let (num, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * factor)
}

struct Load {
    p50_ms: f64,
    p99_ms: f64,
    rps: f64,
    non_2xx: u64,
}

fn wrk(url: &str, headers: &[String], script: Option<&Path>, secs: u64) -> anyhow::Result<Load> {
    let mut c = Command::new("wrk");
    c.args(["-t2", "-c4", &format!("-d{secs}s"), "--latency"]);
    for h in headers {
        c.args(["-H", h]);
    }
    if let Some(s) = script {
        c.arg("-s").arg(s);
    }
    let out = c.arg(url).stderr(Stdio::null()).output().context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| text.lines().map(str::trim).find(|l| l.starts_with(prefix)).and_then(|l| l.split_whitespace().nth(1)).map(str::to_owned);
    Ok(Load {
        p50_ms: field("50%").and_then(|v| ms(&v)).unwrap_or(f64::NAN),
        p99_ms: field("99%").and_then(|v| ms(&v)).unwrap_or(f64::NAN),
        rps: field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(0.0),
        non_2xx: text.lines().find(|l| l.contains("Non-2xx")).and_then(|l| l.split_whitespace().last()).and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

pub async fn run(settings: &Settings, db: &str, exe: &Path, work: &Path, secs: u64, events: u64) -> anyhow::Result<Vec<Figure>> {
    let mut ch = settings.clickhouse.clone();
    ch.database = db.to_owned();
    let client = ingest::clickhouse_store::client(&ch);
    let cinemas = std::fs::read_to_string(work.join("sim/cinemas.csv"))?;
    let bin = cinemas.lines().nth(1).and_then(|l| l.split(',').next()).context("a simulated cinema")?.to_owned();
    let now = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let (ministry, m_row) = api::auth::generate(api::auth::Role::Ministry, None, now);
    let (cinema, c_row) = api::auth::generate(api::auth::Role::Cinema, Some(&schemas::Bin::parse(&bin)?), now);
    ingest::clickhouse_store::insert_rows(&client, "api_keys", &[m_row, c_row], Duration::from_secs(10)).await?;
    let reg = work.join("sim");
    let status = Command::new(exe)
        .args(["registry", "load", "--dir"])
        .arg(&reg)
        .env("EKINO_CLICKHOUSE__DATABASE", db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "registry load failed");

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut api = Command::new(exe)
        .arg("api")
        .env("EKINO_CLICKHOUSE__DATABASE", db)
        .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("EKINO_API__RATE_LIMIT_PER_MINUTE", "100000000")
        .env("EKINO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join("api-bench.log"))?)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = include_str!("../../rebate-engine/examples/estimate-steppe-light.json").replace('\n', " ").replace('"', "\\\"");
    let script = work.join("estimate.lua");
    std::fs::write(&script, format!("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = \"{body}\"\n"))?;
    let auth = |k: &str| vec![format!("Authorization: Bearer {k}")];
    let cases: Vec<(&'static str, String, Vec<String>, Option<&Path>)> = vec![
        ("api: daily chart", format!("{base}/v1/box-office/daily?date=2026-09-05"), vec![], None),
        ("api: a film's ROI", format!("{base}/v1/films/KZ26-0001/roi"), auth(&ministry), None),
        ("api: a cinema's scorecard", format!("{base}/v1/cinemas/{bin}/reporting?from=2026-09-01&to=2026-09-30"), auth(&cinema), None),
        ("api: rebate estimate", format!("{base}/v1/rebates/estimate?compare=kz,ge,uz"), vec![], Some(script.as_path())),
    ];
    let mut figures = Vec::new();
    for (name, url, headers, script) in cases {
        progress(&format!("{name} ({secs} s of load)"));
        let l = wrk(&url, &headers, script, secs)?;
        figures.push(Figure {
            name,
            value: l.p99_ms,
            unit: "ms p99",
            ceiling: None,
            goal: "p99 ≤ 20 ms at 200 req/s",
            lower_is_better: true,
            note: format!(
                "p50 {:.2} ms, {:.0} req/s at saturation (wrk, 2 threads, 4 connections, {secs} s) over {events} preloaded events{}",
                l.p50_ms,
                l.rps,
                if l.non_2xx > 0 { format!("; {} non-2xx replies", l.non_2xx) } else { String::new() }
            ),
        });
    }
    let _ = api.kill();
    let _ = api.wait();
    Ok(figures)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrk_units() {
        assert_eq!(super::ms("850.00us"), Some(0.85));
        assert_eq!(super::ms("1.50ms"), Some(1.5));
        assert_eq!(super::ms("1.02s"), Some(1020.0));
    }
}
