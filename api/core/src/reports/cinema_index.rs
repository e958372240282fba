//! The public list of registered cinemas by region (`GET /v1/cinema-index`, `/{lang}/cinemas`):
//! each region of Kazakhstan with the cinemas registered in it, by name in kk, ru and en and
//! BIN. Names and BINs only: no figure of any cinema is public here (a region's figures are,
//! on the chart, once three of its cinemas report).
//!
//! Regions come in the order of their ISO codes; cinemas without a registered region last, as
//! a group without a code (only when no region is asked for). Cinemas come in BIN order; a page
//! sorts them by the name it shows.

use schemas::region::Region;
use serde::Serialize;

use super::registry::{Registry, Title};

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct IndexedCinema {
    pub bin: String,
    pub name: Title,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RegionCinemas {
    /// ISO 3166-2:KZ; null for the cinemas without a registered region.
    pub code: Option<String>,
    pub name: Option<Title>,
    pub cinemas: Vec<IndexedCinema>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CinemaIndex {
    /// The region asked for, if any.
    pub region: Option<String>,
    pub cinemas: u64,
    /// Regions with at least one registered cinema.
    pub regions: Vec<RegionCinemas>,
}

fn region_title(r: Region) -> Title {
    Title {
        kk: r.name("kk").into(),
        ru: r.name("ru").into(),
        en: r.name("en").into(),
    }
}

/// The registered cinemas of `region`, or of every region.
pub fn list(registry: &Registry, region: Option<Region>) -> CinemaIndex {
    let mut bins: Vec<&String> = registry.cinema_names.keys().collect();
    bins.sort();
    let of = |bin: &String| IndexedCinema {
        bin: bin.clone(),
        name: registry.cinema_names[bin].clone(),
    };
    let region_of = |bin: &String| registry.cinema_regions.get(bin).copied().flatten();
    let mut regions: Vec<RegionCinemas> = Region::all()
        .filter(|r| region.is_none_or(|want| want == *r))
        .map(|r| RegionCinemas {
            code: Some(r.code().to_owned()),
            name: Some(region_title(r)),
            cinemas: bins
                .iter()
                .filter(|b| region_of(b) == Some(r))
                .map(|b| of(b))
                .collect(),
        })
        .filter(|g| !g.cinemas.is_empty())
        .collect();
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    if region.is_none() {
        let without: Vec<IndexedCinema> = bins
            .iter()
            .filter(|b| region_of(b).is_none())
            .map(|b| of(b))
            .collect();
        if !without.is_empty() {
            regions.push(RegionCinemas {
                code: None,
                name: None,
                cinemas: without,
            });
        }
    }
    CinemaIndex {
        region: region.map(|r| r.code().to_owned()),
        cinemas: regions.iter().map(|g| g.cinemas.len() as u64).sum(),
        regions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let mut r = Registry::default();
        let mut add = |bin: &str, name: &str, region: Option<&str>| {
            r.cinema_names.insert(
                bin.into(),
                Title {
                    kk: name.into(),
                    ru: name.into(),
                    en: name.into(),
                },
            );
            r.cinema_regions
                .insert(bin.into(), region.map(|c| Region::parse(c).unwrap()));
        };
        add("000000000030", "Kino C", Some("KZ-75"));
        add("000000000010", "Kino A", Some("KZ-75"));
        add("000000000020", "Kino B", Some("KZ-71"));
        add("000000000040", "Kino D", None);
        r
    }

    #[test]
    fn cinemas_are_grouped_by_region_in_code_order_and_the_unplaced_last() {
        let all = list(&registry(), None);
        assert_eq!(all.cinemas, 4);
        let groups: Vec<(Option<&str>, Vec<&str>)> = all
            .regions
            .iter()
            .map(|g| {
                (
                    g.code.as_deref(),
                    g.cinemas.iter().map(|c| c.bin.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                (Some("KZ-71"), vec!["000000000020"]),
                (Some("KZ-75"), vec!["000000000010", "000000000030"]),
                (None, vec!["000000000040"]),
            ]
        );
        assert_eq!(all.regions[0].name.as_ref().unwrap().ru, "Астана");

        let almaty = list(&registry(), Some(Region::parse("KZ-75").unwrap()));
        assert_eq!(almaty.region.as_deref(), Some("KZ-75"));
        assert_eq!(almaty.cinemas, 2, "only Almaty's, not the unplaced");
        assert_eq!(almaty.regions.len(), 1);
    }
}
