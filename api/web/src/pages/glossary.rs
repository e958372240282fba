//! `/{lang}/glossary`: the words of the public pages, each defined in the page's language
//! (the definitions follow the domain brief's ROI words and the chart's columns).

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};

/// The terms, in the order a reader meets them.
pub const TERMS: [&str; 14] = [
    "gross",
    "net",
    "admissions",
    "screens",
    "shows",
    "recoupment",
    "paid-back",
    "rebate",
    "cap",
    "uplift",
    "provisional",
    "final",
    "corrected",
    "partial",
];

pub struct Term {
    pub id: &'static str,
    pub word: String,
    pub definition: String,
}

#[derive(Template)]
#[template(path = "glossary.html")]
pub struct GlossaryPage {
    pub chrome: Chrome,
    pub terms: Vec<Term>,
}

pub fn render(lang: Lang, query: &str) -> GlossaryPage {
    GlossaryPage {
        chrome: Chrome::new(lang, "glossary-title", "glossary", "glossary", query),
        terms: TERMS
            .iter()
            .map(|id| Term {
                id,
                word: i18n::t(lang, &format!("term-{id}")),
                definition: i18n::t(lang, &format!("term-{id}-def")),
            })
            .collect(),
    }
}

pub fn page(lang: Lang, query: &str) -> Response {
    page::html(StatusCode::OK, lang, &render(lang, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_has_a_word_and_a_definition_in_every_language() {
        for lang in Lang::ALL {
            let html = render(lang, "").render().unwrap();
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
            for t in TERMS {
                for key in [format!("term-{t}"), format!("term-{t}-def")] {
                    let w = i18n::t(lang, &key);
                    assert_ne!(w, key, "{lang:?} {key}");
                    assert!(html.contains(&format!("id=\"{t}\"")), "{lang:?} {t}");
                }
            }
        }
        // Kazakh and Russian definitions differ from the English ones (translated, not copied).
        assert_ne!(
            i18n::t(Lang::Kk, "term-gross-def"),
            i18n::t(Lang::En, "term-gross-def")
        );
        assert_ne!(
            i18n::t(Lang::Ru, "term-gross-def"),
            i18n::t(Lang::En, "term-gross-def")
        );
    }
}
