//! One record of the audit log, as `api_audit` stores it and the spool keeps it while
//! ClickHouse is away. The log itself (what is recorded, and when) is `audit`.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub at: u32,
    pub key_id: String,
    pub role: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub rows: u64,
    pub latency_ms: u32,
    /// The client address (see `guards`); empty in records made before it was kept.
    pub client: String,
}

/// The longest query string kept in a record, in characters.
pub const QUERY_MAX_CHARS: usize = 1000;

/// A query string as the audit keeps it.
pub fn truncated(query: &str) -> String {
    match query.char_indices().nth(QUERY_MAX_CHARS) {
        Some((at, _)) => format!("{}…", &query[..at]),
        None => query.to_owned(),
    }
}
