//! A film's daily curve as an SVG drawn on the server, for the public film page and the
//! producer's run of its own film.

use chrono::{Datelike, NaiveDate};

use crate::i18n::{self, Lang};

/// Width and height of the plotting area of the curves, in SVG units.
const PLOT_W: u32 = 720;
const PLOT_H: u32 = 160;
/// Room for the first and last dates under a short run's axis.
const AXIS_MIN_W: u32 = 200;
/// A column never wider than this, however few the days.
const MAX_BAR_W: f64 = 40.0;

/// Columns of daily gross over the run, weekend days in their own class; SVG coordinates
/// with one decimal so a long run still fits the plot.
/// The width one day takes: the plot shared out, but a short run neither stretches a few
/// columns into blocks nor squeezes its axis below the room its two date labels need.
pub fn day_step(days: usize) -> f64 {
    let n = days.max(1) as f64;
    (f64::from(PLOT_W) / n).min((f64::from(AXIS_MIN_W) / n).max(24.0))
}

/// The axis's length for `days` days.
pub fn axis_width(days: usize) -> u32 {
    (day_step(days) * days.max(1) as f64).ceil() as u32
}

/// One day of a curve: its date (ISO), gross and screens.
pub struct CurveDay<'a> {
    pub day: &'a str,
    pub gross: schemas::Kzt,
    pub screens: u64,
}

/// A run's curves as the templates draw them (`curve.html`): gross columns, weekend days
/// marked, and the screens as a line.
pub struct Curve {
    pub columns: Vec<Column>,
    /// A column is today's, not over yet (the legend says how it is drawn).
    pub partial: bool,
    pub screens_points: String,
    pub plot_w: u32,
    pub plot_h: u32,
    pub axis_first: String,
    pub axis_last: String,
    pub axis_max_gross: String,
    pub axis_max_screens: String,
}

/// `today` is Kazakhstan's date: its column, a day not over yet, is drawn apart (class
/// `partial`) and says so in its tooltip and the legend.
pub fn curve(lang: Lang, days: &[CurveDay], today: &str) -> Curve {
    let step = day_step(days.len());
    let bar = (step - 1.0).clamp(0.5, MAX_BAR_W);
    let max_g = days
        .iter()
        .map(|d| d.gross.tiyn())
        .max()
        .unwrap_or(0)
        .max(1);
    let max_s = days.iter().map(|d| d.screens).max().unwrap_or(0).max(1);
    let mut cols = Vec::new();
    let mut points = Vec::new();
    for (i, d) in days.iter().enumerate() {
        // Integer arithmetic for heights: money is never a float (the SVG's x is a layout).
        let h = u32::try_from(
            i128::from(d.gross.tiyn().max(0)) * i128::from(PLOT_H) / i128::from(max_g),
        )
        .unwrap_or(0);
        let weekend = NaiveDate::parse_from_str(d.day, "%Y-%m-%d")
            .is_ok_and(|day| day.weekday().num_days_from_monday() >= 4);
        let x = step * i as f64;
        let partial = d.day == today;
        cols.push(Column {
            x: format!("{:.1}", x + (step - bar) / 2.0),
            y: PLOT_H - h,
            width: format!("{bar:.1}"),
            height: h,
            class: match (partial, weekend) {
                (true, _) => "col partial",
                (false, true) => "col weekend",
                (false, false) => "col",
            },
            label: format!(
                "{}: {}{}",
                i18n::iso_date(lang, d.day),
                i18n::money(lang, d.gross.to_decimal()),
                if partial {
                    format!(" ({})", i18n::t(lang, "status-partial"))
                } else {
                    String::new()
                }
            ),
        });
        let sy = PLOT_H - u32::try_from(u64::from(PLOT_H) * d.screens / max_s).unwrap_or(0);
        points.push(format!("{:.1},{sy}", x + step / 2.0));
    }
    Curve {
        partial: days.iter().any(|d| d.day == today),
        columns: cols,
        screens_points: points.join(" "),
        plot_w: axis_width(days.len()),
        plot_h: PLOT_H,
        axis_first: days
            .first()
            .map(|d| i18n::iso_date(lang, d.day))
            .unwrap_or_default(),
        axis_last: days
            .last()
            .map(|d| i18n::iso_date(lang, d.day))
            .unwrap_or_default(),
        axis_max_gross: days
            .iter()
            .map(|d| d.gross)
            .max_by_key(|g| g.tiyn())
            .map(|g| i18n::money(lang, g.to_decimal()))
            .unwrap_or_default(),
        axis_max_screens: i18n::count(lang, days.iter().map(|d| d.screens).max().unwrap_or(0)),
    }
}

pub struct Column {
    pub x: String,
    pub y: u32,
    pub width: String,
    pub height: u32,
    pub class: &'static str,
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_keeps_room_for_its_dates_and_a_long_one_fits() {
        // (days, step per day, axis length): 200 px of axis at least, 24 px a day at least
        // while the plot's 720 px allow it, then the plot shared out.
        for (days, step, axis) in [
            (1, 200.0, 200),
            (4, 50.0, 200),
            (8, 25.0, 200),
            (10, 24.0, 240),
            (30, 24.0, 720),
            (100, 7.2, 720),
        ] {
            assert_eq!(
                (day_step(days), axis_width(days)),
                (step, axis),
                "{days} days"
            );
        }
    }
}
