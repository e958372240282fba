//! A cinema's halls, one at a time (issue 25, item 1): what `ekino registry load --halls` does
//! for a file, the ministry does for one hall (`PUT /v1/cinemas/{bin}/halls/{hall}`, and its
//! registry screen), and removes one (`DELETE` the same). Each version is kept with who and
//! when (`registry_history`, entity `hall`, id `{bin}/{hall}`). A removed hall is a version
//! with `deleted` = 1 and its seats as they were, so its history stays and the seat rules stop
//! for it. The ministry and the cinema itself read them (`GET /v1/cinemas/{bin}/halls`).
//!
//! The signal watcher sees a hall's change (`halls.updated_at`) and judges that cinema's days
//! again, so `over_capacity` and `late_night_full` follow the registry.

use schemas::history::Entity;
use schemas::registry::{Hall, HallRow, MAX_HALL_CHARS};
use serde::{Deserialize, Serialize};

use super::registry::{insert, remember, Saved};
use super::{parse_bin, require, require_cinema_scope, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

/// The longest hall name (for people: "Зал IMAX"), in characters.
pub const MAX_HALL_NAME: usize = 100;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HallBody {
    /// Seats, a whole number from 1 to 5,000.
    #[schema(minimum = 1, maximum = 5000)]
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    pub seats: u32,
    /// The hall's name for people; absent or empty: its key is shown.
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HallEntry {
    /// The key its tickets and declared sessions carry (`hall`).
    pub hall: String,
    pub name: String,
    pub seats: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HallList {
    pub cinema_bin: String,
    /// In force (removed ones left out), by key.
    pub halls: Vec<HallEntry>,
    /// Their seats together.
    pub seats: u64,
}

/// A hall key from the path: 1–32 characters, no control characters.
fn hall_key(hall: &str) -> Result<String, ApiError> {
    schemas::ids::bounded_text(hall, MAX_HALL_CHARS)
        .map(str::to_owned)
        .map_err(|e| ApiError::bad("hall", e.to_string()))
}

pub async fn list(s: &AppState, p: &Principal, bin: String) -> Result<HallList, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let rows = crate::signals::report::halls_of(&s.ch, &s.app_db, bin.as_str()).await?;
    Ok(HallList {
        cinema_bin: bin.to_string(),
        seats: rows.iter().map(|h| u64::from(h.seats)).sum(),
        halls: rows
            .into_iter()
            .map(|h| HallEntry {
                hall: h.hall,
                name: h.name,
                seats: h.seats,
            })
            .collect(),
    })
}

pub async fn put(
    s: &AppState,
    p: &Principal,
    bin: String,
    hall: String,
    b: HallBody,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    let bin = parse_bin(&bin)?;
    let hall = hall_key(&hall)?;
    let seats = schemas::registry::hall_seats(&b.seats.to_string())
        .map_err(|e| ApiError::bad("seats", e))?;
    let name = b.name.trim();
    if name.chars().count() > MAX_HALL_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad(
            "name",
            format!("must be at most {MAX_HALL_NAME} characters without control characters"),
        ));
    }
    let h = Hall {
        bin: bin.clone(),
        hall: hall.clone(),
        seats,
        name: name.to_owned(),
    };
    let row = HallRow::from_record(&h, s.clock.now());
    let id = format!("{bin}/{hall}");
    remember(s, p, Entity::Hall, &id, "", &row).await?;
    insert(s, "halls", row).await?;
    Ok(Saved { saved: "hall", id })
}

/// Removes a hall in force (404 when the cinema has none by that key).
pub async fn delete(
    s: &AppState,
    p: &Principal,
    bin: String,
    hall: String,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    let bin = parse_bin(&bin)?;
    let hall = hall_key(&hall)?;
    let now = crate::signals::report::halls_of(&s.ch, &s.app_db, bin.as_str())
        .await?
        .into_iter()
        .find(|h| h.hall == hall)
        .ok_or(ApiError::NotFound)?;
    let row = HallRow {
        bin: bin.to_string(),
        hall: hall.clone(),
        seats: now.seats,
        name: now.name,
        deleted: 1,
        updated_at: s.now_secs(),
    };
    let id = format!("{bin}/{hall}");
    remember(s, p, Entity::Hall, &id, "", &row).await?;
    insert(s, "halls", row).await?;
    Ok(Saved {
        saved: "hall_removed",
        id,
    })
}
