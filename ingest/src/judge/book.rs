//! One partition's memory of the events it accepted: enough to tell a re-send from a
//! conflict, to bind a refund to its sale, and to judge a void — and nothing more.
//!
//! # What is remembered, and where
//! An event can be referred to while its arrival or its screening day (a refund's: its
//! sale's; a void's: its target's) is within `ingest.dedup_horizon_days`. A re-send cannot
//! come later (it would be `stale_timestamp`), nor a refund or a void of it; and an advance
//! sale, sold months before its show, is not forgotten while its refunds can still come. A
//! year of Kazakhstan is ~23 M events, too many to hold, so the book holds:
//! - **in memory** ([`Entry`]): the partition's most recent `ingest.hot_events` events, every
//!   event not yet stored or changed since it was stored, every void and every refund still
//!   waiting for its sale;
//! - **a filter of every id** ([`Filter`]): an id it has never seen is new without asking
//!   (rebuilt twice as large from storage and memory when full: `load::grow_filter`);
//! - **the rest in ClickHouse** (`event_index`): an id the filter has perhaps seen and memory
//!   does not hold is looked up before its message is judged ([`Book::must_look_up`],
//!   [`Book::cache`]), and its entry is held until the next eviction.
//!
//! # Why a lookup can be trusted
//! ClickHouse holds what was stored; memory holds what was judged since. An entry leaves
//! memory only when everything that changed it is stored ([`Entry::touched`] at or below the
//! partition's stored offset), and an entry is changed only while it is in memory (a message
//! is judged only after every event it names is), so a lookup never reads an entry older
//! than the one that left. A lookup finds the stored versions of the event (voided when any
//! is) and the refunds stored against a sale (refunded when one counts and is not voided).
//!
//! # Size
//! An [`Entry`] is 64 bytes and its key 16 (the event's UUID); the cinema is a number (a BIN
//! is 12 digits) and the film an index into a table of the partition's film ids. Refunds and
//! voids also keep their target in a side map; refunds still waiting for their sale keep
//! their whole row (they are rare: a refund normally follows its sale). The filter costs
//! ~2.2 bytes per id. `ekino bench` reports the measured bytes per event.
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

use super::filter::Filter;

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
    /// The last Kafka offset whose verdict created or changed this entry: it may leave
    /// memory once the partition is stored up to there.
    pub touched: i64,
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
            touched: row.kafka_offset,
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
            touched: offset,
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

#[derive(Debug)]
pub struct Book {
    entries: HashMap<u128, Entry>,
    /// Every id remembered, in memory or not (see the module docs).
    filter: Filter,
    /// (cinema, id) looked up and not found, for the message being judged (cleared after
    /// it: a lookup's "not found" is not kept, so a later message asks again).
    absent: foldhash::HashSet<(u64, u128)>,
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
    /// The last offset judged (memory keeps the `ingest.hot_events` positions before it).
    pub newest: i64,
}

impl Default for Book {
    fn default() -> Self {
        Self::with_capacity(super::filter::MIN_FILTER_IDS)
    }
}

impl Book {
    /// An empty book whose filter is sized for `ids` ids.
    pub fn with_capacity(ids: usize) -> Self {
        Book {
            entries: HashMap::default(),
            filter: Filter::with_capacity(ids),
            absent: foldhash::HashSet::default(),
            shared_ids: HashMap::default(),
            targets: HashMap::default(),
            waiting: HashMap::default(),
            films: Vec::new(),
            film_index: HashMap::default(),
            replayed_rejects: HashMap::default(),
            newest: -1,
        }
    }

    /// Whether judging a message of `cinema` that names `id` must first look it up in
    /// storage: memory does not hold that cinema's event, and the filter has perhaps seen
    /// the id. (A lookup by id also brings another cinema's event with the same id, which
    /// `belongs_to_other` reads.)
    pub fn must_look_up(&self, cinema: u64, id: u128) -> bool {
        self.get(cinema, id).is_none()
            && !self.absent.contains(&(cinema, id))
            && self.filter.may_contain(id)
    }

    /// Records a lookup's answer: the entries found, of any cinema (held in memory, not added
    /// to the filter, which has them), and the (cinema, id) asked for that have no event,
    /// for the message being judged ([`Book::judged`] forgets them).
    pub fn cache(&mut self, looked_up: &[(u64, u128)], found: Vec<(u128, Entry, Option<u128>)>) {
        for (id, e, target) in found {
            if self.get(e.cinema, id).is_none() {
                self.place(id, e);
                if let Some(t) = target {
                    self.targets.insert((e.cinema, id), t);
                }
            }
        }
        for &(cinema, id) in looked_up {
            if self.get(cinema, id).is_none() {
                self.absent.insert((cinema, id));
            }
        }
    }

    /// Forgets the lookups' "not found" once their message is judged.
    pub fn judged(&mut self) {
        if !self.absent.is_empty() {
            self.absent.clear();
        }
    }

    /// Whether the filter is past its capacity (the owner rebuilds the book).
    pub fn filter_full(&self) -> bool {
        self.filter.is_full()
    }

    /// Ids the filter holds.
    pub fn filter_len(&self) -> usize {
        self.filter.len()
    }

    /// Adds an id to the filter only (an event stored and not held in memory).
    pub fn remember_id(&mut self, id: u128) {
        self.filter.insert(id);
    }

    /// Replaces the filter with `stored` (every stored id, read from storage), adding the ids
    /// memory holds: those not yet stored are only there.
    pub fn replace_filter(&mut self, mut stored: Filter) {
        for id in self.entries.keys() {
            stored.insert(*id);
        }
        for (_, id) in self.shared_ids.keys() {
            stored.insert(*id);
        }
        self.filter = stored;
    }

    /// Lets entries leave memory: those stored (everything that changed them is at or below
    /// `stored`, the partition's stored offset) and older than the newest `keep` positions
    /// (`newest` is the last offset judged). Waiting refunds and voids stay. Returns how many
    /// left.
    pub fn evict(&mut self, stored: i64, newest: i64, keep: usize) -> usize {
        let before = self.len();
        let floor = newest.saturating_sub(i64::try_from(keep).unwrap_or(i64::MAX));
        let stays = |e: &Entry| {
            matches!(e.kind, Kind::Pending | Kind::Void) || e.touched > stored || e.offset >= floor
        };
        let mut gone = Vec::new();
        self.entries.retain(|id, e| {
            let s = stays(e);
            if !s {
                gone.push((e.cinema, *id));
            }
            s
        });
        self.shared_ids.retain(|(c, id), e| {
            let s = stays(e);
            if !s {
                gone.push((*c, *id));
            }
            s
        });
        for key in gone {
            self.targets.remove(&key);
        }
        before - self.len()
    }

    /// Every cinema's entry under `id`, with its target, as a lookup by id answers (for
    /// tests that play storage with a book that holds everything).
    #[cfg(test)]
    pub fn named(&self, id: u128) -> Vec<(u128, Entry, Option<u128>)> {
        let with_target = |e: &Entry| (id, *e, self.targets.get(&(e.cinema, id)).copied());
        self.entries
            .get(&id)
            .map(with_target)
            .into_iter()
            .chain(
                self.shared_ids
                    .iter()
                    .filter(|((_, i), _)| *i == id)
                    .map(|(_, e)| with_target(e)),
            )
            .filter(|(_, e, _)| !matches!(e.kind, Kind::Pending | Kind::Void))
            .collect()
    }

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

    /// Remembers a newly judged event (memory and filter).
    pub fn insert(&mut self, id: u128, e: Entry) {
        if !self.entries.contains_key(&id) {
            self.filter.insert(id);
        }
        self.place(id, e);
    }

    fn place(&mut self, id: u128, e: Entry) {
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
        let touched = void.offset;
        let Some(t) = self.get_mut(cinema, target_id) else {
            return;
        };
        t.voided = true;
        t.touched = t.touched.max(touched);
        if t.kind == Kind::Refund {
            if let Some(sale) = self.targets.get(&(cinema, target_id)).copied() {
                if let Some(s) = self.get_mut(cinema, sale) {
                    s.refunded = false;
                    s.touched = s.touched.max(touched);
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
            + self.filter.bytes()
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
            touched: 1,
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

    /// A filter rebuilt from storage keeps what only memory holds (events not yet stored).
    #[test]
    fn a_rebuilt_filter_keeps_the_ids_only_memory_holds() {
        let mut b = Book::with_capacity(0);
        for id in 0..2000u128 {
            let at = i64::try_from(id).unwrap();
            b.insert(
                id,
                Entry {
                    offset: at,
                    touched: at,
                    ..entry(1)
                },
            );
        }
        assert!(b.filter_full(), "2,000 ids in a filter for 1,024");
        // Stored up to 1,499; memory keeps the newest 500 positions and what is not stored.
        b.evict(1499, 1999, 500);
        assert_eq!(b.len(), 501, "offsets 1,499 to 1,999 stay");
        let mut stored = Filter::with_capacity(4000);
        for id in 0..1500u128 {
            stored.insert(id);
        }
        b.replace_filter(stored);
        assert!(!b.filter_full());
        assert!((0..2000u128).all(|id| b.get(1, id).is_some() || b.must_look_up(1, id)));
    }

    #[test]
    fn bins_round_trip_as_numbers() {
        assert_eq!(cinema_bin(cinema_key("000000000010")), "000000000010");
        assert_eq!(cinema_bin(cinema_key("980340001119")), "980340001119");
        assert_eq!(std::mem::size_of::<Entry>(), 64);
    }
}
