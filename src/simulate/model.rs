//! The simulated market: cinemas over Kazakhstan's 17 regions and 3 cities, their halls, and
//! a film slate (national and foreign, some state-funded). Deterministic for a seed.

use chrono::{Days, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use schemas::region::Region;
use schemas::registry::{Cinema, Distributor, Film, Funding};
use schemas::{Bin, FilmId, Kzt};

/// (region, city, cinemas, base ticket price in KZT). Almaty and Astana hold most screens.
const PLACES: &[(&str, &str, u32, i64)] = &[
    ("Almaty", "Almaty", 28, 2600),
    ("Astana", "Astana", 18, 2600),
    ("Shymkent", "Shymkent", 8, 2000),
    ("Karaganda", "Karaganda", 6, 1900),
    ("Aktobe", "Aktobe", 5, 1900),
    ("Atyrau", "Atyrau", 4, 2200),
    ("Mangystau", "Aktau", 4, 2200),
    ("East Kazakhstan", "Oskemen", 4, 1800),
    ("Pavlodar", "Pavlodar", 4, 1800),
    ("Kostanay", "Kostanay", 4, 1700),
    ("Jambyl", "Taraz", 3, 1600),
    ("Turkistan", "Turkistan", 3, 1500),
    ("Kyzylorda", "Kyzylorda", 3, 1600),
    ("West Kazakhstan", "Oral", 3, 1700),
    ("North Kazakhstan", "Petropavl", 3, 1700),
    ("Akmola", "Kokshetau", 3, 1600),
    ("Almaty Region", "Konaev", 3, 1600),
    ("Abai", "Semey", 3, 1600),
    ("Jetisu", "Taldykorgan", 2, 1500),
    ("Ulytau", "Jezkazgan", 2, 1500),
];

const CHAINS: &[&str] = &[
    "Kinopark",
    "Chaplin",
    "Kinoplexx",
    "Arman",
    "Eurasia Cinema",
    "Cinemax",
    "Sary-Arka Kino",
];

/// (English, Kazakh, Russian) spellings of the chains and cities above, for the registry's
/// kk/ru cinema names.
const SPELLINGS: &[(&str, &str, &str)] = &[
    ("Kinopark", "Кинопарк", "Кинопарк"),
    ("Chaplin", "Чаплин", "Чаплин"),
    ("Kinoplexx", "Киноплекс", "Киноплекс"),
    ("Arman", "Арман", "Арман"),
    ("Eurasia Cinema", "Еуразия Синема", "Евразия Синема"),
    ("Cinemax", "Синемакс", "Синемакс"),
    ("Sary-Arka Kino", "Сарыарқа Кино", "Сарыарка Кино"),
    ("Almaty", "Алматы", "Алматы"),
    ("Astana", "Астана", "Астана"),
    ("Shymkent", "Шымкент", "Шымкент"),
    ("Karaganda", "Қарағанды", "Караганда"),
    ("Aktobe", "Ақтөбе", "Актобе"),
    ("Atyrau", "Атырау", "Атырау"),
    ("Aktau", "Ақтау", "Актау"),
    ("Oskemen", "Өскемен", "Усть-Каменогорск"),
    ("Pavlodar", "Павлодар", "Павлодар"),
    ("Kostanay", "Қостанай", "Костанай"),
    ("Taraz", "Тараз", "Тараз"),
    ("Turkistan", "Түркістан", "Туркестан"),
    ("Kyzylorda", "Қызылорда", "Кызылорда"),
    ("Oral", "Орал", "Уральск"),
    ("Petropavl", "Петропавл", "Петропавловск"),
    ("Kokshetau", "Көкшетау", "Кокшетау"),
    ("Konaev", "Қонаев", "Конаев"),
    ("Semey", "Семей", "Семей"),
    ("Taldykorgan", "Талдықорған", "Талдыкорган"),
    ("Jezkazgan", "Жезқазған", "Жезказган"),
];

/// A chain's or city's name in Kazakh (`kk = true`) or Russian; the English one when unlisted.
fn spelled(en: &str, kk: bool) -> &str {
    SPELLINGS
        .iter()
        .find(|s| s.0 == en)
        .map_or(en, |s| if kk { s.1 } else { s.2 })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TwoD,
    ThreeD,
    Imax,
}

impl Format {
    /// Price multiplier in percent.
    pub fn price_pct(self) -> i64 {
        match self {
            Format::TwoD => 100,
            Format::ThreeD => 130,
            Format::Imax => 180,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hall {
    pub name: String,
    pub seats: u32,
    pub rows: u32,
    pub format: Format,
}

#[derive(Debug, Clone)]
pub struct SimCinema {
    pub record: Cinema,
    pub halls: Vec<Hall>,
    pub base_price_kzt: i64,
}

#[derive(Debug, Clone)]
pub struct SimFilm {
    pub record: Film,
    /// Relative pull at the box office in its opening week, 1–100.
    pub appeal: u32,
}

#[derive(Debug, Clone)]
pub struct Market {
    pub cinemas: Vec<SimCinema>,
    pub films: Vec<SimFilm>,
    pub funding: Vec<Funding>,
}

/// The simulated ticketing vendors (fictional): a chain runs one system in all its cinemas.
pub const VENDORS: [&str; 4] = ["KinoSoft", "Sapa Ticket", "Bilet Pro", "Premiera KZ"];

/// A chain's vendor, from its name (no random draw: the market's draws stay as they were).
fn vendor_of(chain: &str) -> &'static str {
    let n: usize = chain.bytes().map(usize::from).sum();
    VENDORS[n % VENDORS.len()]
}

pub fn random_bin(rng: &mut ChaCha8Rng) -> Bin {
    loop {
        let prefix: String = (0..11)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        if let Some(b) = Bin::from_prefix(&prefix) {
            return b;
        }
    }
}

fn cinemas(rng: &mut ChaCha8Rng) -> Vec<SimCinema> {
    let mut out = Vec::new();
    for &(region, city, count, price) in PLACES {
        let big_city = matches!(city, "Almaty" | "Astana");
        for i in 0..count {
            let chain = CHAINS.choose(rng).expect("chains");
            let n_halls = if big_city {
                rng.gen_range(3..=9)
            } else if city == "Shymkent" {
                rng.gen_range(2..=7)
            } else {
                rng.gen_range(1..=5)
            };
            let halls: Vec<Hall> = (1..=n_halls)
                .map(|h| {
                    let seats = if n_halls == 1 {
                        rng.gen_range(60..=120)
                    } else {
                        rng.gen_range(70..=320)
                    };
                    let format = match rng.gen_range(0..20) {
                        0 if big_city => Format::Imax,
                        1..=4 => Format::ThreeD,
                        _ => Format::TwoD,
                    };
                    Hall {
                        // The key its tickets carry: the hall's number, which the pages
                        // say in their language ("Зал 1", "Hall 1").
                        name: h.to_string(),
                        seats,
                        rows: (seats / 16).max(4),
                        format,
                    }
                })
                .collect();
            let seats = halls.iter().map(|h| h.seats).sum();
            // Small single-screen cinemas often sit below the VAT threshold.
            let vat_payer = n_halls > 1 || rng.gen_bool(0.4);
            out.push(SimCinema {
                record: Cinema {
                    bin: random_bin(rng),
                    name: format!("{chain} {city} {}", i + 1),
                    name_kk: format!("{} {} {}", spelled(chain, true), spelled(city, true), i + 1),
                    name_ru: format!(
                        "{} {} {}",
                        spelled(chain, false),
                        spelled(city, false),
                        i + 1
                    ),
                    region: Region::parse(region).expect("PLACES names regions"),
                    city: city.to_owned(),
                    halls: n_halls as u16,
                    seats,
                    vat_payer,
                    vendor: vendor_of(chain).to_owned(),
                },
                halls,
                base_price_kzt: price,
            });
        }
    }
    out
}

const NATIONAL: &[(&str, &str, &str)] = &[
    ("Дала жарығы", "Свет степи", "Steppe Light"),
    ("Қарлы тау", "Снежная гора", "Snow Mountain"),
    ("Арал", "Арал", "Aral"),
    ("Көшпенділер жолы", "Путь кочевников", "Nomad Road"),
    ("Алматы түні", "Ночь Алматы", "Almaty Night"),
    ("Бауыржан", "Бауыржан", "Baurzhan"),
    ("Қыз Жібек қайта", "Кыз Жибек снова", "Kyz Zhibek Again"),
    ("Шымкент таксисі", "Таксист из Шымкента", "Shymkent Taxi"),
    ("Балқаш", "Балхаш", "Balkhash"),
    ("Ұлытау аңызы", "Легенда Улытау", "Legend of Ulytau"),
];

/// Distributors (kk, ru, en); BINs are fixed so the same names keep the same BINs.
const DISTRIBUTORS: &[(&str, &str, &str, &str)] = &[
    (
        "0801400000",
        "Қазақфильм прокат",
        "Казахфильм прокат",
        "Kazakhfilm Distribution",
    ),
    ("0905400000", "Дала Медиа", "Дала Медиа", "Dala Media"),
    (
        "1102400000",
        "Меломан Фильм",
        "Меломан Фильм",
        "Meloman Film",
    ),
    (
        "1207400000",
        "Еуразия Дистрибьюшн",
        "Евразия Дистрибьюшн",
        "Eurasia Distribution",
    ),
    (
        "1403400000",
        "Сары-Арқа Фильм",
        "Сары-Арка Фильм",
        "Sary-Arka Film",
    ),
];

pub fn distributors() -> Vec<Distributor> {
    DISTRIBUTORS
        .iter()
        .map(|(prefix, kk, ru, en)| Distributor {
            bin: (0..10)
                .find_map(|n| Bin::from_prefix(&format!("{prefix}{n}")))
                .expect("a valid BIN among ten"),
            name_kk: (*kk).into(),
            name_ru: (*ru).into(),
            name_en: (*en).into(),
        })
        .collect()
}

const FOREIGN: &[&str] = &[
    "Orbital Drift",
    "The Last Harbour",
    "Midnight Circuit",
    "Paper Kingdoms",
    "Iron Meridian",
    "Small Giants",
    "The Glass Orchard",
    "Northbound",
    "Echo Protocol",
    "Summer of Kites",
    "Red Dune Rising",
    "The Clockmaker's Son",
    "Deep Blue Signal",
    "Wild Frontier",
];

fn films(rng: &mut ChaCha8Rng, start: NaiveDate, days: u32) -> (Vec<SimFilm>, Vec<Funding>) {
    let mut films = Vec::new();
    let mut funding = Vec::new();
    let span = i64::from(days.max(1)) + 42;
    let mut seq = 1;
    let distributors = distributors();
    let distributor = |i: usize| distributors[i % distributors.len()].bin.clone();
    let release = |rng: &mut ChaCha8Rng| {
        let back = rng.gen_range(0..span);
        start
            .checked_add_days(Days::new(u64::from(days)))
            .unwrap_or(start)
            - chrono::Duration::days(back)
    };
    for (i, (kk, ru, en)) in NATIONAL.iter().enumerate() {
        let state_funded = i < 7;
        let budget_m: i64 = rng.gen_range(150..=900);
        let film_id =
            FilmId::parse(&format!("KZ{}-{seq:04}", start.format("%y"))).expect("film id");
        seq += 1;
        let rel = release(rng);
        if state_funded {
            let share_pct = rng.gen_range(60..=100);
            let total = budget_m * 1_000_000 * share_pct / 100;
            let parts = rng.gen_range(1..=3);
            for p in 0..parts {
                let amount = if p == parts - 1 {
                    total - (total / parts) * (parts - 1)
                } else {
                    total / parts
                };
                funding.push(Funding {
                    film_id: film_id.clone(),
                    payment_id: format!("{film_id}-P{}", p + 1),
                    paid_on: rel - chrono::Duration::days(400 - 120 * p),
                    amount: Kzt::from_tiyn(amount * 100),
                });
            }
        }
        films.push(SimFilm {
            record: Film {
                film_id,
                title_kk: (*kk).into(),
                title_ru: (*ru).into(),
                title_en: (*en).into(),
                release_date: rel,
                producer_bin: random_bin(rng),
                distributor_bin: distributor(i),
                national: true,
                budget: Kzt::from_tiyn(budget_m * 100_000_000),
                // The ministry publishes the ROI of most funded films; two stay unpublished.
                public_roi: state_funded && i < 5,
            },
            appeal: rng.gen_range(8..=70),
        });
    }
    for (i, en) in FOREIGN.iter().enumerate() {
        let film_id =
            FilmId::parse(&format!("KZ{}-{seq:04}", start.format("%y"))).expect("film id");
        seq += 1;
        films.push(SimFilm {
            record: Film {
                film_id,
                title_kk: (*en).into(),
                title_ru: (*en).into(),
                title_en: (*en).into(),
                release_date: release(rng),
                producer_bin: random_bin(rng),
                distributor_bin: distributor(i + 1),
                national: false,
                budget: Kzt::from_tiyn(rng.gen_range(5_000..=90_000) * 100_000_000),
                public_roi: false,
            },
            appeal: rng.gen_range(10..=100),
        });
    }
    (films, funding)
}

impl Market {
    pub fn generate(rng: &mut ChaCha8Rng, start: NaiveDate, days: u32) -> Self {
        let cinemas = cinemas(rng);
        let (films, funding) = films(rng, start, days);
        Self {
            cinemas,
            films,
            funding,
        }
    }

    pub fn halls(&self) -> usize {
        self.cinemas.iter().map(|c| c.halls.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn market_has_the_country_shape() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let m = Market::generate(&mut rng, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), 1);
        assert_eq!(m.cinemas.len(), 113);
        let regions: std::collections::HashSet<_> =
            m.cinemas.iter().map(|c| c.record.region).collect();
        assert_eq!(regions.len(), 20, "17 regions and 3 cities");
        assert!((330..=520).contains(&m.halls()), "halls {}", m.halls());
        assert!(
            m.films.iter().any(|f| f.record.national) && m.films.iter().any(|f| !f.record.national)
        );
        assert!(!m.funding.is_empty());
    }
}
