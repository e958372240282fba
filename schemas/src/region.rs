//! Kazakhstan's regions since 2022: 17 oblasts and 3 cities of republican significance, by
//! their ISO 3166-2:KZ codes, with names in Kazakh (Cyrillic), Russian and English.
//!
//! The registry stores the code. [`Region::parse`] also takes any of the names (any case),
//! so registry files written with names, and rows stored before codes were used, read the
//! same way. "Almaty" is the city (KZ-75); the oblast around it is "Almaty Region" (KZ-19).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(usize);

/// (code, kk, ru, en), oblasts by code, then the three cities.
const REGIONS: [(&str, &str, &str, &str); 20] = [
    ("KZ-10", "Абай облысы", "Абайская область", "Abai Region"),
    (
        "KZ-11",
        "Ақмола облысы",
        "Акмолинская область",
        "Akmola Region",
    ),
    (
        "KZ-15",
        "Ақтөбе облысы",
        "Актюбинская область",
        "Aktobe Region",
    ),
    (
        "KZ-19",
        "Алматы облысы",
        "Алматинская область",
        "Almaty Region",
    ),
    (
        "KZ-23",
        "Атырау облысы",
        "Атырауская область",
        "Atyrau Region",
    ),
    (
        "KZ-27",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    (
        "KZ-31",
        "Жамбыл облысы",
        "Жамбылская область",
        "Jambyl Region",
    ),
    (
        "KZ-33",
        "Жетісу облысы",
        "Жетысуская область",
        "Jetisu Region",
    ),
    (
        "KZ-35",
        "Қарағанды облысы",
        "Карагандинская область",
        "Karaganda Region",
    ),
    (
        "KZ-39",
        "Қостанай облысы",
        "Костанайская область",
        "Kostanay Region",
    ),
    (
        "KZ-43",
        "Қызылорда облысы",
        "Кызылординская область",
        "Kyzylorda Region",
    ),
    (
        "KZ-47",
        "Маңғыстау облысы",
        "Мангистауская область",
        "Mangystau Region",
    ),
    (
        "KZ-55",
        "Павлодар облысы",
        "Павлодарская область",
        "Pavlodar Region",
    ),
    (
        "KZ-59",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    (
        "KZ-61",
        "Түркістан облысы",
        "Туркестанская область",
        "Turkistan Region",
    ),
    (
        "KZ-62",
        "Ұлытау облысы",
        "Улытауская область",
        "Ulytau Region",
    ),
    (
        "KZ-63",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    ("KZ-71", "Астана", "Астана", "Astana"),
    ("KZ-75", "Алматы", "Алматы", "Almaty"),
    ("KZ-79", "Шымкент", "Шымкент", "Shymkent"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a region code (KZ-10 … KZ-79) or a region's name, got {0:?}")]
pub struct UnknownRegion(pub String);

impl Region {
    pub fn all() -> impl Iterator<Item = Region> {
        (0..REGIONS.len()).map(Region)
    }

    /// A code (`KZ-75`), a name in kk, ru or en, or an English name without "Region".
    pub fn parse(s: &str) -> Result<Region, UnknownRegion> {
        let want = s.trim().to_lowercase();
        // Full names first: "Almaty" is the city's full name and the oblast's short one.
        let full = REGIONS.iter().position(|(code, kk, ru, en)| {
            [*code, kk, ru, en].iter().any(|n| n.to_lowercase() == want)
        });
        full.or_else(|| {
            REGIONS.iter().position(|(_, _, _, en)| {
                en.strip_suffix(" Region")
                    .is_some_and(|short| short.to_lowercase() == want)
            })
        })
        .map(Region)
        .ok_or_else(|| UnknownRegion(s.to_owned()))
    }

    pub fn code(self) -> &'static str {
        REGIONS[self.0].0
    }

    /// The name in a language: `kk`, `ru`, anything else English.
    pub fn name(self, lang: &str) -> &'static str {
        let (_, kk, ru, en) = REGIONS[self.0];
        match lang {
            "kk" => kk,
            "ru" => ru,
            _ => en,
        }
    }

    /// Almaty, Astana and Shymkent are cities, the others oblasts.
    pub fn is_city(self) -> bool {
        self.0 >= 17
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Region::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Kazakhstan's larger towns in Kazakh, Russian and English, with the other Latin spellings
/// registry files use (the registry stores a cinema's town as typed).
const TOWNS: &[(&str, &str, &str, &[&str])] = &[
    ("Ақтау", "Актау", "Aktau", &[]),
    ("Ақтөбе", "Актобе", "Aktobe", &[]),
    ("Алматы", "Алматы", "Almaty", &[]),
    ("Астана", "Астана", "Astana", &[]),
    ("Атырау", "Атырау", "Atyrau", &[]),
    ("Жезқазған", "Жезказган", "Zhezkazgan", &["Jezkazgan"]),
    ("Қарағанды", "Караганда", "Karaganda", &["Karagandy"]),
    ("Көкшетау", "Кокшетау", "Kokshetau", &[]),
    ("Қонаев", "Конаев", "Konaev", &["Kapchagay"]),
    ("Қостанай", "Костанай", "Kostanay", &[]),
    ("Қызылорда", "Кызылорда", "Kyzylorda", &[]),
    ("Орал", "Уральск", "Oral", &["Uralsk"]),
    (
        "Өскемен",
        "Усть-Каменогорск",
        "Oskemen",
        &["Ust-Kamenogorsk"],
    ),
    ("Павлодар", "Павлодар", "Pavlodar", &[]),
    (
        "Петропавл",
        "Петропавловск",
        "Petropavl",
        &["Petropavlovsk"],
    ),
    ("Семей", "Семей", "Semey", &[]),
    ("Шымкент", "Шымкент", "Shymkent", &[]),
    ("Талдықорған", "Талдыкорган", "Taldykorgan", &[]),
    ("Тараз", "Тараз", "Taraz", &[]),
    ("Түркістан", "Туркестан", "Turkistan", &[]),
    ("Екібастұз", "Экибастуз", "Ekibastuz", &[]),
    ("Теміртау", "Темиртау", "Temirtau", &[]),
    ("Рудный", "Рудный", "Rudny", &[]),
];

/// A town's name in `lang` (`kk`, `ru`, anything else English) when it is one of
/// Kazakhstan's larger towns written in any of its spellings (any case); otherwise the name
/// as written.
pub fn town_name<'a>(town: &'a str, lang: &str) -> &'a str {
    let t = town.trim();
    TOWNS
        .iter()
        .find(|(kk, ru, en, other)| {
            [*kk, *ru, *en]
                .iter()
                .chain(other.iter())
                .any(|n| n.eq_ignore_ascii_case(t) || n.to_lowercase() == t.to_lowercase())
        })
        .map_or(town, |(kk, ru, en, _)| match lang {
            "kk" => kk,
            "ru" => ru,
            _ => en,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_oblasts_and_three_cities_with_unique_codes_and_names() {
        assert_eq!(Region::all().filter(|r| !r.is_city()).count(), 17);
        assert_eq!(
            Region::all()
                .filter(|r| r.is_city())
                .map(|r| r.name("en"))
                .collect::<Vec<_>>(),
            ["Astana", "Almaty", "Shymkent"]
        );
        for lang in ["kk", "ru", "en"] {
            let mut names: Vec<&str> = Region::all().map(|r| r.name(lang)).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), 20, "{lang}");
        }
        // Every name and code reads back as its own region.
        for r in Region::all() {
            for n in [r.code(), r.name("kk"), r.name("ru"), r.name("en")] {
                assert_eq!(Region::parse(n), Ok(r), "{n}");
            }
        }
    }

    #[test]
    fn names_parse_in_any_case_and_almaty_is_the_city() {
        let cases = [
            ("KZ-75", "KZ-75"),
            ("almaty", "KZ-75"),
            ("Almaty Region", "KZ-19"),
            ("Алматы облысы", "KZ-19"),
            ("East Kazakhstan", "KZ-63"),
            ("  Шымкент ", "KZ-79"),
            ("ВОСТОЧНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ", "KZ-63"),
        ];
        for (input, code) in cases {
            assert_eq!(Region::parse(input).map(Region::code), Ok(code), "{input}");
        }
        for bad in ["", "KZ-99", "Almaty City Region", "Semey"] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn towns_read_in_each_language_whatever_the_spelling() {
        assert_eq!(town_name("Ust-Kamenogorsk", "kk"), "Өскемен");
        assert_eq!(town_name("oskemen", "ru"), "Усть-Каменогорск");
        assert_eq!(town_name("Jezkazgan", "en"), "Zhezkazgan");
        assert_eq!(town_name("Қарағанды", "ru"), "Караганда");
        assert_eq!(town_name(" Almaty ", "kk"), "Алматы");
        // Not a town of the table: as written.
        assert_eq!(town_name("Baikonur", "kk"), "Baikonur");
    }
}
