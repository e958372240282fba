//! Query-string parsing: unknown parameters are a 400, and every error names the parameter.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str::<T>(raw).map_err(|e| {
        let text = e.to_string();
        let field = text.split('`').nth(1).unwrap_or("query").to_owned();
        ApiError::bad(field, text)
    })
}

pub fn date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    // The engine's reason, so a page says it in its language and the problem carries its code.
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ApiError::Invalid {
        field: field.to_owned(),
        reason: rebate_engine::Reason::NotDate { got: s.to_owned() },
    })
}

/// A name or number a tenant or the ministry types: something besides spaces, and no control
/// character (they would corrupt CSV cells, logs and pages). The OpenAPI pattern is
/// `schemas::openapi::TEXT`.
pub fn text(field: &str, s: &str) -> Result<(), ApiError> {
    if s.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: field.to_owned(),
            reason: rebate_engine::Reason::Empty,
        });
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::bad(field, "must not contain control characters"));
    }
    Ok(())
}

/// An inclusive day range of at most `max_days`.
pub fn range(from: &str, to: &str, max_days: i64) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let (f, t) = (date("from", from)?, date("to", to)?);
    if t < f {
        return Err(ApiError::bad("to", "is before from"));
    }
    if (t - f).num_days() >= max_days {
        return Err(ApiError::bad(
            "to",
            format!("a range may cover at most {max_days} days"),
        ));
    }
    Ok((f, t))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DateQuery {
    #[param(format = Date)]
    pub date: String,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChartParams {
    /// Any day of the period.
    #[param(format = Date)]
    pub date: String,
    /// `day` (default), `weekend` (Fri–Sun), `week` (Mon–Sun) or `month` holding `date`, or
    /// `year`: 1 January to `date` (the year to date).
    #[param(pattern = "^(day|weekend|week|month|year)$")]
    pub period: Option<String>,
    /// An ISO 3166-2:KZ code, or a region's name; answered (else 422) only for a region with
    /// at least 3 cinemas reporting in the period (`regions` of any chart lists them).
    #[param(pattern = "^KZ-(10|11|15|19|23|27|31|33|35|39|43|47|55|59|61|62|63|71|75|79)$")]
    pub region: Option<String>,
    /// `national` or `foreign` films only (the unregistered line is left out).
    #[param(pattern = "^(national|foreign)$")]
    pub origin: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CinemaIndexQuery {
    /// An ISO 3166-2:KZ code or a region's name; absent: every region.
    #[serde(default)]
    #[param(pattern = "^KZ-(10|11|15|19|23|27|31|33|35|39|43|47|55|59|61|62|63|71|75|79)$")]
    pub region: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilmIndexQuery {
    /// A piece of a title in any language, or of the certificate number (at most 100
    /// characters); absent or empty: every registered film.
    #[serde(default)]
    #[param(max_length = 100)]
    pub q: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilmsQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilmDailyQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
    /// `day` (default) or `cinema`.
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(day|cinema)$")]
    pub by: Option<String>,
}

/// A range and a page of a list over it.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangePageQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

/// One cinema's one day, by screening; with `screening`, that screening's events too.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScreeningsQuery {
    /// The box-office day (UTC+5).
    #[param(format = Date)]
    pub day: String,
    /// A `screening_id` of that day: its events, each with its correction deadline.
    #[param(min_length = 1, max_length = 64)]
    pub screening: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SilentQuery {
    #[param(minimum = 0)]
    pub silent_days: i64,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

/// The highest page number (the document says so too).
pub const MAX_PAGE: u64 = 1_000_000;

/// A validated page of a list: `page` from 1, `page_size` from 1 to `api.max_page_rows`
/// (default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Page {
    pub page: u64,
    pub page_size: u64,
}

impl Page {
    pub fn parse(
        page: Option<u64>,
        page_size: Option<u64>,
        max_rows: u64,
    ) -> Result<Page, ApiError> {
        let (page, page_size) = (page.unwrap_or(1), page_size.unwrap_or(100));
        if page == 0 {
            return Err(ApiError::bad("page", "starts at 1"));
        }
        if page > MAX_PAGE {
            return Err(ApiError::bad("page", format!("at most {MAX_PAGE}")));
        }
        if page_size == 0 || page_size > max_rows {
            return Err(ApiError::bad(
                "page_size",
                format!("must be 1 to {max_rows}"),
            ));
        }
        Ok(Page { page, page_size })
    }

    /// Rows to skip.
    pub fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.page_size)
    }

    /// This page of rows computed whole (lists ranked in memory).
    pub fn of<T>(self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.page_size).unwrap_or(usize::MAX))
            .collect()
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    #[serde(default)]
    #[param(minimum = -2147483648, maximum = 2147483647)]
    pub funding_year: Option<i32>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiTrendQuery {
    /// The as-of date: the last month is the one holding it. Default: today.
    #[serde(default)]
    #[param(format = Date)]
    pub to: Option<String>,
    /// How many months, ending with `to`'s: 1 to 60; default 12.
    #[serde(default)]
    #[param(minimum = 1, maximum = 60)]
    pub months: Option<u32>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    #[serde(default)]
    pub compare: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_are_named() {
        let e = parse::<DateQuery>("date=2026-11-21&cinema=1").unwrap_err();
        assert!(
            matches!(e, ApiError::BadRequest { ref field, .. } if field == "cinema"),
            "{e:?}"
        );
        let e = parse::<DateQuery>("").unwrap_err();
        assert!(
            matches!(e, ApiError::BadRequest { ref field, .. } if field == "date"),
            "{e:?}"
        );
    }

    #[test]
    fn ranges_are_bounded() {
        assert!(range("2026-01-01", "2026-12-31", 366).is_ok());
        assert!(range("2026-01-01", "2027-01-02", 366).is_err());
        assert!(range("2026-02-01", "2026-01-01", 366).is_err());
    }
}

/// A path segment, percent-decoded (warp hands segments over as sent: `%D0%9A` for `К`), so
/// an id in a path means what it means in a body. Not UTF-8 once decoded: the path matches
/// nothing (404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg(pub String);

impl std::str::FromStr for Seg {
    type Err = std::str::Utf8Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Seg(percent_encoding::percent_decode_str(s)
            .decode_utf8()?
            .into_owned()))
    }
}

#[cfg(test)]
mod seg_tests {
    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!("%D0%9A%D0%97-1".parse::<super::Seg>().unwrap().0, "КЗ-1");
        assert_eq!("KZ26-0001".parse::<super::Seg>().unwrap().0, "KZ26-0001");
        assert!("%FF".parse::<super::Seg>().is_err());
    }
}

/// Every query parameter in order (repeated ones kept), trimmed; empty ones are absent, as a
/// GET form sends its blank fields.
pub fn pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}
