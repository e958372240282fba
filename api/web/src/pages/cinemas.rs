//! `/{lang}/cinemas?region=`: the registered cinemas by region, from the same function as
//! `GET /v1/cinema-index` (`handlers::box_office::cinema_index`): a GET form to pick a region,
//! then each region's cinemas by name in the page's language and alphabet, with their BINs.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::params::form;
use crate::words::{sort_key, title_in, Choice};
use api_core::handlers;
use api_core::params::CinemaIndexQuery;
use api_core::reports::cinema_index::CinemaIndex;
use api_core::state::AppState;
use schemas::region::Region;

pub struct CinemaLine {
    pub bin: String,
    pub name: String,
}

pub struct RegionGroup {
    pub code: String,
    pub heading: String,
    pub cinemas: Vec<CinemaLine>,
}

#[derive(Template)]
#[template(path = "cinemas.html")]
pub struct CinemasPage {
    pub chrome: Chrome,
    pub regions: Vec<Choice>,
    pub found: String,
    pub groups: Vec<RegionGroup>,
}

pub fn render(lang: Lang, query: &str, index: &CinemaIndex) -> CinemasPage {
    let current = index.region.clone().unwrap_or_default();
    let mut regions = vec![Choice {
        value: String::new(),
        label: i18n::t(lang, "region-all"),
        selected: current.is_empty(),
    }];
    regions.extend(Region::all().map(|r| Choice {
        selected: r.code() == current,
        value: r.code().to_owned(),
        label: r.name(lang.code()).to_owned(),
    }));
    let groups = index
        .regions
        .iter()
        .map(|g| {
            let mut cinemas: Vec<CinemaLine> = g
                .cinemas
                .iter()
                .map(|c| CinemaLine {
                    bin: c.bin.clone(),
                    name: title_in(lang, Some(&c.name), &c.bin),
                })
                .collect();
            cinemas.sort_by(|a, b| {
                sort_key(lang, &a.name)
                    .cmp(&sort_key(lang, &b.name))
                    .then_with(|| a.bin.cmp(&b.bin))
            });
            let name = g.name.as_ref().map_or_else(
                || i18n::t(lang, "com-no-region"),
                |n| title_in(lang, Some(n), ""),
            );
            RegionGroup {
                code: g.code.clone().unwrap_or_default(),
                heading: i18n::t_with(
                    lang,
                    "cinemas-region",
                    &[
                        ("region", name),
                        ("cinemas", i18n::count(lang, g.cinemas.len() as u64)),
                    ],
                ),
                cinemas,
            }
        })
        .collect();
    CinemasPage {
        chrome: Chrome::new(lang, "cinemas-title", "cinemas", "cinemas", query),
        regions,
        found: i18n::t_with(
            lang,
            "cinemas-found",
            &[("cinemas", i18n::count(lang, index.cinemas))],
        ),
        groups,
    }
}

pub async fn page(s: &AppState, lang: Lang, query: &str) -> Response {
    let q = CinemaIndexQuery {
        region: form(query).get("region").cloned(),
    };
    match handlers::box_office::cinema_index(s, q).await {
        Ok(index) => page::html(StatusCode::OK, lang, &render(lang, query, &index)),
        Err(e) => page::error(lang, "cinemas", query, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::reports::cinema_index::{IndexedCinema, RegionCinemas};
    use api_core::reports::registry::Title;

    fn cinema(bin: &str, kk: &str, ru: &str) -> IndexedCinema {
        IndexedCinema {
            bin: bin.into(),
            name: Title {
                kk: kk.into(),
                ru: ru.into(),
                en: "Kino".into(),
            },
        }
    }

    #[test]
    fn each_region_lists_its_cinemas_by_name_in_the_page_alphabet() {
        let index = CinemaIndex {
            region: Some("KZ-75".into()),
            cinemas: 3,
            regions: vec![RegionCinemas {
                code: Some("KZ-75".into()),
                name: Some(Title {
                    kk: "Алматы".into(),
                    ru: "Алматы".into(),
                    en: "Almaty".into(),
                }),
                cinemas: vec![
                    cinema("000000000010", "Ясмин", "Ясмин"),
                    cinema("000000000020", "Әлем", "Алем"),
                    cinema("000000000030", "Бақыт", "Бахыт"),
                ],
            }],
        };
        let p = render(Lang::Kk, "region=KZ-75", &index);
        let names: Vec<&str> = p.groups[0]
            .cinemas
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["Әлем", "Бақыт", "Ясмин"], "ә after а, before б");
        assert!(
            p.groups[0].heading.contains("Алматы"),
            "{}",
            p.groups[0].heading
        );
        assert!(p.regions.iter().any(|c| c.selected && c.value == "KZ-75"));
        let ru = render(Lang::Ru, "", &index);
        let names: Vec<&str> = ru.groups[0]
            .cinemas
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["Алем", "Бахыт", "Ясмин"]);
    }
}
