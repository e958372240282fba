//! One partition's memory of the events it accepted: enough to tell a re-send from a
//! conflict, to bind a refund to its sale, and to judge a void — and nothing more, because it
//! holds every event of the dedup horizon (a year of Kazakhstan is ~23 M events).
//!
//! # What is remembered
//! An event is kept while something can still refer to it: until both its arrival and its
//! screening day (a refund's: its sale's; a void's: its target's) are older than
//! `ingest.dedup_horizon_days`. A re-send cannot come later (it would be `stale_timestamp`),
//! nor a refund or a void of it; and an advance sale, sold months before its show, is not
//! forgotten while its refunds can still come.
//!
//! # Size
//! An [`Entry`] is 56 bytes and its key 16 (the event's UUID); the cinema is a number (a BIN
//! is 12 digits) and the film an index into a table of the partition's film ids. Refunds and
//! voids also keep their target in a side map; refunds still waiting for their sale keep
//! their whole row (they are rare: a refund normally follows its sale). `ekino bench`
//! reports the measured bytes per event.
//!
//! # Identity
//! An event is (`cinema_bin`, `event_id`). The map is keyed by the UUID alone, because two
//! cinemas using one UUID is a mistake or an attack, not traffic; the second cinema's entry
//! lives in `shared_ids`. So a lookup by id alone also tells a void that its target belongs
//! to another cinema of this partition (`void_target_foreign`).
//!
//! # Hashing
//! Event ids are chosen by senders, so the maps are keyed per process (foldhash's random
//! seed) rather than unkeyed; foldhash rather than the standard SipHash because the lookup
//! and insert of every message's id are a measurable part of the per-event cost.

use schemas::storage::{RejectedRow, TicketRow};

/// What an accepted event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sale,
    /// A refund counted against its sale.
    Refund,
    /// A refund whose sale has not arrived: counted nowhere yet.
    Pending,
    Void,
}

/// One accepted event. For a refund `day`, `vat` and `film` are its sale's; for a void they
/// are its target's (the group it changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub cinema: u64,
    /// Kafka offset of the accepted (first) version.
    pub offset: i64,
    pub fingerprint: u64,
    /// Film, hall and screening, for binding refunds to sales.
    pub link: u64,
    /// When it took effect (seconds): its arrival, or for a refund that waited, its sale's.
    pub arrival: u32,
    pub day: u16,
    pub vat: u16,
    /// Price (sale) or amount returned (refund), tiyn.
    pub amount: u32,
    pub film: u32,
    pub kind: Kind,
    pub voided: bool,
    /// A sale with a counted refund that is not voided.
    pub refunded: bool,
}

impl Entry {
    /// The entry of an event stored as `row` (judged now, or read back from ClickHouse).
    pub fn of_row(book: &mut Book, row: &TicketRow, kind: Kind) -> Entry {
        Entry {
            cinema: cinema_key(&row.cinema_bin),
            offset: row.kafka_offset,
            // Rows from before fingerprints were stored: the fingerprint of the event they record.
            fingerprint: if row.fingerprint == 0 {
                row.event_fingerprint()
            } else {
                row.fingerprint
            },
            link: schemas::event::fingerprint::screening_link(
                &row.film_id,
                &row.hall,
                &row.screening_id,
            ),
            arrival: row.arrived_at,
            day: row.day,
            vat: u16::try_from(row.vat_rate_x10000).unwrap_or(u16::MAX),
            amount: u32::try_from(row.price_tiyn).unwrap_or(u32::MAX),
            film: book.film_index(&row.film_id),
            kind,
            voided: !row.voided_by.is_empty(),
            refunded: false,
        }
    }

    /// The entry of a void of `target`: it changed the target's group.
    pub fn void_of(target: &Entry, offset: i64, fingerprint: u64, arrival: u32) -> Entry {
        Entry {
            offset,
            fingerprint,
            link: 0,
            arrival,
            kind: Kind::Void,
            voided: false,
            refunded: false,
            ..*target
        }
    }
}

/// A refund waiting for its sale, with the row it will count as.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub row: TicketRow,
    pub link: u64,
}

/// The maps of a book: foldhash, seeded per process (see the module docs).
pub type HashMap<K, V> = foldhash::HashMap<K, V>;

#[derive(Debug, Default)]
pub struct Book {
    entries: HashMap<u128, Entry>,
    shared_ids: HashMap<(u64, u128), Entry>,
    /// Refund → sale, void → target.
    pub targets: HashMap<(u64, u128), u128>,
    /// Sale (cinema, id) → refunds waiting for it, in arrival order.
    pub waiting: HashMap<(u64, u128), Vec<Waiting>>,
    films: Vec<String>,
    film_index: HashMap<String, u32>,
    /// Verdicts already stored for positions at or after where reading resumed: a replayed
    /// message gets the same verdict, whatever has arrived since.
    pub replayed_rejects: HashMap<i64, RejectedRow>,
}

impl Book {
    pub fn get(&self, cinema: u64, id: u128) -> Option<&Entry> {
        match self.entries.get(&id) {
            Some(e) if e.cinema == cinema => Some(e),
            Some(_) => self.shared_ids.get(&(cinema, id)),
            None => None,
        }
    }

    pub fn get_mut(&mut self, cinema: u64, id: u128) -> Option<&mut Entry> {
        match self.entries.get_mut(&id) {
            Some(e) if e.cinema == cinema => Some(e),
            Some(_) => self.shared_ids.get_mut(&(cinema, id)),
            None => None,
        }
    }

    /// Whether another cinema of this partition accepted an event with this id.
    pub fn belongs_to_other(&self, cinema: u64, id: u128) -> bool {
        self.entries.get(&id).is_some_and(|e| e.cinema != cinema)
    }

    pub fn insert(&mut self, id: u128, e: Entry) {
        match self.entries.get(&id) {
            Some(existing) if existing.cinema != e.cinema => {
                self.shared_ids.insert((e.cinema, id), e);
            }
            _ => {
                self.entries.insert(id, e);
            }
        }
    }

    pub fn remove(&mut self, cinema: u64, id: u128) {
        match self.entries.get(&id) {
            Some(e) if e.cinema == cinema => {
                self.entries.remove(&id);
            }
            Some(_) => {
                self.shared_ids.remove(&(cinema, id));
            }
            None => {}
        }
        self.targets.remove(&(cinema, id));
    }

    /// Records an accepted void: its entry, its target voided, a voided refund's sale open
    /// again (its refund no longer counts).
    pub fn record_void(&mut self, id: u128, void: Entry, target_id: u128) {
        let cinema = void.cinema;
        self.insert(id, void);
        self.targets.insert((cinema, id), target_id);
        let Some(t) = self.get_mut(cinema, target_id) else {
            return;
        };
        t.voided = true;
        if t.kind == Kind::Refund {
            if let Some(sale) = self.targets.get(&(cinema, target_id)).copied() {
                if let Some(s) = self.get_mut(cinema, sale) {
                    s.refunded = false;
                }
            }
        }
    }

    pub fn film_index(&mut self, film: &str) -> u32 {
        if let Some(i) = self.film_index.get(film) {
            return *i;
        }
        let i = u32::try_from(self.films.len()).unwrap_or(u32::MAX);
        self.films.push(film.to_owned());
        self.film_index.insert(film.to_owned(), i);
        i
    }

    pub fn film(&self, i: u32) -> &str {
        self.films.get(i as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.entries.len() + self.shared_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets events that nothing can refer to any more: arrived before `arrival` (seconds)
    /// *and* for a screening day before `day` (days since the epoch). See the module docs.
    pub fn forget_before(&mut self, arrival: u32, day: u16) {
        let keep = |e: &Entry| e.arrival >= arrival || e.day >= day;
        self.entries.retain(|_, e| keep(e));
        self.shared_ids.retain(|_, e| keep(e));
    }

    /// Approximate heap bytes held, for the memory gauge and the benchmark.
    pub fn approx_bytes(&self) -> usize {
        let slot = |k: usize, v: usize| k + v + 1;
        self.entries.capacity() * slot(16, std::mem::size_of::<Entry>())
            + self.shared_ids.capacity() * slot(24, std::mem::size_of::<Entry>())
            + self.targets.capacity() * slot(24, 16)
            + self.waiting.values().map(|w| w.len() * 400).sum::<usize>()
            + self.films.iter().map(|f| f.len() * 2 + 48).sum::<usize>()
    }
}

/// A BIN as the number it spells (12 digits fit in 40 bits).
pub fn cinema_key(bin: &str) -> u64 {
    bin.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(10)
            .wrapping_add(u64::from(b.wrapping_sub(b'0')))
    })
}

/// The 12-digit BIN of a cinema key.
pub fn cinema_bin(key: u64) -> String {
    format!("{key:012}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cinema: u64) -> Entry {
        Entry {
            cinema,
            offset: 1,
            fingerprint: 2,
            link: 3,
            arrival: 4,
            day: 5,
            vat: 6,
            amount: 7,
            film: 0,
            kind: Kind::Sale,
            voided: false,
            refunded: false,
        }
    }

    #[test]
    fn one_id_at_two_cinemas_is_two_events() {
        let mut b = Book::default();
        b.insert(9, entry(1));
        b.insert(
            9,
            Entry {
                offset: 2,
                ..entry(2)
            },
        );
        assert_eq!(b.get(1, 9).unwrap().offset, 1);
        assert_eq!(b.get(2, 9).unwrap().offset, 2);
        assert!(b.belongs_to_other(3, 9));
        assert!(!b.belongs_to_other(1, 9));
        assert!(b.get(3, 9).is_none());
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn an_event_is_kept_while_its_arrival_or_its_screening_day_is_within_the_horizon() {
        let mut b = Book::default();
        // Arrived at 100 for day 10; arrived at 100 for day 30 (an advance sale); arrived at
        // 300 for day 10 (sold after its show, a late report).
        b.insert(
            1,
            Entry {
                arrival: 100,
                day: 10,
                ..entry(1)
            },
        );
        b.insert(
            2,
            Entry {
                arrival: 100,
                day: 30,
                ..entry(1)
            },
        );
        b.insert(
            3,
            Entry {
                arrival: 300,
                day: 10,
                ..entry(1)
            },
        );
        b.forget_before(200, 20);
        assert!(b.get(1, 1).is_none(), "both older than the horizon");
        assert!(b.get(1, 2).is_some(), "its show is still within it");
        assert!(b.get(1, 3).is_some(), "it arrived within it");
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn bins_round_trip_as_numbers() {
        assert_eq!(cinema_bin(cinema_key("000000000010")), "000000000010");
        assert_eq!(cinema_bin(cinema_key("980340001119")), "980340001119");
        assert_eq!(std::mem::size_of::<Entry>(), 56);
    }
}
