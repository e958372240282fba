//! Prometheus metrics of the ingest process, served on `/metrics`.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub consumed: IntCounter,
    pub inserted: IntCounterVec,
    pub rejected: IntCounterVec,
    pub batch_rows: Histogram,
    pub batch_seconds: Histogram,
    pub retries: IntCounter,
    pub commits: IntCounter,
    pub lag: IntGaugeVec,
    /// Seconds recomputing the daily aggregates a batch touched.
    pub rollup_seconds: Histogram,
    /// Seconds from a message's Kafka timestamp to the daily aggregates including it: from
    /// then on the event is in every report.
    pub freshness: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("ekino_ingest".into()), None).expect("valid prefix");
        let consumed = IntCounter::new("consumed_total", "messages read from Kafka").expect("metric");
        let inserted = IntCounterVec::new(Opts::new("inserted_rows_total", "rows acknowledged by ClickHouse"), &["table"]).expect("metric");
        let rejected = IntCounterVec::new(Opts::new("rejected_total", "messages kept in the rejected store"), &["reason"]).expect("metric");
        let batch_rows = Histogram::with_opts(
            HistogramOpts::new("batch_rows", "rows per written batch").buckets(vec![1.0, 10.0, 100.0, 1e3, 1e4, 5e4, 1e5]),
        )
        .expect("metric");
        let batch_seconds = Histogram::with_opts(
            HistogramOpts::new("batch_write_seconds", "time to write one batch, retries included")
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
        )
        .expect("metric");
        let rollup_seconds = Histogram::with_opts(
            HistogramOpts::new("rollup_seconds", "time to recompute the daily aggregates of one batch, retries included")
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
        )
        .expect("metric");
        let retries = IntCounter::new("retries_total", "insert attempts that failed and were retried").expect("metric");
        let commits = IntCounter::new("commits_total", "offset commits after acknowledged batches").expect("metric");
        let freshness = Histogram::with_opts(
            HistogramOpts::new("freshness_seconds", "kafka timestamp to the event being in the daily aggregates")
                .buckets(vec![0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 60.0]),
        )
        .expect("metric");
        let lag = IntGaugeVec::new(Opts::new("consumer_lag", "high watermark minus committed position"), &["partition"]).expect("metric");
        for c in [&consumed, &retries, &commits] {
            registry.register(Box::new(c.clone())).expect("register");
        }
        registry.register(Box::new(inserted.clone())).expect("register");
        registry.register(Box::new(rejected.clone())).expect("register");
        registry.register(Box::new(batch_rows.clone())).expect("register");
        registry.register(Box::new(batch_seconds.clone())).expect("register");
        registry.register(Box::new(rollup_seconds.clone())).expect("register");
        registry.register(Box::new(lag.clone())).expect("register");
        registry.register(Box::new(freshness.clone())).expect("register");
        Self { registry, consumed, inserted, rejected, batch_rows, batch_seconds, rollup_seconds, retries, commits, lag, freshness }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding");
        String::from_utf8(buf).expect("prometheus text is utf-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
