//! The programmes, FX table and index table shipped with ekino, embedded at build time from
//! the data files under `programmes/` and `data/`. Still data: editing a file and rebuilding
//! changes the rules; callers may also load their own files with `Programme::from_toml`.

use crate::error::EngineError;
use crate::programme::Programme;
use crate::tables::{FxTable, IndexTable};

pub const PROGRAMME_FILES: &[(&str, &str)] = &[
    ("kz", include_str!("../programmes/kz.toml")),
    ("ge", include_str!("../programmes/ge.toml")),
    ("uz", include_str!("../programmes/uz.toml")),
    ("pl", include_str!("../programmes/pl.toml")),
    ("fr-trip", include_str!("../programmes/fr-trip.toml")),
    ("uk-avec", include_str!("../programmes/uk-avec.toml")),
    ("cz", include_str!("../programmes/cz.toml")),
    ("hu", include_str!("../programmes/hu.toml")),
    ("my-fimi", include_str!("../programmes/my-fimi.toml")),
];

pub const FX_CSV: &str = include_str!("../data/fx.csv");
pub const INDEX_CSV: &str = include_str!("../data/index.csv");

pub fn programmes() -> Result<Vec<Programme>, EngineError> {
    PROGRAMME_FILES
        .iter()
        .map(|(id, text)| {
            let p = Programme::from_toml(text).map_err(|e| match e {
                EngineError::BadProgramme { reason, .. } => EngineError::BadProgramme {
                    programme: (*id).to_owned(),
                    reason,
                },
                other => other,
            })?;
            if p.id != *id {
                return Err(EngineError::BadProgramme {
                    programme: (*id).to_owned(),
                    reason: format!("file declares id {}", p.id),
                });
            }
            Ok(p)
        })
        .collect()
}

pub fn programme(id: &str) -> Result<Programme, EngineError> {
    programmes()?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| EngineError::UnknownProgramme(id.to_owned()))
}

pub fn fx() -> FxTable {
    FxTable::parse_csv(FX_CSV).expect("shipped fx table parses")
}

pub fn index() -> IndexTable {
    IndexTable::parse_csv(INDEX_CSV).expect("shipped index table parses")
}

#[cfg(test)]
mod tests {
    /// Kazakh and Russian pages show a programme's source and notes in their own language
    /// (issue 27): every shipped version carries both, note for note.
    #[test]
    fn every_shipped_programme_speaks_kazakh_and_russian() {
        let mut missing = Vec::new();
        for p in super::programmes().unwrap() {
            for v in &p.versions {
                let at = format!("{} {}", p.id, v.version);
                if p.name_kk.is_none() || p.name_ru.is_none() {
                    missing.push(format!("{at}: name_kk or name_ru"));
                }
                if v.source_kk.is_none() || v.source_ru.is_none() {
                    missing.push(format!("{at}: source_kk or source_ru"));
                }
                if v.notes_kk.len() != v.notes.len() || v.notes_ru.len() != v.notes.len() {
                    missing.push(format!("{at}: notes_kk or notes_ru, note for note"));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
