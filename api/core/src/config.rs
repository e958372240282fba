//! Typed settings of the API server.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    pub listen_addr: String,
    pub body_limit_bytes: u64,
    /// `POST /v1/tickets` takes NDJSON batches up to this size.
    pub upload_limit_bytes: u64,
    /// … and up to this many lines.
    pub upload_max_lines: usize,
    pub max_range_days: i64,
    pub max_page_rows: u64,
    pub query_timeout_ms: u64,
    /// Requests per key per minute; a burst of this size is allowed.
    pub rate_limit_per_minute: u32,
    /// Requests per client address per minute on the routes that need no key (`/healthz`
    /// and `/metrics` exempt); see `guards`.
    pub public_rate_limit_per_minute: u32,
    /// Requests per client address per minute that carry a session cookie to the signed-in
    /// pages and forms (each unknown cookie costs a storage lookup); 429 past it.
    pub session_rate_limit_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed (IP addresses); empty: none.
    pub trusted_proxies: Vec<String>,
    /// CPU-heavy requests (estimates, exports) served at once; more get 503 with Retry-After.
    pub cpu_workers: usize,
    /// How long a registry snapshot serves reports (`reports::registry`); 0 reads it anew
    /// for every request.
    pub registry_cache_ms: u64,
    /// How often a running API re-reads the keys: a revocation takes effect within this.
    pub keys_refresh_ms: u64,
    /// How long the public daily chart of a date is served from memory (at most 1,000; 0: off).
    pub chart_cache_ms: u64,
    /// A cinema's scorecard is served from memory for at most this long (≤ 1 s; 0: off).
    pub scorecard_cache_ms: u64,
    /// A vendor's or a cinema's completeness below this share (%) of its declared sessions
    /// with tickets is below target (`GET /v1/vendors`); at most 100.
    pub completeness_target_percent: u8,
    /// A page of a signals list is served from memory for at most this long (≤ 1 s; 0: off).
    pub signals_cache_ms: u64,
    /// Where audit records wait while ClickHouse is away (a volume in compose).
    pub audit_spool_dir: String,
    /// The spool's bound; when full, writes are refused (503) until it drains.
    pub audit_spool_max_bytes: u64,
    /// Open connections at once; past it the connection idle longest is closed to make room,
    /// and a new one is closed at once only when all are busy (`api_server::conns`).
    pub max_connections: usize,
    /// The same bound for the connections of one client address.
    pub max_connections_per_address: usize,
    /// A request's headers must arrive within this (slow-header clients are cut off), and a
    /// new connection must start its first request within it.
    pub header_timeout_ms: u64,
    /// A connection with no request in flight and no byte in or out for this long is closed.
    pub idle_timeout_ms: u64,
    /// A request's body must arrive within this (408 otherwise).
    pub body_timeout_ms: u64,
    /// How long a claim decision waits for the decider (see `decider`) before 503.
    pub decision_timeout_ms: u64,
    /// A web session unused this long ends (30 minutes); see `sessions`.
    pub session_idle_secs: u32,
    /// A web session ends this long after sign-in however used (12 hours), and never after
    /// its key's expiry.
    pub session_max_secs: u32,
    /// How long a process trusts its copy of a session row (at most 1,000; 0: reads every time).
    pub session_cache_ms: u64,
    /// A ministry key lasts at most this many days, and this long when issued without an
    /// expiry (90; 1 to 3,650).
    pub ministry_key_days: u32,
    /// Signs claim decisions for the decider (see `decision_queue`): the same in every API
    /// process of a deployment, held by nobody else.
    #[serde(skip_serializing)]
    #[schema(ignore)]
    pub decision_secret: ingest::config::Secret,
    /// The secret before the last rotation, still accepted by the decider.
    #[serde(skip_serializing)]
    #[schema(ignore)]
    pub decision_secret_previous: ingest::config::Secret,
    /// Where figures cannot be true: the watcher and the rules' thresholds (`signals`).
    pub signals: SignalSettings,
    /// Cases opened from signals: the ladder of decisions (`cases`).
    pub cases: CaseSettings,
}

/// Settings of cases (`api.cases.*`, env `EKINO_API__CASES__…`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CaseSettings {
    /// The decisions a case can end in besides `none` (no breach found), from the mildest;
    /// each named in Kazakh, Russian and English, since a ministry may rename or add steps.
    pub ladder: Vec<LadderStep>,
}

/// One step of the ladder of decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// Stable code (`^[a-z0-9_]{1,32}$`), what the API takes and stores.
    pub code: String,
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Default for CaseSettings {
    fn default() -> Self {
        let step = |code: &str, kk: &str, ru: &str, en: &str| LadderStep {
            code: code.into(),
            kk: kk.into(),
            ru: ru.into(),
            en: en.into(),
        };
        // China's film fund office in 2017: a warning, a fine, 60- and 90-day closures
        // (../shared/domain.md).
        Self {
            ladder: vec![
                step("warning", "Ескерту", "Предупреждение", "Warning"),
                step("fine", "Айыппұл", "Штраф", "Fine"),
                step(
                    "closure_60",
                    "60 күнге жабу",
                    "Закрытие на 60 дней",
                    "Closure for 60 days",
                ),
                step(
                    "closure_90",
                    "90 күнге жабу",
                    "Закрытие на 90 дней",
                    "Closure for 90 days",
                ),
            ],
        }
    }
}

impl CaseSettings {
    /// The step with `code`.
    pub fn step(&self, code: &str) -> Option<&LadderStep> {
        self.ladder.iter().find(|s| s.code == code)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.ladder.is_empty() {
            return Err("api.cases.ladder must name at least one decision".into());
        }
        for (i, s) in self.ladder.iter().enumerate() {
            let code_ok = (1..=32).contains(&s.code.len())
                && s.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !code_ok || s.code == crate::cases::NO_BREACH {
                return Err(format!(
                    "api.cases.ladder[{i}].code must match ^[a-z0-9_]{{1,32}}$ and not be {:?}, got {:?}",
                    crate::cases::NO_BREACH,
                    s.code
                ));
            }
            if self.ladder[..i].iter().any(|o| o.code == s.code) {
                return Err(format!(
                    "api.cases.ladder[{i}].code {:?} is listed twice",
                    s.code
                ));
            }
            for (lang, name) in [("kk", &s.kk), ("ru", &s.ru), ("en", &s.en)] {
                if name.trim().is_empty() {
                    return Err(format!("api.cases.ladder[{i}].{lang} must not be empty"));
                }
            }
        }
        Ok(())
    }
}

/// Settings of the signal watcher and its rules (`api.signals.*`, env
/// `EKINO_API__SIGNALS__…`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SignalSettings {
    /// How often the watcher looks for changed cinema days; 0 turns it off in this process.
    pub interval_ms: u64,
    /// How far back each look reaches before the last one (covers a slow insert or a clock
    /// between hosts); cinema days are re-evaluated within it, which is harmless.
    pub overlap_ms: u64,
    /// The night window (local hours, from inclusive, to exclusive) and the share of a hall
    /// that makes a night show "full", in percent.
    pub late_night_from_hour: u32,
    pub late_night_to_hour: u32,
    pub late_night_full_percent: u32,
    /// How often the outliers against the cinema's region are looked for (days whose
    /// aggregates or declarations changed since the last look; `signals::regional`); 0 off.
    pub regional_interval_ms: u64,
    /// The window of the regional outliers, in box-office days ending on the day judged.
    pub regional_window_days: u32,
    /// A region is judged only with at least this many reporting cinemas (those with at least
    /// `regional_min_sales` sales in the window).
    pub regional_min_cinemas: u32,
    pub regional_min_sales: u64,
    /// A refund rate at or above the region's median × this percentage, and at least
    /// `refund_rate_min_points` percentage points above the median.
    pub refund_rate_factor_percent: u32,
    pub refund_rate_min_points: u32,
    /// An average price below the region's median × this percentage.
    pub price_low_percent: u32,
    /// An occupancy below the region's median × this percentage.
    pub occupancy_low_percent: u32,
}

impl Default for SignalSettings {
    fn default() -> Self {
        let t = crate::signals::rules::Thresholds::default();
        let r = crate::signals::regional::RegionalThresholds::default();
        Self {
            interval_ms: 2_000,
            overlap_ms: 300_000,
            late_night_from_hour: t.late_night_from_hour,
            late_night_to_hour: t.late_night_to_hour,
            late_night_full_percent: t.late_night_full_percent,
            regional_interval_ms: 30_000,
            regional_window_days: r.window_days,
            regional_min_cinemas: r.min_cinemas,
            regional_min_sales: r.min_sales,
            refund_rate_factor_percent: r.refund_rate_factor_percent,
            refund_rate_min_points: r.refund_rate_min_points,
            price_low_percent: r.price_low_percent,
            occupancy_low_percent: r.occupancy_low_percent,
        }
    }
}

impl SignalSettings {
    pub fn thresholds(&self) -> crate::signals::rules::Thresholds {
        crate::signals::rules::Thresholds {
            late_night_from_hour: self.late_night_from_hour,
            late_night_to_hour: self.late_night_to_hour,
            late_night_full_percent: self.late_night_full_percent,
        }
    }

    pub fn regional(&self) -> crate::signals::regional::RegionalThresholds {
        crate::signals::regional::RegionalThresholds {
            window_days: self.regional_window_days,
            min_cinemas: self.regional_min_cinemas,
            min_sales: self.regional_min_sales,
            refund_rate_factor_percent: self.refund_rate_factor_percent,
            refund_rate_min_points: self.refund_rate_min_points,
            price_low_percent: self.price_low_percent,
            occupancy_low_percent: self.occupancy_low_percent,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(1..=366).contains(&self.regional_window_days) {
            return Err(format!(
                "api.signals.regional_window_days must be from 1 to 366, got {}",
                self.regional_window_days
            ));
        }
        if self.regional_min_cinemas < 2 {
            return Err(format!(
                "api.signals.regional_min_cinemas must be at least 2 (a median of one cinema is itself), got {}",
                self.regional_min_cinemas
            ));
        }
        if self.refund_rate_factor_percent < 100 {
            return Err(format!(
                "api.signals.refund_rate_factor_percent must be at least 100 (the median itself), got {}",
                self.refund_rate_factor_percent
            ));
        }
        for (name, v) in [
            ("price_low_percent", self.price_low_percent),
            ("occupancy_low_percent", self.occupancy_low_percent),
        ] {
            if !(1..=99).contains(&v) {
                return Err(format!("api.signals.{name} must be from 1 to 99, got {v}"));
            }
        }
        if self.late_night_from_hour >= self.late_night_to_hour || self.late_night_to_hour > 24 {
            return Err(format!(
                "api.signals.late_night_from_hour ({}) must be below api.signals.late_night_to_hour ({}), at most 24",
                self.late_night_from_hour, self.late_night_to_hour
            ));
        }
        if !(1..=100).contains(&self.late_night_full_percent) {
            return Err(format!(
                "api.signals.late_night_full_percent must be from 1 to 100, got {}",
                self.late_night_full_percent
            ));
        }
        Ok(())
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            listen_addr: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 8 * 1024 * 1024,
            upload_max_lines: 20_000,
            max_range_days: 366,
            max_page_rows: 1000,
            query_timeout_ms: 5000,
            rate_limit_per_minute: 600,
            public_rate_limit_per_minute: 300,
            session_rate_limit_per_minute: 600,
            trusted_proxies: Vec::new(),
            cpu_workers: 4,
            registry_cache_ms: 2000,
            keys_refresh_ms: 1000,
            chart_cache_ms: 1000,
            scorecard_cache_ms: 1000,
            signals_cache_ms: 1000,
            completeness_target_percent: 98,
            audit_spool_dir: ".ekino/audit-spool".into(),
            audit_spool_max_bytes: 256 * 1024 * 1024,
            max_connections: 1024,
            max_connections_per_address: 256,
            header_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            body_timeout_ms: 30_000,
            decision_timeout_ms: 15_000,
            session_idle_secs: 30 * 60,
            session_max_secs: 12 * 3600,
            session_cache_ms: 1000,
            ministry_key_days: 90,
            decision_secret: ingest::config::Secret::default(),
            decision_secret_previous: ingest::config::Secret::default(),
            signals: SignalSettings::default(),
            cases: CaseSettings::default(),
        }
    }
}
