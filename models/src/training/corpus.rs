//! Folders of MIDI files: finding them, and the statistics of `mixtape data stats`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use crate::music::events::{self, VOCAB_SIZE};
use crate::music::midi;

/// The `.mid` and `.midi` files under `dir`, recursively, in a stable order.
pub fn midi_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// What reading and encoding one folder of MIDI files gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetStats {
    /// The folder's name.
    pub name: String,
    /// Files read successfully.
    pub files_read: usize,
    /// Files that could not be read, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Pitched notes read.
    pub notes: usize,
    /// Events after quantising and encoding.
    pub events: usize,
    /// Distinct events used, out of [`VOCAB_SIZE`].
    pub vocabulary_used: usize,
    /// Notes whose onset or duration quantising changed.
    pub notes_changed: usize,
}

impl SetStats {
    /// The share of notes that quantising changed, 0 to 1.
    pub fn changed_share(&self) -> f64 {
        if self.notes == 0 {
            0.0
        } else {
            self.notes_changed as f64 / self.notes as f64
        }
    }
}

/// Reads, quantises and encodes every MIDI file under `dir`.
pub fn set_stats(dir: &Path) -> io::Result<SetStats> {
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut stats = SetStats {
        name,
        ..SetStats::default()
    };
    let mut used = HashSet::new();
    for path in midi_files(dir)? {
        match midi::read_file(&path) {
            Ok(piece) => {
                let (grid, report) = events::quantise(&piece);
                let encoded = events::encode(&grid);
                stats.files_read += 1;
                stats.notes += piece.notes.len();
                stats.notes_changed += report.changed;
                stats.events += encoded.len();
                used.extend(encoded.iter().map(|e| e.token()));
            }
            Err(err) => stats.skipped.push((path, err.kind.to_string())),
        }
    }
    stats.vocabulary_used = used.len();
    Ok(stats)
}

/// A Markdown table of set statistics, then each skipped file with its reason.
pub fn stats_table(sets: &[SetStats]) -> String {
    let mut out = String::from(
        "| set | files read | skipped | notes | events | events/note | vocabulary used | notes changed by quantising |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in sets {
        let per_note = if s.notes == 0 {
            0.0
        } else {
            s.events as f64 / s.notes as f64
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2} | {} / {} | {:.1}% |",
            s.name,
            s.files_read,
            s.skipped.len(),
            s.notes,
            s.events,
            per_note,
            s.vocabulary_used,
            VOCAB_SIZE,
            100.0 * s.changed_share()
        );
    }
    for s in sets {
        for (path, reason) in &s.skipped {
            let _ = writeln!(out, "\nskipped {}: {reason}", path.display());
        }
    }
    out
}
