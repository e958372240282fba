//! The public index of registered films (`GET /v1/film-index`, `/{lang}/films`): every film of
//! the registry with its three titles, release date and distributor, found by a piece of any
//! of its titles (Kazakh, Russian or English) or of its certificate number.
//!
//! # Matching
//! A film matches when the query, as typed, is found inside one of its titles or its id after
//! both are folded the same way: lower case, `ё` read as `е`, runs of spaces as one. So «аяз»
//! finds «Аяз әні», `kz26` finds `KZ26-0001`. An empty query lists every film. Films come in
//! certificate order; a page sorts them by the title it shows, in its language's alphabet.

use serde::Serialize;

use super::registry::{Registry, Title};

/// The longest query taken, in characters: longer than any title, short enough to bound the work.
pub const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct IndexedFilm {
    pub film_id: String,
    pub title: Title,
    /// YYYY-MM-DD.
    pub release_date: String,
    /// A Kazakhstani production.
    pub national: bool,
    /// The distributor's name, when it is registered.
    pub distributor: Option<Title>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FilmIndex {
    /// The query as taken (trimmed); empty: every registered film.
    pub query: String,
    pub films: Vec<IndexedFilm>,
}

/// `s` folded for matching: lower case, `ё` as `е`, whitespace runs as one space, trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            out.push(if c == 'ё' { 'е' } else { c });
        }
    }
    out
}

/// The films whose title (any language) or id holds `query` (see the module docs).
pub fn search(registry: &Registry, query: &str) -> FilmIndex {
    let query = query.trim();
    let needle = fold(query);
    let films = registry
        .films
        .iter()
        .filter(|(id, f)| {
            needle.is_empty()
                || [id.as_str(), &f.title.kk, &f.title.ru, &f.title.en]
                    .into_iter()
                    .any(|s| fold(s).contains(&needle))
        })
        .map(|(id, f)| IndexedFilm {
            film_id: id.clone(),
            title: f.title.clone(),
            release_date: f.release_date().to_string(),
            national: f.national,
            distributor: registry.distributors.get(&f.distributor_bin).cloned(),
        })
        .collect();
    FilmIndex {
        query: query.to_owned(),
        films,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::registry::Film;

    fn film(kk: &str, ru: &str, en: &str) -> Film {
        Film {
            budget_tiyn: 0,
            producer_bin: String::new(),
            distributor_bin: "990140000001".into(),
            title: Title {
                kk: kk.into(),
                ru: ru.into(),
                en: en.into(),
            },
            release_date: 20_400,
            national: true,
            public_roi: false,
        }
    }

    fn registry() -> Registry {
        let mut r = Registry::default();
        r.films.insert(
            "KZ26-0001".into(),
            film("Аяз әні", "Песня мороза", "Frost Song"),
        );
        r.films.insert(
            "KZ26-0002".into(),
            film("Дала", "Степь  Ёлки", "The Steppe"),
        );
        r.films.insert("US26-0107".into(), film("", "", "Orbit"));
        r.distributors.insert(
            "990140000001".into(),
            Title {
                kk: "Дист".into(),
                ru: "Дист".into(),
                en: "Dist".into(),
            },
        );
        r
    }

    fn ids(q: &str) -> Vec<String> {
        search(&registry(), q)
            .films
            .into_iter()
            .map(|f| f.film_id)
            .collect()
    }

    #[test]
    fn a_film_is_found_by_any_title_in_any_case_or_by_its_id() {
        assert_eq!(ids("аяз"), ["KZ26-0001"], "Kazakh, lower case");
        assert_eq!(ids("ПЕСНЯ"), ["KZ26-0001"], "Russian, upper case");
        assert_eq!(ids("frost"), ["KZ26-0001"], "English");
        assert_eq!(ids("kz26"), ["KZ26-0001", "KZ26-0002"], "a piece of the id");
        assert_eq!(ids("степь ёлки"), ["KZ26-0002"], "ё as е, spaces folded");
        assert_eq!(ids("  степь   елки "), ["KZ26-0002"]);
        assert!(ids("мультфильм").is_empty());
    }

    #[test]
    fn an_empty_query_lists_every_film_with_its_distributor() {
        let all = search(&registry(), " ");
        assert_eq!(all.query, "");
        assert_eq!(all.films.len(), 3);
        assert_eq!(all.films[0].release_date, "2025-11-08");
        assert_eq!(all.films[0].distributor.as_ref().unwrap().en, "Dist");
    }
}
