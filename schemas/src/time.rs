//! Time rules: Kazakhstan has one national time zone, UTC+5, since 1 March 2024.
//!
//! A box-office day is the local calendar date of the screening's start. The day is computed
//! here, in Rust, and stored as a `Date` column: ClickHouse 18.16 ships a time-zone database
//! older than the 2024 change (its `Asia/Almaty` is still UTC+6), so SQL never converts zones.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Seconds east of UTC for Kazakhstan.
pub const KZ_OFFSET_SECONDS: i32 = 5 * 3600;

pub fn kz_offset() -> FixedOffset {
    FixedOffset::east_opt(KZ_OFFSET_SECONDS).expect("utc+5 is a valid offset")
}

/// The box-office day of a screening that starts at `t`.
pub fn box_office_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&kz_offset()).date_naive()
}

/// Days since 1970-01-01, the representation of ClickHouse's `Date`.
/// The instants a UTC+5 calendar range covers, as seconds since the epoch: `[start, end)`
/// from 00:00 UTC+5 on `from` to 00:00 UTC+5 the day after `to`. For filtering timestamps
/// (arrival, audit) by the dates a user asked for, never by the server's UTC date.
pub fn kz_day_bounds(from: NaiveDate, to: NaiveDate) -> (i64, i64) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp()
            - i64::from(KZ_OFFSET_SECONDS)
    };
    (start(from), start(to + chrono::Days::new(1)))
}

/// An instant as whole seconds since the epoch, as the storage rows keep it (`DateTime`
/// columns are `UInt32`; an instant before 1970 or after 2106 is 0).
/// RFC 3339 in UTC+5 of seconds since the epoch (how stored `DateTime` columns are answered).
pub fn rfc3339_of_secs(secs: u32) -> String {
    DateTime::from_timestamp(i64::from(secs), 0)
        .map(|t| t.with_timezone(&kz_offset()).to_rfc3339())
        .unwrap_or_default()
}

pub fn secs(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp()).unwrap_or(0)
}

pub fn days_since_epoch(d: NaiveDate) -> u16 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    u16::try_from((d - epoch).num_days()).unwrap_or(0)
}

pub fn date_from_days(days: u16) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") + chrono::Days::new(u64::from(days))
}

/// The storage partition (`toYYYYMM`) of a day number: 202611 for any day of November 2026.
pub fn month_of_day(days: u16) -> u32 {
    use chrono::Datelike;
    let d = date_from_days(days);
    u32::try_from(d.year()).unwrap_or(0) * 100 + d.month()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kz_date_range_starts_at_local_midnight() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 2026-11-20 00:00 UTC+5 is 2026-11-19 19:00 UTC (1795114800); one day later 1795201200.
        assert_eq!(
            kz_day_bounds(d("2026-11-20"), d("2026-11-20")),
            (1_795_114_800, 1_795_201_200)
        );
        let (a, b) = kz_day_bounds(d("2026-01-01"), d("2026-01-31"));
        assert_eq!(b - a, 31 * 86_400);
    }

    #[test]
    fn late_show_belongs_to_local_day() {
        // 00:30 local on 2 Nov is 19:30 UTC on 1 Nov: the day is 2 Nov.
        let t = DateTime::parse_from_rfc3339("2026-11-01T19:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            box_office_day(t),
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
        );
        let t = DateTime::parse_from_rfc3339("2026-11-01T18:59:59Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            box_office_day(t),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
    }

    #[test]
    fn months_are_calendar_months() {
        let d = |s: &str| days_since_epoch(s.parse().unwrap());
        assert_eq!(month_of_day(d("2026-11-30")), 202611);
        assert_eq!(month_of_day(d("2026-12-01")), 202612);
        assert_eq!(month_of_day(d("2027-01-01")), 202701);
    }

    #[test]
    fn date_days_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(date_from_days(days_since_epoch(d)), d);
    }
}
