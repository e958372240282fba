//! Retry policy: exponential back-off with full jitter, and the split between errors worth
//! retrying (the server or the network) and errors that will never succeed (the data).

use std::time::Duration;

use rand::Rng;

/// Exponential back-off with full jitter: each delay is uniform in `[initial, min(max, initial·2ⁿ)]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial_ms: u64, max_ms: u64) -> Self {
        Self {
            initial_ms,
            max_ms,
            attempt: 0,
        }
    }

    /// The longest the next delay may be: `initial·2ⁿ` after `n` attempts, at most `max`.
    pub fn ceiling_ms(&self) -> u64 {
        self.initial_ms
            .saturating_mul(1u64 << self.attempt.min(20))
            .min(self.max_ms)
            .max(self.initial_ms)
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling_ms();
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(rand::thread_rng().gen_range(self.initial_ms..=ceiling))
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// What to do with a failed statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The server or the network failed, or the server is not ready for ekino (a table or a
    /// right missing): the same rows will go in later. Retried forever, never rejected.
    Retry,
    /// ClickHouse refused the statement for something in it: isolate the rows at fault.
    Poison,
}

/// ClickHouse exception codes about the server's state, capacity or set-up rather than the
/// data sent: connectivity and timeouts (159, 209, 210, 1000), capacity (202, 203, 241,
/// 252 too many parts), a server shutting down or read-only (164, 236, 242, 394, 425), and
/// set-up faults that every row would hit alike (16, 47, 60, 81, 192, 193, 194, 497, 516:
/// a column, table or database missing, a user or right missing). Any other code is about
/// the data and is isolated by bisection.
const SERVER_CODES: &[u32] = &[
    16, 47, 60, 81, 159, 164, 192, 193, 194, 202, 203, 209, 210, 236, 241, 242, 252, 319, 394, 425,
    497, 516, 999, 1000,
];

pub fn classify(err: &clickhouse::error::Error) -> Disposition {
    use clickhouse::error::Error as E;
    match err {
        // A 5xx without an exception (a proxy, a server going down) is the server's.
        E::BadResponse(text) => match exception_code(text) {
            Some(code) if !SERVER_CODES.contains(&code) => Disposition::Poison,
            _ => Disposition::Retry,
        },
        // Ekino could not encode a row: that row is at fault.
        E::RowNotFound
        | E::SequenceMustHaveLength
        | E::DeserializeAnyNotSupported
        | E::NotEnoughData
        | E::Custom(_) => Disposition::Poison,
        _ => Disposition::Retry,
    }
}

/// Reads `Code: 27` from a ClickHouse error body.
pub fn exception_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut b = Backoff::new(100, 1_000);
        // The ceiling doubles from the first delay until the cap: 100·2ⁿ, at most 1,000.
        let want = [100, 200, 400, 800, 1_000, 1_000, 1_000];
        for (n, ceiling) in want.into_iter().enumerate() {
            assert_eq!(b.ceiling_ms(), ceiling, "after {n} attempts");
            let d = b.next_delay().as_millis() as u64;
            assert!((100..=ceiling).contains(&d), "attempt {n}: {d} ms");
        }
        for _ in 0..50 {
            let d = b.next_delay().as_millis() as u64;
            assert!((100..=1_000).contains(&d), "{d}");
        }
        assert_eq!(b.attempts(), 57);
        // And the delays themselves grow: with full jitter, the mean of many fourth delays
        // (uniform in 100..=800, mean 450) is well above the mean of first ones (always 100).
        let mean_at = |n: u32| {
            let total: u64 = (0..400)
                .map(|_| {
                    let mut b = Backoff::new(100, 1_000);
                    for _ in 0..n {
                        b.next_delay();
                    }
                    b.next_delay().as_millis() as u64
                })
                .sum();
            total / 400
        };
        assert_eq!(mean_at(0), 100);
        let fourth = mean_at(3);
        assert!(
            (350..=550).contains(&fourth),
            "mean fourth delay {fourth} ms"
        );
    }

    #[test]
    fn exception_codes_are_read() {
        assert_eq!(
            exception_code("Code: 27, e.displayText() = DB::Exception: Cannot parse"),
            Some(27)
        );
        assert_eq!(
            exception_code("Code: 252. DB::Exception: Too many parts"),
            Some(252)
        );
        assert_eq!(exception_code("connection refused"), None);
    }

    #[test]
    fn data_errors_are_poison_server_errors_retry() {
        use clickhouse::error::Error as E;
        let bad = |s: &str| E::BadResponse(s.to_owned());
        // (error body as ClickHouse sends it, disposition)
        let cases = [
            ("Code: 27, e.displayText() = DB::Exception: Cannot parse input", Disposition::Poison),
            ("Code: 252, e.displayText() = DB::Exception: Too many parts", Disposition::Retry),
            ("Code: 210, Connection refused", Disposition::Retry),
            ("Code: 241. DB::Exception: Memory limit (total) exceeded", Disposition::Retry),
            ("Code: 60. DB::Exception: Table ekino.ticket_events doesn't exist", Disposition::Retry),
            ("Code: 497. DB::Exception: default: Not enough privileges", Disposition::Retry),
            // Too many partitions for a single INSERT block: about the rows sent.
            ("Code: 252, e.displayText() = DB::Exception: Too many partitions for single INSERT block (more than 100)", Disposition::Retry),
            ("Code: 36. DB::Exception: Bad argument", Disposition::Poison),
            ("Code: 117. DB::Exception: Unknown data", Disposition::Poison),
            ("502 Bad Gateway", Disposition::Retry),
        ];
        for (body, want) in cases {
            assert_eq!(classify(&bad(body)), want, "{body}");
        }
        assert_eq!(classify(&E::TimedOut), Disposition::Retry);
        assert_eq!(classify(&E::NotEnoughData), Disposition::Poison);
    }
}
