//! One rebate result as a page shows it (the estimator's comparison, the briefing, a claim's
//! page): its figures and words in the page's language, each amount in one money format
//! (`i18n::amount`). Screens share it; it imports no screen.

use rebate_engine::result::RebateResult;
use rebate_engine::Programme;
use rust_decimal::Decimal;

use crate::estimate::{binding, code_word, programme_name};
use crate::i18n::amount;
use crate::i18n::{self, Lang};

pub fn pct(lang: Lang, d: Decimal) -> String {
    i18n::percent(lang, d)
}

fn yes_no(lang: Lang, b: bool) -> String {
    i18n::t(lang, if b { "word-yes" } else { "word-no" })
}

#[derive(Clone)]
pub struct LineView {
    pub category: String,
    pub vendor: String,
    pub amount: String,
    pub qualifying: String,
    pub excluded: String,
    pub reason: String,
}

#[derive(Clone)]
pub struct ResultView {
    pub id: String,
    pub name: String,
    pub version: String,
    pub draft: bool,
    pub eligible: String,
    pub eligible_class: &'static str,
    pub reasons: Vec<String>,
    pub rate: String,
    pub base_rate: String,
    pub minimum: String,
    pub minimum_class: &'static str,
    pub qualifying: String,
    pub eligible_spend: String,
    pub before_caps: String,
    pub caps: Vec<String>,
    pub uplifts: Vec<String>,
    pub tax: Option<String>,
    pub rebate: String,
    /// The rebate as the programme pays it, in its own currency (whole units), when the
    /// comparison is in another: `rebate` is this amount converted once.
    pub own: Option<String>,
    pub effective: String,
    pub binding: String,
    pub lines: Vec<LineView>,
    pub pool: Option<String>,
}

pub fn result_view(
    lang: Lang,
    programmes: &[Programme],
    r: &RebateResult,
    budget: Decimal,
) -> ResultView {
    let cur = r.currency.to_string();
    let a = |d: Decimal| amount(lang, d, &cur);
    let p = programmes.iter().find(|p| p.id == r.programme);
    let (minimum, minimum_class) = match &r.minimum {
        Some(m) if m.met => (
            i18n::t_with(lang, "minimum-met", &[("required", a(m.required))]),
            "ok",
        ),
        Some(m) => (
            i18n::t_with(
                lang,
                "minimum-not-met",
                &[
                    ("required", a(m.required)),
                    ("spend", a(m.qualifying_spend)),
                ],
            ),
            "bad",
        ),
        None => (i18n::t(lang, "minimum-none"), ""),
    };
    ResultView {
        id: r.programme.clone(),
        name: p.map_or_else(|| r.programme.clone(), |p| programme_name(lang, p)),
        version: r.version.clone(),
        draft: r.programme == "kz",
        eligible: yes_no(lang, r.eligible),
        eligible_class: if r.eligible { "ok" } else { "bad" },
        reasons: r
            .ineligibility
            .iter()
            .map(|x| code_word(lang, "reason", &x.code))
            .collect(),
        rate: pct(lang, r.rate.get()),
        base_rate: pct(lang, r.base_rate.get()),
        minimum,
        minimum_class,
        qualifying: a(r.qualifying_spend),
        eligible_spend: a(r.eligible_spend),
        before_caps: a(r.rebate_before_caps),
        caps: r
            .caps
            .iter()
            .map(|c| {
                let name = code_word(lang, "code", &c.code);
                if c.bound {
                    i18n::t_with(
                        lang,
                        "cap-bound",
                        &[("cap", name), ("limit", a(c.limit)), ("by", a(c.by))],
                    )
                } else {
                    i18n::t_with(
                        lang,
                        "cap-not-bound",
                        &[("cap", name), ("limit", a(c.limit))],
                    )
                }
            })
            .collect(),
        uplifts: r
            .uplifts
            .iter()
            .map(|u| {
                format!(
                    "{}: +{}",
                    code_word(lang, "code", &u.code),
                    pct(lang, u.points)
                )
            })
            .collect(),
        tax: r.tax.as_ref().map(|t| {
            i18n::t_with(
                lang,
                "tax-line",
                &[("rate", pct(lang, t.rate.get())), ("tax", a(t.tax))],
            )
        }),
        rebate: a(r.rebate),
        own: r
            .own
            .as_ref()
            .map(|o| i18n::amount(lang, o.rebate, o.currency.as_str())),
        effective: (budget > Decimal::ZERO)
            .then(|| (r.rebate / budget).round_dp_with_strategy(4, schemas::money::ROUNDING))
            .map_or_else(|| "—".into(), |x| pct(lang, x)),
        binding: binding(lang, r),
        lines: r
            .lines
            .iter()
            .map(|l| LineView {
                category: code_word(lang, "cat", &l.category),
                vendor: String::new(),
                amount: a(l.amount),
                qualifying: a(l.qualifying),
                excluded: a(l.excluded),
                reason: code_word(lang, "reason", &l.reason),
            })
            .collect(),
        pool: r.annual_pool.map(a),
    }
}
