//! `/{lang}/cinema/upload`: a cinema sends a file of events (NDJSON, one `ekino.ticket/1`
//! object per line, or CSV with the same columns, as `POST /v1/tickets` takes; the file's
//! first character tells which) through a form, and sees each line's fate:
//! accepted (with its event id), or refused with its reason in the page's language, the field
//! and what to do. The file goes through the JSON API's own upload handler with the session's
//! key, so the checks, the Kafka key and the kept rejects (under the upload's id) are the
//! API's; what ingest decides later (duplicates, refunds) shows in the cabinet's rejects.
//!
//! The form is `multipart/form-data` (a file input) with the session's `csrf` as a field; a
//! post without it is 403.
//!
//! `POST /{lang}/cinema/sessions` takes a file of declared sessions (`ekino.session/1`, NDJSON
//! or CSV, as `POST /v1/sessions` takes) the same way: each line's fate, an accepted one named
//! by its session.
//!
//! `GET /{lang}/cinema/upload/tickets.csv` and `/sessions.csv` are the two files' templates:
//! the header row of the columns the upload reads (the parsers' own lists), and no line.
//!
//! `POST /{lang}/cinema/void` voids one mistaken sale or refund: the page writes the `void`
//! event (a new event id, now, the event voided and the reason) and sends it through the same
//! handler, so it is checked and judged like a void the cinema streams (ingest accepts it
//! within `reporting.correction_window_days` of the voided event's screening day).

use std::time::Instant;

use askama::Template;
use bytes::BufMut;
use futures::TryStreamExt;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use crate::words::reject_words;
use api_core::handlers;
use api_core::sessions;
use api_core::state::AppState;

pub struct LineView {
    pub line: usize,
    pub accepted: bool,
    pub event_id: String,
    pub reason: String,
    pub fix: String,
    pub field: String,
}

pub struct Outcome {
    pub upload_id: String,
    pub accepted: String,
    pub rejected: String,
    pub lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "upload.html")]
pub struct UploadPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    /// The CSV columns, named in the form's help.
    pub columns: &'static [&'static str],
    /// The void form's event, filled in from `?voids=` (the sales page's link).
    pub voids: String,
    /// How voids are taken, with the deadline ingest applies (`reporting.correction_window_days`).
    pub void_intro: String,
}

async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    status: StatusCode,
    outcome: Option<Outcome>,
    error: Option<String>,
) -> Response {
    render_with(s, lang, signed, status, outcome, error, String::new()).await
}

async fn render_with(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    status: StatusCode,
    outcome: Option<Outcome>,
    error: Option<String>,
    voids: String,
) -> Response {
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "upload-title",
        "cinema",
        "cinema/upload",
        "",
    )
    .await;
    page::html(
        status,
        lang,
        &UploadPage {
            chrome,
            csrf: signed.session.csrf.clone(),
            outcome,
            error,
            columns: schemas::event::csv::COLUMNS,
            voids,
            void_intro: crate::i18n::t_with(
                lang,
                "void-intro",
                &[("days", s.reporting.correction_window_days.to_string())],
            ),
        },
    )
}

/// `GET /{lang}/cinema/upload`: the form.
pub async fn form(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    // Only an event id is filled in: anything else in the parameter is left out.
    let voids = crate::params::form(query)
        .get("voids")
        .filter(|v| v.len() <= 36 && v.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .cloned()
        .unwrap_or_default();
    let resp = render_with(s, lang, signed, StatusCode::OK, None, None, voids).await;
    cabinet::done(
        s,
        resp,
        &signed.principal,
        "web_upload_form",
        "/{lang}/cinema/upload",
        query,
        started,
    )
}

/// The form's fields: (csrf, the file's bytes), at most `limit` bytes of file.
async fn fields(
    form: warp::multipart::FormData,
    limit: usize,
) -> Result<(String, Vec<u8>), String> {
    let mut csrf = String::new();
    let mut file = Vec::new();
    let mut parts = form;
    while let Some(part) = parts.try_next().await.map_err(|e| e.to_string())? {
        let name = part.name().to_owned();
        let mut data = part.stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = data.try_next().await.map_err(|e| e.to_string())? {
            bytes.put(chunk);
            if bytes.len() > limit {
                return Err("too large".into());
            }
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = bytes,
            _ => {}
        }
    }
    Ok((csrf, file))
}

/// `POST /{lang}/cinema/void` (an urlencoded form: `csrf`, `voids`, `reason`).
pub async fn void(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| {
        api_edge::audited(
            s,
            resp,
            p,
            "POST",
            "web_void",
            "/{lang}/cinema/void",
            "",
            started,
            0,
        )
    };
    let form: std::collections::HashMap<String, String> =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .unwrap_or_default()
            .into_iter()
            .collect();
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    done(
        outcome(
            s,
            lang,
            signed,
            handlers::tickets::void(s, p, field("voids"), field("reason")).await,
        )
        .await,
    )
}

/// The page after an upload or a void: each line's fate, or the refusal of the whole request.
async fn outcome(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    reply: Result<handlers::tickets::UploadReply, api_core::error::ApiError>,
) -> Response {
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            return render(
                s,
                lang,
                signed,
                e.status(),
                None,
                Some(page::message(lang, &e)),
            )
            .await
        }
    };
    let lines = reply
        .lines
        .iter()
        .map(|l| {
            let (reason, fix) = l
                .reason
                .as_deref()
                .map(|r| reject_words(lang, r))
                .unwrap_or_default();
            LineView {
                line: l.line,
                accepted: l.status == "accepted",
                // A ticket line is named by its event, a session line by its session.
                event_id: l
                    .event_id
                    .clone()
                    .or_else(|| l.screening_id.clone())
                    .unwrap_or_default(),
                reason,
                fix,
                field: l.field.clone().unwrap_or_default(),
            }
        })
        .collect();
    let outcome = Outcome {
        upload_id: reply.upload_id.clone(),
        accepted: i18n::count(lang, reply.accepted as u64),
        rejected: i18n::count(lang, reply.rejected as u64),
        lines,
    };
    let status = if reply.accepted == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(s, lang, signed, status, Some(outcome), None).await
}

/// What a file holds: tickets (`POST /{lang}/cinema/upload`) or declared sessions
/// (`POST /{lang}/cinema/sessions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contents {
    Tickets,
    Sessions,
}

/// `POST /{lang}/cinema/upload`.
pub async fn post(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    form: warp::multipart::FormData,
) -> Response {
    post_file(s, lang, signed, form, Contents::Tickets).await
}

/// `POST /{lang}/cinema/sessions`.
pub async fn post_sessions(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    form: warp::multipart::FormData,
) -> Response {
    post_file(s, lang, signed, form, Contents::Sessions).await
}

async fn post_file(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    form: warp::multipart::FormData,
    contents: Contents,
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let (route, path) = match contents {
        Contents::Tickets => ("web_upload", "/{lang}/cinema/upload"),
        Contents::Sessions => ("web_sessions_upload", "/{lang}/cinema/sessions"),
    };
    let done = |resp: Response| api_edge::audited(s, resp, p, "POST", route, path, "", started, 0);
    let limit = usize::try_from(s.settings.upload_limit_bytes).unwrap_or(usize::MAX);
    let (csrf, file) = match fields(form, limit).await {
        Ok(x) => x,
        Err(_) => {
            return done(
                render(
                    s,
                    lang,
                    signed,
                    StatusCode::BAD_REQUEST,
                    None,
                    Some(i18n::t(lang, "upload-unreadable")),
                )
                .await,
            )
        }
    };
    if !sessions::same_token(&signed.session.csrf, &csrf) {
        return done(session::forbidden(lang));
    }
    let content_type = if is_ndjson(&file) {
        "application/x-ndjson"
    } else {
        handlers::tickets::CSV
    };
    let reply = match contents {
        Contents::Tickets => handlers::tickets::upload_as(s, p, Some(content_type), &file).await,
        Contents::Sessions => handlers::sessions::upload_as(s, p, Some(content_type), &file).await,
    };
    done(outcome(s, lang, signed, reply).await)
}

/// A file whose first character (after a byte-order mark and blanks) opens a JSON object is
/// NDJSON; anything else is read as CSV, whose header row starts with a column name.
pub fn is_ndjson(file: &[u8]) -> bool {
    let file = file.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(file);
    file.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::is_ndjson;

    #[test]
    fn a_file_is_ndjson_when_it_opens_an_object() {
        assert!(is_ndjson(b"{\"schema\":\"ekino.ticket/1\"}\n"));
        assert!(is_ndjson(b"\xEF\xBB\xBF\r\n  {}"));
        assert!(!is_ndjson(b"event_id;type;cinema_bin\n"));
        assert!(!is_ndjson(b"\xEF\xBB\xBFevent_id,type\n"));
        assert!(!is_ndjson(b""));
    }
}

/// The files' templates: the header row of the ticket file or the session file with the
/// columns the upload reads, and no line (a line copied from an example would be filed as a
/// real sale). The columns are the parsers' own lists, so a template cannot name a column the
/// upload refuses.
fn template_csv(contents: Contents) -> String {
    let columns: Vec<&str> = match contents {
        Contents::Tickets => schemas::event::csv::COLUMNS.to_vec(),
        // A session file's lines are `ekino.session/1` objects; its CSV has no `schema` column.
        Contents::Sessions => schemas::declared::FIELDS
            .iter()
            .copied()
            .filter(|c| *c != "schema")
            .collect(),
    };
    format!("{}\r\n", columns.join(","))
}

/// `GET /{lang}/cinema/upload/tickets.csv`: the ticket file's template.
pub fn tickets_template(_lang: Lang) -> Response {
    template(Contents::Tickets, "tickets")
}

/// `GET /{lang}/cinema/upload/sessions.csv`: the session file's template.
pub fn sessions_template(_lang: Lang) -> Response {
    template(Contents::Sessions, "sessions")
}

fn template(contents: Contents, name: &str) -> Response {
    let mut resp = Response::new(template_csv(contents).into());
    let h = resp.headers_mut();
    h.insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = format!("attachment; filename=\"ekino-{name}-template.csv\"").parse() {
        h.insert(warp::http::header::CONTENT_DISPOSITION, v);
    }
    resp
}

#[cfg(test)]
mod template_tests {
    use super::{template_csv, Contents};

    /// A template's header names the columns the upload reads (the ticket file's
    /// `csv::COLUMNS`, the session file's fields without `schema`); that a filled-in template
    /// uploads is tested end to end (`tests/web_sessions.rs`).
    #[test]
    fn the_templates_head_the_columns_the_upload_reads() {
        assert_eq!(
            template_csv(Contents::Tickets),
            "schema,event_id,type,cinema_bin,hall,screening_id,film_id,show_start,occurred_at,price,currency,vat_rate,seat_row,seat_number,channel,ticket_type,refund_of,voids,reason\r\n"
        );
        assert_eq!(
            template_csv(Contents::Sessions),
            "cinema_bin,hall,screening_id,film_id,show_start,ends_at,seats_on_sale,status,declared_at\r\n"
        );
    }
}
