//! Prometheus metrics of the ingest process, served on `/metrics`.

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

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
    /// Re-sends of accepted events with the same content (counted once, nothing stored).
    pub duplicates: IntCounter,
    /// 1 while a batch has waited longer than `ingest.stall_alert_ms` to be written.
    pub stalled: IntGauge,
    /// Batches isolated by bisection after ClickHouse refused them for their content.
    pub bisections: IntCounter,
    /// Length of the longest statement text sent to ClickHouse (row data of an INSERT aside).
    pub statement_bytes_max: IntGauge,
    /// Events remembered by the dedup index, and its approximate heap bytes.
    pub dedup_events: IntGauge,
    pub dedup_bytes: IntGauge,
    /// Partition books rebuilt from ClickHouse (assignments).
    pub book_loads: IntCounter,
    /// Re-joins of the consumer group forced by the watchdog.
    pub rejoins: IntCounter,
    /// Partitions judged again after a message ClickHouse refused (see `fence`).
    pub rewinds: IntCounter,
    pub offset_gaps: IntCounter,
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("ekino_ingest".into()), None).expect("valid prefix");
        let consumed =
            IntCounter::new("consumed_total", "messages read from Kafka").expect("metric");
        let inserted = IntCounterVec::new(
            Opts::new("inserted_rows_total", "rows acknowledged by ClickHouse"),
            &["table"],
        )
        .expect("metric");
        let rejected = IntCounterVec::new(
            Opts::new("rejected_total", "messages kept in the rejected store"),
            &["reason"],
        )
        .expect("metric");
        let batch_rows = Histogram::with_opts(
            HistogramOpts::new("batch_rows", "rows per written batch")
                .buckets(vec![1.0, 10.0, 100.0, 1e3, 1e4, 5e4, 1e5]),
        )
        .expect("metric");
        let batch_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "batch_write_seconds",
                "time to write one batch, retries included",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )
        .expect("metric");
        let rollup_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "rollup_seconds",
                "time to recompute the daily aggregates of one batch, retries included",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )
        .expect("metric");
        let retries = IntCounter::new(
            "retries_total",
            "insert attempts that failed and were retried",
        )
        .expect("metric");
        let commits = IntCounter::new("commits_total", "offset commits after acknowledged batches")
            .expect("metric");
        let freshness = Histogram::with_opts(
            HistogramOpts::new(
                "freshness_seconds",
                "kafka timestamp to the event being in the daily aggregates",
            )
            .buckets(vec![
                0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5,
                3.0, 5.0, 10.0, 30.0, 60.0,
            ]),
        )
        .expect("metric");
        let lag = IntGaugeVec::new(
            Opts::new("consumer_lag", "high watermark minus committed position"),
            &["partition"],
        )
        .expect("metric");
        let duplicates = IntCounter::new(
            "duplicates_total",
            "re-sends of accepted events with the same content, counted once",
        )
        .expect("metric");
        let stalled = IntGauge::new(
            "stalled",
            "1 while a batch has waited longer than ingest.stall_alert_ms",
        )
        .expect("metric");
        let bisections = IntCounter::new(
            "bisections_total",
            "batches refused for content and split to find the refused rows",
        )
        .expect("metric");
        let statement_bytes_max = IntGauge::new(
            "statement_bytes_max",
            "longest statement text sent to clickhouse, row data aside",
        )
        .expect("metric");
        let dedup_events =
            IntGauge::new("dedup_events", "events remembered by the dedup index").expect("metric");
        let dedup_bytes = IntGauge::new("dedup_bytes", "approximate heap bytes of the dedup index")
            .expect("metric");
        let book_loads = IntCounter::new(
            "book_loads_total",
            "partition books rebuilt from clickhouse",
        )
        .expect("metric");
        let rejoins = IntCounter::new("rejoins_total", "group re-joins forced by the watchdog")
            .expect("metric");
        let rewinds = IntCounter::new(
            "rewinds_total",
            "partitions judged again from stored truth after clickhouse refused a message's rows",
        )
        .expect("metric");
        let offset_gaps = IntCounter::new(
            "offset_gaps_total",
            "messages whose offset is past the one after their partition's previous message: transaction markers on Kafka, lost messages on a faulty broker",
        )
        .expect("metric");
        for c in [
            &consumed,
            &retries,
            &commits,
            &duplicates,
            &bisections,
            &book_loads,
            &rejoins,
            &rewinds,
            &offset_gaps,
        ] {
            registry.register(Box::new(c.clone())).expect("register");
        }
        registry
            .register(Box::new(inserted.clone()))
            .expect("register");
        registry
            .register(Box::new(rejected.clone()))
            .expect("register");
        registry
            .register(Box::new(batch_rows.clone()))
            .expect("register");
        registry
            .register(Box::new(batch_seconds.clone()))
            .expect("register");
        registry
            .register(Box::new(rollup_seconds.clone()))
            .expect("register");
        registry.register(Box::new(lag.clone())).expect("register");
        registry
            .register(Box::new(freshness.clone()))
            .expect("register");
        for g in [&stalled, &statement_bytes_max, &dedup_events, &dedup_bytes] {
            registry.register(Box::new(g.clone())).expect("register");
        }
        Self {
            registry,
            consumed,
            inserted,
            rejected,
            batch_rows,
            batch_seconds,
            rollup_seconds,
            retries,
            commits,
            lag,
            freshness,
            duplicates,
            stalled,
            bisections,
            statement_bytes_max,
            dedup_events,
            dedup_bytes,
            book_loads,
            rejoins,
            rewinds,
            offset_gaps,
        }
    }

    /// Records the length of a statement about to be sent.
    pub fn statement(&self, sql: &str) {
        let n = i64::try_from(sql.len()).unwrap_or(i64::MAX);
        if n > self.statement_bytes_max.get() {
            self.statement_bytes_max.set(n);
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).expect("prometheus text is utf-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
