//! How a route of the table is served: [`route`] builds, from a route's one declaration in
//! [`crate::openapi::ROUTES`] (its name, method, path template and roles), the filter that
//! matches it and hands its handler a [`Call`]: the state, the caller, the path parameters,
//! the query, the body and when it started. So a route's path, method, caller, metrics label
//! and audit route are written once, in the table the OpenAPI document is made from, and
//! [`Mounted::check`] holds the served routes to the table both ways.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use api_core::auth::Principal;
use api_core::error::ApiError;
use api_core::params::Seg;
use api_edge::{body, principal, public, query, state, State, WrongMethod};
use bytes::Bytes;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::openapi::{RouteDoc, ROUTES};

/// What a route's handler is given.
pub struct Call {
    pub s: State,
    /// The caller of a keyed route (`None` on a public one).
    pub p: Option<Principal>,
    /// The path's parameters in the template's order, percent-decoded.
    pub params: Vec<String>,
    /// The path with its parameters decoded: what the audit log keeps.
    pub path: String,
    pub q: String,
    /// The body of a `POST` or `PUT` (empty otherwise).
    pub b: Bytes,
    pub content_type: Option<String>,
    pub started: Instant,
    pub doc: &'static RouteDoc,
}

impl Call {
    /// The caller of a keyed route: [`route`] makes every call of a route with roles with one.
    pub fn caller(&self) -> &Principal {
        self.p
            .as_ref()
            .expect("a keyed route's call carries its caller")
    }
}

impl Call {
    /// The body read as JSON of type `T` ([`crate::decode::json`]), once the caller is known
    /// to hold one of the route's roles: another role gets the same 404 whatever it sends,
    /// and learns nothing from its body's fate.
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        self.role_first()?;
        crate::decode::json(&self.b)
    }

    /// The body as UTF-8 text (`what` it must be names the refusal), role first as [`Self::body`].
    pub fn text(&self, what: &str) -> Result<&str, ApiError> {
        self.role_first()?;
        crate::decode::text(&self.b, what)
    }

    fn role_first(&self) -> Result<(), ApiError> {
        match &self.p {
            Some(p) if !self.doc.roles.contains(&p.role.as_str()) => Err(ApiError::NotFound),
            _ => Ok(()),
        }
    }
}

impl Call {
    /// The handler's result as its reply, with its metrics and its audit record
    /// ([`crate::reply::finish`]).
    pub fn finish<T: serde::Serialize>(&self, r: Result<T, ApiError>) -> Response {
        crate::reply::finish(
            &self.s,
            self.doc,
            self.p.as_ref(),
            &self.path,
            &self.q,
            self.started,
            r,
        )
    }

    /// [`Call::finish`], with the status of a successful reply chosen from its body.
    pub fn finish_as<T: serde::Serialize>(
        &self,
        r: Result<T, ApiError>,
        ok_status: fn(&serde_json::Value) -> warp::http::StatusCode,
    ) -> Response {
        crate::reply::finish_as(
            &self.s,
            self.doc,
            self.p.as_ref(),
            &self.path,
            &self.q,
            self.started,
            r,
            ok_status,
        )
    }

    /// A list's reply, in CSV or Arrow when `format` asks ([`crate::reply::finish_list`]).
    pub async fn finish_list<T: serde::Serialize>(
        &self,
        format: Option<&str>,
        export: crate::reply::Export,
        r: Result<T, ApiError>,
    ) -> Response {
        crate::reply::finish_list(
            &self.s,
            self.doc,
            self.caller(),
            &self.path,
            &self.q,
            self.started,
            format,
            export,
            r,
        )
        .await
    }
}

impl RouteDoc {
    /// The method as HTTP writes it (`GET`).
    pub fn verb(&self) -> &'static str {
        match self.method {
            "get" => "GET",
            "post" => "POST",
            "put" => "PUT",
            "delete" => "DELETE",
            other => panic!("route {}: method {other} is not served", self.name),
        }
    }
}

/// Probes answer without the per-address limit, so that no flood hides a liveness check or
/// a scrape from the operator.
const PROBES: [&str; 2] = ["healthz", "metrics"];

/// The names mounted so far, to hold the served routes to the table.
#[derive(Default)]
pub struct Mounted(Mutex<Vec<&'static str>>);

impl Mounted {
    /// Every route of the table is served exactly once, and nothing else is: panics (at
    /// start-up, and in every test that builds the routes) naming what differs.
    pub fn check(&self) {
        let mut served = self.0.lock().expect("mounted names").clone();
        served.sort_unstable();
        let mut twice: Vec<&str> = served
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        twice.dedup();
        let missing: Vec<&str> = ROUTES
            .iter()
            .map(|r| r.name)
            .filter(|n| !served.contains(n))
            .collect();
        assert!(
            twice.is_empty() && missing.is_empty(),
            "the route table and the served routes differ: mounted twice {twice:?}, not mounted {missing:?}"
        );
    }
}

/// The parameters of `path` under `template` (`/v1/films/{film_id}/run`), or `None` when the
/// path is not one of the template's: another number of segments, another literal, or a
/// parameter empty or not UTF-8 once percent-decoded.
pub fn match_path(template: &str, path: &str) -> Option<Vec<String>> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, p) in t.iter().zip(&p) {
        if t.starts_with('{') {
            if p.is_empty() {
                return None;
            }
            params.push(p.parse::<Seg>().ok()?.0);
        } else if t != p {
            return None;
        }
    }
    Some(params)
}

/// The path of `template` with `params` in its places.
fn fill(template: &str, params: &[String]) -> String {
    let mut it = params.iter();
    template
        .split('/')
        .map(|t| {
            if t.starts_with('{') {
                it.next().cloned().unwrap_or_default()
            } else {
                t.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The filter serving the table's route `name`: its path and method, then its caller (a key
/// of any role for a keyed route: the handler checks which, so another role learns nothing; a
/// public caller within its address's limit otherwise), the query, and for `POST` and `PUT`
/// the body within its limit (`api.upload_limit_bytes` for an upload, else
/// `api.body_limit_bytes`) and `api.body_timeout_ms`.
pub fn route(s: &State, mounted: &Mounted, name: &'static str) -> BoxedFilter<(Call,)> {
    let doc: &'static RouteDoc = ROUTES
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("route {name} is not in the table (openapi::ROUTES)"));
    mounted.0.lock().expect("mounted names").push(name);
    let matched = warp::path::full().and(warp::method()).and_then(
        move |full: warp::path::FullPath, method: warp::http::Method| async move {
            let params = match_path(doc.path, full.as_str()).ok_or_else(warp::reject::not_found)?;
            if method.as_str() != doc.verb() {
                return Err(warp::reject::custom(WrongMethod));
            }
            Ok::<_, Rejection>(params)
        },
    );
    let caller = if PROBES.contains(&name) {
        warp::any().map(|| None::<Principal>).boxed()
    } else if doc.roles.is_empty() {
        public(s.clone()).map(|| None::<Principal>).boxed()
    } else {
        principal(s.clone()).map(Some).boxed()
    };
    let limit = match doc.body.map(|c| c.content_type) {
        Some("application/x-ndjson") => s.settings.upload_limit_bytes,
        _ => s.settings.body_limit_bytes,
    };
    let timeout = Duration::from_millis(s.settings.body_timeout_ms);
    let payload = if matches!(doc.method, "post" | "put") {
        body(limit, timeout).boxed()
    } else {
        warp::any().map(Bytes::new).boxed()
    };
    matched
        .and(caller)
        .and(state(s.clone()))
        .and(query())
        .and(warp::header::optional::<String>("content-type"))
        .and(payload)
        .map(
            move |params: Vec<String>,
                  p: Option<Principal>,
                  s: State,
                  q: String,
                  content_type: Option<String>,
                  b: Bytes| Call {
                path: fill(doc.path, &params),
                s,
                p,
                params,
                q,
                b,
                content_type,
                started: Instant::now(),
                doc,
            },
        )
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_matches_its_template_and_nothing_else() {
        let t = "/v1/films/{film_id}/run";
        assert_eq!(
            match_path(t, "/v1/films/KZ26-0001/run"),
            Some(vec!["KZ26-0001".to_owned()])
        );
        assert_eq!(
            match_path(t, "/v1/films/%D0%9A%D0%97-1/run"),
            Some(vec!["КЗ-1".to_owned()])
        );
        for other in [
            "/v1/films//run",
            "/v1/films/X/run/",
            "/v1/films/X",
            "/v1/film/X/run",
            "/v1/films/%FF/run",
        ] {
            assert_eq!(match_path(t, other), None, "{other}");
        }
        assert_eq!(match_path("/v1/fx", "/v1/fx"), Some(vec![]));
        assert_eq!(fill(t, &["A B".to_owned()]), "/v1/films/A B/run");
    }

    #[test]
    fn every_route_of_the_table_has_a_name_of_its_own_and_a_method_served() {
        let mut names: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "two routes share a name");
        for r in ROUTES {
            let _ = r.verb();
        }
    }
}
