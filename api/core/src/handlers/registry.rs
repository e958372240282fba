//! Registry writes for the ministry: the same records as the CSV loader, one at a time.

use std::time::Duration;

use schemas::history::{Entity, HistoryRow};
use schemas::registry::{Cinema, CinemaRow, Film, FilmRow, Funding, FundingRow};
use serde::{Deserialize, Serialize};

use super::{parse_bin, require, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

pub(super) async fn insert<T>(s: &AppState, table: &str, row: T) -> Result<(), ApiError>
where
    T: clickhouse::Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    let written =
        ingest::clickhouse_store::insert_rows(&s.app, table, &[row], Duration::from_secs(10)).await;
    // Dropped whether or not ClickHouse acknowledged: a timed-out insert may still land.
    s.registry.invalidate();
    written.map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Appends a version of a registry record to its history, written by `p`.
pub(super) async fn remember(
    s: &AppState,
    p: &Principal,
    entity: Entity,
    id: &str,
    film_id: &str,
    record: &impl Serialize,
) -> Result<(), ApiError> {
    let at = s.now_secs();
    let row = HistoryRow::of(entity, id, film_id, &p.author(), at, record);
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "registry_history",
        &[row],
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))
}

fn bin(field: &str, s: &str) -> Result<schemas::Bin, ApiError> {
    super::bin_field(field, s)
}

/// An amount in KZT; a refusal carries the engine's stable code (`not_decimal`,
/// `too_many_decimals`, `too_large`), so the registry screens say it in the page's language.
fn kzt(field: &str, s: &str) -> Result<schemas::Kzt, ApiError> {
    use rebate_engine::Reason;
    schemas::Kzt::parse(s).map_err(|e| {
        let reason = match e {
            schemas::money::MoneyError::NotDecimal => Reason::NotDecimal { got: s.to_owned() },
            schemas::money::MoneyError::TooPrecise { .. } => Reason::TooManyDecimals,
            schemas::money::MoneyError::OutOfRange { max, .. } => Reason::TooLarge { max },
        };
        ApiError::Invalid {
            field: field.to_owned(),
            reason,
        }
    })
}

fn share(field: &str, s: &str) -> Result<u32, ApiError> {
    let r = schemas::VatRate::parse(s)
        .map_err(|e| ApiError::bad(field, e.to_string().replace("below 1", "below 1 (a share)")))?;
    Ok(r.units())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilmBody {
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    #[schema(format = Date)]
    pub release_date: String,
    #[schema(value_type = schemas::Bin)]
    pub producer_bin: String,
    #[schema(value_type = schemas::Bin)]
    pub distributor_bin: String,
    pub national: bool,
    #[schema(pattern = r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$")]
    pub budget: String,
    /// The agreement, when known: exhibitor share of net box office and distributor fee.
    #[serde(default)]
    #[schema(pattern = r"^0(\.[0-9]{1,4})?$")]
    pub exhibitor_share: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^0(\.[0-9]{1,4})?$")]
    pub distributor_fee: Option<String>,
    /// The ministry publishes the film's budget, state funding and recoupment on its public page.
    #[serde(default)]
    pub public_roi: bool,
}

#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgreementRow {
    pub film_id: String,
    pub exhibitor_share_x10000: u32,
    pub distributor_fee_x10000: u32,
    pub updated_at: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub saved: &'static str,
    pub id: String,
}

pub async fn put_film(
    s: &AppState,
    p: &Principal,
    film_id: String,
    b: FilmBody,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    let film = Film {
        film_id: schemas::FilmId::parse(&film_id)
            .map_err(|e| ApiError::bad("film_id", e.to_string()))?,
        title_kk: b.title_kk,
        title_ru: b.title_ru,
        title_en: b.title_en,
        release_date: crate::params::date("release_date", &b.release_date)?,
        producer_bin: bin("producer_bin", &b.producer_bin)?,
        distributor_bin: bin("distributor_bin", &b.distributor_bin)?,
        national: b.national,
        budget: kzt("budget", &b.budget)?,
        public_roi: b.public_roi,
    };
    let now = s.clock.now();
    // History first: a version is never in force without its record of who wrote it.
    let row = FilmRow::from_record(&film, now);
    remember(s, p, Entity::Film, &film_id, &film_id, &row).await?;
    insert(s, "films", row).await?;
    if b.exhibitor_share.is_some() || b.distributor_fee.is_some() {
        let row = AgreementRow {
            film_id: film_id.clone(),
            exhibitor_share_x10000: b
                .exhibitor_share
                .as_deref()
                .map(|x| share("exhibitor_share", x))
                .transpose()?
                .unwrap_or(crate::reports::roi::DEFAULT_EXHIBITOR_SHARE),
            distributor_fee_x10000: b
                .distributor_fee
                .as_deref()
                .map(|x| share("distributor_fee", x))
                .transpose()?
                .unwrap_or(crate::reports::roi::DEFAULT_DISTRIBUTOR_FEE),
            updated_at: u32::try_from(now.timestamp()).unwrap_or(0),
        };
        remember(s, p, Entity::Agreement, &film_id, &film_id, &row).await?;
        insert(s, "film_agreements", row).await?;
    }
    Ok(Saved {
        saved: "film",
        id: film_id,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingBody {
    #[schema(min_length = 1)]
    pub payment_id: String,
    #[schema(format = Date)]
    pub paid_on: String,
    /// KZT, a decimal string with at most two decimals.
    #[schema(pattern = r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$")]
    pub amount: String,
}

pub async fn post_funding(
    s: &AppState,
    p: &Principal,
    film_id: String,
    b: FundingBody,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    crate::params::text("payment_id", &b.payment_id)?;
    let f = Funding {
        film_id: schemas::FilmId::parse(&film_id)
            .map_err(|e| ApiError::bad("film_id", e.to_string()))?,
        payment_id: b.payment_id.clone(),
        paid_on: crate::params::date("paid_on", &b.paid_on)?,
        amount: kzt("amount", &b.amount)?,
    };
    let row = FundingRow::from_record(&f, s.clock.now());
    remember(s, p, Entity::Funding, &b.payment_id, &film_id, &row).await?;
    insert(s, "film_funding", row).await?;
    Ok(Saved {
        saved: "funding",
        id: b.payment_id,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CinemaBody {
    #[schema(min_length = 1)]
    pub name: String,
    /// The name in Kazakh; absent or empty: `name`.
    #[serde(default)]
    pub name_kk: String,
    /// The name in Russian; absent or empty: `name`.
    #[serde(default)]
    pub name_ru: String,
    /// An ISO 3166-2:KZ code (`KZ-75` is Almaty); a region's name in kk, ru or en is also taken.
    pub region: String,
    #[schema(min_length = 1)]
    pub city: String,
    #[schema(maximum = 65535)]
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    pub halls: u16,
    #[schema(maximum = 4294967295u32)]
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    pub seats: u32,
    pub vat_payer: bool,
    /// Its ticketing system's vendor (at most 100 characters); absent or empty: not known.
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub vendor: String,
}

pub async fn put_cinema(
    s: &AppState,
    p: &Principal,
    b_in: String,
    b: CinemaBody,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    for (field, v) in [("name", &b.name), ("region", &b.region), ("city", &b.city)] {
        crate::params::text(field, v)?;
    }
    let region = schemas::region::Region::parse(&b.region)
        .map_err(|e| ApiError::bad("region", e.to_string()))?;
    // Optional: empty or blank is absent (then `name`); no control characters either way.
    for (field, v) in [("name_kk", &b.name_kk), ("name_ru", &b.name_ru)] {
        if v.chars().any(char::is_control) {
            return Err(ApiError::bad(field, "must not contain control characters"));
        }
    }
    let c = Cinema {
        bin: parse_bin(&b_in)?,
        name: b.name,
        name_kk: b.name_kk.trim().to_owned(),
        name_ru: b.name_ru.trim().to_owned(),
        region,
        city: b.city,
        halls: b.halls,
        seats: b.seats,
        vat_payer: b.vat_payer,
        vendor: schemas::registry::vendor_name(&b.vendor)
            .map_err(|e| ApiError::bad("vendor", e))?,
    };
    let row = CinemaRow::from_record(&c, s.clock.now());
    remember(s, p, Entity::Cinema, &b_in, "", &row).await?;
    insert(s, "cinemas", row).await?;
    Ok(Saved {
        saved: "cinema",
        id: b_in,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[param(format = Date)]
    pub from: String,
    #[param(format = Date)]
    pub to: String,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
    /// Only this key's requests (its 12-character id).
    #[serde(default)]
    #[param(pattern = "^[0-9a-f]{12}$")]
    pub key_id: Option<String>,
    /// Only requests made with this role.
    #[serde(default)]
    #[param(pattern = "^(cinema|producer|ministry|commission)$")]
    pub role: Option<String>,
    /// Only this HTTP method.
    #[serde(default)]
    #[param(pattern = "^(GET|POST|PUT)$")]
    pub method: Option<String>,
    /// Only this status (`404`) or class of status (`4xx`).
    #[serde(default)]
    #[param(pattern = "^[1-5]([0-9]{2}|xx)$")]
    pub status: Option<String>,
    /// Only paths containing this text (1 to 200 characters).
    #[serde(default)]
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
    )]
    pub path: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditReply {
    pub rows: Vec<crate::audit::AuditRow>,
    /// The label of each key in `rows` (the person or organisation holding it).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The audit filters as SQL conditions with their binds; the first field at fault is named.
fn audit_filters(q: &AuditQuery) -> Result<(String, Vec<String>), ApiError> {
    let (mut sql, mut binds) = (String::new(), Vec::new());
    // Present means checked: an empty value is refused like any other bad one (a form that
    // leaves a filter out omits it; see `web::audit`).
    let blank = |v: &Option<String>| v.clone();
    if let Some(k) = blank(&q.key_id) {
        if k.len() != 12
            || !k
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ApiError::bad(
                "key_id",
                "must be a key's 12-character id (0-9, a-f)",
            ));
        }
        sql.push_str(" AND key_id = ?");
        binds.push(k);
    }
    if let Some(r) = blank(&q.role) {
        let role = Role::parse(&r).ok_or_else(|| {
            ApiError::bad("role", "must be cinema, producer, ministry or commission")
        })?;
        sql.push_str(" AND role = ?");
        binds.push(role.as_str().to_owned());
    }
    if let Some(m) = blank(&q.method) {
        if !matches!(m.as_str(), "GET" | "POST" | "PUT") {
            return Err(ApiError::bad("method", "must be GET, POST or PUT"));
        }
        sql.push_str(" AND method = ?");
        binds.push(m);
    }
    if let Some(st) = blank(&q.status) {
        let b = st.as_bytes();
        let class_ok = b.len() == 3 && (b'1'..=b'5').contains(&b[0]);
        if class_ok && &st[1..] == "xx" {
            sql.push_str(" AND intDiv(status, 100) = toUInt16(?)");
            binds.push(st[..1].to_owned());
        } else if class_ok && b[1..].iter().all(u8::is_ascii_digit) {
            sql.push_str(" AND status = toUInt16(?)");
            binds.push(st);
        } else {
            return Err(ApiError::bad(
                "status",
                "must be a status (404) or a class of statuses (4xx)",
            ));
        }
    }
    if let Some(p) = blank(&q.path) {
        if p.is_empty() || p.chars().count() > 200 || p.chars().any(char::is_control) {
            return Err(ApiError::bad(
                "path",
                "must be 1 to 200 printable characters",
            ));
        }
        sql.push_str(" AND position(path, ?) > 0");
        binds.push(p);
    }
    Ok((sql, binds))
}

pub async fn audit(s: &AppState, p: &Principal, q: AuditQuery) -> Result<AuditReply, ApiError> {
    require(p, &[Role::Ministry])?;
    let (from, to) = crate::params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let crate::params::Page {
        page,
        page_size: size,
    } = crate::params::Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let (filters, binds) = audit_filters(&q)?;
    // The dates are UTC+5 calendar dates, not the server's UTC date.
    let (start, end) = schemas::time::kz_day_bounds(from, to);
    let mut query = s
        .app
        .query(&format!(
            "SELECT at, key_id, role, method, path, query, status, rows, latency_ms, client FROM api_audit \
             WHERE at >= toDateTime(?) AND at < toDateTime(?){filters} ORDER BY at DESC LIMIT ? OFFSET ?"
        ))
        .bind(start)
        .bind(end);
    for b in &binds {
        query = query.bind(b);
    }
    let rows: Vec<crate::audit::AuditRow> = query
        .bind(size)
        .bind((page - 1) * size)
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let keys = s
        .app
        .query("SELECT key_id, label FROM api_keys FINAL")
        .fetch_all::<(String, String)>()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let seen: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.key_id.as_str()).collect();
    let labels = keys
        .into_iter()
        .filter(|(k, _)| seen.contains(k.as_str()))
        .collect();
    Ok(AuditReply { rows, labels })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub entity: String,
    pub entity_id: String,
    pub at: String,
    pub by: String,
    pub record: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryReply {
    pub film_id: String,
    /// Oldest first: the film, its agreements and its funding payments, each version as written.
    pub versions: Vec<HistoryEntry>,
}

/// Every version of a film's registry records (the ministry, and the film's producer).
pub async fn film_history(
    s: &AppState,
    p: &Principal,
    film_id: String,
) -> Result<HistoryReply, ApiError> {
    schemas::FilmId::parse(&film_id).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
    super::box_office::film_visible(s, p, &film_id).await?;
    let rows: Vec<HistoryRow> = s
        .app
        .query("SELECT ?fields FROM registry_history WHERE film_id = ? ORDER BY at, seq, entity, entity_id LIMIT 10000")
        .bind(&film_id)
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let versions = super::records::entries(rows);
    Ok(HistoryReply { film_id, versions })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FxLoaded {
    pub rates: usize,
    pub by: String,
}

/// Loads official FX rates (`date,currency,kzt` CSV, as `ekino fx load`): all or nothing.
pub async fn put_fx(s: &AppState, p: &Principal, text: &str) -> Result<FxLoaded, ApiError> {
    require(p, &[Role::Ministry])?;
    let at = s.now_secs();
    let rows = crate::fx::rows_from_csv(text, &p.author(), at).map_err(ApiError::from)?;
    if rows.is_empty() {
        return Err(ApiError::bad(
            "body",
            "holds no rate (date,currency,kzt lines)",
        ));
    }
    ingest::clickhouse_store::insert_rows(&s.app, "fx_official", &rows, Duration::from_secs(10))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(FxLoaded {
        rates: rows.len(),
        by: p.author(),
    })
}

/// `PUT /v1/applicants/{id}`: registers (or changes) a foreign rebate applicant.
pub async fn put_applicant(
    s: &AppState,
    p: &Principal,
    id: String,
    b: crate::applicants::ApplicantBody,
) -> Result<Saved, ApiError> {
    require(p, &[Role::Ministry])?;
    let applicant =
        crate::applicants::ApplicantId::parse(&id).map_err(|e| ApiError::bad("applicant_id", e))?;
    let row = b.into_row(&applicant, s.now_secs())?;
    remember(s, p, Entity::Applicant, &id, "", &row).await?;
    insert(s, "applicants", row).await?;
    Ok(Saved {
        saved: "applicant",
        id,
    })
}

/// `GET /v1/applicants/{id}`: the ministry, or the applicant's own key.
pub async fn get_applicant(
    s: &AppState,
    p: &Principal,
    id: String,
) -> Result<crate::applicants::ApplicantRow, ApiError> {
    require(p, &[Role::Ministry, Role::Producer])?;
    if p.role == Role::Producer && p.applicant.as_deref() != Some(id.as_str()) {
        return Err(ApiError::NotFound);
    }
    crate::applicants::load(&s.app, &id)
        .await?
        .ok_or(ApiError::NotFound)
}
