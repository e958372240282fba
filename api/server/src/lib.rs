//! The composition root of the API: builds the state, assembles the two faces (the JSON
//! routes of `api_json`, the pages of `api_web`) behind the edge's `recover` and audit step,
//! and serves them until a shutdown signal. It is the only crate that imports both faces.

pub mod conns;
pub mod http;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ingest::{ClickHouseSettings, KafkaSettings};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use api_core::audit::{self, AuditSink};
use api_core::auth::KeyStore;
use api_core::config::ApiSettings;
use api_core::metrics::ApiMetrics;
use api_core::ratelimit::RateLimiter;
use api_core::state::AppState;

/// Both faces as one filter: the JSON routes, then the pages; `recover` turns every
/// rejection into the one problem shape; `around` audits each reply and answers a 405 with
/// what the path does allow (from the OpenAPI route table).
pub fn routes(s: Arc<AppState>) -> BoxedFilter<(Response,)> {
    let app = api_json::routes(s.clone())
        .or(api_web::routes(s.clone()))
        .unify()
        .recover(api_edge::recover)
        .unify()
        .boxed();
    api_edge::around(s, app, api_json::openapi::allowed_methods)
}

pub async fn build_state(
    api: &ApiSettings,
    ch: &ClickHouseSettings,
    kafka: Option<&KafkaSettings>,
    reporting: &schemas::clock::ReportingSettings,
) -> anyhow::Result<Arc<AppState>> {
    // Started before its database, the API waits for it.
    // Tables are the admin's (`ekino migrate`): the API only checks them.
    ingest::clickhouse_store::wait_for_schema(
        ch,
        &[schemas::ddl::Store::Events, schemas::ddl::Store::App],
        100,
        5_000,
    )
    .await
    .context("checking clickhouse tables")?;
    // Report queries read a few thousand aggregate rows: one thread each is plenty, and
    // ClickHouse 18.16 starts a query's threads anew every time (system CPU under load).
    let max_secs = (api.query_timeout_ms / 1000).max(1).to_string();
    // Reports give up on the client side a second after the server's own limit.
    let ch = &ClickHouseSettings {
        read_timeout_ms: api.query_timeout_ms + 1000,
        ..ch.clone()
    };
    let client = ingest::clickhouse_store::read_client(ch)
        .with_setting("max_execution_time", &max_secs)
        .with_setting("max_threads", "1");
    let app = ingest::clickhouse_store::app_client(ch)
        .with_setting("max_execution_time", &max_secs)
        .with_setting("max_threads", "1");
    let keys = KeyStore::new(KeyStore::load(&app).await.context("loading api keys")?);
    let (sink, rx) = AuditSink::new(10_000);
    let spool = api_core::spool::Spool::open(
        std::path::Path::new(&api.audit_spool_dir),
        api.audit_spool_max_bytes,
    )
    .with_context(|| format!("opening the audit spool {}", api.audit_spool_dir))?;
    tokio::spawn(audit::writer(
        ingest::clickhouse_store::app_client(ch),
        rx,
        spool.clone(),
        sink.unaudited.clone(),
    ));
    let producer = match kafka {
        Some(k) => Some(ingest::produce::TicketProducer::new(k, &k.topic)?),
        None => None,
    };
    let sessions_producer = match kafka.filter(|k| !k.sessions_topic.is_empty()) {
        Some(k) => Some(ingest::produce::TicketProducer::new(k, &k.sessions_topic)?),
        None => None,
    };
    let partner_producer = match kafka.filter(|k| !k.partner_topic.is_empty()) {
        Some(k) => Some(ingest::produce::TicketProducer::new(k, &k.partner_topic)?),
        None => None,
    };
    let decision_keys = api_core::decision_queue::DecisionKeys::new(
        api.decision_secret.expose(),
        api.decision_secret_previous.expose(),
    );
    let decision_queue = kafka
        .map(|k| api_core::decision_queue::DecisionQueue::new(k, decision_keys))
        .transpose()?;
    Ok(Arc::new(AppState {
        ch: client,
        app,
        app_db: ch.app_database(),
        keys,
        sessions: api_core::sessions::Sessions::new(std::time::Duration::from_millis(
            api.session_cache_ms,
        )),
        limiter: RateLimiter::new(api.rate_limit_per_minute),
        guards: api_core::guards::Guards::new(api).map_err(anyhow::Error::msg)?,
        settings: api.clone(),
        programmes: rebate_engine::builtin::programmes()?,
        fx: rebate_engine::builtin::fx(),
        estimate_fx: api_core::fx::EstimateFx::new(std::time::Duration::from_millis(
            api.registry_cache_ms,
        )),
        index: rebate_engine::builtin::index(),
        producer,
        sessions_producer,
        partner_producer,
        metrics: ApiMetrics::new(&sink),
        spool,
        audit: sink,
        refusals: Default::default(),
        decision_queue,
        decisions: tokio::sync::Mutex::new(()),
        registry: api_core::reports::registry::RegistryCache::new(
            std::time::Duration::from_millis(api.registry_cache_ms),
        ),
        chart_cache: api_core::reports::chart::ChartCache::new(std::time::Duration::from_millis(
            api.chart_cache_ms,
        )),
        reporting_cache: api_core::reports::chart::ReportingCache::new_uncapped(
            api_core::reports::chart::REPORTING_TTL,
        ),
        as_of_cache: api_core::reports::chart::AsOfCache::new(std::time::Duration::from_millis(
            api.chart_cache_ms,
        )),
        seats_cache: api_core::reports::occupancy::SeatsCache::new(
            std::time::Duration::from_millis(api.chart_cache_ms),
        ),
        scorecard_cache: std::sync::Arc::new(api_core::reports::cache::TtlCache::new(
            std::time::Duration::from_millis(api.scorecard_cache_ms),
        )),
        scorecard_flight: tokio::sync::Mutex::new(()),
        signals_cache: std::sync::Arc::new(
            api_core::reports::cache::TtlCache::new(std::time::Duration::from_millis(
                api.signals_cache_ms,
            ))
            .at_most(api_core::signals::report::CACHED_LISTS),
        ),
        signals_flight: tokio::sync::Mutex::new(()),
        reporting: reporting.clone(),
        clock: reporting.clock(),
    }))
}

/// Binds (port 0 allowed) and returns the bound address and the server future.
pub async fn serve(
    state: Arc<AppState>,
    addr: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, impl Future<Output = ()>)> {
    let addr: SocketAddr = addr
        .parse()
        .with_context(|| format!("api.listen_addr {addr:?} is not host:port"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(refresh_keys(Arc::downgrade(&state)));
    if let Some(queue) = &state.decision_queue {
        api_core::decider::start(&state, queue).await?;
    }
    tokio::spawn(flush_refusals(Arc::downgrade(&state)));
    tokio::spawn(api_core::signals::watch::run(Arc::downgrade(&state)));
    let limits = crate::http::Limits {
        max_connections: state.settings.max_connections,
        max_connections_per_address: state.settings.max_connections_per_address,
        header_timeout: Duration::from_millis(state.settings.header_timeout_ms),
        idle_timeout: Duration::from_millis(state.settings.idle_timeout_ms),
        drain: Duration::from_secs(10),
    };
    let closed = state.metrics.connections_closed.clone();
    let server = crate::http::serve(listener, routes(state), limits, closed, shutdown);
    tracing::info!(addr = %bound, "api listening");
    Ok((bound, server))
}

/// Re-reads the keys every `api.keys_refresh_ms` while the server's state lives, so a
/// revocation or a new key made by another process takes effect within that time.
async fn refresh_keys(state: std::sync::Weak<AppState>) {
    loop {
        let Some(every) = state
            .upgrade()
            .map(|s| Duration::from_millis(s.settings.keys_refresh_ms.max(100)))
        else {
            return;
        };
        tokio::time::sleep(every).await;
        let Some(s) = state.upgrade() else { return };
        s.keys.reload(&s.app).await;
    }
}

/// Writes the tallies of refusals without a valid key once their minute is over, even when
/// no later refusal comes to close it.
async fn flush_refusals(state: std::sync::Weak<AppState>) {
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let Some(s) = state.upgrade() else { return };
        for row in s.refusals.flush_before(schemas::clock::wall_secs()) {
            s.audit.record(row);
        }
    }
}

/// Runs the API until `shutdown`.
pub async fn run(
    api: &ApiSettings,
    ch: &ClickHouseSettings,
    kafka: &KafkaSettings,
    reporting: &schemas::clock::ReportingSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = build_state(api, ch, Some(kafka), reporting).await?;
    let (_, server) = serve(state, &api.listen_addr, shutdown).await?;
    server.await;
    // Let the audit writer flush its last second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    Ok(())
}
