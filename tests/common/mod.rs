//! The end-to-end harness: every test gets its own ClickHouse database, Kafka topic and
//! consumer group, and drives the real `ekino` binary against the real services on loopback
//! (start them with `scripts/services.sh up`). Waiting is polling with a deadline, never sleeping.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const CLICKHOUSE_URL: &str = "http://127.0.0.1:8123";
pub const BROKERS: &str = "127.0.0.1:9092";

pub struct TestEnv {
    /// The topic, consumer group and (unless [`database`](Self::database) says otherwise) database.
    pub name: String,
    /// The events database (the application one is `<database>_app`).
    pub database: String,
    pub dir: PathBuf,
    pub metrics_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The ClickHouse users' passwords, from the file `scripts/services.sh credentials` names
/// (made when missing): `EKINO_CH_<USER>_PASSWORD` → password.
pub fn clickhouse_passwords() -> &'static std::collections::HashMap<String, String> {
    static PASSWORDS: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    PASSWORDS.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let out = Command::new("bash")
            .arg(format!("{root}/scripts/services.sh"))
            .arg("credentials")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "services.sh credentials: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = String::from_utf8(out.stdout).unwrap();
        std::fs::read_to_string(path.trim())
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    })
}

/// The tests' admin: ClickHouse's `ekino_admin`, which makes databases of any name (`default`
/// reaches none of ekino's, scripts/services.sh).
pub const ADMIN_USER: &str = "ekino_admin";

/// The password of [`ADMIN_USER`].
pub fn admin_password() -> &'static str {
    clickhouse_passwords()
        .get("EKINO_CH_ADMIN_PASSWORD")
        .expect("EKINO_CH_ADMIN_PASSWORD in the services' credentials")
}

pub fn require_services() {
    let ch = Command::new("curl")
        .args(["-fsS", &format!("{CLICKHOUSE_URL}/ping")])
        .output();
    assert!(
        ch.map(|o| o.status.success()).unwrap_or(false),
        "clickhouse is not answering on {CLICKHOUSE_URL}: run scripts/services.sh up"
    );
    assert!(
        std::net::TcpStream::connect(BROKERS).is_ok(),
        "no kafka broker on {BROKERS}: run scripts/services.sh up"
    );
}

impl TestEnv {
    /// A test's database and topic, migrated (`ekino migrate`, as an operator would before
    /// starting the services, which only check the schema).
    pub fn new(tag: &str) -> Self {
        let env = Self::bare(tag);
        env.run(&["migrate"]);
        env
    }

    /// The application database (registry, keys, audit, claims) of this test.
    pub fn app_db(&self) -> String {
        format!("{}_app", self.database)
    }

    /// Like [`new`](Self::new) without the migration (a test of the migration itself).
    pub fn bare(tag: &str) -> Self {
        require_services();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("e2e_{tag}_{}_{}", std::process::id(), nanos % 1_000_000_000);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            database: name.clone(),
            name,
            dir,
            metrics_port: free_port(),
        }
    }

    /// The `ekino` binary, pointed at this test's database, topic and group.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ekino"));
        c.env("EKINO_CLICKHOUSE__DATABASE", &self.database)
            .env("EKINO_CLICKHOUSE__USER", ADMIN_USER)
            .env("EKINO_CLICKHOUSE__PASSWORD", admin_password())
            .env("EKINO_KAFKA__TOPIC", &self.name)
            .env(
                "EKINO_KAFKA__SESSIONS_TOPIC",
                format!("{}.sessions", self.name),
            )
            .env(
                "EKINO_KAFKA__PARTNER_TOPIC",
                format!("{}.partners", self.name),
            )
            .env("EKINO_KAFKA__GROUP_ID", &self.name)
            // Every API process of a test signs claim decisions alike (see `decision_queue`).
            .env(
                "EKINO_API__DECISION_SECRET",
                format!("{}-decisions", self.name),
            )
            .env(
                "EKINO_INGEST__METRICS_ADDR",
                format!("127.0.0.1:{}", self.metrics_port),
            )
            .env("EKINO_LOG", "warn,ekino=info,ingest=info")
            .env_remove("RUST_BACKTRACE");
        c
    }

    /// Runs `ekino ARGS` to completion and returns stdout; panics with stderr on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("running ekino");
        assert!(
            out.status.success(),
            "ekino {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.run(args)).expect("json output")
    }

    /// Like [`json`](Self::json) but `None` when the command fails (for polling).
    pub fn try_json(&self, args: &[&str]) -> Option<Value> {
        let out = self.cmd().args(args).output().ok()?;
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    }

    pub fn spawn_ingest(&self, env: &[(&str, &str)]) -> Child {
        static SPAWNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SPAWNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = std::fs::File::create(self.dir.join(format!("ingest-{n}.log"))).unwrap();
        let mut c = self.cmd();
        c.arg("ingest").stdout(Stdio::null()).stderr(log);
        for (k, v) in env {
            c.env(k, v);
        }
        c.spawn().expect("spawning ingest")
    }

    /// `ekino api` on a free port with settings from `env`, once `/healthz` answers; its
    /// process (killed when dropped) and base URL.
    pub fn spawn_api(&self, env: &[(&str, &str)]) -> (Guard, String) {
        let port = free_port();
        let log = std::fs::File::create(self.dir.join(format!("api-{port}.log"))).unwrap();
        let mut c = self.cmd();
        c.arg("api")
            .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log);
        let api = Guard(c.spawn().expect("spawning the api"));
        let base = format!("http://127.0.0.1:{port}");
        assert!(
            wait_until(Duration::from_secs(60), || Command::new("curl")
                .args(["-sf", &format!("{base}/healthz")])
                .output()
                .is_ok_and(|o| o.status.success())),
            "the api did not start"
        );
        (api, base)
    }

    /// Runs the simulator to completion and returns its ledger.
    pub fn simulate(&self, args: &[&str]) -> Value {
        self.simulate_with(args, &[])
    }

    /// [`simulate`](Self::simulate) with settings from `env` (see `spawn_simulate_with`).
    pub fn simulate_with(&self, args: &[&str], env: &[(&str, &str)]) -> Value {
        let out = self.dir.join("sim");
        let mut all = vec!["simulate", "--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let run = self
            .cmd()
            .envs(env.iter().copied())
            .args(&all)
            .output()
            .expect("running ekino");
        assert!(
            run.status.success(),
            "ekino {all:?} failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        serde_json::from_slice(&std::fs::read(out.join("ledger.json")).unwrap()).unwrap()
    }

    pub fn spawn_simulate(&self, args: &[&str]) -> Child {
        self.spawn_simulate_with(args, &[])
    }

    /// [`spawn_simulate`](Self::spawn_simulate) with settings from `env` (the clock ingest
    /// judges by, when the simulator's hard cases depend on it).
    pub fn spawn_simulate_with(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let out = self.dir.join("sim");
        let mut c = self.cmd();
        c.envs(env.iter().copied());
        let log = std::fs::File::create(self.dir.join("simulate.log")).unwrap();
        c.args(["simulate", "--out", out.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(log);
        c.spawn().expect("spawning simulate")
    }

    pub fn ledger(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.dir.join("sim/ledger.json")).unwrap()).unwrap()
    }

    pub fn box_office(&self, from: &str, to: &str) -> Value {
        self.json(&["report", "box-office", "--from", from, "--to", to, "--json"])
    }

    pub fn rejected(&self) -> Value {
        self.json(&["report", "rejected", "--json"])
    }

    /// Runs SQL on this test's database over HTTP and returns the body.
    pub fn sql(&self, query: &str) -> String {
        clickhouse_http(&self.database, query)
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        let out = Command::new("curl")
            .args([
                "-fsS",
                &format!("http://127.0.0.1:{}/metrics", self.metrics_port),
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = clickhouse_http(
                "default",
                &format!("DROP DATABASE IF EXISTS {}", self.database),
            );
            let _ = clickhouse_http(
                "default",
                &format!("DROP DATABASE IF EXISTS {}", self.app_db()),
            );
        }
    }
}

pub fn clickhouse_http(database: &str, query: &str) -> String {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail-with-body",
            "-u",
            &format!("{ADMIN_USER}:{}", admin_password()),
            "--data-binary",
            "@-",
            &format!("{CLICKHOUSE_URL}/?database={database}"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(query.as_bytes())?;
            c.wait_with_output()
        })
        .expect("curl");
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "clickhouse refused {query}: {body}");
    body
}

/// "Now" for ingest in the tests whose traffic is of fixed days in November 2026: a fixed
/// start (the clock then runs at normal speed), so their events are judged as when the tests
/// were written, whatever today is (no `stale_timestamp` once 400 days have passed).
pub const TEST_NOW: &str = "2026-12-01T12:00:00+05:00";

/// `env` for [`TestEnv::spawn_ingest`] on the tests' clock ([`TEST_NOW`]).
pub fn at_test_now<'a>(env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("EKINO_REPORTING__CLOCK_START", TEST_NOW)];
    all.extend_from_slice(env);
    all
}

/// Polls `f` every 200 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// Waits for a child to exit; returns how long it took, or None on timeout.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if child.try_wait().unwrap().is_some() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Totals of the box-office report as (admissions, gross tiyn, net tiyn).
pub fn totals(report: &Value) -> (i64, i64, i64) {
    let t = &report["totals"];
    let tiyn = |v: &Value| -> i64 {
        let s = v.as_str().unwrap();
        let (i, f) = s.split_once('.').unwrap();
        let neg = i.starts_with('-');
        let v = i.trim_start_matches('-').parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
        if neg {
            -v
        } else {
            v
        }
    };
    (
        t["admissions"].as_i64().unwrap(),
        tiyn(&t["gross"]),
        tiyn(&t["net"]),
    )
}

pub fn ledger_totals(l: &Value) -> (i64, i64, i64) {
    (
        l["admissions"].as_i64().unwrap(),
        l["gross_tiyn"].as_i64().unwrap(),
        l["net_tiyn"].as_i64().unwrap(),
    )
}

/// The first and last box-office day in a ledger.
pub fn ledger_days(l: &Value) -> (String, String) {
    let days: Vec<&String> = l["by_day"].as_object().unwrap().keys().collect();
    (
        days.first().unwrap().to_string(),
        days.last().unwrap().to_string(),
    )
}

/// Waits until the report equals the ledger and the rejected store holds all invalid events.
pub fn wait_exact(env: &TestEnv, ledger: &Value, timeout: Duration) -> bool {
    let (from, to) = ledger_days(ledger);
    let want = ledger_totals(ledger);
    let want_rejected = ledger["invalid"].as_u64().unwrap();
    wait_until(timeout, || {
        let report = env.try_json(&[
            "report",
            "box-office",
            "--from",
            &from,
            "--to",
            &to,
            "--json",
        ]);
        let rejected = env.try_json(&["report", "rejected", "--json"]);
        report.is_some_and(|r| totals(&r) == want)
            && rejected.is_some_and(|r| r["total"].as_u64() == Some(want_rejected))
    })
}

/// A kz claim body for `POST /v1/claims`: 20 bn KZT of sets from a Kazakh vendor
/// (`vendor_bin`), which qualifies in full and is capped at 1,000,000 MCI = KZT 4,325,000,000
/// (worked out in tests/api.rs).
pub fn kz_claim(n: u32, film: &str, vendor_bin: &str) -> serde_json::Value {
    serde_json::json!({"film_id": film, "claim": {
        "programme": "kz", "as_of": "2026-09-01",
        "production": {"title": format!("Claim {n}"), "kind": "feature", "total_budget": {"amount": "30000000000", "currency": "KZT"},
                       "applicant_country": "US", "registered_on": "2026-03-01", "completed_on": "2026-08-31",
                       "shooting_days": {"total": 40, "outside_almaty_astana": 25}, "cultural": ["kazakhstan_as_itself"]},
        "lines": [{"id": "L1", "category": "construction_sets", "amount": "20000000000", "currency": "KZT", "paid_on": "2026-05-01",
                   "vendor_country": "KZ", "vendor_bin": vendor_bin}]}})
}
