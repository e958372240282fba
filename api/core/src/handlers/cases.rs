//! Cases opened from signals ([`crate::cases`]): `POST /v1/cases` (the ministry opens one),
//! `GET /v1/cases` (the ministry's list), `GET /v1/cinemas/{bin}/cases` (a cinema's own),
//! `GET /v1/cases/{id}` (the ministry, or the case's cinema), `POST /v1/cases/{id}/notices`
//! (the ministry writes to the cinema), `POST /v1/cases/{id}/replies` (the cinema answers),
//! `POST /v1/cases/{id}/decision` (the ministry decides). The pages call the same functions.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{bin_field, parse_bin, require, require_cinema_scope};
use crate::auth::{Principal, Role};
use crate::cases::rules::{self, CaseSignal, State, StepKind};
use crate::cases::store::{self, CaseRow, StepRow};
use crate::cases::NO_BREACH;
use crate::error::ApiError;
use crate::params;
use crate::signals::report::{in_force, Signal, SignalFilter};
use crate::signals::rules::Kind;
use crate::state::AppState;

/// The most signals one case may rest on.
pub const MAX_SIGNALS: usize = 50;
/// The longest notice or reply, and the longest note, in characters.
pub const MAX_LETTER: usize = 4_000;
pub const MAX_NOTE: usize = 1_000;

/// One signal in force, by its key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalRef {
    #[schema(
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap|refund_rate_outlier|average_price_outlier|occupancy_outlier)$"
    )]
    pub kind: String,
    #[schema(format = Date)]
    pub day: String,
    /// The session; empty for a regional kind (`*_outlier`), which has none.
    #[serde(default)]
    #[schema(max_length = 64, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub screening_id: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    /// The cinema's BIN: every signal must be this cinema's.
    #[schema(pattern = "^[0-9]{12}$", format = "kz-bin")]
    pub cinema_bin: String,
    /// 1 to 50 signals in force of the cinema (repeats count once).
    #[schema(min_items = 1, max_items = 50)]
    pub signals: Vec<SignalRef>,
    /// Why the case is opened (at most 1,000 characters).
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// The language the notice is written in: `kk` or `ru`.
    #[schema(pattern = "^(kk|ru)$")]
    pub lang: String,
    /// The letter (1 to 4,000 characters; line breaks allowed).
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// The cinema's answer (1 to 4,000 characters; line breaks allowed).
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDecisionBody {
    /// A step of the ladder (`api.cases.ladder`; by default `warning`, `fine`, `closure_60`,
    /// `closure_90`) or `none` (no breach found). A sanction needs a notice first.
    #[schema(pattern = "^[a-z0-9_]{1,32}$")]
    pub decision: String,
    /// A fine's amount in KZT (`"150000.00"`), when the decision names one.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{1,15}(\\.[0-9]{1,2})?$")]
    pub amount: Option<String>,
    /// The reasons (at most 1,000 characters).
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub note: String,
}

/// The ministry's list filter.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    /// One cinema's BIN.
    #[serde(default)]
    #[param(pattern = "^[0-9]{12}$", format = "kz-bin")]
    pub cinema: Option<String>,
    /// One state.
    #[serde(default)]
    #[param(pattern = "^(open|notified|answered|decided)$")]
    pub state: Option<String>,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseStep {
    /// `opened`, `notice`, `reply` or `decision`.
    pub step: String,
    /// RFC 3339, UTC+5.
    pub at: String,
    /// `ministry` or `cinema`.
    pub role: String,
    /// Who took it (the key's label); the ministry's keys are not shown to a cinema.
    pub by: String,
    /// A notice's language (`kk`, `ru`); empty otherwise.
    pub lang: String,
    pub text: String,
    /// A decision's code; empty otherwise.
    pub decision: String,
    /// A fine's amount (KZT), when the decision names one.
    #[schema(value_type = Option<String>)]
    pub amount: Option<schemas::Kzt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub case_id: String,
    pub cinema_bin: String,
    pub state: State,
    pub opened_at: String,
    pub note: String,
    /// The signals as they stood when the case was opened.
    pub signals: Vec<CaseSignal>,
    /// Estimates (README, "Cases"): the gross the signals put in doubt, the part of it sold
    /// and not reported, and the film rentals that part withheld from distributors.
    #[schema(value_type = String)]
    pub gross_in_doubt: schemas::Kzt,
    #[schema(value_type = String)]
    pub unreported_gross: schemas::Kzt,
    #[schema(value_type = String)]
    pub withheld_rentals: schemas::Kzt,
    /// The decision's code, once decided.
    pub decision: Option<String>,
    pub steps: Vec<CaseStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseView>,
}

fn author_for(viewer: &Principal, row: &StepRow) -> String {
    // A cinema sees that the ministry wrote, not which of its keys (issue 26).
    if viewer.role != Role::Ministry && row.role == Role::Ministry.as_str() {
        String::new()
    } else {
        row.author.clone()
    }
}

fn view(viewer: &Principal, c: &CaseRow, steps: &[&StepRow]) -> CaseView {
    let signals: Vec<CaseSignal> = serde_json::from_str(&c.signals).unwrap_or_default();
    let kinds: Vec<StepKind> = steps
        .iter()
        .filter_map(|r| StepKind::parse(&r.step))
        .collect();
    let state = rules::state_of(kinds.iter().copied());
    let decision = steps
        .iter()
        .find(|r| r.step == StepKind::Decision.code())
        .map(|r| r.decision.clone());
    let gross_in_doubt = rules::estimate(
        &signals,
        &rules::Terms {
            vat_payer: true,
            exhibitor_share: &|_| None,
        },
    )
    .gross_in_doubt;
    CaseView {
        case_id: c.case_id.clone(),
        cinema_bin: c.cinema_bin.clone(),
        state,
        opened_at: time(c.opened_at),
        note: c.note.clone(),
        signals,
        gross_in_doubt,
        unreported_gross: schemas::Kzt::from_tiyn(c.unreported_gross_tiyn),
        withheld_rentals: schemas::Kzt::from_tiyn(c.withheld_rentals_tiyn),
        decision,
        steps: steps
            .iter()
            .map(|r| CaseStep {
                step: r.step.clone(),
                at: time(r.at),
                role: r.role.clone(),
                by: author_for(viewer, r),
                lang: r.lang.clone(),
                text: r.text.clone(),
                decision: r.decision.clone(),
                amount: (r.amount_tiyn != 0).then(|| schemas::Kzt::from_tiyn(r.amount_tiyn)),
            })
            .collect(),
    }
}

fn time(t: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(t), 0)
        .map(schemas::event::wire::rfc3339_kz)
        .unwrap_or_default()
}

/// A letter or note: at most `max` characters, something besides spaces when `required`, no
/// control characters but line breaks and tabs.
pub(crate) fn letter(field: &str, s: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(ApiError::Invalid {
            field: field.to_owned(),
            reason: rebate_engine::Reason::Empty,
        });
    }
    if t.chars().count() > max {
        return Err(ApiError::bad(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::bad(
            field,
            "must not contain control characters other than line breaks",
        ));
    }
    Ok(t.replace("\r\n", "\n"))
}

fn new_id() -> String {
    let mut id = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    format!(
        "CS-{}",
        id.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Opens a case on a cinema from its signals in force (the ministry).
pub async fn open(s: &AppState, p: &Principal, b: OpenCaseBody) -> Result<CaseView, ApiError> {
    require(p, &[Role::Ministry])?;
    let bin = bin_field("cinema_bin", &b.cinema_bin)?.to_string();
    if b.signals.is_empty() || b.signals.len() > MAX_SIGNALS {
        return Err(ApiError::bad(
            "signals",
            format!("must list 1 to {MAX_SIGNALS} signals"),
        ));
    }
    let note = letter("note", &b.note, MAX_NOTE, false)?;
    let mut wanted = BTreeSet::new();
    for (i, r) in b.signals.iter().enumerate() {
        let kind = Kind::parse(&r.kind).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
            ApiError::bad(
                format!("signals[{i}].kind"),
                format!("must be one of {}", known.join(", ")),
            )
        })?;
        let day = params::date(&format!("signals[{i}].day"), &r.day)?;
        Kind::check_session(&r.screening_id)
            .map_err(|e| ApiError::bad(format!("signals[{i}].screening_id"), e))?;
        wanted.insert((i, day, kind.code(), r.screening_id.clone()));
    }
    let from = wanted.iter().map(|w| w.1).min().unwrap_or_default();
    let to = wanted.iter().map(|w| w.1).max().unwrap_or_default();
    let stored = in_force(
        &s.ch,
        &s.app_db,
        &SignalFilter {
            from,
            to,
            cinema: Some(bin.clone()),
            kind: None,
        },
        None,
    )
    .await?;
    let mut signals: Vec<CaseSignal> = Vec::new();
    for (i, day, kind, screening) in &wanted {
        let found = stored.iter().find(|r| {
            r.kind == *kind
                && r.screening_id == *screening
                && schemas::time::date_from_days(r.day) == *day
        });
        let Some(row) = found else {
            return Err(ApiError::Unprocessable {
                field: format!("signals[{i}]"),
                reason: format!(
                    "no signal {kind} in force for session {screening} of {day} at cinema {bin}"
                ),
            });
        };
        let g = Signal::of_row(row);
        if signals
            .iter()
            .any(|x| x.kind == g.kind && x.day == g.day && x.screening_id == g.screening_id)
        {
            continue;
        }
        signals.push(CaseSignal {
            kind: g.kind,
            day: g.day,
            screening_id: g.screening_id,
            film_id: g.film_id,
            hall: g.hall,
            evidence: g.evidence,
            gross_at_stake: g.gross_at_stake,
        });
    }
    let registry = s.registry().await?;
    let share = |film: &str| {
        registry
            .agreements
            .get(film)
            .map(|a| a.exhibitor_share_x10000)
    };
    let est = rules::estimate(
        &signals,
        &rules::Terms {
            vat_payer: registry
                .cinema_vat_payers
                .get(&bin)
                .copied()
                .unwrap_or(true),
            exhibitor_share: &share,
        },
    );
    let now = s.now_secs();
    let row = CaseRow {
        case_id: new_id(),
        cinema_bin: bin.clone(),
        opened_at: now,
        opened_by: p.author(),
        signals: serde_json::to_string(&signals).map_err(|e| ApiError::Internal(e.to_string()))?,
        unreported_gross_tiyn: est.unreported_gross.tiyn(),
        withheld_rentals_tiyn: est.withheld_rentals.tiyn(),
        note: note.clone(),
    };
    let timeout = s.settings.query_timeout_ms;
    store::insert_case(&s.app, &row, timeout).await?;
    let step = StepRow {
        case_id: row.case_id.clone(),
        cinema_bin: bin,
        seq: ingest::rollup::version_now(),
        at: now,
        author: p.author(),
        role: p.role.as_str().into(),
        step: StepKind::Opened.code().into(),
        lang: String::new(),
        text: note,
        decision: String::new(),
        amount_tiyn: 0,
    };
    store::insert_step(&s.app, &step, timeout).await?;
    Ok(view(p, &row, &[&step]))
}

/// The case `id` with its steps, if the caller may see it (else 404).
async fn load(s: &AppState, p: &Principal, id: &str) -> Result<(CaseRow, Vec<StepRow>), ApiError> {
    require(p, &[Role::Ministry, Role::Cinema])?;
    if schemas::ids::bounded_text(id, 64).is_err() {
        return Err(ApiError::NotFound);
    }
    let c = store::case(&s.ch, &s.app_db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    require_cinema_scope(p, &c.cinema_bin)?;
    let steps = store::steps(&s.ch, &s.app_db, Some(&c.cinema_bin), Some(id)).await?;
    Ok((c, steps))
}

/// One case (the ministry, or the case's cinema).
pub async fn get(s: &AppState, p: &Principal, id: String) -> Result<CaseView, ApiError> {
    let (c, steps) = load(s, p, &id).await?;
    Ok(view(p, &c, &steps.iter().collect::<Vec<_>>()))
}

fn list_of(p: &Principal, cases: &[CaseRow], steps: &[StepRow], state: Option<State>) -> CaseList {
    let mut by_case: std::collections::HashMap<&str, Vec<&StepRow>> =
        std::collections::HashMap::new();
    for r in steps {
        by_case.entry(r.case_id.as_str()).or_default().push(r);
    }
    CaseList {
        cases: cases
            .iter()
            .map(|c| {
                view(
                    p,
                    c,
                    by_case.get(c.case_id.as_str()).map_or(&[], Vec::as_slice),
                )
            })
            .filter(|v| state.is_none_or(|s| v.state == s))
            .collect(),
    }
}

fn state_filter(q: Option<&str>) -> Result<Option<State>, ApiError> {
    match q {
        None => Ok(None),
        Some(v) => State::parse(v).map(Some).ok_or_else(|| {
            ApiError::bad("state", "must be one of open, notified, answered, decided")
        }),
    }
}

/// Every case, newest first (the ministry).
pub async fn all(s: &AppState, p: &Principal, q: CasesQuery) -> Result<CaseList, ApiError> {
    require(p, &[Role::Ministry])?;
    // An empty value is no value the schema allows (pages leave "any" out): a 400.
    let cinema = match q.cinema.as_deref() {
        Some(c) => Some(bin_field("cinema", c)?.to_string()),
        None => None,
    };
    let state = state_filter(q.state.as_deref())?;
    let cases = store::cases(&s.ch, &s.app_db, cinema.as_deref()).await?;
    let steps = store::steps(&s.ch, &s.app_db, cinema.as_deref(), None).await?;
    Ok(list_of(p, &cases, &steps, state))
}

/// A cinema's cases, newest first (that cinema, or the ministry).
pub async fn of_cinema(s: &AppState, p: &Principal, bin: String) -> Result<CaseList, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let cases = store::cases(&s.ch, &s.app_db, Some(bin.as_str())).await?;
    let steps = store::steps(&s.ch, &s.app_db, Some(bin.as_str()), None).await?;
    Ok(list_of(p, &cases, &steps, None))
}

/// Adds a step after checking the case's state allows it.
async fn step(
    s: &AppState,
    p: &Principal,
    id: &str,
    kind: StepKind,
    sanction: bool,
    fill: impl FnOnce(&mut StepRow),
) -> Result<CaseView, ApiError> {
    let (c, mut steps) = load(s, p, id).await?;
    let state = rules::state_of(steps.iter().filter_map(|r| StepKind::parse(&r.step)));
    rules::may(state, kind, sanction).map_err(|r| ApiError::Conflict(r.to_string()))?;
    let mut row = StepRow {
        case_id: c.case_id.clone(),
        cinema_bin: c.cinema_bin.clone(),
        seq: ingest::rollup::version_now().max(steps.last().map_or(0, |l| l.seq + 1)),
        at: s.now_secs(),
        author: p.author(),
        role: p.role.as_str().into(),
        step: kind.code().into(),
        lang: String::new(),
        text: String::new(),
        decision: String::new(),
        amount_tiyn: 0,
    };
    fill(&mut row);
    store::insert_step(&s.app, &row, s.settings.query_timeout_ms).await?;
    steps.push(row);
    Ok(view(p, &c, &steps.iter().collect::<Vec<_>>()))
}

/// The ministry writes to the cinema, in Kazakh or Russian.
pub async fn notice(
    s: &AppState,
    p: &Principal,
    id: String,
    b: NoticeBody,
) -> Result<CaseView, ApiError> {
    require(p, &[Role::Ministry])?;
    if !matches!(b.lang.as_str(), "kk" | "ru") {
        return Err(ApiError::bad("lang", "must be kk or ru"));
    }
    let text = letter("text", &b.text, MAX_LETTER, true)?;
    step(s, p, &id, StepKind::Notice, false, |r| {
        r.lang = b.lang;
        r.text = text;
    })
    .await
}

/// The cinema answers (its own cases only).
pub async fn reply(
    s: &AppState,
    p: &Principal,
    id: String,
    b: ReplyBody,
) -> Result<CaseView, ApiError> {
    require(p, &[Role::Cinema])?;
    let text = letter("text", &b.text, MAX_LETTER, true)?;
    step(s, p, &id, StepKind::Reply, false, |r| r.text = text).await
}

/// The ministry decides: a ladder step or `none`.
pub async fn decide(
    s: &AppState,
    p: &Principal,
    id: String,
    b: CaseDecisionBody,
) -> Result<CaseView, ApiError> {
    require(p, &[Role::Ministry])?;
    let ladder = &s.settings.cases;
    let sanction = b.decision != NO_BREACH;
    // The ladder is the ministry's setting, not the schema's: a code it does not list is
    // well formed but cannot be applied (422).
    if sanction && ladder.step(&b.decision).is_none() {
        let known: Vec<&str> = ladder.ladder.iter().map(|l| l.code.as_str()).collect();
        return Err(ApiError::Unprocessable {
            field: "decision".into(),
            reason: format!("must be one of {NO_BREACH}, {}", known.join(", ")),
        });
    }
    let amount = match b.amount.as_deref() {
        None => 0,
        Some(a) => {
            let k = schemas::Kzt::parse(a)
                .map_err(|e| ApiError::bad("amount", format!("must be an amount in KZT: {e}")))?;
            if k.tiyn() < 0 {
                return Err(ApiError::bad("amount", "must not be negative"));
            }
            if !sanction && k.tiyn() != 0 {
                return Err(ApiError::Unprocessable {
                    field: "amount".into(),
                    reason: format!("only a sanction has an amount, not {NO_BREACH}"),
                });
            }
            k.tiyn()
        }
    };
    let note = letter("note", &b.note, MAX_NOTE, false)?;
    step(s, p, &id, StepKind::Decision, sanction, |r| {
        r.decision = b.decision;
        r.text = note;
        r.amount_tiyn = amount;
    })
    .await
}
