//! `/{lang}/films?q=&letter=`: the A–Z of registered films, from the same function as
//! `GET /v1/film-index` (`handlers::box_office::film_index`). `q` finds a film by a piece of
//! any of its titles or of its certificate number; `letter` keeps the films whose title, as
//! this page shows it, starts with that letter. Films are sorted in the page's language's
//! alphabet (`words::sort_key`), each linking to its public page.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::params::{form, link};
use crate::words::{film_href, initial, sort_key, title_in};
use api_core::error::ApiError;
use api_core::handlers;
use api_core::params::FilmIndexQuery;
use api_core::reports::film_index::FilmIndex;
use api_core::state::AppState;

/// A title's place in the page's alphabet (`words::sort_key`).
type SortKey = Vec<(u8, u32)>;

pub struct Row {
    pub film_id: String,
    pub href: String,
    pub title: String,
    /// The other two languages' titles, where they differ from the one shown.
    pub other_titles: String,
    pub release_date: String,
    pub origin: String,
    pub distributor: String,
}

pub struct Letter {
    pub letter: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "films.html")]
pub struct FilmsPage {
    pub chrome: Chrome,
    pub query: String,
    pub letters: Vec<Letter>,
    pub all_href: String,
    pub letter: String,
    pub found: String,
    pub rows: Vec<Row>,
}

fn other_titles(lang: Lang, shown: &str, t: &api_core::reports::registry::Title) -> String {
    let others: [&str; 2] = match lang {
        Lang::Kk => [&t.ru, &t.en],
        Lang::Ru => [&t.kk, &t.en],
        Lang::En => [&t.kk, &t.ru],
    };
    let mut out: Vec<&str> = Vec::new();
    for o in others {
        let o = o.trim();
        if !o.is_empty() && o != shown && !out.contains(&o) {
            out.push(o);
        }
    }
    out.join(" · ")
}

pub fn render(lang: Lang, query: &str, index: &FilmIndex) -> FilmsPage {
    let f = form(query);
    let letter = f.get("letter").cloned().unwrap_or_default();
    let path = format!("/{}/films", lang.code());
    let mut rows: Vec<(SortKey, String, Row)> = index
        .films
        .iter()
        .map(|film| {
            let title = title_in(lang, Some(&film.title), &film.film_id);
            let row = Row {
                film_id: film.film_id.clone(),
                href: film_href(lang, &film.film_id),
                other_titles: other_titles(lang, &title, &film.title),
                release_date: i18n::iso_date(lang, &film.release_date),
                origin: i18n::t(
                    lang,
                    if film.national {
                        "origin-national-one"
                    } else {
                        "origin-foreign-one"
                    },
                ),
                distributor: film
                    .distributor
                    .as_ref()
                    .map(|d| title_in(lang, Some(d), ""))
                    .unwrap_or_default(),
                title: title.clone(),
            };
            (sort_key(lang, &title), initial(&title), row)
        })
        .collect();
    let switch_query = if index.query.is_empty() {
        String::new()
    } else {
        serde_urlencoded::to_string([("q", index.query.as_str())]).unwrap_or_default()
    };
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.film_id.cmp(&b.2.film_id)));
    let mut letters: Vec<Letter> = Vec::new();
    for (_, first, _) in &rows {
        if letters.last().is_none_or(|l| &l.letter != first) {
            letters.push(Letter {
                letter: first.clone(),
                href: link(&path, &f, &[], ("letter", first)),
                current: *first == letter,
            });
        }
    }
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|(_, first, _)| letter.is_empty() || *first == letter)
        .map(|(_, _, r)| r)
        .collect();
    FilmsPage {
        // Another language's page keeps the search, not the letter (its alphabet differs).
        chrome: Chrome::new(lang, "films-title", "films", "films", &switch_query),
        query: index.query.clone(),
        letters,
        all_href: if switch_query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{switch_query}")
        },
        found: i18n::t_with(
            lang,
            "films-found",
            &[("films", i18n::count(lang, rows.len() as u64))],
        ),
        letter,
        rows,
    }
}

pub async fn page(s: &AppState, lang: Lang, query: &str) -> Response {
    let f = form(query);
    let q = FilmIndexQuery {
        q: f.get("q").cloned(),
    };
    match handlers::box_office::film_index(s, q).await {
        Ok(index) => page::html(StatusCode::OK, lang, &render(lang, query, &index)),
        Err(ApiError::BadRequest { field, .. }) if field == "q" => {
            let index = FilmIndex {
                query: String::new(),
                films: Vec::new(),
            };
            let mut p = render(lang, "", &index);
            p.found = i18n::t_with(
                lang,
                "films-query-too-long",
                &[(
                    "chars",
                    i18n::count(lang, api_core::reports::film_index::MAX_QUERY_CHARS as u64),
                )],
            );
            page::html(StatusCode::BAD_REQUEST, lang, &p)
        }
        Err(e) => page::error(lang, "films", query, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::reports::film_index::IndexedFilm;
    use api_core::reports::registry::Title;

    fn film(id: &str, kk: &str, ru: &str, en: &str) -> IndexedFilm {
        IndexedFilm {
            film_id: id.into(),
            title: Title {
                kk: kk.into(),
                ru: ru.into(),
                en: en.into(),
            },
            release_date: "2026-03-01".into(),
            national: id.starts_with("KZ"),
            distributor: None,
        }
    }

    fn index() -> FilmIndex {
        FilmIndex {
            query: String::new(),
            films: vec![
                film("KZ26-0001", "Ян", "Ян", "Yan"),
                film("KZ26-0002", "Әже", "Бабушка", "Granny"),
                film("KZ26-0003", "Арман", "Мечта", "Dream"),
                film("US26-0004", "", "", "Orbit"),
            ],
        }
    }

    #[test]
    fn films_are_sorted_and_lettered_in_the_page_language() {
        let p = render(Lang::Kk, "", &index());
        let titles: Vec<&str> = p.rows.iter().map(|r| r.title.as_str()).collect();
        // Kazakh's order (ә after а), the film without a Kazakh title by its Russian, then
        // English one (title_in), Latin after Cyrillic.
        assert_eq!(titles, ["Арман", "Әже", "Ян", "Orbit"]);
        let letters: Vec<&str> = p.letters.iter().map(|l| l.letter.as_str()).collect();
        assert_eq!(letters, ["А", "Ә", "Я", "O"]);
        assert_eq!(p.rows[1].other_titles, "Бабушка · Granny");
        assert_eq!(
            p.rows[2].other_titles, "Yan",
            "a title equal to the shown one is not repeated"
        );
        assert_eq!(p.rows[0].origin, i18n::t(Lang::Kk, "origin-national-one"));

        let ru = render(Lang::Ru, "letter=%D0%AF", &index());
        let ids: Vec<&str> = ru.rows.iter().map(|r| r.film_id.as_str()).collect();
        assert_eq!(ids, ["KZ26-0001"], "only the films under Я");
        assert!(ru.letters.iter().any(|l| l.current && l.letter == "Я"));
        assert_eq!(ru.letters.len(), 4, "the index keeps every letter");
        assert!(
            ru.chrome.switch.iter().all(|s| !s.href.contains("letter")),
            "another language's page drops the letter"
        );
    }
}
