//! Languages, the kk/ru/en catalogue and the per-locale forms of numbers, money and dates.
//!
//! Every word a page shows comes from `api/web/locales/{kk,ru,en}.ftl` (Fluent), compiled into the
//! binary; a key missing in any language fails a test, and at run time shows the key itself
//! (never a blank). `kk` is Kazakh in Cyrillic (`kk-Cyrl`), the default.
//!
//! Numbers: kk and ru group thousands with a no-break space and write a decimal comma; en
//! groups with a comma and writes a decimal point. Money is tenge with two decimals: `1 234,50 ₸`
//! (kk, ru), `₸1,234.50` (en). Dates: `21.11.2026` (kk, ru), `21 Nov 2026` (en).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The path segment and `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == s)
    }

    /// The first of kk, ru, en that `Accept-Language` names, by its q-values; kk otherwise.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map_or(Lang::Kk, |(_, l)| l)
    }
}

const SOURCES: [(Lang, &str); 3] = [
    (Lang::Kk, include_str!("../locales/kk.ftl")),
    (Lang::Ru, include_str!("../locales/ru.ftl")),
    (Lang::En, include_str!("../locales/en.ftl")),
];

pub struct Catalogue {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

static CATALOGUE: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::load().expect("the compiled-in catalogue parses"));

impl Catalogue {
    fn load() -> Result<Self, String> {
        let mut bundles = Vec::new();
        for (lang, text) in SOURCES {
            let res = FluentResource::try_new(text.to_owned())
                .map_err(|(_, e)| format!("{}.ftl: {e:?}", lang.code()))?;
            let id: unic_langid::LanguageIdentifier =
                lang.code().parse().map_err(|e| format!("{e:?}"))?;
            let mut b = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks around arguments: pages are HTML, and the marks would
            // end up inside figures and copied text.
            b.set_use_isolating(false);
            b.add_resource(res)
                .map_err(|e| format!("{}.ftl: {e:?}", lang.code()))?;
            bundles.push((lang, b));
        }
        Ok(Self { bundles })
    }

    pub fn get() -> &'static Catalogue {
        &CATALOGUE
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .expect("every language is loaded")
            .1
    }

    /// The message, or the key itself when it is missing (a test keeps that from shipping).
    pub fn text(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        let b = self.bundle(lang);
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        b.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// Every message key of one language.
    pub fn keys(lang: Lang) -> Vec<String> {
        let text = SOURCES.iter().find(|(l, _)| *l == lang).expect("source").1;
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .map(|l| l.split(" = ").next().unwrap_or("").trim().to_owned())
            .collect()
    }
}

pub fn t(lang: Lang, key: &str) -> String {
    Catalogue::get().text(lang, key, None)
}

/// Who wrote a record or issued a key, in the page's language: a key's label as typed, or
/// an operator's command on the server (`os:<user>`, see `ekino registry load`).
pub fn writer(lang: Lang, by: &str) -> String {
    match by.strip_prefix("os:") {
        Some("" | "unknown") => t(lang, "by-os-unknown"),
        Some(user) => t_with(lang, "by-os", &[("user", user.to_owned())]),
        None => by.to_owned(),
    }
}

pub fn t_with(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let mut a = FluentArgs::new();
    for (k, v) in args {
        a.set(*k, v.clone());
    }
    Catalogue::get().text(lang, key, Some(&a))
}

const NBSP: char = '\u{00A0}';

fn group(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::Kk | Lang::Ru => (NBSP, ','),
        Lang::En => (',', '.'),
    }
}

/// A decimal with exactly `dp` decimals (rounded half away from zero), grouped per locale.
pub fn number(lang: Lang, d: Decimal, dp: u32) -> String {
    let r = d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", dp as usize, r.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (g, dec) = separators(lang);
    let mut out = String::new();
    if r.is_sign_negative() && !r.is_zero() {
        out.push('−');
    }
    out.push_str(&group(int, g));
    if !frac.is_empty() {
        out.push(dec);
        out.push_str(frac);
    }
    out
}

pub fn integer(lang: Lang, n: i64) -> String {
    number(lang, Decimal::from(n), 0)
}

/// Tenge, two decimals.
pub fn money(lang: Lang, kzt: Decimal) -> String {
    let n = number(lang, kzt, 2);
    match lang {
        Lang::Kk | Lang::Ru => format!("{n}{NBSP}₸"),
        Lang::En => match n.strip_prefix('−') {
            Some(abs) => format!("−₸{abs}"),
            None => format!("₸{n}"),
        },
    }
}

/// A share in 0..1 as a percentage with one decimal.
pub fn percent(lang: Lang, share: Decimal) -> String {
    let p = number(lang, share * Decimal::from(100), 1);
    match lang {
        Lang::Kk | Lang::Ru => format!("{p}{NBSP}%"),
        Lang::En => format!("{p}%"),
    }
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Kk | Lang::Ru => d.format("%d.%m.%Y").to_string(),
        Lang::En => format!(
            "{} {} {}",
            d.day(),
            MONTHS_EN[d.month0() as usize],
            d.year()
        ),
    }
}

/// A month (`YYYY-MM`) in the page's form, as its dates write it: `12.2026`, `Dec 2026`; the
/// text itself when it is not a month.
pub fn month(lang: Lang, ym: &str) -> String {
    let Ok(d) = NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d") else {
        return ym.to_owned();
    };
    match lang {
        Lang::Kk | Lang::Ru => d.format("%m.%Y").to_string(),
        Lang::En => format!("{} {}", MONTHS_EN[d.month0() as usize], d.year()),
    }
}

/// An ISO date (`YYYY-MM-DD`) in the page's form; the text itself when it is not a date.
pub fn iso_date(lang: Lang, iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_or_else(|_| iso.to_owned(), |d| date(lang, d))
}

/// A count (admissions, screens) in the page's form.
pub fn count(lang: Lang, n: u64) -> String {
    integer(lang, i64::try_from(n).unwrap_or(i64::MAX))
}

/// An RFC 3339 time as the date and hh:mm in Kazakhstan's time (UTC+5); the text itself when
/// it is not a time.
pub fn timestamp(lang: Lang, rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let t = t.with_timezone(&schemas::time::kz_offset());
            match lang {
                Lang::Kk | Lang::Ru => {
                    format!("{} {}", date(lang, t.date_naive()), t.format("%H:%M"))
                }
                Lang::En => format!("{}, {}", date(lang, t.date_naive()), t.format("%H:%M")),
            }
        }
        Err(_) => rfc3339.to_owned(),
    }
}

/// An amount in a currency, per locale: `1 234,50 USD` (kk, ru), `USD 1,234.50` (en).
pub fn amount(lang: Lang, d: Decimal, currency: &str) -> String {
    if currency == "KZT" {
        return money(lang, d);
    }
    with_currency(lang, &number(lang, d, 2), currency)
}

/// A number already written in the page's form, with its currency where the locale puts it
/// (the tenge as `₸`, as [`money`] writes it): an exchange rate's sides, an amount.
pub fn with_currency(lang: Lang, n: &str, currency: &str) -> String {
    match (lang, currency) {
        (Lang::Kk | Lang::Ru, "KZT") => format!("{n}{NBSP}₸"),
        (Lang::Kk | Lang::Ru, _) => format!("{n}\u{a0}{currency}"),
        (Lang::En, "KZT") => match n.strip_prefix('−') {
            Some(abs) => format!("−₸{abs}"),
            None => format!("₸{n}"),
        },
        (Lang::En, _) => format!("{currency}\u{a0}{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_key_exists_in_every_language() {
        let en = Catalogue::keys(Lang::En);
        assert!(en.len() > 20, "{en:?}");
        for lang in Lang::ALL {
            let keys = Catalogue::keys(lang);
            for k in &en {
                assert!(keys.contains(k), "{} lacks {k}", lang.code());
                assert_ne!(t(lang, k), *k, "{} {k} does not resolve", lang.code());
            }
            for k in &keys {
                assert!(en.contains(k), "{} has {k}, which en lacks", lang.code());
            }
        }
    }

    #[test]
    fn a_rates_sides_carry_their_currency_as_amounts_do() {
        let nb = NBSP;
        assert_eq!(with_currency(Lang::Kk, "1", "KZT"), format!("1{nb}₸"));
        assert_eq!(with_currency(Lang::En, "1", "KZT"), "₸1");
        assert_eq!(with_currency(Lang::En, "−2", "KZT"), "−₸2");
        assert_eq!(with_currency(Lang::Ru, "0,5", "USD"), format!("0,5{nb}USD"));
        assert_eq!(with_currency(Lang::En, "0.5", "USD"), format!("USD{nb}0.5"));
        assert_eq!(
            with_currency(Lang::Kk, &number(Lang::Kk, dec!(1234.5), 2), "KZT"),
            money(Lang::Kk, dec!(1234.5))
        );
    }

    #[test]
    fn numbers_money_and_dates_per_locale() {
        let nb = NBSP;
        let cases: [(Lang, Decimal, &str, String); 6] = [
            (
                Lang::Kk,
                dec!(1234567.5),
                "money",
                format!("1{nb}234{nb}567,50{nb}₸"),
            ),
            (Lang::Ru, dec!(0.005), "money", format!("0,01{nb}₸")),
            (Lang::En, dec!(1234567.5), "money", "₸1,234,567.50".into()),
            (Lang::En, dec!(-1234.5), "money", "−₸1,234.50".into()),
            (Lang::Ru, dec!(0.12345), "percent", format!("12,3{nb}%")),
            (Lang::En, dec!(0.00049), "percent", "0.0%".into()),
        ];
        for (lang, d, kind, want) in cases {
            let got = if kind == "money" {
                money(lang, d)
            } else {
                percent(lang, d)
            };
            assert_eq!(got, want, "{lang:?} {kind} {d}");
        }
        assert_eq!(integer(Lang::Kk, 1000), format!("1{nb}000"));
        assert_eq!(integer(Lang::En, 999), "999");
        assert_eq!(integer(Lang::En, 1_000_000), "1,000,000");
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            (date(Lang::Kk, d), date(Lang::Ru, d), date(Lang::En, d)),
            (
                "01.11.2026".into(),
                "01.11.2026".into(),
                "1 Nov 2026".into()
            )
        );
    }

    #[test]
    fn accept_language_picks_the_best_of_ours_and_defaults_to_kazakh() {
        let cases = [
            (None, Lang::Kk),
            (Some("ru-RU,ru;q=0.9,en;q=0.8"), Lang::Ru),
            (Some("de-DE,en;q=0.5,ru;q=0.7"), Lang::Ru),
            (Some("en-GB"), Lang::En),
            (Some("kk-KZ,ru;q=0.5"), Lang::Kk),
            (Some("fr, de"), Lang::Kk),
            (Some("en;q=0, ru;q=0.1"), Lang::Ru),
        ];
        for (header, want) in cases {
            assert_eq!(Lang::negotiate(header), want, "{header:?}");
        }
    }

    #[test]
    fn arguments_are_placed_without_isolation_marks() {
        let s = t_with(Lang::En, "chart-heading", &[("date", "1 Nov 2026".into())]);
        assert_eq!(s, "Box office for 1 Nov 2026");
    }
}
