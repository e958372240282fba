//! Table tests from `tests/scenarios/claims.json`: every programme's published worked
//! examples, boundary cases (bracket edges, minimums, caps) and each exclusion reason.

use std::str::FromStr;

use rebate_engine::{builtin, compute, Claim, Context};
use rust_decimal::Decimal;
use serde_json::Value;

fn merged(base: &Value, case: &Value) -> Value {
    let mut claim = base.clone();
    let o = claim.as_object_mut().unwrap();
    for key in ["programme", "as_of", "lines", "fx"] {
        if let Some(v) = case.get(key) {
            o.insert(key.into(), v.clone());
        }
    }
    if let Some(p) = case.get("production") {
        let prod = o.get_mut("production").unwrap().as_object_mut().unwrap();
        for (k, v) in p.as_object().unwrap() {
            prod.insert(k.clone(), v.clone());
        }
    }
    claim
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimal string")).unwrap()
}

#[test]
fn scenario_table() {
    let table: Value = serde_json::from_str(include_str!("scenarios/claims.json")).unwrap();
    let (fx, index) = (builtin::fx(), builtin::index());
    let ctx = Context {
        fx: &fx,
        index: &index,
    };
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut programmes_seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let claim_json = merged(&table["base"], case);
        let claim =
            Claim::parse_json(&claim_json.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let programme = builtin::programme(&claim.programme).unwrap();
        programmes_seen.insert(programme.id.clone());
        let r = compute(&programme, &claim, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = &case["expect"];
        let got = serde_json::to_value(&r).unwrap();
        // What a filed claim stores is read back whole (the claim pages show it).
        let stored: rebate_engine::RebateResult = serde_json::from_value(got.clone())
            .unwrap_or_else(|e| panic!("{name}: the stored result does not read back: {e}"));
        assert_eq!(stored, r, "{name}: the stored result reads back changed");
        for (key, expected) in want.as_object().unwrap() {
            match key.as_str() {
                "eligible" => assert_eq!(
                    r.eligible,
                    expected.as_bool().unwrap(),
                    "{name}: eligible ({:?})",
                    r.ineligibility
                ),
                "ineligibility" => {
                    let codes: Vec<&str> =
                        r.ineligibility.iter().map(|i| i.code.as_str()).collect();
                    let want: Vec<&str> = expected
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap())
                        .collect();
                    assert_eq!(codes, want, "{name}: ineligibility");
                }
                "caps_bound" => {
                    let bound: Vec<&str> = r
                        .caps
                        .iter()
                        .filter(|c| c.bound)
                        .map(|c| c.code.as_str())
                        .collect();
                    let want: Vec<&str> = expected
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap())
                        .collect();
                    assert_eq!(bound, want, "{name}: caps bound");
                }
                "lines" => {
                    for (id, reason) in expected.as_object().unwrap() {
                        let line = r
                            .lines
                            .iter()
                            .find(|l| &l.id == id)
                            .unwrap_or_else(|| panic!("{name}: no line {id}"));
                        assert_eq!(
                            line.reason,
                            reason.as_str().unwrap(),
                            "{name}: line {id} ({})",
                            line.detail
                        );
                    }
                }
                field => assert_eq!(dec(&got[field]), dec(expected), "{name}: {field}"),
            }
        }
        // Exact decimal equality: the rebate is a whole number and never exceeds its pre-cap value.
        assert_eq!(r.rebate, r.rebate.trunc(), "{name}: whole units");
    }
    let all: std::collections::BTreeSet<String> = builtin::programmes()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        programmes_seen, all,
        "every shipped programme has scenarios"
    );
}

#[test]
fn every_line_reason_is_explained() {
    let table: Value = serde_json::from_str(include_str!("scenarios/claims.json")).unwrap();
    let claim = Claim::parse_json(&merged(&table["base"], &table["cases"][0]).to_string()).unwrap();
    let (fx, index) = (builtin::fx(), builtin::index());
    let r = compute(
        &builtin::programme("kz").unwrap(),
        &claim,
        &Context {
            fx: &fx,
            index: &index,
        },
    )
    .unwrap();
    for l in &r.lines {
        assert!(!l.detail.is_empty(), "{} has no explanation", l.id);
        assert_eq!(
            l.qualifying + l.excluded,
            l.amount,
            "{} splits its amount",
            l.id
        );
    }
    for c in &r.caps {
        assert!(
            !c.detail.is_empty() && c.limit >= Decimal::ZERO,
            "{} explained",
            c.code
        );
    }
    assert_eq!(r.uplifts.len(), 2);
    assert!(r.uplifts.iter().all(|u| u.points > Decimal::ZERO));
}

#[test]
fn claim_schema_matches_the_parser() {
    let schema: Value = serde_json::from_str(include_str!("../claim.schema.json")).unwrap();
    let example: Value =
        serde_json::from_str(include_str!("../examples/claim-steppe-light.json")).unwrap();
    assert!(
        Claim::parse_json(&example.to_string()).is_ok(),
        "the documented example parses"
    );
    // Every documented property is accepted, and an undocumented one is refused with its path.
    let line_props: Vec<String> = schema["properties"]["lines"]["items"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut full = example.clone();
    let line = full["lines"][0].as_object_mut().unwrap();
    for p in &line_props {
        assert!(line.contains_key(p), "example line 0 shows {p}");
    }
    line.insert("discount".into(), Value::from("1"));
    let err = Claim::parse_json(&full.to_string()).unwrap_err();
    assert_eq!(err.field, "lines[0].discount");
    assert!(
        matches!(&err.reason, rebate_engine::Reason::UnknownField { name, .. } if name == "discount"),
        "{}",
        err.reason
    );
    let top: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for key in example.as_object().unwrap().keys() {
        assert!(top.contains(&key), "{key} is documented");
    }
}

/// The rules between fields that no JSON Schema states (the API's document says them in words
/// and teaches its fuzzer them): each is refused with the field at fault.
#[test]
fn cross_field_rules_are_refused_with_their_field() {
    let example: Value =
        serde_json::from_str(include_str!("../examples/claim-steppe-light.json")).unwrap();
    type Mutation = fn(&mut Value);
    let cases: [(&str, Mutation, &str, &str); 4] = [
        (
            "completed before registered",
            |c| c["production"]["completed_on"] = Value::from("2000-01-01"),
            "production.completed_on",
            "is before registered_on",
        ),
        (
            "more days outside than in all",
            |c| {
                c["production"]["shooting_days"] =
                    serde_json::json!({"total": 10, "outside_almaty_astana": 11})
            },
            "production.shooting_days.outside_almaty_astana",
            "is more than total",
        ),
        (
            "a line id used twice",
            |c| c["lines"][1]["id"] = c["lines"][0]["id"].clone(),
            "lines[1].id",
            "is used by an earlier line",
        ),
        (
            "days as integral floats are days",
            |c| {
                c["production"]["shooting_days"] =
                    serde_json::json!({"total": 10.0, "outside_almaty_astana": 2.5})
            },
            "production.shooting_days.outside_almaty_astana",
            "whole number",
        ),
    ];
    for (name, mutate, field, reason) in cases {
        let mut claim = example.clone();
        mutate(&mut claim);
        let err = Claim::parse_json(&claim.to_string()).unwrap_err();
        assert_eq!(err.field, field, "{name}: {err:?}");
        assert!(err.reason.to_string().contains(reason), "{name}: {err:?}");
    }
    let mut whole = example.clone();
    whole["production"]["shooting_days"] =
        serde_json::json!({"total": 10.0, "outside_almaty_astana": 2});
    assert_eq!(
        Claim::parse_json(&whole.to_string())
            .unwrap()
            .production
            .shooting_days,
        Some((10, 2)),
        "10.0 is 10"
    );
}

/// A form lists every problem of the spend lines at once, each at its line and column, in the
/// order of the lines; filing refuses with the first of them.
#[test]
fn every_problem_of_the_lines_is_found_at_once() {
    let mut example: Value =
        serde_json::from_str(include_str!("../examples/claim-steppe-light.json")).unwrap();
    let line = example["lines"][0].clone();
    let mut lines = vec![line.clone(); 4];
    for (i, l) in lines.iter_mut().enumerate() {
        l["id"] = Value::from(format!("L{i}"));
    }
    lines[1]["amount"] = Value::from("12,5x");
    lines[1]["paid_on"] = Value::from("01.05.2026");
    lines[3]["id"] = Value::from("L0");
    lines[3]["vendor_country"] = Value::from("kaz");
    example["lines"] = Value::from(lines);
    let input: rebate_engine::ClaimInput = serde_json::from_value(example.clone()).unwrap();
    let found: Vec<String> = rebate_engine::claim::line_problems(&input.lines)
        .iter()
        .map(|e| e.field.clone())
        .collect();
    assert_eq!(
        found,
        [
            "lines[1].amount",
            "lines[1].paid_on",
            "lines[3].id",
            "lines[3].vendor_country"
        ]
    );
    let first = Claim::parse_json(&example.to_string()).unwrap_err();
    assert_eq!(first.field, "lines[1].amount");
}

/// An estimate compared in another currency keeps the rebate as the programme pays it, in
/// whole lari for Georgia, beside its one conversion: the figure compared is that amount
/// converted once (the page shows both), not a number to be taken for the lari paid.
#[test]
fn an_estimate_keeps_the_rebate_as_paid_beside_its_conversion() {
    let input: rebate_engine::EstimateInput = serde_json::from_value(serde_json::json!({
        "as_of": "2026-06-01", "currency": "USD",
        "production": {"title": "Typed", "kind": "feature", "total_budget": {"amount": "2000000", "currency": "USD"},
                       "applicant_country": "US", "registered_on": "2026-03-02", "completed_on": "2026-08-31",
                       "shooting_days": {"total": 40, "outside_almaty_astana": 25}, "cultural": []},
        "budget": [{"category": "crew_wages", "amount": "400000"}, {"category": "construction_sets", "amount": "1234567.89"}]
    }))
    .unwrap();
    let (fx, index) = (builtin::fx(), builtin::index());
    let ctx = Context {
        fx: &fx,
        index: &index,
    };
    let ge = builtin::programme("ge").unwrap();
    let kz = builtin::programme("kz").unwrap();
    let c = rebate_engine::compare(&[ge, kz], &input, &ctx).unwrap();
    let own = c.results[0].own.as_ref().expect("the rebate in lari");
    assert_eq!(own.currency.to_string(), "GEL");
    assert!(
        own.rebate > Decimal::ZERO && own.rebate == own.rebate.trunc(),
        "whole lari: {}",
        own.rebate
    );
    let usd = rebate_engine::claim::currency("currency", "USD").unwrap();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    assert_eq!(
        c.results[0].rebate,
        fx.convert(own.rebate, &own.currency, &usd, on).unwrap(),
        "converted once from what is paid"
    );
    assert!(c.results[1]
        .own
        .as_ref()
        .is_some_and(|o| o.currency.to_string() == "KZT"));
}
