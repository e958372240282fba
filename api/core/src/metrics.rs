//! Prometheus metrics of the API.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct ApiMetrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    /// Claim decisions on the topic without a valid signature (an alert: see `decider`).
    pub forged_decisions: IntCounter,
    /// Connections the server closed, by why (`api_server::conns::Closed`).
    pub connections_closed: IntCounterVec,
}

impl ApiMetrics {
    pub fn new(audit: &crate::audit::AuditSink) -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("ekino_api_requests_total", "requests by route and status"),
            &["route", "status"],
        )
        .expect("metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("ekino_api_request_seconds", "request latency by route").buckets(
                vec![0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0],
            ),
            &["route"],
        )
        .expect("metric");
        let forged_decisions = IntCounter::new(
            "ekino_api_forged_decisions_total",
            "claim decisions refused by the decider for a missing or wrong signature",
        )
        .expect("metric");
        let connections_closed = IntCounterVec::new(
            Opts::new(
                "ekino_api_connections_closed_total",
                "connections closed by the server: full (refused, all busy), evicted (idle longest, for a new one), no_request (none within the header timeout), idle",
            ),
            &["reason"],
        )
        .expect("metric");
        registry
            .register(Box::new(connections_closed.clone()))
            .expect("register");
        registry
            .register(Box::new(forged_decisions.clone()))
            .expect("register");
        registry
            .register(Box::new(requests.clone()))
            .expect("register");
        registry
            .register(Box::new(latency.clone()))
            .expect("register");
        registry
            .register(Box::new(audit.dropped.clone()))
            .expect("register");
        registry
            .register(Box::new(audit.unaudited.clone()))
            .expect("register");
        Self {
            registry,
            requests,
            latency,
            forged_decisions,
            connections_closed,
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("encode");
        String::from_utf8(buf).expect("utf-8")
    }
}
