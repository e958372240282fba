//! The audit spool: audit records that ClickHouse did not take (down, slow, refusing) wait on
//! disk, one file per batch, and are written before anything newer once it answers. The
//! spool is bounded (`api.audit_spool_max_bytes`): when a batch does not fit, the spool is
//! *full*, and the API then refuses every write (503) rather than act unaudited, while reads
//! go on and the records it could not keep are counted (`ekino_api_audit_unaudited_total`).
//!
//! Files are `<nanoseconds>.ndjson`, written to a temporary name and renamed, so a crash
//! leaves whole files only; a file is deleted once its rows are acknowledged, so a crash
//! between the two writes them again (an audit record twice is better than none).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::audit_row::AuditRow;

#[derive(Clone)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    bytes: Arc<AtomicU64>,
    full: Arc<AtomicBool>,
}

impl Spool {
    /// Opens (creating) the spool folder; what an earlier process left is kept and counted.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let s = Spool {
            dir: dir.to_owned(),
            max_bytes,
            bytes: Arc::default(),
            full: Arc::default(),
        };
        let total = s
            .files()?
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        s.bytes.store(total, Ordering::Relaxed);
        Ok(s)
    }

    /// Whether the last batch did not fit: writes are refused until the spool drains.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Keeps `rows` on disk; `Ok(false)` when they do not fit (the spool is then full).
    pub fn append(&self, rows: &[AuditRow]) -> std::io::Result<bool> {
        let mut text = Vec::new();
        for r in rows {
            serde_json::to_writer(&mut text, r).map_err(std::io::Error::other)?;
            text.push(b'\n');
        }
        if self.bytes() + text.len() as u64 > self.max_bytes {
            self.full.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = self.dir.join(format!("{nanos:024}.ndjson"));
        let tmp = name.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &name)?;
        self.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        Ok(true)
    }

    /// The spooled files, oldest first.
    pub fn files(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// The rows of one spooled file (a line that does not parse is skipped and logged).
    pub fn read(path: &Path) -> std::io::Result<Vec<AuditRow>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).map_err(|e| tracing::error!(file = %path.display(), error = %e, "unreadable audit spool line")).ok())
            .collect())
    }

    /// Forgets a file whose rows are stored; the spool is no longer full once it has room.
    pub fn done(&self, path: &Path) -> std::io::Result<()> {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        std::fs::remove_file(path)?;
        let before = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(len))
            })
            .unwrap_or(0);
        let left = before.saturating_sub(len);
        // Room for at least a quarter of the spool before writes are taken again, so the
        // API does not flap between refusing and accepting.
        if left <= self.max_bytes - self.max_bytes / 4 {
            self.full.store(false, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u32) -> AuditRow {
        AuditRow {
            at: i,
            key_id: "k".into(),
            role: "ministry".into(),
            method: "GET".into(),
            path: "/v1/roi/summary".into(),
            query: String::new(),
            status: 200,
            rows: 1,
            latency_ms: 1,
            client: "127.0.0.1".into(),
        }
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ekino-spool-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn batches_wait_in_order_and_a_full_spool_refuses_until_it_drains() {
        let d = dir("order");
        let one = serde_json::to_vec(&row(0)).unwrap().len() as u64 + 1;
        let s = Spool::open(&d, one * 4).unwrap();
        assert!(s.append(&[row(1), row(2)]).unwrap());
        assert!(s.append(&[row(3)]).unwrap());
        assert!(!s.is_full());
        assert!(
            !s.append(&[row(4), row(5)]).unwrap(),
            "two more rows do not fit in four"
        );
        assert!(s.is_full());
        // A new process finds what was left, in order.
        let again = Spool::open(&d, one * 4).unwrap();
        assert_eq!(again.bytes(), one * 3);
        let files = again.files().unwrap();
        let rows: Vec<u32> = files
            .iter()
            .flat_map(|f| Spool::read(f).unwrap())
            .map(|r| r.at)
            .collect();
        assert_eq!(rows, [1, 2, 3]);
        s.done(&files[0]).unwrap();
        assert!(!s.is_full(), "room for a quarter again");
        assert_eq!(s.bytes(), one);
        let _ = std::fs::remove_dir_all(&d);
    }
}
