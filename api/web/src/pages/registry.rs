//! `/{lang}/ministry/registry…`: the ministry's registry screens. Films, cinemas and the
//! official FX rates as they stand, each film and cinema with a form that edits it and the
//! history of every version (who wrote it, when, what changed).
//!
//! Reads call the JSON twins' handlers (`GET /v1/films`, `/v1/films/{id}`, `/v1/films/{id}/history`,
//! `/v1/cinemas`, `/v1/cinemas/{bin}`, `/v1/cinemas/{bin}/history`, `/v1/fx`); writes go through
//! the API's own write handlers (`PUT /v1/films/{id}`, `POST /v1/films/{id}/funding`,
//! `PUT /v1/cinemas/{bin}`, `PUT /v1/fx`), so checks, stored records, history and audit are the
//! API's. A form's fields become the API's JSON body; a refusal shows the page again with what
//! was typed and the field named. A saved form answers with a redirect to the page (post,
//! redirect, get), which says what was saved. An unregistered film id or BIN opens an empty
//! form that registers it.
//!
//! Amounts are typed as people write them: spaces between thousands and a decimal comma are
//! taken (`2 500 000,50`), since Russian and Kazakh spreadsheets write them so.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use api_core::error::ApiError;
use api_core::handlers::halls::HallBody;
use api_core::handlers::registry::{CinemaBody, FilmBody, FundingBody, HistoryEntry};
use api_core::handlers::{self, records};
use api_core::sessions;
use api_core::state::AppState;

pub struct FilmLine {
    pub id: String,
    pub href: String,
    pub title: String,
    pub producer: String,
    pub national: String,
    pub budget: String,
    pub funding: String,
    pub updated: String,
}

pub struct CinemaLine {
    pub bin: String,
    pub href: String,
    pub name: String,
    pub region: String,
    pub city: String,
    pub halls: String,
    pub seats: String,
    pub vat: String,
    pub updated: String,
}

pub struct FxLine {
    pub date: String,
    pub currency: String,
    pub kzt: String,
    pub loaded: String,
    pub by: String,
    pub in_force: bool,
}

#[derive(Template)]
#[template(path = "registry.html")]
pub struct RegistryPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub films: Vec<FilmLine>,
    pub cinemas: Vec<CinemaLine>,
    pub fx: Vec<FxLine>,
    pub fx_truncated: bool,
    pub fx_from: String,
    pub fx_to: String,
    pub fx_currency: String,
    /// The FX text last sent (kept after a refusal).
    pub fx_csv: String,
}

/// One field's change between two versions of a record.
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
    /// A name in the Latin script by definition (a film's English title, a cinema's or a
    /// hall's registered name, a vendor): shown as typed, marked `translate="no"`.
    pub as_typed: bool,
}

/// The fields whose values are Latin-script names as registered (see [`Change::as_typed`]).
const AS_TYPED: &[&str] = &["title_en", "name", "hall_name", "vendor"];

/// One version of a record: when, by whom, which record, and what it changed (a first
/// version: every field, with no old value).
pub struct Version {
    pub at: String,
    pub by: String,
    pub what: String,
    pub first: bool,
    pub changes: Vec<Change>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "registry_record.html")]
pub struct RecordPage {
    pub chrome: Chrome,
    pub csrf: String,
    /// `films` or `cinemas`.
    pub kind: &'static str,
    pub id: String,
    /// Not registered yet: the form registers it.
    pub new: bool,
    pub heading: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The record's form values (as stored, or as last sent after a refusal).
    pub form: HashMap<String, String>,
    pub payments: Vec<(String, String, String)>,
    pub state_funding: String,
    pub regions: Vec<Choice>,
    /// A registered cinema's halls in force: key, name, seats.
    pub halls: Vec<(String, String, String)>,
    /// Newest first.
    pub versions: Vec<Version>,
}

impl RecordPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.value(name), "on" | "true")
    }
}

/// The fields of each kind of record in the order the history lists them (identity and
/// `updated_at` are not changes).
const FIELDS: &[&str] = &[
    "title_kk",
    "title_ru",
    "title_en",
    "release_date",
    "producer_bin",
    "distributor_bin",
    "national",
    "budget_tiyn",
    "public_roi",
    "exhibitor_share_x10000",
    "distributor_fee_x10000",
    "payment_id",
    "paid_on",
    "amount_tiyn",
    "name",
    "name_kk",
    "name_ru",
    "region",
    "city",
    "halls",
    "seats",
    "vat_payer",
    "vendor",
    "deleted",
];

/// A field's label: `reg-f-<name>` in the catalogue, else its stored name.
pub fn field_label(lang: Lang, name: &str) -> String {
    let key = format!("reg-f-{name}");
    let words = i18n::t(lang, &key);
    if words == key {
        name.to_owned()
    } else {
        words
    }
}

/// A stored value as the page writes it: money, dates, shares, yes/no and regions in the
/// page's language.
pub fn field_value(lang: Lang, name: &str, v: &Value) -> String {
    let int = v.as_i64();
    match (name, int) {
        (n, Some(t)) if n.ends_with("_tiyn") => i18n::money(lang, Decimal::new(t, 2)),
        (n, Some(x)) if n.ends_with("_x10000") => i18n::percent(lang, Decimal::new(x, 4)),
        ("release_date" | "paid_on", Some(d)) => u16::try_from(d)
            .map(|d| i18n::date(lang, schemas::time::date_from_days(d)))
            .unwrap_or_else(|_| d.to_string()),
        ("national" | "public_roi" | "vat_payer" | "deleted", Some(b)) => {
            i18n::t(lang, if b != 0 { "word-yes" } else { "word-no" })
        }
        ("halls" | "seats", Some(n)) => i18n::integer(lang, n),
        ("region", _) => v
            .as_str()
            .and_then(|c| schemas::region::Region::parse(c).ok())
            .map_or_else(
                || v.as_str().unwrap_or_default().to_owned(),
                |r| r.name(lang.code()).to_owned(),
            ),
        ("city", _) if v.as_str().is_some_and(|c| !c.is_empty()) => {
            schemas::region::town_name(v.as_str().unwrap_or_default(), lang.code()).to_owned()
        }
        _ => match v {
            Value::String(s) if s.is_empty() => "—".to_owned(),
            Value::String(s) => s.clone(),
            Value::Null => "—".to_owned(),
            other => other.to_string(),
        },
    }
}

/// Versions with what each changed against the previous version of the same record,
/// newest first.
pub fn versions(lang: Lang, history: Vec<HistoryEntry>) -> Vec<Version> {
    let mut last: HashMap<(String, String), Value> = HashMap::new();
    let mut out: Vec<Version> = history
        .into_iter()
        .map(|h| {
            let key = (h.entity.clone(), h.entity_id.clone());
            let before = last.get(&key);
            let field = |name: &str, rec: &Value| rec.get(name).cloned();
            let changes = FIELDS
                .iter()
                .filter_map(|name| {
                    let new = field(name, &h.record)?;
                    let old = before.and_then(|b| field(name, b));
                    if old.as_ref() == Some(&new) {
                        return None;
                    }
                    Some(Change {
                        as_typed: AS_TYPED.contains(name),
                        field: field_label(lang, name),
                        old: old.map(|o| field_value(lang, name, &o)).unwrap_or_default(),
                        new: field_value(lang, name, &new),
                    })
                })
                .collect();
            // A hall's id is `{bin}/{hall}`: the page is the cinema's, so the hall's key says it.
            let id = match h.entity.as_str() {
                "hall" => h
                    .entity_id
                    .split_once('/')
                    .map_or(h.entity_id.as_str(), |(_, hall)| hall),
                _ => h.entity_id.as_str(),
            };
            let what = i18n::t_with(
                lang,
                &format!("reg-entity-{}", h.entity),
                &[("id", id.to_owned())],
            );
            let version = Version {
                at: i18n::timestamp(lang, &h.at),
                by: i18n::writer(lang, &h.by),
                what,
                first: before.is_none(),
                changes,
            };
            last.insert(key, h.record);
            version
        })
        .collect();
    out.reverse();
    out
}

/// A refusal as the registry forms say it: the field by its label on the form.
fn refused(lang: Lang, e: &ApiError) -> String {
    let e = match e {
        ApiError::BadRequest { field, reason } => ApiError::BadRequest {
            field: field_label(lang, field),
            reason: reason.clone(),
        },
        ApiError::Unprocessable { field, reason } => ApiError::Unprocessable {
            field: field_label(lang, field),
            reason: reason.clone(),
        },
        ApiError::Invalid { field, reason } => ApiError::Invalid {
            field: field_label(lang, field),
            reason: reason.clone(),
        },
        _ => {
            return i18n::t_with(
                lang,
                "people-refused",
                &[("reason", page::message(lang, e))],
            )
        }
    };
    i18n::t_with(
        lang,
        "people-refused",
        &[("reason", page::message(lang, &e))],
    )
}

fn fields(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
}

/// An amount as typed (`2 500 000,50`) in the API's spelling (`2500000.50`); anything else is
/// left for the API to refuse.
pub fn amount(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect()
}

fn yes_no(lang: Lang, b: bool) -> String {
    i18n::t(lang, if b { "word-yes" } else { "word-no" })
}

// ---- the registry page ----

/// `GET /{lang}/ministry/registry`: films, cinemas and FX. `?film=ID` and `?cinema=BIN` open
/// (or register) that record; `from`, `to`, `currency` filter the FX loads.
pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let q = crate::params::form(query);
    let open = |kind: &str, id: &str| {
        session::see_other(
            &format!(
                "/{}/ministry/registry/{kind}/{}",
                lang.code(),
                crate::params::path_segment(id)
            ),
            Vec::new(),
        )
    };
    let resp = if let Some(id) = q.get("film") {
        open("films", id)
    } else if let Some(bin) = q.get("cinema") {
        open("cinemas", bin)
    } else {
        let notice = q
            .get("loaded")
            .map(|n| i18n::t_with(lang, "reg-fx-loaded", &[("n", n.clone())]));
        render(s, lang, signed, query, notice, None, String::new()).await
    };
    cabinet::done(
        s,
        resp,
        &signed.principal,
        "web_registry",
        "/{lang}/ministry/registry",
        query,
        started,
    )
}

async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    query: &str,
    notice: Option<String>,
    error: Option<String>,
    fx_csv: String,
) -> Response {
    let p = &signed.principal;
    let q = crate::params::form(query);
    let fail = |e: &ApiError| page::error(lang, "ministry/registry", query, e);
    let films = match handlers::records::films(s, p).await {
        Ok(f) => f.films,
        Err(e) => return fail(&e),
    };
    let cinemas = match handlers::records::cinemas(s, p).await {
        Ok(c) => c.cinemas,
        Err(e) => return fail(&e),
    };
    let (from, to) = cabinet::range(&q, s.today());
    let currency = q.get("currency").cloned().map(|c| c.to_uppercase());
    let fx = match handlers::records::fx(
        s,
        p,
        records::FxQuery {
            from: from.clone(),
            to: to.clone(),
            currency: currency.clone(),
        },
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let at = |t: &str| i18n::timestamp(lang, t);
    let code = lang.code();
    let films = films
        .into_iter()
        .map(|f| FilmLine {
            href: format!(
                "/{code}/ministry/registry/films/{}",
                crate::params::path_segment(&f.film_id)
            ),
            title: match lang {
                Lang::Kk => f.title_kk.clone(),
                Lang::Ru => f.title_ru.clone(),
                Lang::En => f.title_en.clone(),
            },
            producer: f.producer_bin.clone(),
            national: yes_no(lang, f.national),
            budget: i18n::money(lang, f.budget.to_decimal()),
            funding: if f.payments.is_empty() {
                "—".into()
            } else {
                i18n::money(lang, f.state_funding.to_decimal())
            },
            updated: at(&f.updated_at),
            id: f.film_id,
        })
        .collect();
    let cinemas = cinemas
        .into_iter()
        .map(|c| CinemaLine {
            href: format!(
                "/{code}/ministry/registry/cinemas/{}",
                crate::params::path_segment(&c.bin)
            ),
            name: match lang {
                Lang::Kk if !c.name_kk.is_empty() => c.name_kk.clone(),
                Lang::Ru if !c.name_ru.is_empty() => c.name_ru.clone(),
                _ => c.name.clone(),
            },
            region: field_value(lang, "region", &Value::String(c.region.clone())),
            city: field_value(lang, "city", &Value::String(c.city.clone())),
            halls: i18n::integer(lang, i64::from(c.halls)),
            seats: i18n::integer(lang, i64::from(c.seats)),
            vat: yes_no(lang, c.vat_payer),
            updated: at(&c.updated_at),
            bin: c.bin,
        })
        .collect();
    let fx_lines = fx
        .rates
        .into_iter()
        .map(|r| FxLine {
            date: i18n::iso_date(lang, &r.date),
            kzt: r.kzt,
            loaded: at(&r.loaded_at),
            by: i18n::writer(lang, &r.by),
            in_force: r.in_force,
            currency: r.currency,
        })
        .collect();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "reg-title",
        "ministry",
        "ministry/registry",
        query,
    )
    .await;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RegistryPage {
        chrome,
        csrf: signed.session.csrf.clone(),
        notice,
        error,
        films,
        cinemas,
        fx: fx_lines,
        fx_truncated: fx.truncated,
        fx_from: from,
        fx_to: to,
        fx_currency: currency.unwrap_or_default(),
        fx_csv,
    };
    page::html(status, lang, &page)
}

/// `POST /{lang}/ministry/registry/fx`: official rates as `date,currency,kzt` lines.
pub async fn post_fx(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| {
        api_edge::audited(
            s,
            resp,
            p,
            "POST",
            "web_registry_fx",
            "/{lang}/ministry/registry/fx",
            "",
            started,
            0,
        )
    };
    let form = fields(body);
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    let csv = form.get("rates").cloned().unwrap_or_default();
    // The text area sends CRLF line ends; the loader reads lines either way.
    match handlers::registry::put_fx(s, p, &csv).await {
        Ok(loaded) => done(session::see_other(
            &format!(
                "/{}/ministry/registry?loaded={}#fx-heading",
                lang.code(),
                loaded.rates
            ),
            Vec::new(),
        )),
        Err(e) => done(render(s, lang, signed, "", None, Some(refused(lang, &e)), csv).await),
    }
}

// ---- a film's or a cinema's page ----

/// The form values of a registered film.
fn film_form(f: &records::FilmRecord) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in [
        ("title_kk", f.title_kk.clone()),
        ("title_ru", f.title_ru.clone()),
        ("title_en", f.title_en.clone()),
        ("release_date", f.release_date.clone()),
        ("producer_bin", f.producer_bin.clone()),
        ("distributor_bin", f.distributor_bin.clone()),
        ("budget", f.budget.to_string()),
        (
            "exhibitor_share",
            f.exhibitor_share.clone().unwrap_or_default(),
        ),
        (
            "distributor_fee",
            f.distributor_fee.clone().unwrap_or_default(),
        ),
    ] {
        m.insert(k.to_owned(), v);
    }
    if f.national {
        m.insert("national".into(), "on".into());
    }
    if f.public_roi {
        m.insert("public_roi".into(), "on".into());
    }
    m
}

fn cinema_form(c: &records::CinemaRecord) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = [
        ("name", c.name.clone()),
        ("name_kk", c.name_kk.clone()),
        ("name_ru", c.name_ru.clone()),
        ("region", c.region.clone()),
        ("city", c.city.clone()),
        ("halls", c.halls.to_string()),
        ("seats", c.seats.to_string()),
        ("vendor", c.vendor.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if c.vat_payer {
        m.insert("vat_payer".into(), "on".into());
    }
    m
}

/// What a saved form's redirect says (`?saved=film|funding|cinema`).
fn saved_notice(lang: Lang, q: &HashMap<String, String>) -> Option<String> {
    q.get("saved")
        .filter(|w| {
            matches!(
                w.as_str(),
                "film" | "funding" | "cinema" | "hall" | "hall_remove"
            )
        })
        .map(|w| i18n::t(lang, &format!("reg-saved-{w}")))
}

/// `GET /{lang}/ministry/registry/{films|cinemas}/{id}`.
pub async fn record(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    kind: &str,
    id: &str,
    query: &str,
) -> Response {
    let started = Instant::now();
    let q = crate::params::form(query);
    let resp = draw(
        s,
        lang,
        signed,
        kind,
        id,
        query,
        saved_notice(lang, &q),
        None,
        None,
    )
    .await;
    let kind = page::bounded(kind, &["films", "cinemas"]);
    let path = format!("/{{lang}}/ministry/registry/{kind}/{{id}}");
    cabinet::done(
        s,
        resp,
        &signed.principal,
        &format!("web_registry_{kind}"),
        &path,
        query,
        started,
    )
}

/// The record's page; `sent` is a refused form's values, shown instead of the stored ones.
#[allow(clippy::too_many_arguments)]
async fn draw(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    kind: &str,
    id: &str,
    query: &str,
    notice: Option<String>,
    error: Option<String>,
    sent: Option<HashMap<String, String>>,
) -> Response {
    let p = &signed.principal;
    let rest = format!(
        "ministry/registry/{kind}/{}",
        crate::params::path_segment(id)
    );
    let fail = |e: &ApiError| page::error(lang, &rest, query, e);
    let mut halls = Vec::new();
    let (kind, stored, payments, state_funding, history) = match kind {
        "films" => {
            let film = match handlers::records::film(s, p, id.to_owned()).await {
                Ok(f) => Some(f),
                Err(ApiError::NotFound) => None,
                Err(e) => return fail(&e),
            };
            let history = match handlers::registry::film_history(s, p, id.to_owned()).await {
                Ok(h) => h.versions,
                Err(e) => return fail(&e),
            };
            let payments = film
                .as_ref()
                .map(|f| {
                    f.payments
                        .iter()
                        .map(|x| {
                            (
                                x.payment_id.clone(),
                                i18n::iso_date(lang, &x.paid_on),
                                i18n::money(lang, x.amount.to_decimal()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let funding = film
                .as_ref()
                .map(|f| i18n::money(lang, f.state_funding.to_decimal()))
                .unwrap_or_default();
            (
                "films",
                film.as_ref().map(film_form),
                payments,
                funding,
                history,
            )
        }
        "cinemas" => {
            let cinema = match handlers::records::cinema(s, p, id.to_owned()).await {
                Ok(c) => Some(c),
                Err(ApiError::NotFound) => None,
                Err(e) => return fail(&e),
            };
            let history = match handlers::records::cinema_history(s, p, id.to_owned()).await {
                Ok(h) => h.versions,
                Err(e) => return fail(&e),
            };
            if cinema.is_some() {
                halls = match handlers::halls::list(s, p, id.to_owned()).await {
                    Ok(l) => l
                        .halls
                        .into_iter()
                        .map(|h| (h.hall, h.name, i18n::integer(lang, i64::from(h.seats))))
                        .collect(),
                    Err(e) => return fail(&e),
                };
            }
            (
                "cinemas",
                cinema.as_ref().map(cinema_form),
                Vec::new(),
                String::new(),
                history,
            )
        }
        _ => return fail(&ApiError::NotFound),
    };
    let new = stored.is_none();
    let heading = match (kind, new) {
        ("films", true) => i18n::t_with(lang, "reg-film-new", &[("id", id.to_owned())]),
        ("films", false) => i18n::t_with(lang, "reg-film-heading", &[("id", id.to_owned())]),
        (_, true) => i18n::t_with(lang, "reg-cinema-new", &[("id", id.to_owned())]),
        (_, false) => i18n::t_with(lang, "reg-cinema-heading", &[("id", id.to_owned())]),
    };
    let regions = schemas::region::Region::all()
        .map(|r| Choice {
            value: r.code().to_owned(),
            label: r.name(lang.code()).to_owned(),
        })
        .collect();
    // A refused hall form is the hall's fields only: over the stored record's.
    let form = match sent {
        Some(sent) if sent.get("action").is_some_and(|a| a.starts_with("hall")) => {
            let mut form = stored.unwrap_or_default();
            form.extend(sent);
            form
        }
        sent => sent.or(stored).unwrap_or_default(),
    };
    let title = if kind == "films" {
        "reg-film-title"
    } else {
        "reg-cinema-title"
    };
    let chrome = cabinet::chrome(s, lang, signed, title, "ministry", &rest, query).await;
    let page = RecordPage {
        chrome,
        csrf: signed.session.csrf.clone(),
        kind,
        id: id.to_owned(),
        new,
        heading,
        notice,
        error,
        form,
        payments,
        state_funding,
        regions,
        halls,
        versions: versions(lang, history),
    };
    page::html(
        if page.error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        lang,
        &page,
    )
}

/// A form's checkbox: sent (as `on`) when ticked, absent otherwise.
fn ticked(form: &HashMap<String, String>, name: &str) -> bool {
    form.contains_key(name)
}

/// A whole number typed in a form (spaces as digit groups allowed); otherwise the field is
/// refused here, by the form's name, with the engine's code.
fn whole<N: std::str::FromStr>(form: &HashMap<String, String>, name: &str) -> Result<N, ApiError> {
    let typed = amount(form.get(name).map_or("", String::as_str));
    typed.parse::<N>().map_err(|_| ApiError::Invalid {
        field: name.to_owned(),
        reason: rebate_engine::Reason::NotWholeNumber { got: typed.clone() },
    })
}

/// A film form as the use case reads it: the form's names are the input's.
fn film_body(form: &HashMap<String, String>) -> FilmBody {
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    // Left empty: the agreement is not written (the one in force stays).
    let share = |k: &str| form.get(k).filter(|v| !v.is_empty()).map(|v| amount(v));
    FilmBody {
        title_kk: text("title_kk"),
        title_ru: text("title_ru"),
        title_en: text("title_en"),
        release_date: text("release_date"),
        producer_bin: text("producer_bin"),
        distributor_bin: text("distributor_bin"),
        national: ticked(form, "national"),
        budget: amount(&text("budget")),
        exhibitor_share: share("exhibitor_share"),
        distributor_fee: share("distributor_fee"),
        public_roi: ticked(form, "public_roi"),
    }
}

fn funding_body(form: &HashMap<String, String>) -> FundingBody {
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    FundingBody {
        payment_id: text("payment_id"),
        paid_on: text("paid_on"),
        amount: amount(&text("amount")),
    }
}

fn cinema_body(form: &HashMap<String, String>) -> Result<CinemaBody, ApiError> {
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    Ok(CinemaBody {
        name: text("name"),
        name_kk: text("name_kk"),
        name_ru: text("name_ru"),
        region: text("region"),
        city: text("city"),
        halls: whole(form, "halls")?,
        seats: whole(form, "seats")?,
        vat_payer: ticked(form, "vat_payer"),
        vendor: text("vendor"),
    })
}

/// A hall form as the use case reads it: `hall_seats` and `hall_name` (the cinema's own form
/// has `seats` and `name`).
fn hall_body(form: &HashMap<String, String>) -> Result<HallBody, ApiError> {
    Ok(HallBody {
        seats: whole(form, "hall_seats")?,
        name: form.get("hall_name").cloned().unwrap_or_default(),
    })
}

/// `POST /{lang}/ministry/registry/{films|cinemas}/{id}`: `action` is `film`, `funding`,
/// `cinema`, `hall` (add or change one) or `hall_remove`.
pub async fn post(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    kind: &str,
    id: &str,
    body: &[u8],
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let form = fields(body);
    let action = form.get("action").cloned().unwrap_or_default();
    let route = format!(
        "web_registry_{}",
        page::bounded(
            &action,
            &["film", "funding", "cinema", "hall", "hall_remove"]
        )
    );
    let path = format!(
        "/{{lang}}/ministry/registry/{}/{{id}}",
        page::bounded(kind, &["films", "cinemas"])
    );
    let done =
        |resp: Response| api_edge::audited(s, resp, p, "POST", &route, &path, "", started, 0);
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    let written = match (kind, action.as_str()) {
        ("films", "film") => handlers::registry::put_film(s, p, id.to_owned(), film_body(&form))
            .await
            .map(|_| ()),
        ("films", "funding") => {
            handlers::registry::post_funding(s, p, id.to_owned(), funding_body(&form))
                .await
                .map(|_| ())
        }
        ("cinemas", "cinema") => match cinema_body(&form) {
            Ok(body) => handlers::registry::put_cinema(s, p, id.to_owned(), body)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
        ("cinemas", "hall") => match hall_body(&form) {
            Ok(body) => {
                let hall = form.get("hall").cloned().unwrap_or_default();
                handlers::halls::put(s, p, id.to_owned(), hall, body)
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        },
        ("cinemas", "hall_remove") => {
            let hall = form.get("hall").cloned().unwrap_or_default();
            handlers::halls::delete(s, p, id.to_owned(), hall)
                .await
                .map(|_| ())
        }
        _ => {
            return done(page::error(
                lang,
                "ministry/registry",
                "",
                &ApiError::NotFound,
            ))
        }
    };
    match written {
        Ok(()) => done(session::see_other(
            &format!(
                "/{}/ministry/registry/{kind}/{}?saved={action}#notice",
                lang.code(),
                crate::params::path_segment(id)
            ),
            Vec::new(),
        )),
        Err(e) => {
            // A refused funding form keeps the record's stored values and shows what was typed
            // in the payment's fields only; a refused hall form, the stored values and what
            // was typed in the hall's (see `draw`).
            let sent = if action == "funding" {
                None
            } else {
                Some(form.clone())
            };
            let error = Some(refused(lang, &e));
            done(draw(s, lang, signed, kind, id, "", None, error, sent).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_typed_as_russian_spreadsheets_write_them_read_as_the_api_spells_them() {
        for (typed, want) in [
            ("2 500 000,50", "2500000.50"),
            ("2\u{a0}500\u{a0}000", "2500000"),
            ("2\u{202f}500,5", "2500.5"),
            ("1200.00", "1200.00"),
            ("0,2", "0.2"),
            ("abc", "abc"),
        ] {
            assert_eq!(amount(typed), want, "{typed:?}");
        }
    }

    #[test]
    fn stored_values_are_written_the_page_way() {
        // 2026-03-01 is day 20513 since 1970-01-01.
        assert_eq!(
            field_value(Lang::Ru, "release_date", &json!(20513)),
            "01.03.2026"
        );
        assert_eq!(
            field_value(Lang::En, "release_date", &json!(20513)),
            "1 Mar 2026"
        );
        assert_eq!(
            field_value(Lang::En, "budget_tiyn", &json!(250_000_050)),
            "₸2,500,000.50"
        );
        assert_eq!(
            field_value(Lang::En, "exhibitor_share_x10000", &json!(5500)),
            "55.0%"
        );
        assert_eq!(field_value(Lang::En, "vat_payer", &json!(1)), "yes");
        assert_eq!(field_value(Lang::Ru, "national", &json!(0)), "нет");
        assert_eq!(field_value(Lang::En, "region", &json!("KZ-75")), "Almaty");
        assert_eq!(field_value(Lang::En, "name_kk", &json!("")), "—");
    }

    fn entry(entity: &str, id: &str, at: &str, record: Value) -> HistoryEntry {
        HistoryEntry {
            entity: entity.into(),
            entity_id: id.into(),
            at: at.into(),
            by: "Aigerim (key:0123456789ab)".into(),
            record,
        }
    }

    #[test]
    // Amounts are written tenge_tiyn (100_00 is 100.00 ₸), as the registry stores them.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn a_version_lists_only_what_changed_since_the_same_record_before_it() {
        let film = |budget: i64, title: &str| json!({"film_id": "KZ26-0001", "title_en": title, "title_kk": "Т", "budget_tiyn": budget, "national": 1, "updated_at": 1});
        let history = vec![
            entry(
                "film",
                "KZ26-0001",
                "2026-11-01T10:00:00+05:00",
                film(100_00, "Steppe"),
            ),
            entry(
                "funding",
                "P-1",
                "2026-11-02T10:00:00+05:00",
                json!({"film_id": "KZ26-0001", "payment_id": "P-1", "paid_on": 20513, "amount_tiyn": 5000, "updated_at": 2}),
            ),
            entry(
                "film",
                "KZ26-0001",
                "2026-11-03T10:00:00+05:00",
                film(250_00, "Steppe"),
            ),
            entry(
                "film",
                "KZ26-0001",
                "2026-11-04T10:00:00+05:00",
                film(250_00, "Steppe"),
            ),
        ];
        let v = versions(Lang::En, history);
        assert_eq!(v.len(), 4);
        // Newest first: an unchanged rewrite changes nothing; the budget change names only the budget.
        assert!(v[0].changes.is_empty() && !v[0].first);
        assert_eq!(v[1].changes.len(), 1);
        assert_eq!(
            (v[1].changes[0].old.as_str(), v[1].changes[0].new.as_str()),
            ("₸100.00", "₸250.00")
        );
        // The payment is its own record: its first version, not a change of the film.
        assert!(v[2].first);
        assert_eq!(
            v[2].changes
                .iter()
                .map(|c| c.new.as_str())
                .collect::<Vec<_>>(),
            ["P-1", "1 Mar 2026", "₸50.00"]
        );
        assert!(v[3].first && v[3].changes.iter().all(|c| c.old.is_empty()));
        assert_eq!(
            v[3].changes.len(),
            4,
            "title_kk, title_en, national, budget; not film_id or updated_at"
        );
    }
}
