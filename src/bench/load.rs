//! An open-loop HTTP/1.1 load generator: request `i` is due at `start + i / rate` whatever
//! happened to the earlier ones, and its latency is counted from when it was due, not from
//! when a connection was free to send it. So a slow reply delays no later request and hides
//! no queueing (no coordinated omission), unlike a closed loop such as `wrk`.
//!
//! Keep-alive connections are pooled; a request that finds none idle opens a new one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// One request, written out in full (request line, headers, body) once.
#[derive(Clone)]
pub struct Request(Arc<Vec<u8>>);

impl Request {
    pub fn new(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut out = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Self(Arc::new(bytes))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub sent: u64,
    pub achieved_rps: f64,
    pub non_2xx: u64,
    pub failed: u64,
}

type Conn = BufReader<TcpStream>;

/// Sends one request on `conn` and reads the whole reply; returns the status code.
async fn exchange(conn: &mut Conn, req: &Request) -> anyhow::Result<u16> {
    conn.get_mut().write_all(&req.0).await?;
    let mut line = String::new();
    anyhow::ensure!(conn.read_line(&mut line).await? > 0, "connection closed");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("status line")?;
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').unwrap_or((h, ""));
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().context("content-length")?;
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            chunked = true;
        }
    }
    let mut sink = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .context("chunk size")?;
            sink.resize(size + 2, 0);
            conn.read_exact(&mut sink).await?;
            if size == 0 {
                break;
            }
        }
    } else {
        sink.resize(length, 0);
        conn.read_exact(&mut sink).await?;
    }
    Ok(status)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs `requests` round-robin at `rate` per second for `secs` seconds.
pub async fn open_loop(
    addr: SocketAddr,
    requests: &[Request],
    rate: f64,
    secs: u64,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!requests.is_empty() && rate > 0.0, "nothing to send");
    let pool: Arc<Mutex<Vec<Conn>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let counts: Arc<Mutex<(u64, u64)>> = Arc::default();
    let total = (rate * secs as f64) as u64;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let req = requests[i as usize % requests.len()].clone();
        let (pool, latencies, counts) = (pool.clone(), latencies.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let idle = pool.lock().expect("pool").pop();
            let conn = match idle {
                Some(c) => Ok(c),
                None => TcpStream::connect(addr).await.map(|s| {
                    let _ = s.set_nodelay(true);
                    BufReader::new(s)
                }),
            };
            let result = match conn {
                Ok(mut c) => match exchange(&mut c, &req).await {
                    Ok(status) => {
                        pool.lock().expect("pool").push(c);
                        Ok(status)
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            let mut n = counts.lock().expect("counts");
            match result {
                Ok(status) => {
                    latencies.lock().expect("latencies").push(ms);
                    if !(200..300).contains(&status) {
                        n.0 += 1;
                    }
                }
                Err(_) => n.1 += 1,
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = std::mem::take(&mut *latencies.lock().expect("latencies"));
    l.sort_by(f64::total_cmp);
    let (non_2xx, failed) = *counts.lock().expect("counts");
    Ok(Outcome {
        p50_ms: quantile(&l, 0.50),
        p99_ms: quantile(&l, 0.99),
        max_ms: l.last().copied().unwrap_or(f64::NAN),
        sent: total,
        achieved_rps: total as f64 / elapsed,
        non_2xx,
        failed,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(super::quantile(&v, 0.5), 50.0);
        assert_eq!(super::quantile(&v, 0.99), 99.0);
        assert_eq!(super::quantile(&v, 1.0), 100.0);
        assert!(super::quantile(&[], 0.5).is_nan());
    }
}
