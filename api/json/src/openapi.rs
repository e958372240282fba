//! The route table and the OpenAPI 3.1 document generated from it.
//!
//! Each route is declared once, here: its name (metrics label and audit route), method, path
//! template, roles, summary, an example for the tests, and its Rust types: the query struct
//! (`utoipa::IntoParams`), the request body and the reply (`utoipa::ToSchema`, derived on the
//! same structs serde reads and writes), so the document's schemas are the types' own. The
//! server mounts every route from this table by name (`mount::route`), and refuses to start
//! when the table and the mounted routes differ (`mount::Mounted::check`); the tests walk the
//! table both ways: every documented route is answered, and every other method on a
//! documented path is a 405.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

use api_core::{handlers, params};

/// Schemas by component name, filled while the document is built.
pub type Components = BTreeMap<String, Value>;

/// A request or reply body: its content type and schema.
#[derive(Clone, Copy)]
pub struct Content {
    pub content_type: &'static str,
    pub schema: fn(&mut Components) -> Value,
}

pub struct RouteDoc {
    /// The route's one name: its metrics label and audit route, and how `routes` mounts it.
    pub name: &'static str,
    pub method: &'static str,
    /// OpenAPI path template.
    pub path: &'static str,
    /// A concrete path for tests.
    pub example: &'static str,
    pub summary: &'static str,
    /// Roles allowed; empty means public.
    pub roles: &'static [&'static str],
    /// Query parameters, from the handler's query type.
    pub params: fn() -> Vec<Value>,
    pub body: Option<Content>,
    pub reply: Content,
    /// Also answers `format=csv|arrow` (a list exported for auditors).
    pub export: bool,
}

/// The `/healthz` reply.
#[derive(serde::Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` (with 503) when ClickHouse does not answer.
    pub status: String,
    pub clickhouse: bool,
}

/// The problem+json body of every error.
#[derive(serde::Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The field at fault (400).
    pub field: Option<String>,
    pub reason: Option<String>,
    /// The reason's stable code, when the rebate engine refused (`not_date`, `missing_fx`,
    /// …): what a client translates instead of `reason`'s English, with `params`.
    pub code: Option<String>,
    /// The values the reason names (`got`, `date`, `currency`, …), by name, as strings.
    pub params: Option<std::collections::BTreeMap<String, String>>,
    /// A 5xx: the id under which the log holds what went wrong.
    pub request_id: Option<String>,
}

fn none() -> Vec<Value> {
    Vec::new()
}

fn q<T: IntoParams>() -> Vec<Value> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| serde_json::to_value(p).expect("parameter"))
        .collect()
}

/// A reference to `T`'s component, registering it and every schema it refers to.
fn s<T: ToSchema>(c: &mut Components) -> Value {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    let name = T::name().into_owned();
    nested.push((name.clone(), T::schema()));
    for (name, schema) in nested {
        let schema = serde_json::to_value(schema).expect("schema");
        // Two types of one name would share a component silently: the document would then
        // describe one of them wrongly.
        let kept = c.entry(name.clone()).or_insert_with(|| schema.clone());
        assert_eq!(*kept, schema, "two types are named {name} in the OpenAPI components; rename one with #[schema(as = …)]");
    }
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn arr<T: ToSchema>(c: &mut Components) -> Value {
    json!({"type": "array", "items": s::<T>(c)})
}

fn object(_: &mut Components) -> Value {
    json!({"type": "object"})
}

fn text(_: &mut Components) -> Value {
    json!({"type": "string"})
}

/// An upload: one ekino.ticket/1 JSON object per line; blank lines are skipped, so a body
/// needs something besides whitespace. Each line's fate is in the reply.
fn ndjson(_: &mut Components) -> Value {
    json!({"type": "string", "pattern": "\\S"})
}

/// A CSV upload: a header row, then at least one row with something in it (a header alone
/// has no events: 400). Each row's fate is in the reply; a bad header refuses every row.
fn csv_upload(_: &mut Components) -> Value {
    json!({"type": "string", "pattern": "^[^\"\\n]*[^\\s\"][^\"\\n]*\\n[^\"\\n]*[^\\s,;\"]"})
}

/// One programme's estimate, or with `compare` a side-by-side comparison; either says where
/// its rates came from.
fn estimate_reply(c: &mut Components) -> Value {
    json!({"oneOf": [s::<rebate_engine::RebateResult>(c), s::<rebate_engine::estimate::Comparison>(c)]})
}

const fn reply_json(schema: fn(&mut Components) -> Value) -> Content {
    Content {
        content_type: "application/json",
        schema,
    }
}

const fn reply_text(content_type: &'static str) -> Content {
    Content {
        content_type,
        schema: text,
    }
}

const fn body_json(schema: fn(&mut Components) -> Value) -> Content {
    Content {
        content_type: "application/json",
        schema,
    }
}

const CINEMA_BIN: &str = "980340001119";

pub const ROUTES: &[RouteDoc] = &[
    RouteDoc { name: "healthz", method: "get", path: "/healthz", example: "/healthz", summary: "liveness and ClickHouse reachability", roles: &[], params: none, body: None, reply: reply_json(s::<Health>), export: false },
    RouteDoc { name: "openapi", method: "get", path: "/openapi.json", example: "/openapi.json", summary: "this document", roles: &[], params: none, body: None, reply: reply_json(object), export: false },
    RouteDoc { name: "metrics", method: "get", path: "/metrics", example: "/metrics", summary: "Prometheus metrics", roles: &[], params: none, body: None, reply: reply_text("text/plain; version=0.0.4"), export: false },
    RouteDoc { name: "chart", method: "get", path: "/v1/box-office/chart", example: "/v1/box-office/chart?date=2026-11-21&period=weekend", summary: "the day's, weekend's (Fri–Sun) or week's (Mon–Sun) chart, nationally or in a region with at least 3 reporting cinemas, of all, national or foreign films; registered films only, unregistered ids as one line", roles: &[], params: q::<params::ChartParams>, body: None, reply: reply_json(s::<api_core::reports::chart::DailyChart>), export: false },
    RouteDoc { name: "film_run", method: "get", path: "/v1/films/{film_id}/run", example: "/v1/films/KZ26-0001/run", summary: "a registered film's public run: its days, weekends (opening = first Fri–Sun on or after release), cumulative figures, and the ministry's ROI words when it publishes them", roles: &[], params: q::<params::NoQuery>, body: None, reply: reply_json(s::<api_core::reports::film_run::FilmRun>), export: false },
    RouteDoc { name: "cinema_index", method: "get", path: "/v1/cinema-index", example: "/v1/cinema-index?region=KZ-75", summary: "the registered cinemas by region (code order; those without a region last, when no region is asked for): each cinema's BIN and name in kk, ru and en; no figures", roles: &[], params: q::<params::CinemaIndexQuery>, body: None, reply: reply_json(s::<api_core::reports::cinema_index::CinemaIndex>), export: false },
    RouteDoc { name: "film_index", method: "get", path: "/v1/film-index", example: "/v1/film-index?q=%D0%B0%D1%8F%D0%B7", summary: "the registered films whose title (kk, ru or en, any case, ё as е) or certificate number holds q, with their three titles, release date and distributor; every film when q is empty", roles: &[], params: q::<params::FilmIndexQuery>, body: None, reply: reply_json(s::<api_core::reports::film_index::FilmIndex>), export: false },
    RouteDoc { name: "daily_chart", method: "get", path: "/v1/box-office/daily", example: "/v1/box-office/daily?date=2026-11-21", summary: "the day's chart (rank, rank change, new, gross, share, admissions, screens, screenings, cumulative)", roles: &[], params: q::<params::DateQuery>, body: None, reply: reply_json(s::<api_core::reports::chart::DailyChart>), export: false },
    RouteDoc { name: "films", method: "get", path: "/v1/box-office/films", example: "/v1/box-office/films?from=2026-11-01&to=2026-11-21", summary: "per-film totals over a range, optionally one region (a producer: its own films)", roles: &["ministry", "commission", "producer"], params: q::<params::FilmsQuery>, body: None, reply: reply_json(s::<handlers::box_office::FilmsReply>), export: true },
    RouteDoc { name: "regions", method: "get", path: "/v1/box-office/regions", example: "/v1/box-office/regions?from=2026-11-01&to=2026-11-21", summary: "box office by region over a range: cinemas reporting, admissions, gross, net, share of the national gross", roles: &["ministry", "commission"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<api_core::reports::regions::RegionsReport>), export: false },
    RouteDoc { name: "film_daily", method: "get", path: "/v1/box-office/films/{film_id}/daily", example: "/v1/box-office/films/KZ26-0001/daily?from=2026-11-01&to=2026-11-21", summary: "a film per day, or per day and cinema with by=cinema", roles: &["ministry", "producer"], params: q::<params::FilmDailyQuery>, body: None, reply: reply_json(s::<handlers::box_office::FilmDailyReply>), export: true },
    RouteDoc { name: "film_history", method: "get", path: "/v1/films/{film_id}/history", example: "/v1/films/KZ26-0001/history", summary: "every version of a film's registry records (film, agreements, funding), who wrote each and when", roles: &["ministry", "producer"], params: none, body: None, reply: reply_json(s::<handlers::registry::HistoryReply>), export: false },
    RouteDoc { name: "film_roi", method: "get", path: "/v1/films/{film_id}/roi", example: "/v1/films/KZ26-0001/roi", summary: "ROI of one film", roles: &["ministry", "producer"], params: none, body: None, reply: reply_json(s::<api_core::reports::roi::FilmRoi>), export: false },
    RouteDoc { name: "roi_summary", method: "get", path: "/v1/roi/summary", example: "/v1/roi/summary?funding_year=2025", summary: "payback KPI over state-funded films", roles: &["ministry"], params: q::<params::SummaryQuery>, body: None, reply: reply_json(s::<api_core::reports::roi::RoiSummary>), export: false },
    RouteDoc { name: "roi_kpi_trend", method: "get", path: "/v1/roi/kpi-trend", example: "/v1/roi/kpi-trend?to=2026-12-06&months=12", summary: "the payback KPI as it stood at the end of each month", roles: &["ministry"], params: q::<params::KpiTrendQuery>, body: None, reply: reply_json(s::<api_core::reports::kpi_trend::KpiTrend>), export: false },
    RouteDoc { name: "roi_films", method: "get", path: "/v1/roi/films", example: "/v1/roi/films", summary: "ROI of every registered film, a page at a time", roles: &["ministry"], params: q::<params::PageQuery>, body: None, reply: reply_json(s::<handlers::roi::FilmsReply>), export: true },
    RouteDoc { name: "silent_cinemas", method: "get", path: "/v1/cinemas/reporting", example: "/v1/cinemas/reporting?silent_days=7", summary: "cinemas silent for at least N days", roles: &["ministry"], params: q::<params::SilentQuery>, body: None, reply: reply_json(s::<handlers::cinemas::SilentReply>), export: false },
    RouteDoc { name: "cinema_reporting", method: "get", path: "/v1/cinemas/{bin}/reporting", example: "/v1/cinemas/980340001119/reporting?from=2026-11-01&to=2026-11-21", summary: "a cinema's reporting scorecard", roles: &["ministry", "cinema"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<api_core::reports::scorecard::Scorecard>), export: false },
    RouteDoc { name: "cinema_corrections", method: "get", path: "/v1/cinemas/{bin}/corrections", example: "/v1/cinemas/980340001119/corrections?from=2026-11-01&to=2026-11-21", summary: "a cinema's corrections to closed days", roles: &["ministry", "cinema"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<api_core::reports::corrections::CorrectionsReport>), export: true },
    RouteDoc { name: "corrections", method: "get", path: "/v1/corrections", example: "/v1/corrections?from=2026-11-01&to=2026-11-21", summary: "every correction to closed days", roles: &["ministry"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<api_core::reports::corrections::CorrectionsReport>), export: true },
    RouteDoc { name: "cinema_scorecards", method: "get", path: "/v1/cinemas/scorecards", example: "/v1/cinemas/scorecards?from=2026-11-01&to=2026-11-22", summary: "every cinema's reporting card over a range, by BIN, with the national medians", roles: &["ministry"], params: q::<params::RangePageQuery>, body: None, reply: reply_json(s::<handlers::cinemas::ScorecardsReply>), export: true },
    RouteDoc { name: "cinema_sales", method: "get", path: "/v1/cinemas/{bin}/sales", example: "/v1/cinemas/980340001119/sales?from=2026-11-20&to=2026-11-22", summary: "a cinema's box office per screening day and film, from the daily aggregates", roles: &["ministry", "cinema"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<handlers::cinemas::SalesReply>), export: true },
    RouteDoc { name: "cinema_screenings", method: "get", path: "/v1/cinemas/{bin}/screenings", example: "/v1/cinemas/980340001119/screenings?day=2026-11-20", summary: "a cinema's one day by hall and screening (raw rows); with screening, its events and their correction deadlines", roles: &["ministry", "cinema"], params: q::<params::ScreeningsQuery>, body: None, reply: reply_json(s::<api_core::reports::screenings::ScreeningsReport>), export: false },
    RouteDoc { name: "signals", method: "get", path: "/v1/signals", example: "/v1/signals?from=2026-11-01&to=2026-11-30", summary: "where figures cannot be true: every cinema's signals in force (over capacity, seats counted twice, undeclared, cancelled or overlapping sessions, full night shows, partners' tickets unreported), with their evidence", roles: &["ministry"], params: q::<handlers::signals::SignalsQuery>, body: None, reply: reply_json(s::<api_core::signals::report::SignalList>), export: false },
    RouteDoc { name: "vendors", method: "get", path: "/v1/vendors", example: "/v1/vendors?from=2026-11-01&to=2026-11-30", summary: "how completely each ticketing vendor's cinemas report: the share of declared sessions with tickets, day by day against the target (98 %), latency p95 and reject rate, vendors and cinemas ranked", roles: &["ministry"], params: q::<handlers::vendors::VendorsQuery>, body: None, reply: reply_json(s::<api_core::reports::completeness::VendorReport>), export: false },
    RouteDoc { name: "cinema_signals", method: "get", path: "/v1/cinemas/{bin}/signals", example: "/v1/cinemas/980340001119/signals?from=2026-11-01&to=2026-11-30", summary: "a cinema's signals in force, with their evidence", roles: &["ministry", "cinema"], params: q::<handlers::signals::CinemaSignalsQuery>, body: None, reply: reply_json(s::<api_core::signals::report::SignalList>), export: false },
    RouteDoc { name: "post_signal_explanation", method: "post", path: "/v1/cinemas/{bin}/signals/explanations", example: "/v1/cinemas/980340001119/signals/explanations", summary: "the cinema explains one of its signals in force; the latest explanation is shown beside the signal to it and the ministry", roles: &["cinema"], params: none, body: Some(body_json(s::<handlers::signals::ExplanationBody>)), reply: reply_json(s::<api_core::signals::report::Explanation>), export: false },
    RouteDoc { name: "post_case", method: "post", path: "/v1/cases", example: "/v1/cases", summary: "open a case on a cinema from signals in force: their evidence kept as it stands, the gross in doubt, the unreported gross and the film rentals it withheld estimated", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::cases::OpenCaseBody>)), reply: reply_json(s::<handlers::cases::CaseView>), export: false },
    RouteDoc { name: "cases", method: "get", path: "/v1/cases", example: "/v1/cases?state=notified", summary: "every case, newest first, with its state and steps", roles: &["ministry"], params: q::<handlers::cases::CasesQuery>, body: None, reply: reply_json(s::<handlers::cases::CaseList>), export: false },
    RouteDoc { name: "cinema_cases", method: "get", path: "/v1/cinemas/{bin}/cases", example: "/v1/cinemas/980340001119/cases", summary: "a cinema's cases, newest first: the notices it was sent and what it answered", roles: &["ministry", "cinema"], params: none, body: None, reply: reply_json(s::<handlers::cases::CaseList>), export: false },
    RouteDoc { name: "case", method: "get", path: "/v1/cases/{id}", example: "/v1/cases/CS-0000000000000000", summary: "a case: its signals and evidence, estimates, and every step with who and when", roles: &["ministry", "cinema"], params: none, body: None, reply: reply_json(s::<handlers::cases::CaseView>), export: false },
    RouteDoc { name: "post_case_notice", method: "post", path: "/v1/cases/{id}/notices", example: "/v1/cases/CS-0000000000000000/notices", summary: "the ministry's notice to the cinema, in Kazakh or Russian", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::cases::NoticeBody>)), reply: reply_json(s::<handlers::cases::CaseView>), export: false },
    RouteDoc { name: "post_case_reply", method: "post", path: "/v1/cases/{id}/replies", example: "/v1/cases/CS-0000000000000000/replies", summary: "the cinema's answer to a notice (409 before a notice or after the decision)", roles: &["cinema"], params: none, body: Some(body_json(s::<handlers::cases::ReplyBody>)), reply: reply_json(s::<handlers::cases::CaseView>), export: false },
    RouteDoc { name: "post_case_decision", method: "post", path: "/v1/cases/{id}/decision", example: "/v1/cases/CS-0000000000000000/decision", summary: "the decision: a step of api.cases.ladder (a sanction, after a notice) or none; one per case", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::cases::CaseDecisionBody>)), reply: reply_json(s::<handlers::cases::CaseView>), export: false },
    RouteDoc { name: "cinema_flags", method: "get", path: "/v1/cinemas/{bin}/flags", example: "/v1/cinemas/980340001119/flags?from=2026-11-01&to=2026-11-22", summary: "a cinema's reconciliation flags per screening day: unknown film, VAT different from the registry, refund waiting for its sale", roles: &["ministry", "cinema"], params: q::<params::RangeQuery>, body: None, reply: reply_json(s::<api_core::reports::flags::FlagsReport>), export: false },
    RouteDoc { name: "cinema_rejected", method: "get", path: "/v1/cinemas/{bin}/rejected", example: "/v1/cinemas/980340001119/rejected", summary: "a cinema's rejected events, paged", roles: &["ministry", "cinema"], params: q::<params::PageQuery>, body: None, reply: reply_json(s::<handlers::cinemas::RejectedReply>), export: true },
    RouteDoc { name: "post_sessions", method: "post", path: "/v1/sessions", example: "/v1/sessions", summary: "declared sessions (ekino.session/1) as NDJSON, or CSV with the same columns, per-line result", roles: &["cinema"], params: none, body: Some(Content { content_type: "application/x-ndjson", schema: ndjson }), reply: reply_json(s::<handlers::tickets::UploadReply>), export: false },
    RouteDoc { name: "post_partner_sales", method: "post", path: "/v1/partner/sales", example: "/v1/partner/sales", summary: "an online seller's own records (ekino.partner/1) as NDJSON, per-line result", roles: &["partner"], params: none, body: Some(Content { content_type: "application/x-ndjson", schema: ndjson }), reply: reply_json(s::<handlers::tickets::UploadReply>), export: false },
    RouteDoc { name: "post_head_count", method: "post", path: "/v1/head-counts", example: "/v1/head-counts", summary: "an inspector's head count of a running session (signal head_count_gap when above the admissions stored)", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::head_counts::HeadCountBody>)), reply: reply_json(s::<handlers::head_counts::HeadCountSaved>), export: false },
    RouteDoc { name: "post_tickets", method: "post", path: "/v1/tickets", example: "/v1/tickets", summary: "ticket events (ekino.ticket/1) as NDJSON, or CSV with the same columns, per-line result", roles: &["cinema"], params: none, body: Some(Content { content_type: "application/x-ndjson", schema: ndjson }), reply: reply_json(s::<handlers::tickets::UploadReply>), export: false },
    RouteDoc { name: "post_claim_preview", method: "post", path: "/v1/claims/preview", example: "/v1/claims/preview", summary: "compute a rebate claim exactly as filing would, storing nothing", roles: &["producer"], params: none, body: Some(body_json(s::<handlers::claims::SubmitClaim>)), reply: reply_json(s::<handlers::claims::ClaimPreview>), export: false },
    RouteDoc { name: "post_claim", method: "post", path: "/v1/claims", example: "/v1/claims", summary: "file a rebate claim ({film_id?, claim}); stored with its computed result", roles: &["producer"], params: none, body: Some(body_json(s::<handlers::claims::SubmitClaim>)), reply: reply_json(s::<handlers::claims::ClaimView>), export: false },
    RouteDoc { name: "put_fx", method: "put", path: "/v1/fx", example: "/v1/fx", summary: "load official FX rates (CSV date,currency,kzt); claims are computed and decided with them", roles: &["ministry"], params: none, body: Some(Content { content_type: "text/csv", schema: fx_csv }), reply: reply_json(s::<handlers::registry::FxLoaded>), export: false },
    RouteDoc { name: "claims", method: "get", path: "/v1/claims", example: "/v1/claims?status=submitted", summary: "claims by their latest step (ministry: all; producer: its own), newest first", roles: &["producer", "ministry"], params: q::<handlers::claims::ListQuery>, body: None, reply: reply_json(s::<handlers::claims::ClaimList>), export: false },
    RouteDoc { name: "pools", method: "get", path: "/v1/rebates/pools", example: "/v1/rebates/pools?year=2026", summary: "each programme's annual pool, what approved and paid claims take, what is left, and its per-beneficiary cap", roles: &["ministry", "commission", "producer"], params: q::<handlers::claims::PoolsQuery>, body: None, reply: reply_json(s::<handlers::claims::PoolsReply>), export: false },
    RouteDoc { name: "claim", method: "get", path: "/v1/claims/{id}", example: "/v1/claims/CL-0000000000000000", summary: "a claim, its line-by-line explanation and its history", roles: &["producer", "ministry"], params: none, body: None, reply: reply_json(s::<handlers::claims::ClaimView>), export: false },
    RouteDoc { name: "post_decision", method: "post", path: "/v1/claims/{id}/decision", example: "/v1/claims/CL-0000000000000000/decision", summary: "approve, reject (with reason) or mark_paid; approval fails when it would overdraw the annual pool", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::claims::DecisionBody>)), reply: reply_json(s::<handlers::claims::ClaimView>), export: false },
    RouteDoc { name: "film_records", method: "get", path: "/v1/films", example: "/v1/films", summary: "every registered film as it stands: titles, parties, budget, agreement, state funding payments, when it was last written", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::records::FilmRecords>), export: false },
    RouteDoc { name: "film", method: "get", path: "/v1/films/{film_id}", example: "/v1/films/KZ26-0001", summary: "one registered film as it stands (the ministry, and the film's producer or distributor)", roles: &["ministry", "producer"], params: none, body: None, reply: reply_json(s::<handlers::records::FilmRecord>), export: false },
    RouteDoc { name: "cinemas", method: "get", path: "/v1/cinemas", example: "/v1/cinemas", summary: "every registered cinema as it stands", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::records::CinemaRecords>), export: false },
    RouteDoc { name: "cinema", method: "get", path: "/v1/cinemas/{bin}", example: "/v1/cinemas/980340001119", summary: "one registered cinema as it stands (the ministry, and the cinema itself)", roles: &["ministry", "cinema"], params: none, body: None, reply: reply_json(s::<handlers::records::CinemaRecord>), export: false },
    RouteDoc { name: "cinema_halls", method: "get", path: "/v1/cinemas/{bin}/halls", example: "/v1/cinemas/980340001119/halls", summary: "a cinema's halls in force: key, name, seats (the ministry, and the cinema itself)", roles: &["ministry", "cinema"], params: none, body: None, reply: reply_json(s::<handlers::halls::HallList>), export: false },
    RouteDoc { name: "put_hall", method: "put", path: "/v1/cinemas/{bin}/halls/{hall}", example: "/v1/cinemas/980340001119/halls/1", summary: "register or update one hall of a cinema (its seats, its name), kept with its history; the seat signals follow it", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::halls::HallBody>)), reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "delete_hall", method: "delete", path: "/v1/cinemas/{bin}/halls/{hall}", example: "/v1/cinemas/980340001119/halls/1", summary: "remove a hall of a cinema (a version marked removed; its history stays)", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "cinema_history", method: "get", path: "/v1/cinemas/{bin}/history", example: "/v1/cinemas/980340001119/history", summary: "every version of a cinema's registry record and of its halls, who wrote each and when", roles: &["ministry", "cinema"], params: none, body: None, reply: reply_json(s::<handlers::records::CinemaHistory>), export: false },
    RouteDoc { name: "fx", method: "get", path: "/v1/fx", example: "/v1/fx?from=2026-11-01&to=2026-11-21", summary: "the official FX rates loaded for a range of dates: every load, who made it, and which is in force", roles: &["ministry"], params: q::<handlers::records::FxQuery>, body: None, reply: reply_json(s::<handlers::records::FxReply>), export: false },
    RouteDoc { name: "put_film", method: "put", path: "/v1/films/{film_id}", example: "/v1/films/KZ26-0001", summary: "register or update a film (with its agreement shares)", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::registry::FilmBody>)), reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "post_funding", method: "post", path: "/v1/films/{film_id}/funding", example: "/v1/films/KZ26-0001/funding", summary: "record a state funding payment", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::registry::FundingBody>)), reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "put_cinema", method: "put", path: "/v1/cinemas/{bin}", example: "/v1/cinemas/980340001119", summary: "register or update a cinema", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::registry::CinemaBody>)), reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "put_applicant", method: "put", path: "/v1/applicants/{applicant_id}", example: "/v1/applicants/FA-US-1", summary: "register or update a foreign rebate applicant (country, registration number, films it may claim for)", roles: &["ministry"], params: none, body: Some(body_json(s::<api_core::applicants::ApplicantBody>)), reply: reply_json(s::<handlers::registry::Saved>), export: false },
    RouteDoc { name: "applicant", method: "get", path: "/v1/applicants/{applicant_id}", example: "/v1/applicants/FA-US-1", summary: "a foreign rebate applicant as registered", roles: &["ministry", "producer"], params: none, body: None, reply: reply_json(s::<api_core::applicants::ApplicantRow>), export: false },
    RouteDoc { name: "keys", method: "get", path: "/v1/keys", example: "/v1/keys", summary: "every API key: label, role, scope, who issued it, last use, expiry, revocation (never a secret)", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::keys::KeysReply>), export: false },
    RouteDoc { name: "issue_key", method: "post", path: "/v1/keys", example: "/v1/keys", summary: "issue a key; the token is in this reply only", roles: &["ministry"], params: none, body: Some(body_json(s::<api_core::keys::NewKey>)), reply: reply_json(s::<api_core::keys::IssuedKey>), export: false },
    RouteDoc { name: "revoke_key", method: "post", path: "/v1/keys/{key_id}/revoke", example: "/v1/keys/0123456789ab/revoke", summary: "revoke a key with a reason; a running API refuses it within a second", roles: &["ministry"], params: none, body: Some(body_json(s::<handlers::keys::Revoke>)), reply: reply_json(s::<handlers::keys::Revoked>), export: false },
    RouteDoc { name: "key_requests", method: "get", path: "/v1/keys/requests", example: "/v1/keys/requests", summary: "requests waiting for (or given) a second ministry key's approval: new ministry keys, and revocations that would leave fewer than two", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::keys::RequestsReply>), export: false },
    RouteDoc { name: "approve_key_request", method: "post", path: "/v1/keys/requests/{request_id}/approve", example: "/v1/keys/requests/0123456789ab/approve", summary: "approve another ministry key's request within 24 hours: its new key works, or its revocation is stored", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<api_core::key_requests::KeyRequest>), export: false },
    RouteDoc { name: "applicants", method: "get", path: "/v1/applicants", example: "/v1/applicants", summary: "every registered foreign rebate applicant", roles: &["ministry"], params: none, body: None, reply: reply_json(s::<handlers::keys::ApplicantsReply>), export: false },
    RouteDoc { name: "audit", method: "get", path: "/v1/audit", example: "/v1/audit?from=2026-11-01&to=2026-11-21", summary: "the audit log of authenticated requests", roles: &["ministry"], params: q::<handlers::registry::AuditQuery>, body: None, reply: reply_json(s::<handlers::registry::AuditReply>), export: true },
    RouteDoc { name: "commission_estimates", method: "get", path: "/v1/commission/estimates", example: "/v1/commission/estimates", summary: "the film commission's saved estimates, per production, newest first", roles: &["commission"], params: none, body: None, reply: reply_json(s::<handlers::productions::SavedEstimates>), export: false },
    RouteDoc { name: "save_estimate", method: "post", path: "/v1/commission/estimates", example: "/v1/commission/estimates", summary: "save an estimate (the estimator's query) for a production; checked as the estimator checks it", roles: &["commission"], params: none, body: Some(body_json(s::<handlers::productions::NewEstimate>)), reply: reply_json(s::<handlers::productions::SavedEstimate>), export: false },
    RouteDoc { name: "delete_estimate", method: "post", path: "/v1/commission/estimates/{estimate_id}/delete", example: "/v1/commission/estimates/ES-0000000000000000/delete", summary: "delete a saved estimate (kept in the table as a deleted version)", roles: &["commission"], params: none, body: None, reply: reply_json(s::<handlers::productions::Deleted>), export: false },
    RouteDoc { name: "programmes", method: "get", path: "/v1/rebates/programmes", example: "/v1/rebates/programmes", summary: "published rebate programmes", roles: &[], params: none, body: None, reply: reply_json(arr::<rebate_engine::Programme>), export: false },
    RouteDoc { name: "programme", method: "get", path: "/v1/rebates/programmes/{id}", example: "/v1/rebates/programmes/kz", summary: "one programme with all versions", roles: &[], params: none, body: None, reply: reply_json(s::<rebate_engine::Programme>), export: false },
    RouteDoc { name: "post_estimate", method: "post", path: "/v1/rebates/estimate", example: "/v1/rebates/estimate", summary: "estimate from a budget split; compare=kz,ge,uz for side by side", roles: &[], params: q::<params::CompareQuery>, body: Some(body_json(s::<rebate_engine::estimate::EstimateInput>)), reply: reply_json(estimate_reply), export: false },
];

/// The methods the documented routes answer on `path` (upper case), for a 405's `Allow`.
pub fn allowed_methods(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let matching: Vec<&RouteDoc> = ROUTES
        .iter()
        .filter(|r| {
            let t: Vec<&str> = r.path.split('/').collect();
            t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(t, p)| t.starts_with('{') || t == p)
        })
        .collect();
    // A path written out in full wins over a template it also matches (as in OpenAPI).
    let exact: Vec<&RouteDoc> = matching
        .iter()
        .copied()
        .filter(|r| r.path == path)
        .collect();
    let mut methods: Vec<String> = if exact.is_empty() { matching } else { exact }
        .iter()
        .map(|r| r.method.to_uppercase())
        .collect();
    methods.sort();
    methods.dedup();
    methods
}

/// The cinema BIN the examples use (tests give the cinema key this BIN).
pub fn example_bin() -> &'static str {
    CINEMA_BIN
}

/// A path parameter's schema, by its name.
fn path_param(name: &str) -> Value {
    let schema = match name {
        "bin" => {
            json!({"type": "string", "pattern": "^[0-9]{12}$", "format": "kz-bin", "description": "a BIN: 12 digits, the last a checksum"})
        }
        "applicant_id" => json!({"type": "string", "pattern": "^FA-[A-Z0-9-]{1,29}$"}),
        "film_id" => {
            json!({"type": "string", "minLength": 1, "maxLength": schemas::FilmId::MAX_LEN, "pattern": schemas::openapi::NO_CONTROL})
        }
        "hall" => {
            json!({"type": "string", "minLength": 1, "maxLength": schemas::registry::MAX_HALL_CHARS, "pattern": schemas::openapi::NO_CONTROL, "description": "the hall's key, as its tickets carry it"})
        }
        _ => json!({"type": "string", "minLength": 1}),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema})
}

/// What the types cannot say and the data or a rule between fields does: the programme ids
/// (data files), a rejection's required reason, a film id's bounds inside a list, the CSV
/// grammar of official rates.
fn refine(c: &mut Components) {
    let ids: Vec<Value> = rebate_engine::builtin::programmes()
        .unwrap_or_default()
        .into_iter()
        .map(|p| json!(p.id))
        .collect();
    if let Some(p) = c
        .get_mut("EstimateInput")
        .and_then(|s| s.pointer_mut("/properties/programme"))
    {
        let mut with_null = ids.clone();
        with_null.push(Value::Null);
        p["enum"] = Value::Array(with_null);
    }
    if let Some(p) = c
        .get_mut("ClaimInput")
        .and_then(|s| s.pointer_mut("/properties/programme"))
    {
        p["enum"] = Value::Array(ids.clone());
    }
    if let Some(items) = c
        .get_mut("ApplicantBody")
        .and_then(|s| s.pointer_mut("/properties/films/items"))
    {
        items["minLength"] = json!(1);
        items["pattern"] = json!(schemas::openapi::NO_CONTROL);
        items["maxLength"] = json!(schemas::FilmId::MAX_LEN);
    }
    // Names and numbers are trimmed and must then hold something (no control characters).
    for (component, property) in [
        ("ApplicantBody", "name"),
        ("ApplicantBody", "registration_number"),
        ("CinemaBody", "name"),
        ("CinemaBody", "city"),
        ("FundingBody", "payment_id"),
    ] {
        if let Some(p) = c
            .get_mut(component)
            .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
        {
            p["pattern"] = json!(schemas::openapi::TEXT);
        }
    }
    // Optional names: empty (or blank) stands for absent, so only control characters are out.
    for property in ["name_kk", "name_ru"] {
        if let Some(p) = c
            .get_mut("CinemaBody")
            .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
        {
            p["pattern"] = json!(schemas::openapi::NO_CONTROL);
        }
    }
    if let Some(k) = c.get_mut("NewKey").and_then(|s| s.get_mut("properties")) {
        k["role"]["enum"] = json!(["cinema", "producer", "ministry", "commission"]);
        k["label"]["pattern"] = json!(schemas::openapi::TEXT);
        k["bin"] = json!({"type": ["string", "null"], "pattern": "^[0-9]{12}$", "format": schemas::openapi::BIN_FORMAT});
        k["applicant_id"] = json!({"type": ["string", "null"], "pattern": "^FA-[A-Z0-9-]{1,29}$"});
    }
    if let Some(e) = c
        .get_mut("NewEstimate")
        .and_then(|s| s.get_mut("properties"))
    {
        e["production"]["pattern"] = json!(schemas::openapi::TEXT);
        e["note"]["pattern"] = json!(schemas::openapi::NO_CONTROL);
    }
    if let Some(p) = c
        .get_mut("Revoke")
        .and_then(|s| s.pointer_mut("/properties/reason"))
    {
        p["pattern"] = json!(schemas::openapi::TEXT);
    }
    if let Some(p) = c
        .get_mut("CinemaBody")
        .and_then(|s| s.pointer_mut("/properties/region"))
    {
        // A code; the API also takes a region's name in kk, ru or en.
        p["enum"] = json!(schemas::region::Region::all()
            .map(|r| r.code())
            .collect::<Vec<_>>());
    }
    if let Some(d) = c.get_mut("DecisionBody") {
        d["allOf"] = json!([
            {"if": {"properties": {"decision": {"const": "reject"}}, "required": ["decision"]},
             "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": "\\S"}}}},
            // The ministry may set the claim's as_of only when it approves.
            {"if": {"properties": {"decision": {"not": {"const": "approve"}}}, "required": ["decision"]},
             "then": {"properties": {"as_of": {"type": "null"}}}},
        ]);
    }
}

/// utoipa writes `format: int32` for every unsigned type up to `u32`, which tells a client (and
/// a fuzzer) that 2^31..2^32-1 is out of range; a schema whose maximum is beyond `i32` is
/// `int64`.
fn widen_unsigned(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let beyond_i32 = m
                .get("maximum")
                .and_then(Value::as_u64)
                .is_some_and(|max| max > i32::MAX as u64);
            let unsigned_u32 = m.get("minimum") == Some(&json!(0)) && m.get("maximum").is_none();
            if m.get("format") == Some(&json!("int32")) && (beyond_i32 || unsigned_u32) {
                m.insert("format".into(), json!("int64"));
                if unsigned_u32 {
                    m.insert("maximum".into(), json!(u32::MAX));
                }
            }
            m.values_mut().for_each(widen_unsigned);
        }
        Value::Array(a) => a.iter_mut().for_each(widen_unsigned),
        _ => {}
    }
}

/// Official rates as `PUT /v1/fx` takes them.
const FX_CSV: &str = r"^date,currency,kzt\n([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]),[A-Z]{3},[1-9][0-9]{0,5}(\.[0-9]{1,4})?\n)+$";

fn fx_csv(_: &mut Components) -> Value {
    json!({"type": "string", "pattern": FX_CSV})
}

/// The document, built once per process (it depends only on the code and the programme files
/// compiled in).
pub fn cached() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(document)
}

pub fn document() -> Value {
    let mut components = Components::new();
    let problem = s::<Problem>(&mut components);
    let mut paths = Map::new();
    for r in ROUTES {
        let mut parameters = (r.params)();
        for p in &mut parameters {
            if p["name"] == "programme" {
                let ids: Vec<String> = rebate_engine::builtin::programmes()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| p.id)
                    .collect();
                p["schema"]["pattern"] = json!(format!("^({})?$", ids.join("|")));
            }
            if p["name"] == "compare" {
                // Programme ids (data files), comma-separated; each at most once (a repeat is a 400).
                let ids: Vec<String> = rebate_engine::builtin::programmes()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| p.id)
                    .collect();
                let one = format!("({})", ids.join("|"));
                p["schema"]["pattern"] = json!(format!("^({one}(,{one})*)?$"));
            }
        }
        if r.export {
            parameters.push(json!({"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["csv", "arrow"]}, "description": "csv or an Arrow IPC stream instead of JSON"}));
        }
        for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
            parameters.push(path_param(seg.trim_matches(|c| c == '{' || c == '}')));
        }
        let problem_content = json!({"application/problem+json": {"schema": problem}});
        let mut ok = Map::new();
        ok.insert(
            r.reply.content_type.into(),
            json!({"schema": (r.reply.schema)(&mut components)}),
        );
        if r.export {
            ok.insert("text/csv".into(), json!({"schema": {"type": "string"}}));
            ok.insert(
                "application/vnd.apache.arrow.stream".into(),
                json!({"schema": {"type": "string", "format": "binary"}}),
            );
        }
        let mut responses = json!({
            "200": {"description": "ok", "content": ok},
            "400": {"description": "bad request: the field at fault and why", "content": problem_content},
            "404": {"description": "not found, or outside the caller's scope", "content": problem_content},
            "422": {"description": "well-formed, but the rules or reference data cannot compute it (no programme version in force on the date, no exchange rate, no MCI for the year)", "content": problem_content},
            "405": {"description": "another method than the documented one", "content": problem_content},
            "429": {"description": "rate limited; see Retry-After", "content": problem_content},
            "503": {"description": "storage unavailable or the server busy (Retry-After); a request id names the log line", "content": problem_content},
        });
        if matches!(r.path, "/v1/tickets" | "/v1/sessions" | "/v1/partner/sales") {
            // Nothing of the upload counts: the same per-line reply, with 422 (handlers::tickets::status_of).
            responses["422"] = json!({"description": "no line was accepted; each line's reason as with 200", "content": {r.reply.content_type: {"schema": (r.reply.schema)(&mut components)}}});
        }
        if r.body.is_some() {
            responses["408"] = json!({"description": "the body did not arrive in time", "content": problem_content});
            responses["413"] = json!({"description": "body too large", "content": problem_content});
        }
        if r.method != "get" && !r.roles.is_empty() {
            responses["409"] = json!({"description": "conflicts with the stored state (a claim's status, a pool)", "content": problem_content});
        }
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{}_{}", r.method, r.path.trim_start_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": parameters,
            "responses": responses,
            "x-roles": r.roles,
        });
        if let Some(body) = r.body {
            op["requestBody"] = json!({"required": true, "content": {body.content_type: {"schema": (body.schema)(&mut components)}}});
            if r.path == "/v1/tickets" || r.path == "/v1/sessions" {
                // The same events as CSV columns (schemas::event::csv), chosen by Content-Type.
                op["requestBody"]["content"][api_core::handlers::tickets::CSV] =
                    json!({"schema": csv_upload(&mut components)});
            }
        }
        if !r.roles.is_empty() {
            op["security"] = json!([{"bearer": []}]);
            op["responses"]["401"] =
                json!({"description": "missing or invalid key", "content": problem_content});
        }
        paths
            .entry(r.path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(r.method.into(), op);
    }
    refine(&mut components);
    let mut paths = Value::Object(paths);
    let mut schemas = serde_json::to_value(&components).expect("components");
    widen_unsigned(&mut paths);
    widen_unsigned(&mut schemas);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ekino API", "version": env!("CARGO_PKG_VERSION"), "description": "Kazakhstan's e-cinema data: box office, ROI of state-funded films, rebates. Money is a decimal string in KZT; dates are YYYY-MM-DD in UTC+5."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    })
}
