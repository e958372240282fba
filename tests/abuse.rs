//! The API under abuse, on the real services through the real binary: a slow-header client is
//! cut off, a body that never finishes gets 408, connections past the limit are closed at
//! once, an over-long upload gets its bounded answer, a flood of 10,000 requests from one key
//! is refused past that key's limit while another key and `/healthz` are answered, and
//! `/healthz` answers 200 throughout (timings are BENCHMARKS.md's business; here only the
//! answers count).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

struct Api {
    base: String,
    addr: String,
    _child: Guard,
}

fn start(env: &TestEnv, extra: &[(&str, &str)]) -> Api {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut api = env.cmd();
    api.arg("api")
        .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(env.dir.join(format!("api-{port}.log"))).unwrap());
    for (k, v) in extra {
        api.env(k, v);
    }
    let child = Guard(api.spawn().unwrap());
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        addr: format!("127.0.0.1:{port}"),
        _child: child,
    };
    assert!(
        wait_until(Duration::from_secs(60), || healthz(&api) == 200),
        "api did not start"
    );
    api
}

fn healthz(api: &Api) -> u16 {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-m",
            "5",
            "-w",
            "%{http_code}",
            &format!("{}/healthz", api.base),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
fn read_to_close(s: &mut TcpStream, limit: Duration) -> Option<String> {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        Err(_) => None,
    }
}

/// One keep-alive exchange on a connection the caller keeps: sends a health check and reads
/// its whole reply (headers, then the body `Content-Length` says), leaving the connection
/// open. The reply proves the server accepted and is holding the connection.
fn exchange(s: &mut TcpStream) -> String {
    exchange_request(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
}

/// [`exchange`] of any request: its whole reply, the connection left open.
fn exchange_request(s: &mut TcpStream, request: &str) -> String {
    s.write_all(request.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= len {
                return text;
            }
        }
        let n = s.read(&mut buf).expect("the held connection answers");
        assert!(n > 0, "the held connection was closed: {text}");
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn slow_clients_and_floods_get_bounded_answers_and_health_stays_up() {
    let env = TestEnv::new("abuse");
    env.run(&["migrate"]);
    let cinema = env
        .run(&[
            "keys",
            "create",
            "--role",
            "cinema",
            "--bin",
            "980340001119",
        ])
        .trim()
        .to_owned();
    let api = start(
        &env,
        &[
            ("EKINO_API__HEADER_TIMEOUT_MS", "1000"),
            ("EKINO_API__BODY_TIMEOUT_MS", "1000"),
            ("EKINO_API__UPLOAD_MAX_LINES", "100"),
        ],
    );

    // A client that sends its headers a little at a time never finishes them.
    let mut slow = TcpStream::connect(&api.addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut cut = false;
    for i in 0..40 {
        assert_eq!(healthz(&api), 200, "health during the slow-header client");
        if slow
            .write_all(format!("X-Slow-{i}: y\r\n").as_bytes())
            .is_err()
        {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let closed = cut || read_to_close(&mut slow, Duration::from_secs(5)).is_some();
    assert!(
        closed,
        "a slow-header client was still connected after {:?}",
        started.elapsed()
    );

    // A body announced and never finished: 408.
    let mut stalled = TcpStream::connect(&api.addr).unwrap();
    stalled.write_all(b"POST /v1/rebates/estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"budget\":").unwrap();
    let reply = read_to_close(&mut stalled, Duration::from_secs(10)).unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert_eq!(healthz(&api), 200);

    // An upload over the line limit: refused whole, with the field named.
    let lines = vec!["{}"; 101].join("\n");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
            "-X",
            "POST",
            "-H",
            &format!("Authorization: Bearer {cinema}"),
            "--data-binary",
            &lines,
            &format!("{}/v1/tickets", api.base),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    assert_eq!(code, "400", "{body}");
    assert!(
        body.contains(r#""field":"body""#) && body.contains("at most 100"),
        "{body}"
    );
    assert_eq!(healthz(&api), 200);

    // Connections past the limit are closed at once; the held ones are served.
    drop(api);
    let api = start(
        &env,
        &[
            ("EKINO_API__MAX_CONNECTIONS", "3"),
            ("EKINO_API__HEADER_TIMEOUT_MS", "20000"),
        ],
    );
    // Each held connection is answered once and kept open: then all three are accepted.
    let held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut c = TcpStream::connect(&api.addr).unwrap();
            let reply = exchange(&mut c);
            assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
            c
        })
        .collect();
    let mut extra = TcpStream::connect(&api.addr).unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let reply = read_to_close(&mut extra, Duration::from_secs(5));
    assert_eq!(
        reply.as_deref(),
        Some(""),
        "the connection past the limit was served: {reply:?}"
    );
    let mut first = held.into_iter().next().unwrap();
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let reply = read_to_close(&mut first, Duration::from_secs(10)).unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

/// The status of one reply read whole by [`exchange_request`].
fn status_of(reply: &str) -> u16 {
    reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an http reply: {reply}"))
}

#[test]
fn ten_thousand_requests_from_one_key_are_refused_past_its_limit_and_others_are_served() {
    let env = TestEnv::new("flood");
    env.run(&["migrate"]);
    let key = |label: &str| {
        env.run(&["keys", "create", "--role", "ministry", "--label", label])
            .trim()
            .to_owned()
    };
    let (flooder, other) = (key("flood"), key("bystander"));
    let per_minute = 600u32;
    let api = start(
        &env,
        &[(
            "EKINO_API__RATE_LIMIT_PER_MINUTE",
            per_minute.to_string().as_str(),
        )],
    );
    let ask = |key: &str| {
        format!("GET /v1/roi/summary HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n")
    };
    let started = Instant::now();
    // 10,000 requests with one key, on 4 keep-alive connections at once.
    // Each connection keeps its statuses and its last refusal.
    type Answers = (Vec<u16>, Option<String>);
    let flood: Vec<std::thread::JoinHandle<Answers>> = (0..4)
        .map(|_| {
            let (addr, request) = (api.addr.clone(), ask(&flooder));
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(&addr).unwrap();
                let mut refusal = None;
                let statuses = (0..2_500)
                    .map(|_| {
                        let reply = exchange_request(&mut c, &request);
                        let status = status_of(&reply);
                        if status == 429 {
                            refusal = Some(reply);
                        }
                        status
                    })
                    .collect();
                (statuses, refusal)
            })
        })
        .collect();
    // While it lasts, another key and the health check are answered as usual.
    let mut bystander = TcpStream::connect(&api.addr).unwrap();
    let mut served_during = 0;
    while !flood.iter().all(std::thread::JoinHandle::is_finished) {
        assert_eq!(
            status_of(&exchange_request(&mut bystander, &ask(&other))),
            200,
            "another key during the flood"
        );
        assert_eq!(healthz(&api), 200, "health during the flood");
        served_during += 1;
    }
    let answers: Vec<Answers> = flood.into_iter().map(|t| t.join().unwrap()).collect();
    let statuses: Vec<u16> = answers.iter().flat_map(|a| a.0.clone()).collect();
    let elapsed = started.elapsed();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(statuses.len(), 10_000);
    assert_eq!(
        ok + refused,
        10_000,
        "every answer is 200 or 429: {:?}",
        statuses
            .iter()
            .filter(|s| **s != 200 && **s != 429)
            .collect::<Vec<_>>()
    );
    // The bucket: its burst, then what it refills (per_minute / 60 a second) while the
    // flood lasts, and not one request more.
    let refilled = (elapsed.as_secs_f64() * f64::from(per_minute) / 60.0).ceil() as usize;
    assert!(
        ok >= per_minute as usize && ok <= per_minute as usize + refilled,
        "{ok} served in {elapsed:?}: the burst is {per_minute}, the refill {refilled}"
    );
    assert!(
        served_during > 0,
        "the flood ended before anyone else asked"
    );
    // A refusal says when to come back.
    let reply = answers.iter().find_map(|a| a.1.clone()).unwrap_or_default();
    assert!(
        reply.to_ascii_lowercase().contains("\r\nretry-after:"),
        "{reply}"
    );
}
