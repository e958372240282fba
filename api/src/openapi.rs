//! The route table: the single list that the OpenAPI document is generated from and that
//! the tests walk (every route answers, every refused role is refused).

use serde_json::{json, Map, Value};

pub struct RouteDoc {
    pub method: &'static str,
    /// OpenAPI path template.
    pub path: &'static str,
    /// A concrete path for tests.
    pub example: &'static str,
    pub summary: &'static str,
    /// Roles allowed; empty means public.
    pub roles: &'static [&'static str],
    pub query: &'static [(&'static str, bool)],
}

const CINEMA_BIN: &str = "980340001119";

pub const ROUTES: &[RouteDoc] = &[
    RouteDoc { method: "get", path: "/healthz", example: "/healthz", summary: "liveness and ClickHouse reachability", roles: &[], query: &[] },
    RouteDoc { method: "get", path: "/openapi.json", example: "/openapi.json", summary: "this document", roles: &[], query: &[] },
    RouteDoc { method: "get", path: "/metrics", example: "/metrics", summary: "Prometheus metrics", roles: &[], query: &[] },
    RouteDoc { method: "get", path: "/v1/box-office/daily", example: "/v1/box-office/daily?date=2026-11-21", summary: "the day's chart (rank, rank change, new, gross, share, admissions, screens, screenings, cumulative)", roles: &[], query: &[("date", true)] },
    RouteDoc { method: "get", path: "/v1/box-office/films", example: "/v1/box-office/films?from=2026-11-01&to=2026-11-21", summary: "per-film totals over a range, optionally one region", roles: &["ministry", "commission"], query: &[("format", false), ("from", true), ("to", true), ("region", false), ("page", false), ("page_size", false)] },
    RouteDoc { method: "get", path: "/v1/box-office/films/{film_id}/daily", example: "/v1/box-office/films/KZ26-0001/daily?from=2026-11-01&to=2026-11-21", summary: "a film per day, or per day and cinema with by=cinema", roles: &["ministry", "producer"], query: &[("from", true), ("to", true), ("by", false)] },
    RouteDoc { method: "get", path: "/v1/films/{film_id}/history", example: "/v1/films/KZ26-0001/history", summary: "every version of a film's registry records (film, agreements, funding), who wrote each and when", roles: &["ministry", "producer"], query: &[] },
    RouteDoc { method: "get", path: "/v1/films/{film_id}/roi", example: "/v1/films/KZ26-0001/roi", summary: "ROI of one film", roles: &["ministry", "producer"], query: &[] },
    RouteDoc { method: "get", path: "/v1/roi/summary", example: "/v1/roi/summary?funding_year=2025", summary: "payback KPI over state-funded films", roles: &["ministry"], query: &[("funding_year", false)] },
    RouteDoc { method: "get", path: "/v1/roi/films", example: "/v1/roi/films", summary: "ROI of every registered film, a page at a time", roles: &["ministry"], query: &[("format", false), ("page", false), ("page_size", false)] },
    RouteDoc { method: "get", path: "/v1/cinemas/reporting", example: "/v1/cinemas/reporting?silent_days=7", summary: "cinemas silent for at least N days", roles: &["ministry"], query: &[("silent_days", true)] },
    RouteDoc { method: "get", path: "/v1/cinemas/{bin}/reporting", example: "/v1/cinemas/980340001119/reporting?from=2026-11-01&to=2026-11-21", summary: "a cinema's reporting scorecard", roles: &["ministry", "cinema"], query: &[("from", true), ("to", true)] },
    RouteDoc { method: "get", path: "/v1/cinemas/{bin}/corrections", example: "/v1/cinemas/980340001119/corrections?from=2026-11-01&to=2026-11-21", summary: "a cinema's corrections to closed days", roles: &["ministry", "cinema"], query: &[("from", true), ("to", true)] },
    RouteDoc { method: "get", path: "/v1/corrections", example: "/v1/corrections?from=2026-11-01&to=2026-11-21", summary: "every correction to closed days", roles: &["ministry"], query: &[("from", true), ("to", true)] },
    RouteDoc { method: "get", path: "/v1/cinemas/{bin}/rejected", example: "/v1/cinemas/980340001119/rejected", summary: "a cinema's rejected events, paged", roles: &["ministry", "cinema"], query: &[("format", false), ("page", false), ("page_size", false)] },
    RouteDoc { method: "post", path: "/v1/tickets", example: "/v1/tickets", summary: "NDJSON ticket events (ekino.ticket/1), per-line result", roles: &["cinema"], query: &[] },
    RouteDoc { method: "post", path: "/v1/claims", example: "/v1/claims", summary: "file a rebate claim ({film_id?, claim}); stored with its computed result", roles: &["producer"], query: &[] },
    RouteDoc { method: "put", path: "/v1/fx", example: "/v1/fx", summary: "load official FX rates (CSV date,currency,kzt); claims are computed and decided with them", roles: &["ministry"], query: &[] },
    RouteDoc { method: "get", path: "/v1/claims", example: "/v1/claims?status=submitted", summary: "claims by their latest step (ministry: all; producer: its own), newest first", roles: &["producer", "ministry"], query: &[("status", false), ("programme", false), ("year", false), ("page", false), ("page_size", false)] },
    RouteDoc { method: "get", path: "/v1/rebates/pools", example: "/v1/rebates/pools?year=2026", summary: "each programme's annual pool, what approved and paid claims take, what is left, and its per-beneficiary cap", roles: &["ministry", "commission", "producer"], query: &[("year", true)] },
    RouteDoc { method: "get", path: "/v1/claims/{id}", example: "/v1/claims/CL-0000000000000000", summary: "a claim, its line-by-line explanation and its history", roles: &["producer", "ministry"], query: &[] },
    RouteDoc { method: "post", path: "/v1/claims/{id}/decision", example: "/v1/claims/CL-0000000000000000/decision", summary: "approve, reject (with reason) or mark_paid; approval fails when it would overdraw the annual pool", roles: &["ministry"], query: &[] },
    RouteDoc { method: "put", path: "/v1/films/{film_id}", example: "/v1/films/KZ26-0001", summary: "register or update a film (with its agreement shares)", roles: &["ministry"], query: &[] },
    RouteDoc { method: "post", path: "/v1/films/{film_id}/funding", example: "/v1/films/KZ26-0001/funding", summary: "record a state funding payment", roles: &["ministry"], query: &[] },
    RouteDoc { method: "put", path: "/v1/cinemas/{bin}", example: "/v1/cinemas/980340001119", summary: "register or update a cinema", roles: &["ministry"], query: &[] },
    RouteDoc { method: "put", path: "/v1/applicants/{applicant_id}", example: "/v1/applicants/FA-US-1", summary: "register or update a foreign rebate applicant (country, registration number, films it may claim for)", roles: &["ministry"], query: &[] },
    RouteDoc { method: "get", path: "/v1/applicants/{applicant_id}", example: "/v1/applicants/FA-US-1", summary: "a foreign rebate applicant as registered", roles: &["ministry", "producer"], query: &[] },
    RouteDoc { method: "get", path: "/v1/audit", example: "/v1/audit?from=2026-11-01&to=2026-11-21", summary: "the audit log of authenticated requests", roles: &["ministry"], query: &[("format", false), ("from", true), ("to", true), ("page", false), ("page_size", false)] },
    RouteDoc { method: "get", path: "/v1/rebates/programmes", example: "/v1/rebates/programmes", summary: "published rebate programmes", roles: &[], query: &[] },
    RouteDoc { method: "get", path: "/v1/rebates/programmes/{id}", example: "/v1/rebates/programmes/kz", summary: "one programme with all versions", roles: &[], query: &[] },
    RouteDoc { method: "post", path: "/v1/rebates/estimate", example: "/v1/rebates/estimate", summary: "estimate from a budget split; compare=kz,ge,uz for side by side", roles: &[], query: &[("compare", false)] },
];

/// The cinema BIN the examples use (tests give the cinema key this BIN).
pub fn example_bin() -> &'static str {
    CINEMA_BIN
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut params: Vec<Value> = r
            .query
            .iter()
            .map(|(name, required)| json!({"name": name, "in": "query", "required": required, "schema": {"type": "string"}}))
            .collect();
        for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
            params.push(json!({"name": seg.trim_matches(|c| c == '{' || c == '}'), "in": "path", "required": true, "schema": {"type": "string"}}));
        }
        let mut op = json!({
            "summary": r.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {}}},
                "400": {"description": "bad request: field and reason", "content": {"application/problem+json": {}}},
                "404": {"description": "not found, or outside the caller's scope", "content": {"application/problem+json": {}}},
                "429": {"description": "rate limited; see Retry-After"}
            },
            "x-roles": r.roles,
        });
        if !r.roles.is_empty() {
            op["security"] = json!([{"bearer": []}]);
            op["responses"]["401"] = json!({"description": "missing or invalid key"});
        }
        paths.entry(r.path.to_owned()).or_insert_with(|| json!({})).as_object_mut().expect("object").insert(r.method.into(), op);
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "ekino API", "version": env!("CARGO_PKG_VERSION"), "description": "Kazakhstan's e-cinema data: box office, ROI of state-funded films, rebates. Money is a decimal string in KZT; dates are YYYY-MM-DD in UTC+5."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}
