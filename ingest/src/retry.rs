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
        Self { initial_ms, max_ms, attempt: 0 }
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.initial_ms.saturating_mul(1u64 << self.attempt.min(20)).min(self.max_ms);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(rand::thread_rng().gen_range(self.initial_ms..=ceiling.max(self.initial_ms)))
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// What to do with a failed insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The server or the network failed: the same rows will go in later.
    Retry,
    /// ClickHouse refused the data itself: retrying the same bytes cannot help.
    Poison,
}

/// ClickHouse exception codes that are about the data, not the server's state.
/// 6 CANNOT_PARSE_TEXT, 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED, 33 CANNOT_READ_ALL_DATA,
/// 53 TYPE_MISMATCH, 69 ARGUMENT_OUT_OF_BOUND, 70 CANNOT_CONVERT_TYPE,
/// 117 INCORRECT_DATA, 252 is TOO_MANY_PARTS and stays retryable.
const POISON_CODES: &[u32] = &[6, 27, 33, 53, 69, 70, 117];

pub fn classify(err: &clickhouse::error::Error) -> Disposition {
    use clickhouse::error::Error as E;
    match err {
        E::BadResponse(text) => match exception_code(text) {
            Some(code) if POISON_CODES.contains(&code) => Disposition::Poison,
            _ => Disposition::Retry,
        },
        E::RowNotFound | E::SequenceMustHaveLength | E::DeserializeAnyNotSupported | E::NotEnoughData => Disposition::Poison,
        _ => Disposition::Retry,
    }
}

/// Reads `Code: 27` from a ClickHouse error body.
pub fn exception_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut b = Backoff::new(100, 1_000);
        for _ in 0..50 {
            let d = b.next_delay().as_millis() as u64;
            assert!((100..=1_000).contains(&d), "{d}");
        }
        assert_eq!(b.attempts(), 50);
    }

    #[test]
    fn exception_codes_are_read() {
        assert_eq!(exception_code("Code: 27, e.displayText() = DB::Exception: Cannot parse"), Some(27));
        assert_eq!(exception_code("Code: 252. DB::Exception: Too many parts"), Some(252));
        assert_eq!(exception_code("connection refused"), None);
    }

    #[test]
    fn data_errors_are_poison_server_errors_retry() {
        let poison = clickhouse::error::Error::BadResponse("Code: 27, e.displayText() = DB::Exception: Cannot parse input".into());
        assert_eq!(classify(&poison), Disposition::Poison);
        let parts = clickhouse::error::Error::BadResponse("Code: 252, e.displayText() = DB::Exception: Too many parts".into());
        assert_eq!(classify(&parts), Disposition::Retry);
        let down = clickhouse::error::Error::BadResponse("Code: 210, Connection refused".into());
        assert_eq!(classify(&down), Disposition::Retry);
    }
}
