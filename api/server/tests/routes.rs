//! Handler-level tests with `warp::test`: no services needed, because every request here is
//! answered before any query runs (refusals, bad parameters, the route table itself).

use std::sync::Arc;

use api_core::audit::AuditSink;
use api_core::auth::{self, KeyStore, Role};
use api_core::config::ApiSettings;
use api_core::metrics::ApiMetrics;
use api_core::ratelimit::RateLimiter;
use api_core::state::AppState;
use api_json::openapi::{example_bin, RouteDoc, ROUTES};
use serde_json::Value;

fn app(rate_per_minute: u32) -> (Arc<AppState>, Vec<(Role, String)>) {
    let (state, tokens, _audit) = app_audited(rate_per_minute);
    (state, tokens)
}

/// [`app`] with the receiving end of its audit log.
fn app_audited(
    rate_per_minute: u32,
) -> (
    Arc<AppState>,
    Vec<(Role, String)>,
    tokio::sync::mpsc::Receiver<api_core::audit::AuditRow>,
) {
    app_with(rate_per_minute, ApiSettings::default())
}

/// [`app_audited`] with these settings.
fn app_with(
    rate_per_minute: u32,
    settings: ApiSettings,
) -> (
    Arc<AppState>,
    Vec<(Role, String)>,
    tokio::sync::mpsc::Receiver<api_core::audit::AuditRow>,
) {
    let bin = schemas::Bin::parse(example_bin()).unwrap();
    let other = schemas::Bin::parse("050440002227").unwrap();
    let mut rows = Vec::new();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let b = match role {
            Role::Cinema => Some(&bin),
            Role::Producer => Some(&other),
            _ => None,
        };
        let (t, r) = auth::generate(role, b, 0);
        rows.push(r);
        tokens.push((role, t));
    }
    let (sink, rx) = AuditSink::new(1000);
    let state = AppState {
        // Nothing answers here: a test that reached a query would get 503, not pass.
        ch: clickhouse::Client::default().with_url("http://127.0.0.1:1"),
        app: clickhouse::Client::default().with_url("http://127.0.0.1:1"),
        app_db: "nowhere_app".into(),
        keys: KeyStore::from_rows(rows),
        sessions: api_core::sessions::Sessions::new(std::time::Duration::from_secs(1)),
        limiter: RateLimiter::new(rate_per_minute),
        guards: api_core::guards::Guards::new(&ApiSettings {
            public_rate_limit_per_minute: rate_per_minute,
            ..settings.clone()
        })
        .unwrap(),
        settings,
        programmes: rebate_engine::builtin::programmes().unwrap(),
        fx: rebate_engine::builtin::fx(),
        estimate_fx: api_core::fx::EstimateFx::new(std::time::Duration::from_secs(3600)),
        index: rebate_engine::builtin::index(),
        producer: None,
        sessions_producer: None,
        partner_producer: None,
        metrics: ApiMetrics::new(&sink),
        spool: api_core::spool::Spool::open(
            &std::env::temp_dir().join(format!("ekino-routes-spool-{}", std::process::id())),
            1 << 20,
        )
        .unwrap(),
        audit: sink,
        refusals: Default::default(),
        decision_queue: None,
        decisions: tokio::sync::Mutex::new(()),
        registry: api_core::reports::registry::RegistryCache::new(std::time::Duration::ZERO),
        chart_cache: api_core::reports::chart::ChartCache::new(std::time::Duration::ZERO),
        reporting_cache: api_core::reports::chart::ReportingCache::new_uncapped(
            api_core::reports::chart::REPORTING_TTL,
        ),
        as_of_cache: api_core::reports::chart::AsOfCache::new(std::time::Duration::ZERO),
        seats_cache: api_core::reports::occupancy::SeatsCache::new(std::time::Duration::ZERO),
        scorecard_cache: api_core::reports::cache::TtlCache::new(std::time::Duration::ZERO).into(),
        signals_cache: api_core::reports::cache::TtlCache::new(std::time::Duration::ZERO).into(),
        signals_flight: tokio::sync::Mutex::new(()),
        scorecard_flight: Default::default(),
        reporting: schemas::clock::ReportingSettings::default(),
        clock: schemas::clock::Clock::System,
    };
    (Arc::new(state), tokens, rx)
}

fn token(tokens: &[(Role, String)], role: Role) -> String {
    tokens.iter().find(|(r, _)| *r == role).unwrap().1.clone()
}

fn request(r: &RouteDoc, token: Option<&str>) -> warp::test::RequestBuilder {
    let mut req = warp::test::request()
        .method(&r.method.to_uppercase())
        .path(r.example);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if r.method != "get" {
        req = req.header("content-length", "2").body("{}");
    }
    req
}

#[tokio::test]
async fn every_refused_role_gets_404_and_no_key_gets_401() {
    let (state, tokens) = app(10_000);
    let routes = api_server::routes(state);
    let mut checked = 0;
    for r in ROUTES.iter().filter(|r| !r.roles.is_empty()) {
        let resp = request(r, None).reply(&routes).await;
        assert_eq!(resp.status(), 401, "{} {} without a key", r.method, r.path);
        let resp = request(r, Some("ek_000000000000_bad")).reply(&routes).await;
        assert_eq!(
            resp.status(),
            401,
            "{} {} with an unknown key",
            r.method,
            r.path
        );
        for (role, token) in &tokens {
            if r.roles.contains(&role.as_str()) {
                continue;
            }
            let resp = request(r, Some(token)).reply(&routes).await;
            assert_eq!(
                resp.status(),
                404,
                "{} {} must refuse {:?}",
                r.method,
                r.path,
                role
            );
            assert_eq!(resp.headers()["content-type"], "application/problem+json");
            assert_eq!(
                resp.headers()
                    .get("cache-control")
                    .map(|v| v.to_str().unwrap()),
                Some("no-store"),
                "{} {}: a reply to a key is never cached",
                r.method,
                r.path
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "role matrix covers {checked} refusals");
}

#[tokio::test]
async fn a_cinema_asking_for_another_cinema_gets_404() {
    let (state, tokens) = app(10_000);
    let routes = api_server::routes(state);
    let cinema = token(&tokens, Role::Cinema);
    for path in [
        "/v1/cinemas/050440002227/reporting?from=2026-11-01&to=2026-11-02",
        "/v1/cinemas/050440002227/rejected",
    ] {
        let resp = warp::test::request()
            .path(path)
            .header("authorization", format!("Bearer {cinema}"))
            .reply(&routes)
            .await;
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_a_400_naming_them() {
    let (state, tokens) = app(10_000);
    let routes = api_server::routes(state);
    let resp = warp::test::request()
        .path("/v1/box-office/daily?date=2026-11-21&cinema=1")
        .reply(&routes)
        .await;
    assert_eq!(resp.status(), 400);
    let body: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["field"].as_str()),
        (Some(400), Some("cinema"))
    );
    let resp = warp::test::request()
        .path("/v1/box-office/daily?date=21.11.2026")
        .reply(&routes)
        .await;
    let body: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(body["field"], "date");
    let ministry = token(&tokens, Role::Ministry);
    let resp = warp::test::request()
        .path("/v1/box-office/films?from=2026-01-01&to=2027-06-01")
        .header("authorization", format!("Bearer {ministry}"))
        .reply(&routes)
        .await;
    let body: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(
        (resp.status().as_u16(), body["field"].as_str()),
        (400, Some("to")),
        "ranges are at most 366 days"
    );
}

#[tokio::test]
async fn every_documented_route_is_routed() {
    let (state, _) = app(10_000);
    let routes = api_server::routes(state);
    let doc: Value = serde_json::from_slice(
        warp::test::request()
            .path("/openapi.json")
            .reply(&routes)
            .await
            .body(),
    )
    .unwrap();
    for r in ROUTES {
        assert!(
            doc["paths"][r.path][r.method].is_object(),
            "{} {} in the openapi document",
            r.method,
            r.path
        );
        // A protected route answers 401 without a key (an unknown path would be 404); a
        // public one answers anything but 404.
        let status = request(r, None).reply(&routes).await.status();
        if r.roles.is_empty() {
            assert_ne!(status, 404, "{} {} is routed", r.method, r.path);
        } else {
            assert_eq!(status, 401, "{} {} is routed", r.method, r.path);
        }
    }
    assert_eq!(
        warp::test::request()
            .path("/v1/nothing")
            .reply(&routes)
            .await
            .status(),
        404
    );
}

fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

/// The other direction: on every documented path, each method the document does not give it
/// is a 405 (not a 404, not an answer), so the server answers nothing the document omits.
#[tokio::test]
async fn an_undocumented_method_on_a_documented_path_is_a_405() {
    let (state, tokens) = app(10_000);
    let routes = api_server::routes(state);
    let ministry = token(&tokens, Role::Ministry);
    let doc = api_json::openapi::document();
    let mut checked = 0;
    for r in ROUTES {
        let path = r.example.split('?').next().unwrap();
        for method in ["get", "put", "post", "delete", "patch"] {
            // Documented if any documented template of this method matches the path (e.g.
            // PUT /v1/cinemas/reporting is PUT /v1/cinemas/{bin} with a bad BIN).
            let documented = doc["paths"]
                .as_object()
                .unwrap()
                .iter()
                .any(|(template, ops)| ops.get(method).is_some() && matches(template, path));
            if documented {
                continue;
            }
            let resp = warp::test::request()
                .method(&method.to_uppercase())
                .path(r.example)
                .header("authorization", format!("Bearer {ministry}"))
                .header("content-length", "2")
                .body("{}")
                .reply(&routes)
                .await;
            assert_eq!(
                resp.status(),
                405,
                "{} {} is not documented",
                method,
                r.path
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

#[tokio::test]
async fn estimate_compares_programmes_without_a_key() {
    let (state, _) = app(10_000);
    let routes = api_server::routes(state);
    let body = include_str!("../../../rebate-engine/examples/estimate-steppe-light.json");
    let resp = warp::test::request()
        .method("POST")
        .path("/v1/rebates/estimate?compare=kz,ge,uz")
        .header("content-length", body.len().to_string())
        .body(body)
        .reply(&routes)
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    let v: Value = serde_json::from_slice(resp.body()).unwrap();
    let ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["programme"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["kz", "ge", "uz"]);
    assert_eq!(v["currency"], "USD");
    assert_eq!(
        v["index_carried_forward"],
        serde_json::json!([]),
        "2026's MCI is published"
    );
    // A shoot in 2027, past the last published MCI (2026: 4,325): the estimate uses 2026's
    // value and says so, in a comparison and in a single estimate; a claim would refuse.
    let future = body
        .replace("2026-09-01", "2027-09-01")
        .replace("2026-03-01", "2027-03-01")
        .replace("2026-08-31", "2027-08-31");
    let carried =
        serde_json::json!([{"index": "MCI", "year": 2027, "from_year": 2026, "value": "4325"}]);
    for q in ["?compare=kz,uz", "?programme=kz"] {
        let body = if q.contains("programme") {
            future.replacen('{', "{\"programme\": \"kz\", ", 1)
        } else {
            future.clone()
        };
        let path = format!(
            "/v1/rebates/estimate{}",
            if q.contains("compare") { q } else { "" }
        );
        let resp = warp::test::request()
            .method("POST")
            .path(&path)
            .header("content-length", body.len().to_string())
            .body(body)
            .reply(&routes)
            .await;
        let v: Value = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(
            (resp.status().as_u16(), &v["index_carried_forward"]),
            (200, &carried),
            "{q}: {v}"
        );
    }
    let bad = warp::test::request()
        .method("POST")
        .path("/v1/rebates/estimate")
        .header("content-length", "2")
        .body("{}")
        .reply(&routes)
        .await;
    let b: Value = serde_json::from_slice(bad.body()).unwrap();
    assert_eq!(bad.status(), 400, "{b}");
    assert!(b["field"].is_string() && b["reason"].is_string(), "{b}");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let (state, tokens) = app(2);
    let routes = api_server::routes(state);
    let commission = token(&tokens, Role::Commission);
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let resp = warp::test::request()
            .path("/v1/roi/summary")
            .header("authorization", format!("Bearer {commission}"))
            .reply(&routes)
            .await;
        statuses.push(resp.status().as_u16());
        last = Some(resp);
    }
    // Two allowed (refused by role: 404), the third rate-limited.
    assert_eq!(statuses, [404, 404, 429]);
    assert!(
        last.unwrap().headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn compare_names_each_programme_at_most_once() {
    let (state, _) = app(10_000);
    let programmes = state.programmes.len();
    let every: Vec<String> = state.programmes.iter().map(|p| p.id.clone()).collect();
    let routes = api_server::routes(state);
    let body = include_str!("../../../rebate-engine/examples/estimate-steppe-light.json");
    let post = |q: String| {
        warp::test::request()
            .method("POST")
            .path(&format!("/v1/rebates/estimate?compare={q}"))
            .header("content-length", body.len().to_string())
            .body(body)
    };
    let twice = post("kz,ge,kz".into()).reply(&routes).await;
    let v: Value = serde_json::from_slice(twice.body()).unwrap();
    assert_eq!(
        (twice.status().as_u16(), v["field"].as_str()),
        (400, Some("compare")),
        "{v}"
    );
    assert!(v["reason"].as_str().unwrap().contains("kz twice"), "{v}");
    // The bomb: one anonymous request naming a programme thousands of times.
    let bomb = post(vec!["kz"; 5_000].join(",")).reply(&routes).await;
    let v: Value = serde_json::from_slice(bomb.body()).unwrap();
    assert_eq!(
        (bomb.status().as_u16(), v["field"].as_str()),
        (400, Some("compare")),
        "{v}"
    );
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("there are {programmes}")),
        "{v}"
    );
    let all = post(every.join(",")).reply(&routes).await;
    assert_eq!(
        all.status(),
        200,
        "every programme once: {}",
        String::from_utf8_lossy(all.body())
    );
}

#[tokio::test]
async fn public_routes_are_limited_per_address_and_health_is_not() {
    let (state, _) = app(2);
    let routes = api_server::routes(state);
    let from = |ip: &str| std::net::SocketAddr::new(ip.parse().unwrap(), 50000);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = warp::test::request()
            .path("/v1/rebates/programmes")
            .remote_addr(from("198.51.100.7"))
            .reply(&routes)
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(
                r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let other = warp::test::request()
        .path("/v1/rebates/programmes")
        .remote_addr(from("198.51.100.8"))
        .reply(&routes)
        .await;
    assert_eq!(other.status(), 200, "another address has its own budget");
    // A forwarded-for header from an untrusted peer changes nothing.
    let spoofed = warp::test::request()
        .path("/v1/rebates/programmes")
        .remote_addr(from("198.51.100.7"))
        .header("x-forwarded-for", "192.0.2.1")
        .reply(&routes)
        .await;
    assert_eq!(spoofed.status(), 429);
    for _ in 0..5 {
        let h = warp::test::request()
            .path("/healthz")
            .remote_addr(from("198.51.100.7"))
            .reply(&routes)
            .await;
        assert_ne!(h.status(), 429, "monitoring is never rate-limited");
        let m = warp::test::request()
            .path("/metrics")
            .remote_addr(from("198.51.100.7"))
            .reply(&routes)
            .await;
        assert_eq!(m.status(), 200);
    }
}

#[tokio::test]
async fn refusals_are_audited_with_key_and_address_and_anonymous_ones_tallied() {
    let (state, tokens, mut audit) = app_audited(2);
    let routes = api_server::routes(state.clone());
    let from = std::net::SocketAddr::new("198.51.100.9".parse().unwrap(), 50000);
    let commission = token(&tokens, Role::Commission);
    let cinema = token(&tokens, Role::Cinema);
    let get = |path: &str, key: Option<&str>| {
        let mut r = warp::test::request().path(path).remote_addr(from);
        if let Some(k) = key {
            r = r.header("authorization", format!("Bearer {k}"));
        }
        r
    };
    // Outside its scope (the handler's 404), then over its rate limit (429, before any handler).
    assert_eq!(
        get("/v1/roi/summary", Some(&commission))
            .reply(&routes)
            .await
            .status(),
        404
    );
    assert_eq!(
        get("/v1/roi/summary", Some(&commission))
            .reply(&routes)
            .await
            .status(),
        404
    );
    assert_eq!(
        get("/v1/roi/summary", Some(&commission))
            .reply(&routes)
            .await
            .status(),
        429
    );
    // Too large a body for a valid key (413).
    let big = "x".repeat(9 * 1024 * 1024);
    let r = warp::test::request()
        .method("POST")
        .path("/v1/tickets")
        .remote_addr(from)
        .header("authorization", format!("Bearer {cinema}"))
        .body(big)
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 413);
    // No valid key: 401s, tallied per address and minute, not one record each.
    for _ in 0..5 {
        assert_eq!(
            get("/v1/roi/summary", Some("ek_000000000000_nope"))
                .reply(&routes)
                .await
                .status(),
            401
        );
    }
    let mut rows = Vec::new();
    while let Ok(r) = audit.try_recv() {
        rows.push(r);
    }
    let statuses: Vec<(u16, &str, &str)> = rows
        .iter()
        .map(|r| (r.status, r.role.as_str(), r.client.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (404, "commission", "198.51.100.9"),
            (404, "commission", "198.51.100.9"),
            (429, "commission", "198.51.100.9"),
            (413, "cinema", "198.51.100.9")
        ],
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| !r.key_id.is_empty()));
    let now = u32::try_from(chrono::Utc::now().timestamp()).unwrap();
    let tallied = state.refusals.flush_before(now + 120);
    assert_eq!(tallied.len(), 1, "{tallied:?}");
    assert_eq!(
        (
            tallied[0].status,
            tallied[0].rows,
            tallied[0].client.as_str(),
            tallied[0].key_id.as_str()
        ),
        (401, 5, "198.51.100.9", "")
    );
}

#[tokio::test]
async fn with_the_audit_spool_full_writes_are_refused_and_reads_go_on() {
    let (state, tokens, _audit) = app_audited(10_000);
    let row = api_core::audit::AuditRow {
        at: 0,
        key_id: "k".into(),
        role: "ministry".into(),
        method: "GET".into(),
        path: "/".into(),
        query: "x".repeat(2 << 20),
        status: 200,
        rows: 0,
        latency_ms: 0,
        client: String::new(),
    };
    assert!(
        !state.spool.append(&[row]).unwrap(),
        "larger than the spool"
    );
    assert!(state.spool.is_full());
    let routes = api_server::routes(state);
    let ministry = token(&tokens, Role::Ministry);
    let write = warp::test::request()
        .method("PUT")
        .path("/v1/cinemas/980340001119")
        .header("authorization", format!("Bearer {ministry}"))
        .header("content-length", "2")
        .body("{}")
        .reply(&routes)
        .await;
    let v: Value = serde_json::from_slice(write.body()).unwrap();
    assert_eq!(
        (write.status().as_u16(), v["type"].as_str()),
        (503, Some("https://ekino.kz/problems/audit-unavailable")),
        "{v}"
    );
    let read = warp::test::request()
        .path("/v1/rebates/programmes")
        .reply(&routes)
        .await;
    assert_eq!(read.status(), 200, "reads go on");
}

#[tokio::test]
async fn with_the_audit_spool_full_every_web_form_is_refused_before_anything_is_read() {
    let (state, _tokens, _audit) = app_audited(10_000);
    let row = api_core::audit::AuditRow {
        at: 0,
        key_id: "k".into(),
        role: "ministry".into(),
        method: "GET".into(),
        path: "/".into(),
        query: "x".repeat(2 << 20),
        status: 200,
        rows: 0,
        latency_ms: 0,
        client: String::new(),
    };
    assert!(!state.spool.append(&[row]).unwrap());
    let routes = api_server::routes(state);
    // Every form that changes something, in each language; a session cookie that exists
    // nowhere (the refusal comes before it is looked up), a token, a field.
    let forms = [
        "sign-in",
        "ministry/claims/CL-1/decision",
        "ministry/people/issue",
        "ministry/registry/fx",
        "ministry/registry/cinema/980340001119",
        "producer/claim",
        "cinema/void",
        "commission/estimates",
    ];
    for lang in ["kk", "ru", "en"] {
        for form in forms {
            let resp = warp::test::request()
                .method("POST")
                .path(&format!("/{lang}/{form}"))
                .header("cookie", "ekino_session=nothing; ekino_csrf=t")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("csrf=t&key=x")
                .reply(&routes)
                .await;
            let body = String::from_utf8_lossy(resp.body()).into_owned();
            assert_eq!(resp.status(), 503, "/{lang}/{form}: {body}");
            let words = match lang {
                "kk" => "аудит журналына",
                "ru" => "журнал аудита",
                _ => "audit log",
            };
            assert!(body.contains(words), "/{lang}/{form}: {body}");
        }
    }
    // The upload form too (multipart).
    let resp = warp::test::request()
        .method("POST")
        .path("/en/cinema/upload")
        .header("cookie", "ekino_session=nothing")
        .header("content-type", "multipart/form-data; boundary=X")
        .body("--X\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt\r\n--X--\r\n")
        .reply(&routes)
        .await;
    assert_eq!(resp.status(), 503);
}

/// The document is valid OpenAPI 3.1, checked by a real validator (PyPI
/// `openapi-spec-validator`, installed by scripts/test.sh), and every schema it references
/// is defined. It is also written to target/openapi.json for the schemathesis run.
#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = api_json::openapi::document();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/openapi.json");
    std::fs::write(&out, &text).unwrap();
    let pattern = "\"$ref\": \"#/components/schemas/";
    for (at, _) in text.match_indices(pattern) {
        let name: String = text[at + pattern.len()..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        assert!(
            doc["components"]["schemas"][&name].is_object(),
            "{name} is referenced but not defined"
        );
    }
    let v = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&out)
        .output()
        .expect("python3");
    assert!(
        v.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// The web pages ride on the same server: `/` sends a visitor to its language, a page carries
/// the strict CSP and its language, assets are served from the binary, another first segment
/// is not a page, and a page whose store is away says so in the page's language (503).
#[tokio::test]
async fn web_pages_negotiate_language_and_carry_their_headers() {
    let (state, _) = app(10_000);
    let routes = api_server::routes(state);
    for (accept, to) in [
        (None, "/kk/box-office"),
        (Some("ru-RU,ru;q=0.9"), "/ru/box-office"),
        (Some("en-GB,en;q=0.8"), "/en/box-office"),
        (Some("de"), "/kk/box-office"),
    ] {
        let mut req = warp::test::request().path("/");
        if let Some(a) = accept {
            req = req.header("accept-language", a);
        }
        let r = req.reply(&routes).await;
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["location"].to_str().unwrap()
            ),
            (303, to),
            "{accept:?}"
        );
    }
    for (lang, words) in [
        ("kk", "Деректер қоймасы жауап бермеді"),
        ("ru", "Хранилище данных не ответило"),
        ("en", "The data store did not answer"),
    ] {
        // Unknown and empty parameters are ignored by pages (GET forms send them).
        let r = warp::test::request()
            .path(&format!("/{lang}/box-office?date=2026-11-21&region=&utm=x"))
            .reply(&routes)
            .await;
        let body = String::from_utf8_lossy(r.body()).into_owned();
        assert_eq!(
            r.status(),
            503,
            "{lang}: nothing answers for ClickHouse here"
        );
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{lang}"
        );
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'"),
            "{lang}"
        );
        assert_eq!(r.headers()["content-language"], lang);
        assert!(
            body.contains(&format!("<html lang=\"{lang}\">")) && body.contains(words),
            "{lang}: {body}"
        );
        assert!(
            !body.contains("127.0.0.1:1") && !body.contains("error trying to connect"),
            "{lang}: no store text in a page"
        );
    }
    let r = warp::test::request()
        .path("/ru/box-office?date=2026-13-40")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        String::from_utf8_lossy(r.body())
            .contains("date: должно быть датой (ГГГГ-ММ-ДД), а не «2026-13-40»"),
        "the refusal in the page's language"
    );
    assert_eq!(
        warp::test::request()
            .path("/xx/box-office")
            .reply(&routes)
            .await
            .status(),
        404
    );
    let css = warp::test::request()
        .path("/assets/ekino.css")
        .reply(&routes)
        .await;
    assert_eq!(
        (
            css.status().as_u16(),
            css.headers()["content-type"].to_str().unwrap()
        ),
        (200, "text/css; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(css.body()).contains("noto-sans-cyrillic-ext-400-normal.woff2"));
    let font = warp::test::request()
        .path("/assets/vendor/noto-sans-latin-ext-400-normal.woff2")
        .reply(&routes)
        .await;
    assert_eq!(
        (
            font.status().as_u16(),
            font.headers()["content-type"].to_str().unwrap()
        ),
        (200, "font/woff2")
    );
    assert_eq!(
        warp::test::request()
            .path("/assets/../Cargo.toml")
            .reply(&routes)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn rebate_pages_compare_the_steppe_light_example_in_every_language() {
    let (state, _) = app(10_000);
    let routes = api_server::routes(state);
    // Steppe Light in Kazakhstan, worked by hand: local qualifying spend 2,000,000 USD;
    // 20 % + 5 (25 of 40 days outside Almaty and Astana) + 5 (Kazakhstan as itself) = 30 %
    // = USD 600,000.00; no cap reached (80 % of the budget is 2,400,000).
    for (lang, rebate, name) in [
        (
            "kk",
            "600\u{a0}000,00\u{a0}USD",
            "Қазақстан өндірістік өтемі",
        ),
        (
            "ru",
            "600\u{a0}000,00\u{a0}USD",
            "Возврат затрат Казахстана",
        ),
        ("en", "USD\u{a0}600,000.00", "Kazakhstan production rebate"),
    ] {
        let r = warp::test::request()
            .path(&format!("/{lang}/rebates/estimate?utm=1"))
            .reply(&routes)
            .await;
        let body = String::from_utf8_lossy(r.body()).into_owned();
        assert_eq!(r.status(), 200, "{lang}: {body}");
        assert!(
            body.contains(&format!("<html lang=\"{lang}\">")) && body.contains(name),
            "{lang}"
        );
        for p in ["kz", "ge", "uz", "hu", "pl"] {
            assert!(
                body.contains(&format!("data-programme=\"{p}\"")),
                "{lang}: {p} compared"
            );
        }
        let kz_row = body
            .split("data-programme=\"kz\"")
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(kz_row.contains(rebate), "{lang}: {kz_row}");
        let brief = warp::test::request()
            .path(&format!("/{lang}/rebates/brief"))
            .reply(&routes)
            .await;
        let b = String::from_utf8_lossy(brief.body()).into_owned();
        assert_eq!(brief.status(), 200, "{lang}");
        assert!(
            b.contains(rebate) && b.contains("class=\"chart checklist\""),
            "{lang}: the briefing has the figure and the checklist"
        );
        for page in ["rebates", "glossary"] {
            let r = warp::test::request()
                .path(&format!("/{lang}/{page}"))
                .reply(&routes)
                .await;
            assert_eq!(r.status(), 200, "{lang} {page}");
            assert!(String::from_utf8_lossy(r.body()).contains(&format!("<html lang=\"{lang}\">")));
        }
    }
    // Two languages side by side: the page's, then lang2's, each in its own words and figures;
    // the PDF link keeps the pair; lang2 naming the page's own language (or none) is one.
    let r = warp::test::request()
        .path("/ru/rebates/brief?lang2=kk")
        .reply(&routes)
        .await;
    let b = String::from_utf8_lossy(r.body()).into_owned();
    assert_eq!(r.status(), 200);
    let ru = b
        .split("<article class=\"brief\" lang=\"ru\">")
        .nth(1)
        .expect("a Russian column")
        .split("</article>")
        .next()
        .unwrap();
    let kk = b
        .split("<article class=\"brief\" lang=\"kk\">")
        .nth(1)
        .expect("a Kazakh column")
        .split("</article>")
        .next()
        .unwrap();
    assert!(
        ru.contains("Возврат затрат Казахстана") && !ru.contains("Қазақстан өндірістік өтемі"),
        "{ru}"
    );
    assert!(
        kk.contains("Қазақстан өндірістік өтемі") && kk.contains("600\u{a0}000,00\u{a0}USD"),
        "{kk}"
    );
    assert!(
        b.contains("print-wide.css") && b.contains("lang2=kk&#38;format=pdf"),
        "landscape print, and the PDF of the pair"
    );
    for one in [
        "/ru/rebates/brief?lang2=ru",
        "/ru/rebates/brief?lang2=xx",
        "/ru/rebates/brief",
    ] {
        let b =
            String::from_utf8_lossy(warp::test::request().path(one).reply(&routes).await.body())
                .into_owned();
        assert_eq!(b.matches("<article class=\"brief\"").count(), 1, "{one}");
        assert!(!b.contains("print-wide.css"), "{one}");
    }
    // A shoot past the last published MCI and the last exchange rate (2026-07-01 in the
    // indicative table): the page says which values stand in for the missing ones.
    let r = warp::test::request().path("/en/rebates/estimate?total=3000000&currency=USD&kind=feature&title=Later&applicant_country=US&registered_on=2027-03-01&completed_on=2027-08-31&as_of=2027-09-01&days_total=40&days_outside=25&local.crew_wages=2000000&compare=kz&compare=uz").reply(&routes).await;
    let body = String::from_utf8_lossy(r.body()).into_owned();
    assert_eq!(r.status(), 200, "{body}");
    assert!(
        body.contains(
            "MCI for 2027 is not published yet: the latest, 2026&#39;s ₸4,325.00, is used"
        ),
        "{body}"
    );
    assert!(
        body.contains("the latest rates known, of 1 Jul 2026, are used for later dates"),
        "{body}"
    );
    // A form field the engine refuses is named on the page by its label, with the reason in
    // the page's language and the form kept.
    let r = warp::test::request().path("/en/rebates/estimate?total=abc&currency=USD&kind=feature&title=T&applicant_country=US&registered_on=2026-03-01&completed_on=2026-08-31&local.crew_wages=10").reply(&routes).await;
    let body = String::from_utf8_lossy(r.body()).into_owned();
    assert_eq!(r.status(), 400);
    assert!(
        body.contains("Total budget: must be an amount like 1500000.00, not “abc”")
            && body.contains("value=\"abc\""),
        "{body}"
    );
    // Without Chromium the PDF is a 503 problem, never the HTML in its place.
    std::env::set_var("EKINO_CHROMIUM", "/nonexistent/chromium");
    let r = warp::test::request()
        .path("/kk/rebates/brief?format=pdf")
        .reply(&routes)
        .await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["content-type"].to_str().unwrap()
        ),
        (503, "application/problem+json")
    );
    // Hostile text is escaped.
    let r = warp::test::request().path("/en/rebates/estimate?total=1000&currency=USD&kind=feature&title=%3Cscript%3Ex&applicant_country=US&registered_on=2026-03-01&completed_on=2026-08-31&local.crew_wages=10").reply(&routes).await;
    assert!(!String::from_utf8_lossy(r.body()).contains("<script>x"));
}

#[tokio::test]
async fn a_reply_to_credentials_is_never_cached_and_an_asset_keeps_its_own() {
    let (state, tokens) = app(10_000);
    let routes = api_server::routes(state);
    let (_, token) = &tokens[0];
    fn cache<B>(resp: &warp::http::Response<B>) -> Option<String> {
        resp.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
    }
    // A key, a session cookie (valid or not: what it would show is nobody else's).
    let keyed = warp::test::request()
        .path("/v1/keys")
        .header("authorization", format!("Bearer {token}"))
        .reply(&routes)
        .await;
    assert_eq!(cache(&keyed).as_deref(), Some("no-store"));
    let signed = warp::test::request()
        .path("/en/ministry")
        .header("cookie", "ekino_session=0000")
        .reply(&routes)
        .await;
    assert_eq!(
        cache(&signed).as_deref(),
        Some("no-store"),
        "{}",
        signed.status()
    );
    // No credentials: the reply says what it says.
    let anonymous = warp::test::request().path("/healthz").reply(&routes).await;
    assert_ne!(cache(&anonymous).as_deref(), Some("no-store"));
    // A hashed asset is the same for everyone, signed in or not.
    let css = warp::test::request()
        .path("/assets/ekino.css")
        .header("cookie", "ekino_session=0000")
        .reply(&routes)
        .await;
    assert_eq!(
        cache(&css).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn over_tls_the_cookies_are_host_only_and_the_browser_is_told_to_stay_on_tls() {
    let (state, _tokens, _audit) = app_with(
        10_000,
        ApiSettings {
            trusted_proxies: vec!["127.0.0.1".into()],
            ..ApiSettings::default()
        },
    );
    let routes = api_server::routes(state);
    let proxy: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let form = |proto: &'static str| {
        warp::test::request()
            .path("/en/sign-in")
            .remote_addr(proxy)
            .header("x-forwarded-proto", proto)
    };
    let tls = form("https").reply(&routes).await;
    let set = tls.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("__Host-ekino_csrf=")
            && set.ends_with("; Path=/; HttpOnly; SameSite=Strict; Secure"),
        "{set}"
    );
    assert_eq!(
        tls.headers()["strict-transport-security"].to_str().unwrap(),
        "max-age=31536000"
    );
    let plain = form("http").reply(&routes).await;
    let set = plain.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("ekino_csrf=") && !set.contains("Secure"),
        "{set}"
    );
    assert!(!plain.headers().contains_key("strict-transport-security"));
    // Over TLS a cookie without the prefix (one a sibling subdomain could plant) is not
    // read: the double-submit check fails as if there were none.
    let planted = warp::test::request()
        .method("POST")
        .path("/en/sign-in")
        .remote_addr(proxy)
        .header("x-forwarded-proto", "https")
        .header("cookie", "ekino_csrf=planted")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=planted&key=ek_x_y")
        .reply(&routes)
        .await;
    assert_eq!(planted.status(), 403, "{:?}", planted.body());
    let own = warp::test::request()
        .method("POST")
        .path("/en/sign-in")
        .remote_addr(proxy)
        .header("x-forwarded-proto", "https")
        .header("cookie", "__Host-ekino_csrf=mine")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=mine&key=ek_x_y")
        .reply(&routes)
        .await;
    assert_ne!(
        own.status(),
        403,
        "the host cookie passes the check (the key is then refused)"
    );
}

#[tokio::test]
async fn requests_with_a_session_cookie_are_rate_limited_per_address_before_any_lookup() {
    let (state, _tokens, _audit) = app_with(
        10_000,
        ApiSettings {
            session_rate_limit_per_minute: 5,
            ..ApiSettings::default()
        },
    );
    let routes = api_server::routes(state);
    let from = |addr: &str, cookie: Option<&str>| {
        let mut r = warp::test::request()
            .path("/en/ministry")
            .remote_addr(addr.parse().unwrap());
        if let Some(c) = cookie {
            r = r.header("cookie", format!("ekino_session={c}"));
        }
        r
    };
    // Made-up cookies: each would cost a lookup (here storage is away: 503), five a minute.
    for i in 0..5 {
        let r = from("198.51.100.1:4000", Some(&format!("made-up-{i}")))
            .reply(&routes)
            .await;
        assert_ne!(r.status(), 429, "request {i}");
    }
    let sixth = from("198.51.100.1:4000", Some("made-up-5"))
        .reply(&routes)
        .await;
    assert_eq!(sixth.status(), 429);
    assert!(sixth.headers().contains_key("retry-after"));
    // Without a cookie nothing is looked up and nothing counted: the sign-in redirect.
    let visitor = from("198.51.100.1:4000", None).reply(&routes).await;
    assert_eq!(visitor.status(), 303);
    // Another address has its own count.
    let other = from("198.51.100.2:4000", Some("made-up-6"))
        .reply(&routes)
        .await;
    assert_ne!(other.status(), 429);
}
