//! The regional rules on a region written out by hand; medians, thresholds and the gross at
//! stake are worked out in the comments, not read from the code.

use super::*;

/// A cinema of region `KZ-35` over the window: `sales`, `refunds`, the price of an admission
/// in tiyn, the declared seats (its declared days' admissions are all its admissions); on the
/// day: 10 sales, `day_refunds` refunds, 200 declared seats.
fn cinema(bin: &str, refunds: u64, price: i64, seats: u64, day_refunds: u64) -> CinemaWindow {
    let admissions = 200 - refunds as i64;
    let day_admissions = 10 - day_refunds as i64;
    CinemaWindow {
        cinema_bin: bin.into(),
        region: Some("KZ-35".into()),
        window: Sums {
            sales: 200,
            refunds,
            admissions,
            gross_tiyn: admissions * price,
            declared_seats: seats,
            declared_admissions: admissions,
        },
        day: Sums {
            sales: 10,
            refunds: day_refunds,
            admissions: day_admissions,
            gross_tiyn: day_admissions * price,
            declared_seats: 200,
            declared_admissions: day_admissions,
        },
    }
}

/// Nine ordinary cinemas: 4 refunds of 200 sales (200 bp), 2,000 ₸ an admission, 196
/// admissions in 1,000 declared seats (1,960 bp).
fn ordinary() -> Vec<CinemaWindow> {
    (1..=9)
        .map(|i| cinema(&format!("N{i}"), 4, 200_000, 1_000, 0))
        .collect()
}

fn kinds(found: &[(String, Found)]) -> Vec<(&str, &str)> {
    found
        .iter()
        .map(|(bin, f)| (bin.as_str(), f.kind.code()))
        .collect()
}

#[test]
fn each_outlier_of_a_region_of_twelve_is_found_with_its_median_threshold_and_stake() {
    let mut all = ordinary();
    // R: 30 refunds of 200 (1,500 bp); 170 admissions in 1,000 seats (1,700 bp); on the day 5
    // refunds of 10 sales.
    all.push(cinema("R", 30, 200_000, 1_000, 5));
    // P: 800 ₸ an admission.
    all.push(cinema("P", 4, 80_000, 1_000, 0));
    // O: 196 admissions in 4,000 declared seats (490 bp).
    all.push(cinema("O", 4, 200_000, 4_000, 0));
    let found = evaluate(
        &all,
        "2026-11-10",
        "2026-12-07",
        &RegionalThresholds::default(),
    );
    assert_eq!(
        kinds(&found),
        vec![
            ("O", "occupancy_outlier"),
            ("P", "average_price_outlier"),
            ("R", "refund_rate_outlier"),
        ]
    );
    let (o, p, r) = (&found[0].1, &found[1].1, &found[2].1);
    // Refund rates: eleven at 200 bp and R's 1,500: the median (6th and 7th) is 200; the
    // threshold the larger of 200 × 300 % = 600 and 200 + 5 points = 700.
    assert_eq!(r.evidence["rate_bp"], 1_500);
    assert_eq!(r.evidence["region_median_bp"], 200);
    assert_eq!(r.evidence["threshold_bp"], 700);
    assert_eq!(r.evidence["cinemas"], 12);
    assert_eq!(r.evidence["from"], "2026-11-10");
    assert_eq!(r.evidence["region"], "KZ-35");
    // The day's 5 refunds of 10 sales less the region's 2 %: 4.8 refunds at 2,000 ₸.
    assert_eq!(r.gross_at_stake_tiyn, 960_000);
    // Prices: eleven at 200,000 tiyn and P's 80,000: median 200,000, threshold 100,000.
    assert_eq!(p.evidence["price_tiyn"], 80_000);
    assert_eq!(p.evidence["region_median_tiyn"], 200_000);
    assert_eq!(p.evidence["threshold_tiyn"], 100_000);
    // The day's 10 admissions at 1,200 ₸ short of the median.
    assert_eq!(p.gross_at_stake_tiyn, 1_200_000);
    // Occupancy: 490, 1,700 (R), ten at 1,960: median 1,960, threshold 980.
    assert_eq!(o.evidence["occupancy_bp"], 490);
    assert_eq!(o.evidence["region_median_bp"], 1_960);
    assert_eq!(o.evidence["threshold_bp"], 980);
    // The day's 200 seats at 19.6 % are 39 people (truncated); 10 reported: 29 at 2,000 ₸.
    assert_eq!(o.gross_at_stake_tiyn, 5_800_000);
    for (_, f) in &found {
        assert_eq!((f.screening_id.as_str(), f.film_id.as_str()), ("", ""));
    }
}

#[test]
fn a_region_short_of_ten_reporting_cinemas_is_not_judged() {
    // Eight ordinary cinemas and an outlier of each kind would be eleven; but the outliers
    // count only when reporting, and one ordinary cinema sold only 99 in the window.
    let mut all = ordinary();
    all[0].window.sales = 99;
    all.truncate(8);
    all.push(cinema("R", 30, 200_000, 1_000, 5));
    // 8 − 1 + 1 = 8 reporting: below 10.
    assert!(evaluate(&all, "a", "b", &RegionalThresholds::default()).is_empty());
    // With the limit at 8, R is judged.
    let t = RegionalThresholds {
        min_cinemas: 8,
        ..RegionalThresholds::default()
    };
    assert_eq!(
        kinds(&evaluate(&all, "a", "b", &t)),
        vec![("R", "refund_rate_outlier")]
    );
}

#[test]
fn a_cinema_is_judged_only_on_a_day_it_sold_and_only_within_its_region() {
    let mut all = ordinary();
    all.push(cinema("R", 30, 200_000, 1_000, 5));
    all.push(cinema("P", 4, 80_000, 1_000, 0));
    // R sold nothing on the day: no signal that day (it still counts for the median).
    all[9].day = Sums::default();
    // P is registered in another region of one cinema: not compared.
    all[10].region = Some("KZ-11".into());
    assert!(evaluate(&all, "a", "b", &RegionalThresholds::default()).is_empty());
    all[10].region = None;
    assert!(evaluate(&all, "a", "b", &RegionalThresholds::default()).is_empty());
}

#[test]
fn thresholds_are_met_at_their_edges_as_stated() {
    let mut all = ordinary();
    all.push(ordinary().remove(0));
    // Refunds exactly at 700 bp (14 of 200): "at least" is a signal.
    all[0].window.refunds = 14;
    all[0].window.admissions = 186;
    all[0].window.gross_tiyn = 186 * 200_000;
    all[0].window.declared_admissions = 186;
    // A price exactly at 50 % of the median (100,000): "below" is not.
    all[1].window.gross_tiyn = 196 * 100_000;
    // Occupancy at 980 bp (98 of 1,000), exactly half: not below.
    all[2].window.declared_admissions = 98;
    let found = evaluate(&all, "a", "b", &RegionalThresholds::default());
    assert_eq!(kinds(&found), vec![("N1", "refund_rate_outlier")]);
    // Nothing declared anywhere: no occupancy rule at all.
    let mut undeclared = ordinary();
    undeclared.push(cinema("O", 4, 200_000, 4_000, 0));
    for c in &mut undeclared {
        if c.cinema_bin != "O" {
            c.window.declared_seats = 0;
        }
    }
    assert!(evaluate(&undeclared, "a", "b", &RegionalThresholds::default()).is_empty());
}

#[test]
fn the_median_is_the_middle_or_the_truncated_mean_of_the_two() {
    assert_eq!(median(vec![]), None);
    assert_eq!(median(vec![5, 1, 3]), Some(3));
    assert_eq!(median(vec![4, 1, 3, 10]), Some(3));
}
