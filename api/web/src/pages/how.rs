//! `/{lang}/how`: how the figures are made — where they come from, what is checked, how a day
//! is counted, when a figure stands, the signals and the ROI words — in the page's language,
//! with the limits the system runs with (`reporting` settings: the closing hour, the
//! correction window, the age limit), so the page says what ingest and the API do.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use api_edge::State;

/// The sections, in the order a reader needs them (`how-<id>-h` and `how-<id>`).
pub const SECTIONS: [&str; 6] = ["source", "checks", "day", "status", "signals", "roi"];

pub struct Section {
    pub id: &'static str,
    pub heading: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "how.html")]
pub struct HowPage {
    pub chrome: Chrome,
    pub sections: Vec<Section>,
}

pub fn render(lang: Lang, query: &str, r: &schemas::clock::ReportingSettings) -> HowPage {
    let limits = [
        ("age", r.max_event_age_days.to_string()),
        ("hour", format!("{:02}", r.day_closes_hour)),
        ("window", r.correction_window_days.to_string()),
    ];
    HowPage {
        chrome: Chrome::new(lang, "how-title", "how", "how", query),
        sections: SECTIONS
            .iter()
            .map(|id| Section {
                id,
                heading: i18n::t(lang, &format!("how-{id}-h")),
                text: i18n::t_with(lang, &format!("how-{id}"), &limits),
            })
            .collect(),
    }
}

pub fn page(s: &State, lang: Lang, query: &str) -> Response {
    page::html(StatusCode::OK, lang, &render(lang, query, &s.reporting))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page says the limits the system runs with, not fixed words.
    #[test]
    fn the_page_states_the_settings_it_runs_with() {
        let r = schemas::clock::ReportingSettings {
            day_closes_hour: 6,
            correction_window_days: 9,
            max_event_age_days: 123,
            ..Default::default()
        };
        let p = render(Lang::En, "", &r);
        let text: String = p.sections.iter().map(|s| s.text.as_str()).collect();
        for said in ["06:00", "9 days", "123 days"] {
            assert!(text.contains(said), "{said} in {text}");
        }
        assert_eq!(p.sections.len(), SECTIONS.len());
    }
}
