//! Whether a figure may still move: a (day, cinema, film) group is `provisional` until its
//! day closes (`reporting.day_closes_hour`, 07:00 UTC+5 the next morning, as KOBIS
//! publishes), then `final`, and `corrected` once an event that arrived after the close
//! changed it (ingest lists those in `corrections`). A row covering several groups takes the
//! worst status of its groups (corrected, then provisional, then final); a range row counts
//! its days per status.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use clickhouse::{Client, Row};
use schemas::clock::ReportingSettings;
use schemas::time::date_from_days;
use serde::{Deserialize, Serialize};

use super::error::ReportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    Final,
    Provisional,
    Corrected,
}

/// Days (or groups) per status over a range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub provisional: u64,
    #[serde(rename = "final")]
    pub final_: u64,
    pub corrected: u64,
}

impl StatusCounts {
    pub fn add(&mut self, s: DayStatus) {
        match s {
            DayStatus::Provisional => self.provisional += 1,
            DayStatus::Final => self.final_ += 1,
            DayStatus::Corrected => self.corrected += 1,
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct CorrectedGroup {
    day: u16,
    film_id: String,
    cinema_bin: String,
}

/// The corrected groups of a range and the clock to judge closing by.
#[derive(Debug, Clone)]
pub struct Statuses {
    now: DateTime<Utc>,
    reporting: ReportingSettings,
    groups: HashSet<(u16, String, String)>,
    film_days: HashSet<(u16, String)>,
    days: HashSet<u16>,
}

impl Statuses {
    /// One read of `corrections` for the days `from..=to`.
    pub async fn load(
        client: &Client,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
        reporting: &ReportingSettings,
    ) -> Result<Self, ReportError> {
        let rows: Vec<CorrectedGroup> = client
            .query("SELECT DISTINCT day, film_id, cinema_bin FROM corrections FINAL WHERE day >= toDate(?) AND day <= toDate(?)")
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all()
            .await?;
        Ok(Self::from_groups(
            rows.into_iter().map(|r| (r.day, r.film_id, r.cinema_bin)),
            now,
            reporting,
        ))
    }

    pub fn from_groups(
        groups: impl Iterator<Item = (u16, String, String)>,
        now: DateTime<Utc>,
        reporting: &ReportingSettings,
    ) -> Self {
        let groups: HashSet<(u16, String, String)> = groups.collect();
        let film_days = groups.iter().map(|(d, f, _)| (*d, f.clone())).collect();
        let days = groups.iter().map(|(d, _, _)| *d).collect();
        Self {
            now,
            reporting: reporting.clone(),
            groups,
            film_days,
            days,
        }
    }

    fn closed(&self, day: u16) -> DayStatus {
        if self.now >= self.reporting.closes_at(date_from_days(day)) {
            DayStatus::Final
        } else {
            DayStatus::Provisional
        }
    }

    pub fn group(&self, day: u16, film: &str, cinema: &str) -> DayStatus {
        if self
            .groups
            .contains(&(day, film.to_owned(), cinema.to_owned()))
        {
            DayStatus::Corrected
        } else {
            self.closed(day)
        }
    }

    /// A film's day over all its cinemas.
    pub fn film_day(&self, day: u16, film: &str) -> DayStatus {
        if self.film_days.contains(&(day, film.to_owned())) {
            DayStatus::Corrected
        } else {
            self.closed(day)
        }
    }

    /// One cinema's day over all its films (the cinema's screens).
    pub fn cinema_day(&self, day: u16, cinema: &str) -> DayStatus {
        if self.groups.iter().any(|(d, _, c)| *d == day && c == cinema) {
            DayStatus::Corrected
        } else {
            self.closed(day)
        }
    }

    /// A whole day (the chart's header).
    pub fn day(&self, day: u16) -> DayStatus {
        if self.days.contains(&day) {
            DayStatus::Corrected
        } else {
            self.closed(day)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisional_until_seven_then_final_then_corrected() {
        let r = ReportingSettings::default();
        let day = schemas::time::days_since_epoch(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let none = |now| Statuses::from_groups(std::iter::empty(), now, &r);
        assert_eq!(
            none(at("2026-11-21T06:59:59+05:00")).group(day, "F", "C"),
            DayStatus::Provisional
        );
        assert_eq!(
            none(at("2026-11-21T07:00:00+05:00")).group(day, "F", "C"),
            DayStatus::Final
        );
        let s = Statuses::from_groups(
            [(day, "F".to_owned(), "C".to_owned())].into_iter(),
            at("2026-11-22T10:00:00+05:00"),
            &r,
        );
        assert_eq!(s.group(day, "F", "C"), DayStatus::Corrected);
        assert_eq!(s.group(day, "F", "D"), DayStatus::Final);
        assert_eq!(s.film_day(day, "F"), DayStatus::Corrected);
        assert_eq!(s.film_day(day, "G"), DayStatus::Final);
        assert_eq!(s.day(day), DayStatus::Corrected);
        assert!(
            DayStatus::Corrected > DayStatus::Provisional
                && DayStatus::Provisional > DayStatus::Final
        );
    }
}
