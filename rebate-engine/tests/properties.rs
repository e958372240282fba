//! Invariants over random claims under every shipped programme:
//! - the rebate never exceeds any rebate cap, the pre-cap rebate, or max rate × qualifying spend;
//! - adding a qualifying line never lowers the rebate;
//! - converting to KZT and back returns the same amount (to the cent);
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

fn line(p: &Programme, i: usize, category: &str, amount: Decimal, domestic: bool) -> Line {
    Line {
        id: format!("L{i}"),
        category: category.into(),
        amount,
        currency: p.currency.clone(),
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

type Drawn = (
    usize,
    Decimal,
    Kind,
    u32,
    Vec<(usize, Decimal, bool)>,
    Vec<bool>,
);

fn claim_parts() -> impl Strategy<Value = Drawn> {
    (
        0usize..9,
        amount(50_000_000_000),
        kind(),
        0u32..=40,
        prop::collection::vec(
            (
                0usize..CATEGORIES.len(),
                amount(5_000_000_000),
                any::<bool>(),
            ),
            0..12,
        ),
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
            .map(|(i, (c, a, d))| line(&p, i, CATEGORIES[*c], *a, *d))
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
        prop_assert!(r.rebate <= r.rebate_before_caps + Decimal::ONE);
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
    fn more_qualifying_spend_never_lowers_the_rebate(parts in claim_parts(), extra in amount(2_000_000_000), cat in 0usize..11) {
        let (p, claim) = build(&parts);
        let (fx, index) = tables();
        let ctx = Context { fx: &fx, index: &index };
        let before = compute(&p, &claim, &ctx).unwrap();
        let mut more = claim.clone();
        more.lines.push(line(&p, 99, CATEGORIES[cat], extra, true));
        let after = compute(&p, &more, &ctx).unwrap();
        if after.lines.last().unwrap().reason == "qualifying" {
            prop_assert!(after.rebate >= before.rebate, "{} -> {} adding {} {}", before.rebate, after.rebate, extra, CATEGORIES[cat]);
            prop_assert!(after.qualifying_spend >= before.qualifying_spend);
        }
    }

    #[test]
    fn conversion_to_kzt_and_back_is_exact(cents in 0i64..100_000_000_000, ci in 0usize..6) {
        let fx = builtin::fx();
        let cur = Currency::parse(["USD", "EUR", "GBP", "GEL", "PLN", "MYR"][ci]).unwrap();
        let kzt = Currency::kzt();
        let x = Decimal::new(cents, 2);
        let there = fx.convert(x, &cur, &kzt, as_of()).unwrap();
        let back = fx.convert(there, &kzt, &cur, as_of()).unwrap();
        prop_assert_eq!(back, x);
    }

    #[test]
    fn extreme_amounts_never_panic(pi in 0usize..9, big in prop::collection::vec(0i64..=1_000_000_000_000_000, 0..40), budget in 0i64..=1_000_000_000_000_000) {
        let p = programmes().swap_remove(pi);
        let (fx, index) = tables();
        let claim = Claim {
            programme: p.id.clone(),
            as_of: as_of(),
            production: production(&p, Decimal::from(budget), Kind::Feature, 30, vec!["kazakhstan_as_itself".into()]),
            lines: big.iter().enumerate().map(|(i, a)| line(&p, i, "construction_sets", Decimal::from(*a), true)).collect(),
            fx: FxTable::default(),
        };
        // An overflow is an error value, never a panic.
        let _ = compute(&p, &claim, &Context { fx: &fx, index: &index });
    }
}
