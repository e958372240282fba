//! Claim decisions from two API processes at once (issue 10): approvals against a nearly
//! empty pool never overdraw it, and two decisions on one claim never collapse into one row.
//! Decisions are sequenced through a one-partition Kafka topic read by one decider (see
//! `api/core/src/decider.rs`); without that, both processes read the same committed sum.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const VENDOR: &str = "980340001119";
const PRODUCER: &str = "120840003334";

fn call(base: &str, method: &str, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "-X",
            method,
            &format!("{base}{path}"),
        ])
        .args([
            "-H",
            &format!("Authorization: Bearer {key}"),
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body.to_string(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[test]
fn two_api_processes_deciding_at_once_never_overdraw_a_pool_or_lose_a_step() {
    let env = TestEnv::new("claimsrace");
    let reg = env.dir.join("registry");
    std::fs::create_dir_all(&reg).unwrap();
    std::fs::write(
        reg.join("films.csv"),
        format!("film_id,title_kk,title_ru,title_en,release_date,producer_bin,distributor_bin,national,budget\nF1,Бір,Один,One,2026-09-01,{PRODUCER},{PRODUCER},true,1000000.00\n"),
    )
    .unwrap();
    env.run(&[
        "registry",
        "load",
        "--films",
        reg.join("films.csv").to_str().unwrap(),
    ]);
    let ministry = env
        .run(&[
            "keys",
            "create",
            "--role",
            "ministry",
            "--label",
            "Claims desk",
        ])
        .trim()
        .to_owned();

    let mut apis = Vec::new();
    let mut bases = Vec::new();
    for n in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut c = env.cmd();
        c.arg("api")
            .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "EKINO_API__AUDIT_SPOOL_DIR",
                env.dir.join(format!("spool-{n}")),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(env.dir.join(format!("api-{n}.log"))).unwrap());
        apis.push(Guard(c.spawn().unwrap()));
        let base = format!("http://127.0.0.1:{port}");
        assert!(
            wait_until(Duration::from_secs(60), || call(
                &base,
                "GET",
                "/healthz",
                "",
                &Value::Null
            )
            .0 == 200),
            "api {n} did not start"
        );
        bases.push(base);
    }

    // The kz programme requires a foreign applicant, registered by the ministry.
    let fa = json!({"name": "Race Films Ltd", "country": "GB", "registration_number": "GB-01", "films": ["F1"]});
    assert_eq!(
        call(&bases[0], "PUT", "/v1/applicants/FA-GB-1", &ministry, &fa).0,
        200
    );
    let producer = env
        .run(&[
            "keys",
            "create",
            "--role",
            "producer",
            "--applicant",
            "FA-GB-1",
        ])
        .trim()
        .to_owned();
    assert!(wait_until(Duration::from_secs(5), || call(
        &bases[0],
        "GET",
        "/v1/applicants/FA-GB-1",
        &producer,
        &Value::Null
    )
    .0 == 200));
    // Each kz claim qualifies 20 bn KZT and is capped at 1,000,000 MCI = 4,325,000,000; the
    // pool of 20 bn takes four (17.3 bn) and must refuse the fifth.
    let claim = |n: u32| {
        // The shared fixture, filed by this test's British applicant.
        let mut c = kz_claim(n, "F1", VENDOR);
        c["claim"]["production"]["applicant_country"] = json!("GB");
        c
    };
    let ids: Vec<String> = (0..6)
        .map(|n| {
            let (status, v) = call(&bases[0], "POST", "/v1/claims", &producer, &claim(n));
            assert_eq!(
                (status, v["rebate"].as_str()),
                (200, Some("4325000000")),
                "{v}"
            );
            v["claim_id"].as_str().unwrap().to_owned()
        })
        .collect();

    // Five approvals and two rejections of the sixth claim, all at once, alternating between
    // the two processes.
    let mut jobs: Vec<(String, String, Value)> = ids[..5]
        .iter()
        .map(|id| {
            (
                id.clone(),
                "approve".to_owned(),
                json!({"decision": "approve"}),
            )
        })
        .collect();
    for r in ["duplicate filing", "incomplete spend report"] {
        jobs.push((
            ids[5].clone(),
            "reject".into(),
            json!({"decision": "reject", "reason": r}),
        ));
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(jobs.len()));
    let handles: Vec<_> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, (id, kind, body))| {
            let (base, key, barrier) = (bases[i % 2].clone(), ministry.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let (status, v) = call(
                    &base,
                    "POST",
                    &format!("/v1/claims/{id}/decision"),
                    &key,
                    &body,
                );
                (kind, status, v)
            })
        })
        .collect();
    let results: Vec<(String, u16, Value)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let summary: Vec<(String, u16, String)> = results
        .iter()
        .map(|(k, s, v)| {
            (
                k.clone(),
                *s,
                v["status"]
                    .as_str()
                    .or(v["detail"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let approvals: Vec<&(String, u16, Value)> =
        results.iter().filter(|r| r.0 == "approve").collect();
    let approved = approvals.iter().filter(|r| r.1 == 200).count();
    let refused: Vec<&&(String, u16, Value)> = approvals.iter().filter(|r| r.1 == 409).collect();
    assert_eq!((approved, refused.len()), (4, 1), "{summary:?}");
    assert!(
        refused[0].2["detail"]
            .as_str()
            .unwrap()
            .contains("overdraw the annual pool"),
        "{:?}",
        refused[0]
    );
    let rejections: Vec<u16> = results
        .iter()
        .filter(|r| r.0 == "reject")
        .map(|r| r.1)
        .collect();
    let mut sorted = rejections.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![200, 409],
        "one rejection applies, the other finds the claim rejected: {summary:?}"
    );

    // What is stored: 17.3 bn committed, and the rejected claim has exactly two steps.
    let year = chrono::Datelike::year(
        &chrono::Utc::now()
            .with_timezone(&schemas::time::kz_offset())
            .date_naive(),
    );
    let (status, pools) = call(
        &bases[1],
        "GET",
        &format!("/v1/rebates/pools?year={year}"),
        &ministry,
        &Value::Null,
    );
    assert_eq!(status, 200, "{pools}");
    let kz = pools["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["programme"] == "kz")
        .cloned()
        .unwrap();
    assert_eq!(kz["committed"].as_str(), Some("17300000000"), "{kz}");
    let (_, v) = call(
        &bases[0],
        "GET",
        &format!("/v1/claims/{}", ids[5]),
        &ministry,
        &Value::Null,
    );
    let history = v["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{v}");
    assert_eq!(history[1]["status"], "rejected");
    let stored = env.sql(&format!(
        "SELECT count() FROM {}.claim_events WHERE claim_id = '{}'",
        env.app_db(),
        ids[5]
    ));
    assert_eq!(stored.trim(), "2", "rows of the claim's steps");

    // A forged decision: valid JSON, a real claim, the real ministry key's id, produced
    // straight to the decisions topic by someone who can write there but holds no API
    // secret. It changes nothing and raises the alert; a real decision still applies.
    let (_, fresh) = call(&bases[0], "POST", "/v1/claims", &producer, &claim(7));
    let target = fresh["claim_id"].as_str().unwrap().to_owned();
    let key_id = history[1]["key_id"].as_str().unwrap().to_owned();
    assert!(!key_id.is_empty(), "{v}");
    let forged = json!({
        "request_id": "f0f0f0f0-0000-4000-8000-000000000001", "claim_id": target,
        "decision": "approve", "reason": null, "as_of": null,
        "key_id": key_id, "role": "ministry", "mac": "00".repeat(32),
    });
    let unsigned = json!({
        "request_id": "f0f0f0f0-0000-4000-8000-000000000002", "claim_id": target,
        "decision": "approve", "key_id": key_id, "role": "ministry",
    });
    {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let p: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", BROKERS)
            .create()
            .unwrap();
        let topic = format!("{}.decisions", env.name);
        for m in [&forged, &unsigned] {
            p.send(
                BaseRecord::to(&topic)
                    .key(target.as_bytes())
                    .payload(&m.to_string()),
            )
            .map_err(|(e, _)| e)
            .unwrap();
        }
        p.flush(Duration::from_secs(10)).unwrap();
    }
    let logs = || {
        (0..2)
            .map(|n| {
                std::fs::read_to_string(env.dir.join(format!("api-{n}.log"))).unwrap_or_default()
            })
            .collect::<String>()
    };
    assert!(
        wait_until(Duration::from_secs(30), || logs()
            .matches("a claim decision without a valid signature was refused")
            .count()
            == 2),
        "the decider raised no alert for the forged decisions"
    );
    let (_, now) = call(
        &bases[1],
        "GET",
        &format!("/v1/claims/{target}"),
        &ministry,
        &Value::Null,
    );
    assert_eq!(
        now["status"], "submitted",
        "a forged decision applied: {now}"
    );
    assert_eq!(
        env.sql(&format!(
            "SELECT count() FROM {}.claim_decisions WHERE claim_id = '{target}'",
            env.app_db()
        ))
        .trim(),
        "0",
        "no outcome stored for a forged request"
    );
    let (status, real) = call(
        &bases[1],
        "POST",
        &format!("/v1/claims/{target}/decision"),
        &ministry,
        &json!({"decision": "reject", "reason": "filed twice"}),
    );
    assert_eq!(
        (status, real["status"].as_str()),
        (200, Some("rejected")),
        "{real}"
    );
    // Its producer sees who decided, not which ministry key.
    let (_, seen) = call(
        &bases[0],
        "GET",
        &format!("/v1/claims/{target}"),
        &producer,
        &Value::Null,
    );
    let step = &seen["history"][1];
    assert_eq!(
        (step["by"].as_str(), step["key_id"].as_str()),
        (Some("Claims desk"), Some("")),
        "{seen}"
    );
    assert_eq!(
        real["history"][1]["key_id"].as_str(),
        Some(key_id.as_str()),
        "the ministry sees its key"
    );
    drop(apis);
}
