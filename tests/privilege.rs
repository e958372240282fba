//! Least privilege on ClickHouse 18.16 (issue 10, part 6): the users `scripts/services.sh`
//! writes can do what their service needs and nothing else, and ekino runs as them.
//!
//! 18.16 has no GRANT; `allow_databases` and a profile's `readonly` are the whole of its access
//! control, so storage is split into an events database and an application database and each
//! service gets the user for its side. The test uses the database pair `ekino_lp` that the
//! script allows these users (fixed names: `allow_databases` takes no patterns), so it drops
//! and re-creates it, and it is the only test that uses it.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const EVENTS: &str = "ekino_lp";
const APP: &str = "ekino_lp_app";

/// The users' passwords, from the file the services script keeps (made when missing).
fn passwords() -> HashMap<String, String> {
    clickhouse_passwords().clone()
}

fn as_user(user: &str, password: &str, database: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-w",
            "\n%{http_code}",
            "-u",
            &format!("{user}:{password}"),
            "--data-binary",
            sql,
        ])
        .arg(format!("{CLICKHOUSE_URL}/?database={database}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    if code == "200" {
        Ok(body.to_owned())
    } else {
        Err(body.to_owned())
    }
}

fn refused(r: Result<String, String>, what: &str) -> String {
    match r {
        Ok(body) => panic!("{what} was allowed: {body}"),
        Err(e) => e,
    }
}

#[test]
fn each_service_user_can_do_its_job_and_nothing_else() {
    let pw = passwords();
    let p = |u: &str| pw[&format!("EKINO_CH_{u}_PASSWORD")].clone();
    let mut env = TestEnv::bare("privilege");
    env.database = EVENTS.into();
    for db in [EVENTS, APP] {
        clickhouse_http("default", &format!("DROP DATABASE IF EXISTS {db}"));
    }

    // Services create nothing: against an empty database they stop and name the migration.
    let mut api = env.cmd();
    api.arg("api")
        .env("EKINO_API__LISTEN_ADDR", "127.0.0.1:0")
        .env("EKINO_CLICKHOUSE__USER", "ekino_api")
        .env("EKINO_CLICKHOUSE__PASSWORD", p("API"));
    api.env("EKINO_CLICKHOUSE__READ_USER", "ekino_api_read")
        .env("EKINO_CLICKHOUSE__READ_PASSWORD", p("API_READ"));
    let refused_start = api.stdout(Stdio::null()).output().unwrap();
    assert!(
        !refused_start.status.success(),
        "the api started on an unmigrated database"
    );
    let err = String::from_utf8_lossy(&refused_start.stderr);
    assert!(err.contains("ekino migrate"), "{err}");
    assert_eq!(
        clickhouse_http(
            "default",
            &format!("SELECT count() FROM system.databases WHERE name IN ('{EVENTS}', '{APP}')")
        )
        .trim(),
        "0",
        "a service created a database"
    );

    // The admin migrates.
    let migrated = env
        .cmd()
        .arg("migrate")
        .env("EKINO_CLICKHOUSE__USER", "ekino_admin")
        .env("EKINO_CLICKHOUSE__PASSWORD", p("ADMIN"))
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    // What each user may not do.
    let ticket = "INSERT INTO ticket_events (event_id, cinema_bin, film_id, day) VALUES ('x', 'x', 'x', today())";
    let e = refused(
        as_user("ekino_api_read", &p("API_READ"), EVENTS, ticket),
        "the api's reader inserting a ticket",
    );
    assert!(e.contains("readonly"), "{e}");
    let e = refused(
        as_user("ekino_api", &p("API"), EVENTS, ticket),
        "the api's writer inserting a ticket",
    );
    assert!(e.contains("Access denied"), "{e}");
    refused(
        as_user(
            "ekino_api",
            &p("API"),
            APP,
            &format!("SELECT count() FROM {EVENTS}.ticket_events"),
        ),
        "the api's writer reading tickets",
    );
    let e = refused(
        as_user(
            "ekino_ingest",
            &p("INGEST"),
            APP,
            "INSERT INTO api_keys (key_id, role) VALUES ('x', 'ministry')",
        ),
        "ingest writing a key",
    );
    assert!(e.contains("Access denied"), "{e}");
    refused(
        as_user(
            "ekino_ingest",
            &p("INGEST"),
            EVENTS,
            &format!("INSERT INTO {APP}.api_audit (key_id) VALUES ('forged')"),
        ),
        "ingest forging an audit record",
    );
    for (db, sql) in [
        (EVENTS, ticket.to_owned()),
        (
            APP,
            "INSERT INTO api_audit (key_id) VALUES ('forged')".to_owned(),
        ),
        (APP, "DROP TABLE api_keys".to_owned()),
    ] {
        let e = refused(
            as_user("ekino_bi", &p("BI"), db, &sql),
            "the bi user writing",
        );
        assert!(e.contains("readonly"), "{e}");
    }
    refused(
        as_user("ekino_api_read", &p("API_READ"), APP, "DROP TABLE api_keys"),
        "the api's reader dropping a table",
    );
    refused(
        as_user("ekino_bi", &p("BI"), "default", "SELECT 1"),
        "the bi user outside its databases",
    );
    // And what they may: the BI user reads both sides.
    assert_eq!(as_user("ekino_bi", &p("BI"), EVENTS, &format!("SELECT (SELECT count() FROM sales_by_film_day) + (SELECT count() FROM {APP}.films)")).unwrap().trim(), "0");

    // ekino runs as them: the admin loads the registry and a key, ingest writes the events,
    // the API reads the reports and writes the registry and the audit.
    let admin = |args: &[&str]| {
        let out = env
            .cmd()
            .args(args)
            .env("EKINO_CLICKHOUSE__USER", "ekino_admin")
            .env("EKINO_CLICKHOUSE__PASSWORD", p("ADMIN"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ekino {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let ledger = env.simulate(&[
        "--start",
        "2026-11-14",
        "--seed",
        "5",
        "--max-events",
        "400",
        "--invalid-rate",
        "0.02",
    ]);
    admin(&[
        "registry",
        "load",
        "--dir",
        env.dir.join("sim").to_str().unwrap(),
    ]);
    let ministry = admin(&[
        "keys",
        "create",
        "--role",
        "ministry",
        "--label",
        "least privilege test",
    ])
    .trim()
    .to_owned();
    let _ingest = Guard(env.spawn_ingest(&at_test_now(&[
        ("EKINO_CLICKHOUSE__USER", "ekino_ingest"),
        ("EKINO_CLICKHOUSE__PASSWORD", &p("INGEST")),
    ])));
    // The reports are read back as the API's reader, through the CLI.
    let reader = |args: &[&str]| -> Option<serde_json::Value> {
        let out = env
            .cmd()
            .args(args)
            .env("EKINO_CLICKHOUSE__USER", "ekino_api_read")
            .env("EKINO_CLICKHOUSE__PASSWORD", p("API_READ"))
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    };
    let (from, to) = ledger_days(&ledger);
    let exact = wait_until(Duration::from_secs(90), || {
        reader(&[
            "report",
            "box-office",
            "--from",
            &from,
            "--to",
            &to,
            "--json",
        ])
        .is_some_and(|r| totals(&r) == ledger_totals(&ledger))
    });
    assert!(
        exact,
        "ingest as ekino_ingest did not store the ledger; log: {}",
        env.dir.display()
    );
    // BI tools read the views as ekino_bi and get the same figures.
    let (adm, gross, _) = ledger_totals(&ledger);
    // The two daily aggregates are written one after the other, so the film view may catch up
    // a moment after the cinema one the report above read.
    let want = format!("{adm}\t{gross}\n");
    for view in ["bi_film_day", "bi_cinema_day"] {
        let sql = format!("SELECT sum(admissions), sum(gross_tiyn) FROM {view} FORMAT TSV");
        let same = wait_until(Duration::from_secs(30), || {
            as_user("ekino_bi", &p("BI"), EVENTS, &sql).is_ok_and(|got| got == want)
        });
        assert!(
            same,
            "{view} as ekino_bi: {:?}, want {want:?}",
            as_user("ekino_bi", &p("BI"), EVENTS, &sql)
        );
    }
    let films: u64 = as_user("ekino_bi", &p("BI"), APP, "SELECT count() FROM bi_films")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(films > 0, "no film in bi_films");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut api = env.cmd();
    api.arg("api")
        .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("EKINO_API__AUDIT_SPOOL_DIR", env.dir.join("spool"))
        .env("EKINO_CLICKHOUSE__USER", "ekino_api")
        .env("EKINO_CLICKHOUSE__PASSWORD", p("API"))
        .env("EKINO_CLICKHOUSE__READ_USER", "ekino_api_read")
        .env("EKINO_CLICKHOUSE__READ_PASSWORD", p("API_READ"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(env.dir.join("api.log")).unwrap());
    let _api = Guard(api.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let curl = |args: &[&str]| -> (u16, String) {
        let out = Command::new("curl")
            .args([
                "-sS",
                "-w",
                "\n%{http_code}",
                "-H",
                &format!("Authorization: Bearer {ministry}"),
            ])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.parse().unwrap_or(0), body.to_owned())
    };
    assert!(
        wait_until(Duration::from_secs(30), || curl(&[&format!(
            "{base}/healthz"
        )])
        .0 == 200),
        "the api did not start as its users"
    );
    let (status, body) = curl(&[&format!("{base}/v1/box-office/daily?date={from}")]);
    assert_eq!(status, 200, "{body}");
    let (status, body) = curl(&[&format!("{base}/v1/cinemas/reporting?silent_days=3")]);
    assert_eq!(status, 200, "a report joining the registry: {body}");
    let producer = schemas::Bin::from_prefix("55500000001")
        .or_else(|| schemas::Bin::from_prefix("55500000002"))
        .unwrap();
    let film = serde_json::json!({"title_kk": "Сынақ", "title_ru": "Тест", "title_en": "Test", "release_date": "2026-11-14",
        "producer_bin": producer.as_str(), "distributor_bin": producer.as_str(), "national": true, "budget": "1000.00"})
    .to_string();
    let (status, body) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &film,
        &format!("{base}/v1/films/LP-TEST"),
    ]);
    assert!(
        status == 200 || status == 201,
        "a registry write as ekino_api: {status} {body}"
    );
    let stored = wait_until(Duration::from_secs(15), || {
        as_user(
            "ekino_bi",
            &p("BI"),
            APP,
            "SELECT count() FROM api_audit WHERE path = '/v1/films/LP-TEST' AND method = 'PUT'",
        )
        .is_ok_and(|n| n.trim() == "1")
    });
    assert!(stored, "the api's audit record of the write was not stored");
    assert_eq!(
        as_user(
            "ekino_bi",
            &p("BI"),
            APP,
            "SELECT title_en FROM films FINAL WHERE film_id = 'LP-TEST'"
        )
        .unwrap()
        .trim(),
        "Test"
    );
}

/// A request to ClickHouse without credentials (the `default` user, no password) reads no
/// table of ekino's and writes none: not the keys, not the tickets. Neither does `default` with
/// its password: it reaches no database of ekino's. With the admin's credentials the same
/// statements answer, so each refusal is the credentials'.
#[test]
fn an_anonymous_request_to_clickhouse_is_refused() {
    let env = TestEnv::new("anonymous");
    env.run(&[
        "keys", "create", "--role", "ministry", "--label", "Minister",
    ]);
    let anonymous = |database: &str, sql: &str| {
        let out = Command::new("curl")
            .args(["-sS", "-w", "\n%{http_code}", "--data-binary", sql])
            .arg(format!("{CLICKHOUSE_URL}/?database={database}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.to_owned(), body.to_owned())
    };
    let app = env.app_db();
    for (database, sql) in [
        (app.as_str(), "SELECT key_id, secret_sha256 FROM api_keys"),
        (
            app.as_str(),
            "INSERT INTO api_keys (key_id, secret_sha256, role, bin, created_at, revoked) VALUES ('x', 'y', 'ministry', '', now(), 0)",
        ),
        (env.database.as_str(), "SELECT count() FROM ticket_events"),
    ] {
        let (code, body) = anonymous(database, sql);
        assert_ne!(code, "200", "{sql} answered anonymously: {body}");
        assert!(body.contains("Password required for user default"), "{body}");
    }
    let default_password = &passwords()["EKINO_CH_DEFAULT_PASSWORD"];
    for (database, sql) in [
        (app.as_str(), "SELECT count() FROM api_keys"),
        (
            app.as_str(),
            "INSERT INTO api_keys (key_id, secret_sha256, role, bin, created_at, revoked) VALUES ('x', 'y', 'ministry', '', now(), 0)",
        ),
        (env.database.as_str(), "SELECT count() FROM ticket_events"),
        ("default", &format!("SELECT count() FROM {app}.api_keys")),
    ] {
        let body = refused(
            as_user("default", default_password, database, sql),
            &format!("default with its password: {sql}"),
        );
        assert!(body.contains("Code: 291"), "not refused for access: {body}");
    }
    assert_eq!(
        as_user(
            ADMIN_USER,
            admin_password(),
            &app,
            "SELECT count() FROM api_keys"
        )
        .unwrap()
        .trim(),
        "1",
        "the admin reads the one key"
    );
}
