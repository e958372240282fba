//! The terminology table's check (`locales/terms.toml`): every page takes its words from the
//! kk/ru/en catalogue, so the catalogue is where one vocabulary is kept.

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;

    #[derive(serde::Deserialize)]
    struct Table {
        term: Vec<Term>,
    }

    #[derive(serde::Deserialize)]
    struct Term {
        id: String,
        en: String,
        kk: String,
        ru: String,
        #[serde(default)]
        avoid_kk: Vec<String>,
        #[serde(default)]
        avoid_ru: Vec<String>,
    }

    /// Every catalogue value of a language, lowercased, with its key.
    fn catalogue(lang: Lang) -> Vec<(String, String)> {
        let text = match lang {
            Lang::En => include_str!("../locales/en.ftl"),
            Lang::Kk => include_str!("../locales/kk.ftl"),
            Lang::Ru => include_str!("../locales/ru.ftl"),
        };
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_owned(), v.to_lowercase()))
            .collect()
    }

    #[test]
    fn every_page_word_for_a_domain_thing_is_the_tables() {
        let table: Table = toml::from_str(include_str!("../locales/terms.toml")).unwrap();
        let programmes = rebate_engine::builtin::programmes().unwrap();
        let mut wrong = Vec::new();
        for t in &table.term {
            for (lang, name, avoid) in [
                (Lang::En, &t.en, &Vec::new()),
                (Lang::Kk, &t.kk, &t.avoid_kk),
                (Lang::Ru, &t.ru, &t.avoid_ru),
            ] {
                let mut texts = catalogue(lang);
                // Programme names are the pages' words too (the comparison, claims, pools).
                texts.extend(programmes.iter().filter_map(|p| {
                    let n = match lang {
                        Lang::Kk => p.name_kk.clone(),
                        Lang::Ru => p.name_ru.clone(),
                        Lang::En => None,
                    }?;
                    Some((format!("programme {}", p.id), n.to_lowercase()))
                }));
                if !texts.iter().any(|(_, v)| v.contains(&name.to_lowercase())) {
                    wrong.push(format!(
                        "{lang:?}: the term {} ({name}) is never used",
                        t.id
                    ));
                }
                for a in avoid {
                    for (k, v) in &texts {
                        if v.contains(&a.to_lowercase()) {
                            wrong.push(format!("{lang:?} {k}: says “{a}” for {} ({name})", t.id));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// What a Kazakh or Russian page may write in Latin letters (see the file).
    fn latin_codes() -> Vec<&'static str> {
        include_str!("../locales/latin-codes.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::trim)
            .collect()
    }

    #[test]
    fn kazakh_and_russian_pages_write_no_english_word() {
        let mut wrong = Vec::new();
        let codes = latin_codes();
        for lang in [Lang::Kk, Lang::Ru] {
            for (key, value) in catalogue(lang) {
                // A placeable (`{ $name }`) is filled with data, not words of the catalogue.
                let mut text = String::new();
                let mut depth = 0;
                for c in value.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ if depth == 0 => text.push(c),
                        _ => {}
                    }
                }
                for word in text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
                {
                    if !codes.iter().any(|c| c.eq_ignore_ascii_case(word)) {
                        wrong.push(format!("{lang:?} {key}: “{word}”"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
