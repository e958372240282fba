use rebate_engine::estimate::EstimateInput;
use rebate_engine::{Context, Programme};

use super::ApiError;
use crate::params::CompareQuery;
use crate::state::AppState;

pub fn programmes(s: &AppState) -> Vec<Programme> {
    s.programmes.clone()
}

pub fn programme(s: &AppState, id: &str) -> Result<Programme, ApiError> {
    s.programmes.iter().find(|p| p.id == id).cloned().ok_or(ApiError::NotFound)
}

fn find(s: &AppState, id: &str) -> Result<Programme, ApiError> {
    s.programmes.iter().find(|p| p.id == id).cloned().ok_or_else(|| ApiError::bad("compare", format!("unknown programme {id}")))
}

pub fn estimate(s: &AppState, q: CompareQuery, body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad("body", "must be UTF-8 JSON"))?;
    let input: EstimateInput = rebate_engine::claim::from_json(text).map_err(|e| ApiError::bad(e.field, e.reason))?;
    let ctx = Context { fx: &s.fx, index: &s.index };
    let value = match q.compare.as_deref().filter(|c| !c.is_empty()) {
        Some(list) => {
            let ps = list.split(',').map(|id| find(s, id.trim())).collect::<Result<Vec<_>, _>>()?;
            serde_json::to_value(rebate_engine::compare(&ps, &input, &ctx)?)
        }
        None => {
            let id = input.programme.clone().ok_or_else(|| ApiError::bad("programme", "is required without compare"))?;
            let p = s.programmes.iter().find(|p| p.id == id).ok_or_else(|| ApiError::bad("programme", format!("unknown programme {id}")))?;
            serde_json::to_value(rebate_engine::estimate(p, &input, &ctx)?)
        }
    };
    value.map_err(|e| ApiError::Internal(e.to_string()))
}
