//! The registries the reports join with (films with their titles and parties, state funding,
//! agreements), read as one snapshot and kept for a short time.
//!
//! # Why a cache
//! The registries hold hundreds of rows and change a few times a day, yet every chart, ROI and
//! scorecard needs them. Reading them per request tripled the ClickHouse queries per request,
//! and on ClickHouse 18.16 each query carries a fixed cost that dominated the API's latency
//! under load (BENCHMARKS.md).
//!
//! # Freshness
//! A snapshot is used for at most `ttl` (`api.registry_cache_ms`, 2 s by default; 0 reads the
//! registries on every request). A registry write through this API drops the snapshot at
//! once, so this process never serves a registry older than its own last write; a write by
//! another process (`ekino registry load`, another API replica) shows within `ttl`. Ticket
//! figures are never cached.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Title {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

#[derive(Debug, Clone, Row, Deserialize)]
struct FilmRow {
    film_id: String,
    budget_tiyn: i64,
    producer_bin: String,
    distributor_bin: String,
    kk: String,
    ru: String,
    en: String,
    release_date: u16,
    national: u8,
    public_roi: u8,
}

#[derive(Debug, Clone)]
pub struct Film {
    pub budget_tiyn: i64,
    pub producer_bin: String,
    pub distributor_bin: String,
    pub title: Title,
    /// Days since the epoch.
    pub release_date: u16,
    pub national: bool,
    /// The ministry publishes the film's budget, funding and recoupment.
    pub public_roi: bool,
}

impl Film {
    pub fn release_date(&self) -> chrono::NaiveDate {
        schemas::time::date_from_days(self.release_date)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Funding {
    pub amount_tiyn: i64,
    /// Days since the epoch of the first payment.
    pub first_paid: u16,
}

#[derive(Debug, Clone, Copy)]
pub struct Agreement {
    pub exhibitor_share_x10000: u32,
    pub distributor_fee_x10000: u32,
}

/// One consistent read of the registries, keyed by film id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub films: BTreeMap<String, Film>,
    pub funding: HashMap<String, Funding>,
    pub agreements: HashMap<String, Agreement>,
    /// Distributors' names by BIN (kk, ru, en in a [`Title`]).
    pub distributors: HashMap<String, Title>,
    /// Each registered cinema's region; `None` for a stored region no longer read as one.
    pub cinema_regions: HashMap<String, Option<schemas::region::Region>>,
    /// Each registered cinema's name in kk, ru and en (a missing kk or ru name is the
    /// registered `name`).
    pub cinema_names: HashMap<String, Title>,
    /// Whether each registered cinema is a VAT payer: what its sales' VAT is compared with.
    pub cinema_vat_payers: HashMap<String, bool>,
    /// Each registered cinema's ticketing vendor (empty: not known).
    pub cinema_vendors: HashMap<String, String>,
}

impl Registry {
    pub async fn load(client: &Client) -> Result<Self, ReportError> {
        let films: Vec<FilmRow> = client
            .query(
                "SELECT film_id, argMax(budget_tiyn, updated_at) AS budget_tiyn, argMax(producer_bin, updated_at) AS producer_bin, \
                 argMax(distributor_bin, updated_at) AS distributor_bin, argMax(title_kk, updated_at) AS kk, \
                 argMax(title_ru, updated_at) AS ru, argMax(title_en, updated_at) AS en, argMax(release_date, updated_at) AS release_date, \
                 argMax(national, updated_at) AS national, argMax(public_roi, updated_at) AS public_roi FROM films GROUP BY film_id",
            )
            .fetch_all()
            .await?;
        let funding: Vec<(String, i64, u16)> = client
            .query("SELECT film_id, toInt64(sum(amount_tiyn)) AS amount_tiyn, min(paid_on) AS first_paid FROM film_funding FINAL GROUP BY film_id")
            .fetch_all()
            .await?;
        let agreements: Vec<(String, u32, u32)> = client
            .query(
                "SELECT film_id, argMax(exhibitor_share_x10000, updated_at) AS ex, argMax(distributor_fee_x10000, updated_at) AS fee \
                 FROM film_agreements GROUP BY film_id",
            )
            .fetch_all()
            .await?;
        let distributors: Vec<(String, String, String, String)> = client
            .query("SELECT bin, argMax(name_kk, updated_at) AS kk, argMax(name_ru, updated_at) AS ru, argMax(name_en, updated_at) AS en FROM distributors GROUP BY bin")
            .fetch_all()
            .await?;
        let cinemas: Vec<(String, String, String, String, String, u8)> = client
            .query(
                "SELECT bin, argMax(region, updated_at) AS r, argMax(name, updated_at) AS n, argMax(name_kk, updated_at) AS kk, \
                 argMax(name_ru, updated_at) AS ru, argMax(vat_payer, updated_at) AS vat FROM cinemas GROUP BY bin",
            )
            .fetch_all()
            .await?;
        let vendors: Vec<(String, String)> = client
            .query("SELECT bin, argMax(vendor, updated_at) AS v FROM cinemas GROUP BY bin")
            .fetch_all()
            .await?;
        let or_name = |own: &str, name: &str| {
            if own.is_empty() {
                name.to_owned()
            } else {
                own.to_owned()
            }
        };
        Ok(Self {
            cinema_vendors: vendors.into_iter().collect(),
            cinema_names: cinemas
                .iter()
                .map(|(bin, _, n, kk, ru, _)| {
                    (
                        bin.clone(),
                        Title {
                            kk: or_name(kk, n),
                            ru: or_name(ru, n),
                            en: n.clone(),
                        },
                    )
                })
                .collect(),
            cinema_vat_payers: cinemas
                .iter()
                .map(|(bin, .., vat)| (bin.clone(), *vat != 0))
                .collect(),
            distributors: distributors
                .into_iter()
                .map(|(bin, kk, ru, en)| (bin, Title { kk, ru, en }))
                .collect(),
            cinema_regions: cinemas
                .into_iter()
                .map(|(bin, r, ..)| (bin, schemas::region::Region::parse(&r).ok()))
                .collect(),
            films: films
                .into_iter()
                .map(|r| {
                    let film = Film {
                        budget_tiyn: r.budget_tiyn,
                        producer_bin: r.producer_bin,
                        distributor_bin: r.distributor_bin,
                        title: Title {
                            kk: r.kk,
                            ru: r.ru,
                            en: r.en,
                        },
                        release_date: r.release_date,
                        national: r.national != 0,
                        public_roi: r.public_roi != 0,
                    };
                    (r.film_id, film)
                })
                .collect(),
            funding: funding
                .into_iter()
                .map(|(f, amount_tiyn, first_paid)| {
                    (
                        f,
                        Funding {
                            amount_tiyn,
                            first_paid,
                        },
                    )
                })
                .collect(),
            agreements: agreements
                .into_iter()
                .map(|(f, ex, fee)| {
                    (
                        f,
                        Agreement {
                            exhibitor_share_x10000: ex,
                            distributor_fee_x10000: fee,
                        },
                    )
                })
                .collect(),
        })
    }
}

/// The shared snapshot; see the module docs for its freshness rule.
pub struct RegistryCache {
    ttl: Duration,
    slot: RwLock<Option<(Instant, Arc<Registry>)>>,
    /// Bumped by every invalidation, so that a read begun before a write is never kept.
    generation: AtomicU64,
    /// One reload at a time: requests arriving meanwhile wait for it instead of each querying.
    reload: tokio::sync::Mutex<()>,
}

impl RegistryCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: RwLock::new(None),
            generation: AtomicU64::new(0),
            reload: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<Arc<Registry>> {
        let slot = self.slot.read().expect("registry lock");
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, r)| r.clone())
    }

    pub async fn get(&self, client: &Client) -> Result<Arc<Registry>, ReportError> {
        if let Some(r) = self.fresh() {
            return Ok(r);
        }
        let _one = self.reload.lock().await;
        if let Some(r) = self.fresh() {
            return Ok(r);
        }
        let (started, generation) = (Instant::now(), self.generation.load(Ordering::SeqCst));
        let r = Arc::new(Registry::load(client).await?);
        let mut slot = self.slot.write().expect("registry lock");
        if self.generation.load(Ordering::SeqCst) == generation {
            *slot = Some((started, r.clone()));
        }
        Ok(r)
    }

    /// Drops the snapshot: the next request reads the registries again.
    pub fn invalidate(&self) {
        let mut slot = self.slot.write().expect("registry lock");
        self.generation.fetch_add(1, Ordering::SeqCst);
        *slot = None;
    }
}
