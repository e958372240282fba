//! Invariants over random claims under every shipped programme:
//! - the rebate never exceeds any rebate cap, the pre-cap rebate, or max rate × qualifying spend;
//! - adding a qualifying line never lowers the rebate;
//! - converting to KZT and back returns the same amount (to the cent) in a currency worth more
//!   than a tenge, and within the two roundings' bound in one worth less (UZS);
//! - arithmetic never panics, whatever the amounts.

use proptest::prelude::*;
use rebate_engine::claim::{Claim, Line, Production, VendorId};
use rebate_engine::money::{Currency, Rate};
use rebate_engine::programme::{Kind, Programme, RebateCap};
use rebate_engine::{builtin, compute, Context, FxTable, IndexTable};
use rust_decimal::Decimal;

const KZ_BIN: &str = "050440002227";

fn programmes() -> Vec<Programme> {
    builtin::programmes().unwrap()
}

fn tables() -> (FxTable, IndexTable) {
    (builtin::fx(), builtin::index())
}

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn production(
    p: &Programme,
    budget: Decimal,
    kind: Kind,
    outside: u32,
    cultural: Vec<String>,
) -> Production {
    Production {
        title: "Prop".into(),
        kind,
        total_budget: budget,
        budget_currency: p.currency.clone(),
        applicant_country: "US".into(),
        registered_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        completed_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        shooting_days: Some((40, outside)),
        cultural,
    }
}

/// Every currency a line may be paid in: the table's, and tenge.
fn currencies() -> Vec<Currency> {
    let mut all: Vec<Currency> = builtin::fx().currencies().cloned().collect();
    all.push(Currency::kzt());
    all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    all.dedup();
    all
}

/// A line of `category` in `currency` (`None`: the programme's own).
fn line(
    p: &Programme,
    i: usize,
    category: &str,
    amount: Decimal,
    domestic: bool,
    currency: Option<&Currency>,
) -> Line {
    Line {
        id: format!("L{i}"),
        category: category.into(),
        amount,
        currency: currency.unwrap_or(&p.currency).clone(),
        paid_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        vendor_country: if domestic {
            p.country.clone()
        } else {
            "US".into()
        },
        vendor_id: if domestic {
            VendorId::Given(KZ_BIN.into())
        } else {
            VendorId::None
        },
        resident: true,
    }
}

const CATEGORIES: &[&str] = &[
    "crew_wages",
    "cast_local",
    "equipment_rental",
    "locations",
    "accommodation",
    "catering",
    "construction_sets",
    "post_production",
    "vfx",
    "other_services",
    "legal_accounting",
    "cast_foreign",
    "crew_foreign",
    "insurance",
    "vat",
    "made_up",
];

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Feature),
        Just(Kind::Series),
        Just(Kind::Documentary),
        Just(Kind::Animation)
    ]
}

fn amount(max_units: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_units, 0i64..100).prop_map(|(u, c)| Decimal::new(u * 100 + c, 2))
}

/// A drawn line: its category, amount, whether its vendor is domestic, and its currency (an
/// index into [`currencies`], past their end: the programme's own).
type DrawnLine = (usize, Decimal, bool, usize);

type Drawn = (usize, Decimal, Kind, u32, Vec<DrawnLine>, Vec<bool>);

fn drawn_line() -> impl Strategy<Value = DrawnLine> {
    (
        0usize..CATEGORIES.len(),
        amount(5_000_000_000),
        any::<bool>(),
        0usize..currencies().len() * 2,
    )
}

fn currency_of(i: usize) -> Option<Currency> {
    currencies().get(i).cloned()
}

fn claim_parts() -> impl Strategy<Value = Drawn> {
    (
        0usize..9,
        amount(50_000_000_000),
        kind(),
        0u32..=40,
        prop::collection::vec(drawn_line(), 0..12),
        prop::collection::vec(any::<bool>(), 4),
    )
}

fn build(parts: &Drawn) -> (Programme, Claim) {
    let (pi, budget, kind, outside, lines, flags) = parts;
    let p = programmes().swap_remove(*pi);
    let cultural: Vec<String> = [
        "kazakhstan_as_itself",
        "georgia_as_itself",
        "malaysia_as_itself",
        "georgian_culture",
    ]
    .iter()
    .zip(flags)
    .filter(|(_, on)| **on)
    .map(|(c, _)| (*c).to_owned())
    .collect();
    let claim = Claim {
        programme: p.id.clone(),
        as_of: as_of(),
        production: production(&p, *budget, *kind, *outside, cultural),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (c, a, d, cur))| {
                line(&p, i, CATEGORIES[*c], *a, *d, currency_of(*cur).as_ref())
            })
            .collect(),
        fx: FxTable::default(),
    };
    (p, claim)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn rebate_never_exceeds_a_cap_or_the_rate(parts in claim_parts()) {
        let (p, claim) = build(&parts);
        let (fx, index) = tables();
        let r = compute(&p, &claim, &Context { fx: &fx, index: &index }).unwrap();
        let v = p.version_on(claim.as_of).unwrap();
        prop_assert!(r.rebate >= Decimal::ZERO);
        // The rebate is rounded down to a whole unit, the pre-cap figure to the cent: never above.
        prop_assert!(r.rebate <= r.rebate_before_caps, "{} > {}", r.rebate, r.rebate_before_caps);
        prop_assert!(r.eligible_spend <= r.qualifying_spend);
        let max_rate = v.max_rate.unwrap_or(Rate::new(Decimal::ONE).unwrap()).get();
        prop_assert!(r.rebate <= r.qualifying_spend * max_rate, "{} > {} x {}", r.rebate, r.qualifying_spend, max_rate);
        prop_assert!(r.rate.get() <= max_rate);
        for cap in &v.rebate_caps {
            let limit = match cap {
                RebateCap::Absolute { amount, .. } => *amount,
                RebateCap::Index { index: i, units, .. } => *units * index.value(i, claim.as_of).unwrap(),
            };
            prop_assert!(r.rebate <= limit, "{} over cap {}", r.rebate, limit);
        }
        for c in r.caps.iter().filter(|c| c.applies_to == "spend" && c.bound) {
            prop_assert!(c.by > Decimal::ZERO);
        }
        if !r.eligible {
            prop_assert_eq!(r.rebate, Decimal::ZERO);
        }
    }

    #[test]
    fn more_qualifying_spend_never_lowers_the_rebate(parts in claim_parts(), extra in drawn_line()) {
        let (p, claim) = build(&parts);
        let (fx, index) = tables();
        let ctx = Context { fx: &fx, index: &index };
        let before = compute(&p, &claim, &ctx).unwrap();
        let mut more = claim.clone();
        let (cat, amount, domestic, cur) = extra;
        more.lines.push(line(&p, 99, CATEGORIES[cat], amount, domestic, currency_of(cur).as_ref()));
        let after = compute(&p, &more, &ctx).unwrap();
        if after.lines.last().unwrap().reason == "qualifying" {
            prop_assert!(after.rebate >= before.rebate, "{} -> {} adding {:?}", before.rebate, after.rebate, extra);
            prop_assert!(after.qualifying_spend >= before.qualifying_spend);
        }
    }

    #[test]
    fn conversion_to_kzt_and_back_is_exact_to_the_roundings(cents in 0i64..100_000_000_000, ci in 0usize..64, day in 0u64..730) {
        let fx = builtin::fx();
        let all = currencies();
        let cur = &all[ci % all.len()];
        let kzt = Currency::kzt();
        let on = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(day);
        let x = Decimal::new(cents, 2);
        let there = fx.convert(x, cur, &kzt, on).unwrap();
        let back = fx.convert(there, &kzt, cur, on).unwrap();
        // Each way is rounded to the cent (half away from zero): the tenge amount is within half
        // a tiyn of exact, which is 0.005 / rate of the currency, then rounded again. Worth more
        // than a tenge, that is less than half a cent: the amount comes back exactly.
        let rate = fx.kzt_per_unit(cur, on).unwrap();
        let half_cent = Decimal::new(5, 3);
        if rate > Decimal::ONE {
            prop_assert_eq!(back, x, "{} at {}", cur.as_str(), rate);
        } else {
            prop_assert!((back - x).abs() <= half_cent + half_cent / rate, "{} {} -> {} at {}", x, cur.as_str(), back, rate);
        }
    }

    #[test]
    fn extreme_amounts_never_panic(pi in 0usize..9, big in prop::collection::vec((0i64..=1_000_000_000_000_000, 0usize..CATEGORIES.len(), 0usize..64), 0..40), budget in 0i64..=1_000_000_000_000_000) {
        let p = programmes().swap_remove(pi);
        let (fx, index) = tables();
        let claim = Claim {
            programme: p.id.clone(),
            as_of: as_of(),
            production: production(&p, Decimal::from(budget), Kind::Feature, 30, vec!["kazakhstan_as_itself".into()]),
            lines: big.iter().enumerate().map(|(i, (a, c, cur))| line(&p, i, CATEGORIES[*c], Decimal::from(*a), i % 2 == 0, currency_of(*cur).as_ref())).collect(),
            fx: FxTable::default(),
        };
        // An overflow is an error value, never a panic.
        let _ = compute(&p, &claim, &Context { fx: &fx, index: &index });
    }
}
