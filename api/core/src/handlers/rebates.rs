use rebate_engine::estimate::EstimateInput;
use rebate_engine::{Context, Programme};

use super::ApiError;
use crate::params::CompareQuery;
use crate::state::AppState;

pub fn programmes(s: &AppState) -> Vec<Programme> {
    s.programmes.clone()
}

fn find<'a>(s: &'a AppState, id: &str) -> Option<&'a Programme> {
    s.programmes.iter().find(|p| p.id == id)
}

pub fn programme(s: &AppState, id: &str) -> Result<Programme, ApiError> {
    find(s, id).cloned().ok_or(ApiError::NotFound)
}

/// A programme named in a request body or query: unknown is a 400 on `field`.
fn named<'a>(s: &'a AppState, field: &str, id: &str) -> Result<&'a Programme, ApiError> {
    find(s, id).ok_or_else(|| ApiError::bad(field, format!("unknown programme {id}")))
}

/// The programmes of a `compare` list: each known, each once, so at most every programme
/// once (the list is the only size an anonymous caller controls here).
fn compared(s: &AppState, list: &str) -> Result<Vec<Programme>, ApiError> {
    let ids: Vec<&str> = list.split(',').map(str::trim).collect();
    if ids.len() > s.programmes.len() {
        return Err(ApiError::bad(
            "compare",
            format!(
                "names {} programmes; there are {}, each may be named once",
                ids.len(),
                s.programmes.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .map(|id| {
            if !seen.insert(id) {
                return Err(ApiError::bad("compare", format!("names {id} twice")));
            }
            named(s, "compare", id).cloned()
        })
        .collect()
}

/// A comparison of the programmes of a `compare` list for an estimate's input (the JSON route
/// and the estimator page share it).
pub fn comparison(
    s: &AppState,
    list: &str,
    input: &EstimateInput,
    fx: &rebate_engine::FxTable,
) -> Result<rebate_engine::estimate::Comparison, ApiError> {
    let ctx = Context {
        fx,
        index: &s.index,
    };
    Ok(rebate_engine::compare(&compared(s, list)?, input, &ctx)?)
}

/// An estimate or comparison, with the rates `fx` (see `fx::EstimateFx`); the reply says
/// where they came from (`fx_source`: `official` where the ministry loaded rates, the
/// indicative table elsewhere; `indicative` while none is loaded).
pub fn estimate(
    s: &AppState,
    q: CompareQuery,
    input: EstimateInput,
    fx: &rebate_engine::FxTable,
    source: crate::fx::Source,
) -> Result<serde_json::Value, ApiError> {
    let ctx = Context {
        fx,
        index: &s.index,
    };
    let value = match q.compare.as_deref().filter(|c| !c.is_empty()) {
        Some(list) => serde_json::to_value(comparison(s, list, &input, fx)?),
        None => {
            let id = input
                .programme
                .clone()
                .ok_or_else(|| ApiError::bad("programme", "is required without compare"))?;
            let r = rebate_engine::estimate(named(s, "programme", &id)?, &input, &ctx)?;
            serde_json::to_value(r).map(|mut v| {
                // As a comparison says it: the index values taken from an earlier year.
                let carried =
                    rebate_engine::estimate::carried(&s.index, &input).unwrap_or_default();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("index_carried_forward".into(), serde_json::json!(carried));
                }
                v
            })
        }
    };
    let mut value = value.map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("fx_source".into(), serde_json::json!(source.as_str()));
    }
    Ok(value)
}
