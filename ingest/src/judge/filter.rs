//! A cuckoo filter of the event ids a partition remembers: "certainly never seen" or
//! "perhaps seen". A message whose ids the filter has never seen needs no lookup in storage;
//! only a "perhaps" for an id the book does not hold in memory costs one.
//!
//! # Shape
//! Each id leaves a 16-bit fingerprint in one of two buckets of four slots. A bucket is the
//! id's hash modulo the bucket count, or its alternate, `(hash(fingerprint) − bucket) mod n`,
//! which maps each of the two onto the other, so a fingerprint can move between them without
//! its id (the partial-key cuckoo hashing of Fan et al., 2014, with a subtraction instead of
//! a XOR so that `n` need not be a power of two). An id never inserted is "perhaps seen" when
//! one of the eight slots it reads holds its fingerprint: about 8 in 65,535, 1.2 in 10,000 (the
//! tests measure it). Sized for 90 % load (four-slot buckets fill to ~95 % before an insert
//! fails) that is 2.2 bytes per id.
//!
//! # Growth
//! A filter is sized for a capacity. When an insert cannot find room (after
//! [`MAX_KICKS`] moves) the fingerprint is kept aside and [`Filter::is_full`] tells the owner
//! to rebuild it larger from storage (a filter cannot be resized without its ids). An id is
//! never removed: an event past the horizon stays "perhaps seen" until the next rebuild, which
//! costs a lookup that finds nothing, never a wrong verdict.
//!
//! # Hashing
//! Ids are chosen by senders, so the hash is keyed per process (foldhash's random seed): no
//! sender can aim many ids at one bucket.

use std::hash::BuildHasher;

const SLOTS: usize = 4;
/// Moves tried before an insert gives up (and the filter asks to be rebuilt).
pub const MAX_KICKS: usize = 500;
/// The load a filter is sized for.
const LOAD: f64 = 0.9;
/// The smallest filter a book starts with (ids) by default: room to grow before the first
/// rebuild (`ingest.filter_min_ids`).
pub const MIN_FILTER_IDS: usize = 1 << 20;
/// Bytes a filter takes per id of its capacity.
pub const BYTES_PER_ID: f64 = 2.0 / LOAD;

#[derive(Debug, Clone)]
pub struct Filter {
    buckets: Vec<[u16; SLOTS]>,
    /// Fingerprints that found no room (with the bucket they were last pushed from): checked
    /// on every query until the rebuild.
    overflow: foldhash::HashSet<(usize, u16)>,
    capacity: usize,
    len: usize,
    hasher: foldhash::fast::RandomState,
    kick: u64,
}

impl Filter {
    /// A filter for `capacity` ids (at least 1,024).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1024);
        let buckets = ((capacity as f64 / (SLOTS as f64 * LOAD)).ceil() as usize).max(2);
        Self {
            buckets: vec![[0; SLOTS]; buckets],
            overflow: foldhash::HashSet::default(),
            capacity,
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
            kick: 0,
        }
    }

    fn n(&self) -> u64 {
        self.buckets.len() as u64
    }

    /// The id's first bucket and fingerprint (never 0: 0 marks an empty slot).
    fn locate(&self, id: u128) -> (usize, u16) {
        let h = self.hasher.hash_one(id);
        // Lemire's reduction of the low half onto the bucket count; the high bits make the
        // fingerprint, so the two are independent.
        let bucket = (((h & 0xffff_ffff) * self.n()) >> 32) as usize;
        let fp = (h >> 48) as u16;
        (bucket, fp.max(1))
    }

    fn alternate(&self, bucket: usize, fp: u16) -> usize {
        // A fixed odd multiplier spreads the 16 bits over the range; the map is its own
        // inverse: alt(alt(b)) = h − (h − b) = b (mod n).
        let h = (u64::from(fp).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % self.n();
        ((h + self.n() - bucket as u64 % self.n()) % self.n()) as usize
    }

    fn put(&mut self, bucket: usize, fp: u16) -> bool {
        match self.buckets[bucket].iter_mut().find(|s| **s == 0) {
            Some(slot) => {
                *slot = fp;
                true
            }
            None => false,
        }
    }

    pub fn insert(&mut self, id: u128) {
        self.len += 1;
        let (b1, fp) = self.locate(id);
        let b2 = self.alternate(b1, fp);
        if self.put(b1, fp) || self.put(b2, fp) {
            return;
        }
        let (mut bucket, mut fp) = (b1, fp);
        for _ in 0..MAX_KICKS {
            // A cheap deterministic walk over the slots to evict.
            self.kick = self.kick.wrapping_mul(6364136223846793005).wrapping_add(1);
            let slot = (self.kick >> 62) as usize;
            std::mem::swap(&mut fp, &mut self.buckets[bucket][slot]);
            bucket = self.alternate(bucket, fp);
            if self.put(bucket, fp) {
                return;
            }
        }
        self.overflow.insert((bucket, fp));
    }

    /// `false`: the id was certainly never inserted.
    pub fn may_contain(&self, id: u128) -> bool {
        let (b1, fp) = self.locate(id);
        let b2 = self.alternate(b1, fp);
        self.buckets[b1].contains(&fp)
            || self.buckets[b2].contains(&fp)
            || (!self.overflow.is_empty()
                && (self.overflow.contains(&(b1, fp)) || self.overflow.contains(&(b2, fp))))
    }

    /// Ids inserted (an id inserted twice counts twice).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Past its capacity, or an insert found no room: rebuild it larger.
    pub fn is_full(&self) -> bool {
        self.len > self.capacity || !self.overflow.is_empty()
    }

    /// Heap bytes held.
    pub fn bytes(&self) -> usize {
        self.buckets.len() * SLOTS * 2 + self.overflow.capacity() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_inserted_is_perhaps_seen_and_few_others_are() {
        let n = 200_000u128;
        let mut f = Filter::with_capacity(n as usize);
        for id in 0..n {
            f.insert(id * 7919);
        }
        assert!((0..n).all(|id| f.may_contain(id * 7919)), "no false no");
        assert!(!f.is_full(), "{} overflowed", f.overflow.len());
        let false_yes = (0..n).filter(|id| f.may_contain(id * 7919 + 1)).count();
        // n ids never inserted; 8 slots read of 16-bit fingerprints: ~1.2 in 10,000.
        assert!(
            false_yes < n as usize / 4000,
            "{false_yes} false answers in {n}"
        );
        // 2.2 bytes per id at the load it is sized for.
        assert_eq!(f.bytes(), 55_556 * 8);
    }

    #[test]
    fn past_its_capacity_it_asks_to_be_rebuilt() {
        let mut f = Filter::with_capacity(10);
        assert_eq!(f.capacity(), 1024);
        for id in 0..512 {
            f.insert(id);
        }
        assert!(!f.is_full());
        for id in 512..1025 {
            f.insert(id);
        }
        assert!(f.is_full(), "more ids than its capacity");
        // Filled far past its room, it keeps every id "perhaps seen".
        for id in 0..5000 {
            f.insert(id);
        }
        assert!((0..5000).all(|id| f.may_contain(id)));
    }
}
