//! The registry's history: every version of a film, funding payment, agreement or cinema as
//! written, with who wrote it (an API key's label, or `os:<user>` for `ekino registry load`)
//! and when. Append-only (`registry_history`); the registry tables themselves keep only the
//! newest version of each record, which is what reports join with.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

/// The kinds of registry record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Film,
    Funding,
    Agreement,
    Cinema,
    Applicant,
    Distributor,
    Hall,
    Partner,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Film => "film",
            Entity::Funding => "funding",
            Entity::Agreement => "agreement",
            Entity::Cinema => "cinema",
            Entity::Applicant => "applicant",
            Entity::Distributor => "distributor",
            Entity::Hall => "hall",
            Entity::Partner => "partner",
        }
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryRow {
    pub entity: String,
    /// The record's own key: film id, payment id, film id of an agreement, cinema BIN.
    pub entity_id: String,
    /// The film the record belongs to (empty for a cinema), for a film's whole history.
    pub film_id: String,
    pub at: u32,
    pub by: String,
    /// The record as written, JSON.
    pub record: String,
    /// Nanoseconds since the epoch when the row was made: orders the versions written within
    /// one second of `at` (0 on rows written before the column existed).
    pub seq: u64,
}

impl HistoryRow {
    pub fn of(
        entity: Entity,
        entity_id: &str,
        film_id: &str,
        by: &str,
        at: u32,
        record: &impl Serialize,
    ) -> HistoryRow {
        HistoryRow {
            entity: entity.as_str().into(),
            entity_id: entity_id.into(),
            film_id: film_id.into(),
            at,
            by: by.into(),
            record: serde_json::to_string(record).unwrap_or_default(),
            seq: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        }
    }
}
