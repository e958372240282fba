//! Rate limits: a token bucket of `per_minute` tokens per key (an API key, or a client
//! address for the public routes), refilled continuously. A bucket that has refilled is the
//! same as none, so when there are more than [`MAX_BUCKETS`] the full ones are dropped: a
//! flood from many addresses cannot grow the map without bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub const MAX_BUCKETS: usize = 100_000;

pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` to go ahead, or `Err(seconds to wait)`.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let cap = f64::from(self.per_minute);
        let per_sec = cap / 60.0;
        let mut b = self.buckets.lock().expect("rate lock");
        let now = Instant::now();
        if b.len() >= MAX_BUCKETS && !b.contains_key(key) {
            b.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * per_sec < cap
            });
        }
        let (tokens, last) = b.entry(key.to_owned()).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_sec).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let r = RateLimiter::new(3);
        assert!(r.check("k").is_ok() && r.check("k").is_ok() && r.check("k").is_ok());
        let wait = r.check("k").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(r.check("other").is_ok(), "buckets are per key");
    }

    #[test]
    fn full_buckets_are_dropped_when_there_are_too_many() {
        let r = RateLimiter::new(60);
        for i in 0..MAX_BUCKETS {
            r.buckets
                .lock()
                .unwrap()
                .insert(format!("a{i}"), (60.0, Instant::now()));
        }
        r.buckets
            .lock()
            .unwrap()
            .insert("spent".into(), (0.0, Instant::now()));
        assert!(r.check("new").is_ok());
        let b = r.buckets.lock().unwrap();
        assert_eq!(b.len(), 2, "only the spent bucket and the new one stay");
        assert!(b.contains_key("spent"));
    }
}
