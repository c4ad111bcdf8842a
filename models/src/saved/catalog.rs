//! Which instruments have a trained model in the models directory.
//!
//! A model lives in `<models dir>/<instrument id>/` and is recognised by the
//! `config.json` that training writes beside its weights. Other folders (this
//! crate's own `src/`, for one, when the models directory is the crate) are
//! not models and are ignored.

use std::io;
use std::path::{Path, PathBuf};

use crate::Instrument;

/// The file whose presence marks a folder as a trained model.
pub const MODEL_CONFIG_FILE: &str = "config.json";

/// The instruments that have a model on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Installed instruments, in [`Instrument::ALL`] order.
    pub instruments: Vec<Instrument>,
}

/// Why the models directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("models directory {}: does not exist", .0.display())]
    Missing(PathBuf),
    #[error("models directory {}: is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("models directory {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: io::Error },
}

impl Catalog {
    /// Scans `dir` for instrument models.
    pub fn scan(dir: &Path) -> Result<Catalog, CatalogError> {
        let metadata = std::fs::metadata(dir).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => CatalogError::Missing(dir.to_path_buf()),
            _ => CatalogError::Unreadable {
                path: dir.to_path_buf(),
                source,
            },
        })?;
        if !metadata.is_dir() {
            return Err(CatalogError::NotADirectory(dir.to_path_buf()));
        }
        let instruments = Instrument::ALL
            .into_iter()
            .filter(|instrument| dir.join(instrument.id()).join(MODEL_CONFIG_FILE).is_file())
            .collect();
        Ok(Catalog { instruments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn install(dir: &Path, id: &str) {
        fs::create_dir_all(dir.join(id)).unwrap();
        fs::write(dir.join(id).join(MODEL_CONFIG_FILE), "{}").unwrap();
    }

    #[test]
    fn empty_directory_has_no_instruments() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Catalog::scan(dir.path()).unwrap().instruments.is_empty());
    }

    #[test]
    fn lists_installed_models_in_site_order_and_ignores_other_folders() {
        let dir = tempfile::tempdir().unwrap();
        install(dir.path(), "violin");
        install(dir.path(), "piano");
        install(dir.path(), "kazoo");
        fs::create_dir_all(dir.path().join("cello")).unwrap(); // no config.json: not a model
        fs::create_dir_all(dir.path().join("src")).unwrap();
        let catalog = Catalog::scan(dir.path()).unwrap();
        assert_eq!(
            catalog.instruments,
            vec![Instrument::Piano, Instrument::Violin]
        );
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = Catalog::scan(&missing).unwrap_err();
        assert!(matches!(err, CatalogError::Missing(_)));
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_file_is_not_a_models_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let err = Catalog::scan(&file).unwrap_err();
        assert!(matches!(err, CatalogError::NotADirectory(_)));
    }
}
