//! Words and small pieces every screen shares: a film's title in the page's language, a
//! day's status, a reject reason, a role, a moment, the choices of a select, the path of a
//! film's page. Pages import these; no page imports another page.

use api_core::reports::registry::Title;
use api_core::reports::status::DayStatus;

use crate::i18n::{self, Lang};

/// One option of a select or one checkbox of a form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn choices(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// The title in `lang`, then ru, kk, en, then the film id.
/// Who filed a claim, as the pages name it: a BIN holder by its registered name, a foreign
/// applicant by the ministry's record of it (`applicant`, its name when known); the id beside
/// the name, or the id alone when nothing names it.
pub fn filer(
    lang: Lang,
    registry: Option<&api_core::reports::registry::Registry>,
    applicant: Option<&str>,
    id: &str,
) -> String {
    let named = registry
        .and_then(|r| r.distributors.get(id).or_else(|| r.cinema_names.get(id)))
        .map(|t| title_in(lang, Some(t), id))
        .or_else(|| applicant.filter(|n| !n.is_empty()).map(str::to_owned));
    named.map_or_else(|| id.to_owned(), |name| format!("{name} ({id})"))
}

pub fn title_in(lang: Lang, title: Option<&Title>, film_id: &str) -> String {
    let Some(t) = title else {
        return film_id.to_owned();
    };
    let order: [&str; 4] = match lang {
        Lang::Kk => [&t.kk, &t.ru, &t.en, film_id],
        Lang::Ru => [&t.ru, &t.kk, &t.en, film_id],
        Lang::En => [&t.en, &t.ru, &t.kk, film_id],
    };
    order
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .unwrap_or(film_id)
        .to_owned()
}

/// A day's status in the page's words and its class. A day not over yet (`partial`: it is
/// today in Kazakhstan) is marked incomplete beside its status, so that its figures are not
/// read as a whole day's. The words are explained under every table that shows them
/// (`status-legend`) and in the glossary.
pub fn status_words(lang: Lang, s: DayStatus, partial: bool) -> (String, &'static str) {
    let (word, class) = match s {
        DayStatus::Provisional => (i18n::t(lang, "status-provisional"), "status-provisional"),
        DayStatus::Final => (i18n::t(lang, "status-final"), "status-final"),
        DayStatus::Corrected => (i18n::t(lang, "status-corrected"), "status-corrected"),
    };
    if partial {
        (
            format!("{word} · {}", i18n::t(lang, "status-partial")),
            "status-partial",
        )
    } else {
        (word, class)
    }
}

/// The alphabets titles are sorted in, per page language: Kazakh's 42 letters, Russian's 33.
const KK_ALPHABET: &str = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя";
const RU_ALPHABET: &str = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя";

/// A title's place in `lang`'s alphabetical order: numbers first, by their value ("Зал 2"
/// before "Зал 10"), then the page language's letters in its own order (Kazakh's ә after а,
/// not after я as in Unicode), then other letters by code point (Latin after Cyrillic on
/// kk/ru pages, and the reverse on en pages); case is ignored, other characters are skipped.
pub fn sort_key(lang: Lang, title: &str) -> Vec<(u8, u32)> {
    let alphabet = match lang {
        Lang::Kk => KK_ALPHABET,
        Lang::Ru => RU_ALPHABET,
        Lang::En => "abcdefghijklmnopqrstuvwxyz",
    };
    let mut key = Vec::new();
    let mut number: Option<u32> = None;
    for c in title
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
    {
        if let Some(d) = c.to_digit(10) {
            number = Some(number.unwrap_or(0).saturating_mul(10).saturating_add(d));
            continue;
        }
        if let Some(n) = number.take() {
            key.push((0, n));
        }
        key.push(match alphabet.chars().position(|a| a == c) {
            Some(i) => (1, i as u32),
            None => (2, c as u32),
        });
    }
    if let Some(n) = number {
        key.push((0, n));
    }
    key
}

/// The letter a title is listed under in an A–Z index: its first letter in upper case, or `#`
/// when it starts with a digit or has no letter.
pub fn initial(title: &str) -> String {
    match title.chars().find(|c| c.is_alphanumeric()) {
        Some(c) if c.is_alphabetic() => c.to_uppercase().collect(),
        _ => "#".to_owned(),
    }
}

/// The path of a film's page.
pub fn film_href(lang: Lang, film_id: &str) -> String {
    format!(
        "/{}/films/{}",
        lang.code(),
        crate::params::path_segment(film_id)
    )
}

/// A reject code's words: (reason, what to do), in `lang`; an unknown code reads as itself.
pub fn reject_words(lang: Lang, code: &str) -> (String, String) {
    let key = format!("reject-{code}");
    let reason = i18n::t(lang, &key);
    if reason == key {
        return (code.to_owned(), String::new());
    }
    (reason, i18n::t(lang, &format!("{key}-fix")))
}

/// When a stored second happened, in the page's language.
pub fn at(lang: Lang, secs: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(secs), 0)
        .map(|t| i18n::timestamp(lang, &t.to_rfc3339()))
        .unwrap_or_default()
}

pub fn role_word(lang: Lang, role: &str) -> String {
    i18n::t(lang, &format!("people-role-{role}"))
}

/// A hall as a page names it: a hall keyed by a number reads "зал 2" / "hall 2"; a hall with a
/// name ("IMAX") stands alone.
pub fn hall_in(lang: Lang, hall: &str) -> String {
    if !hall.is_empty() && hall.bytes().all(|b| b.is_ascii_digit()) {
        i18n::t_with(lang, "hall-numbered", &[("hall", hall.to_owned())])
    } else {
        hall.to_owned()
    }
}

/// A claim status in the page's language (`claim-status-<status>`).
pub fn claim_status(lang: Lang, status: &str) -> String {
    let key = format!("claim-status-{status}");
    let w = i18n::t(lang, &key);
    if w == key {
        status.to_owned()
    } else {
        w
    }
}

/// A spend line's column in a language (`claim-col-<code>`; `spend_file` reads headers by it).
pub fn column_word(lang: Lang, code: &str) -> String {
    let key = format!("claim-col-{code}");
    let w = i18n::t(lang, &key);
    if w == key {
        code.to_owned()
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_sort_in_the_page_languages_alphabet() {
        let mut kk = vec![
            "Ян",
            "Әже",
            "Арман",
            "Бала",
            "Ұлы дала",
            "Уақыт",
            "Zoo",
            "1917",
        ];
        kk.sort_by_key(|t| sort_key(Lang::Kk, t));
        assert_eq!(
            kk,
            [
                "1917",
                "Арман",
                "Әже",
                "Бала",
                "Уақыт",
                "Ұлы дала",
                "Ян",
                "Zoo"
            ]
        );
        let mut en = vec!["zoo", "Арман", "Alpha", "beta"];
        en.sort_by_key(|t| sort_key(Lang::En, t));
        assert_eq!(en, ["Alpha", "beta", "zoo", "Арман"]);
        let mut halls = vec!["Кинопарк 10", "Кинопарк 2", "Кинопарк 1"];
        halls.sort_by_key(|t| sort_key(Lang::Ru, t));
        assert_eq!(halls, ["Кинопарк 1", "Кинопарк 2", "Кинопарк 10"]);
        assert_eq!(initial("«Әже»"), "Ә");
        assert_eq!(initial("1917"), "#");
    }
}
