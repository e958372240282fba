//! The wall clock that verdicts and day statuses are judged by, injectable so that tests
//! never depend on today's date, and the reporting day's closing hour.
//!
//! Only *wall* time goes through here (an event's arrival, whether a day has closed); timers
//! and deadlines use the monotonic clock as before.

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// `[reporting]`: the rules of the reporting day, one section read by ingest, the API and the
/// upload route alike: when a day's figures close, how long a void may still correct them,
/// how old an event may be, and which clock says so.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingSettings {
    /// Local (UTC+5) hour of the day *after* a box-office day when that day closes: its rows
    /// turn from `provisional` to `final` (KOBIS publishes at 07:00).
    pub day_closes_hour: u32,
    /// Empty: the system clock. An RFC 3339 time: the clock starts there when the process
    /// starts and runs at normal speed (tests, demos of a past day).
    pub clock_start: String,
    /// A void is accepted when it arrives at most this many days after the voided event's
    /// screening day (Comscore accepts adjustments for 14 days); a cinema is shown the same
    /// deadline.
    pub correction_window_days: u32,
    /// `occurred_at` older than this many days (× 24 h) is `stale_timestamp`, whether it comes
    /// through Kafka or an upload (history goes through `ekino backfill`).
    pub max_event_age_days: u32,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        Self {
            day_closes_hour: 7,
            clock_start: String::new(),
            correction_window_days: 14,
            max_event_age_days: 400,
        }
    }
}

impl ReportingSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.day_closes_hour > 23 {
            return Err(format!(
                "reporting.day_closes_hour must be 0..=23, got {}",
                self.day_closes_hour
            ));
        }
        if self.max_event_age_days == 0 {
            return Err("reporting.max_event_age_days must be positive".into());
        }
        Clock::parse(&self.clock_start).map(|_| ())
    }

    pub fn clock(&self) -> Clock {
        Clock::parse(&self.clock_start).unwrap_or_default()
    }

    /// [`Self::closes_at`] of a day given as days since the epoch (storage's `Date`), in seconds
    /// since the epoch: integer arithmetic, for the judge's per-event check.
    pub fn closes_at_secs(&self, day: u16) -> i64 {
        (i64::from(day) + 1) * 86_400 + i64::from(self.day_closes_hour.min(23)) * 3_600
            - i64::from(crate::time::KZ_OFFSET_SECONDS)
    }

    /// The instant a box-office day closes.
    pub fn closes_at(&self, day: NaiveDate) -> DateTime<Utc> {
        let local = (day + Duration::days(1)).and_time(
            NaiveTime::from_hms_opt(self.day_closes_hour.min(23), 0, 0).expect("valid hour"),
        );
        local.and_utc() - Duration::seconds(i64::from(crate::time::KZ_OFFSET_SECONDS))
    }
}

/// Now by the system's clock, in whole seconds since the epoch: what credentials are stamped
/// and judged with (keys, sessions, the audit log), whatever the reporting clock says, since
/// the CLI issues keys by it too. Every other "now" is a [`Clock`]'s.
pub fn wall_secs() -> u32 {
    u32::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// A wall clock: the system's, or one started at a given time.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    StartedAt {
        at: DateTime<Utc>,
        since: Instant,
    },
}

impl Clock {
    /// `""` is the system clock; otherwise an RFC 3339 time the clock starts from now.
    pub fn parse(s: &str) -> Result<Clock, String> {
        if s.is_empty() {
            return Ok(Clock::System);
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Clock::StartedAt { at: t.to_utc(), since: Instant::now() })
            .map_err(|e| format!("reporting.clock_start must be RFC 3339 (e.g. 2026-11-21T06:00:00+05:00), got {s:?}: {e}"))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::StartedAt { at, since } => {
                *at + Duration::from_std(since.elapsed()).unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_closes_at_seven_local_the_next_morning() {
        let s = ReportingSettings::default();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        // 07:00 UTC+5 on 21 Nov is 02:00 UTC.
        assert_eq!(s.closes_at(day).to_rfc3339(), "2026-11-21T02:00:00+00:00");
    }

    #[test]
    fn the_integer_closing_time_is_the_same_instant() {
        // 2026-11-20 is day 20777 since the epoch; it closes at 2026-11-21T02:00:00Z.
        assert_eq!(
            ReportingSettings::default().closes_at_secs(20_777),
            1_795_226_400
        );
        for hour in [0, 7, 23] {
            let s = ReportingSettings {
                day_closes_hour: hour,
                ..ReportingSettings::default()
            };
            for day in (0..u16::MAX).step_by(997) {
                let date = crate::time::date_from_days(day);
                assert_eq!(
                    s.closes_at_secs(day),
                    s.closes_at(date).timestamp(),
                    "day {day} hour {hour}"
                );
            }
        }
    }

    #[test]
    fn a_started_clock_runs_from_its_start() {
        let c = Clock::parse("2026-11-21T06:00:00+05:00").unwrap();
        let t = c.now();
        assert!(
            t >= DateTime::parse_from_rfc3339("2026-11-21T01:00:00Z")
                .unwrap()
                .to_utc()
        );
        assert!(
            t < DateTime::parse_from_rfc3339("2026-11-21T01:01:00Z")
                .unwrap()
                .to_utc()
        );
        assert!(Clock::parse("yesterday").is_err());
    }
}
