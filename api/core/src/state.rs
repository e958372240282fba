//! Everything a handler may use, built once at start-up.

use clickhouse::Client;
use rebate_engine::{FxTable, IndexTable, Programme};

use crate::audit::AuditSink;
use crate::auth::KeyStore;
use crate::config::ApiSettings;
use crate::ratelimit::RateLimiter;

pub struct AppState {
    /// Reads the events database (tickets, rejects, aggregates) as the read-only identity;
    /// a query that also reads the registry names `app_db` explicitly.
    pub ch: Client,
    /// The application database (registry, keys, audit, claims, upload rejects), as the
    /// API's writer identity, which may write nothing else.
    pub app: Client,
    /// The application database's name, for those cross-database reads.
    pub app_db: String,
    pub keys: KeyStore,
    /// Web sessions of the signed-in screens (`sessions`).
    pub sessions: crate::sessions::Sessions,
    pub limiter: RateLimiter,
    /// Public routes' per-address limit and the CPU pool.
    pub guards: crate::guards::Guards,
    pub settings: ApiSettings,
    pub programmes: Vec<Programme>,
    pub fx: FxTable,
    /// What estimates convert with: official rates where loaded, else `fx` (cached).
    pub estimate_fx: crate::fx::EstimateFx,
    pub index: IndexTable,
    /// Where uploaded tickets go; `None` when the API runs without a broker.
    pub producer: Option<ingest::produce::TicketProducer>,
    /// Where uploaded session declarations go (`kafka.sessions_topic`); `None` without one.
    pub sessions_producer: Option<ingest::produce::TicketProducer>,
    /// Where partners' uploaded records go (`kafka.partner_topic`); `None` without one.
    pub partner_producer: Option<ingest::produce::TicketProducer>,
    pub audit: AuditSink,
    /// Where audit records wait while ClickHouse is away; full means writes are refused.
    pub spool: crate::spool::Spool,
    /// Refusals without a valid key, tallied per address and minute (see `audit`).
    pub refusals: crate::audit::RefusalTally,
    pub metrics: crate::metrics::ApiMetrics,
    /// Where claim decisions are queued for the one decider of all API processes
    /// (`decider`); `None` without a broker.
    pub decision_queue: Option<crate::decision_queue::DecisionQueue>,
    /// Serializes claim decisions in this process when there is no broker.
    pub decisions: tokio::sync::Mutex<()>,
    pub registry: crate::reports::registry::RegistryCache,
    /// The public daily chart, each date kept at most `api.chart_cache_ms` (≤ 1 s).
    pub chart_cache: crate::reports::chart::ChartCache,
    /// The cinemas reporting per period (for the regions a chart offers), kept a minute.
    pub reporting_cache: crate::reports::chart::ReportingCache,
    /// "Data as of", kept as long as a chart.
    pub as_of_cache: crate::reports::chart::AsOfCache,
    /// A period's declared sessions and admissions (the chart's seats), kept as long as a
    /// chart and shared by its regions and origins.
    pub seats_cache: crate::reports::occupancy::SeatsCache,
    /// Every cinema's scorecard by (from, to, today), each map at most `api.scorecard_cache_ms` (≤ 1 s).
    pub scorecard_cache: std::sync::Arc<crate::reports::scorecard::ScorecardCache>,
    /// Held while the scorecards of a range that missed the cache are computed.
    pub scorecard_flight: tokio::sync::Mutex<()>,
    /// Signals lists by filter and page, each at most `api.signals_cache_ms` (≤ 1 s); emptied
    /// when this process stores an explanation.
    pub signals_cache: std::sync::Arc<crate::signals::report::ListCache>,
    /// Held while a signals list that missed the cache is read.
    pub signals_flight: tokio::sync::Mutex<()>,
    /// When days close, and the clock that says what time it is (injectable for tests).
    pub reporting: schemas::clock::ReportingSettings,
    pub clock: schemas::clock::Clock,
}

impl AppState {
    /// The registry snapshot reports join with.
    pub async fn registry(
        &self,
    ) -> Result<std::sync::Arc<crate::reports::registry::Registry>, crate::reports::ReportError>
    {
        self.registry.get(&self.app).await
    }

    /// Now by the state's clock, in whole seconds since the epoch: when a record is written.
    pub fn now_secs(&self) -> u32 {
        u32::try_from(self.clock.now().timestamp()).unwrap_or(0)
    }

    /// Today in Kazakhstan (UTC+5): the reference for "silent days".
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&schemas::time::kz_offset())
            .date_naive()
    }

    /// The statuses of the days `from..=to` now.
    pub async fn statuses(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<crate::reports::status::Statuses, crate::reports::ReportError> {
        crate::reports::status::Statuses::load(
            &self.ch,
            from,
            to,
            self.clock.now(),
            &self.reporting,
        )
        .await
    }
}
