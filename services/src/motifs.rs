//! Motifs: reading a customer's MIDI file as a motif, handing a motif to the
//! models as the music a piece continues, and refusing a motif that is a
//! sold piece's music.

use base64::Engine;
use models::music::events::{
    GridNote, MAX_DURATION, STEPS_PER_BEAT, band_velocity, quantise, velocity_band,
};
use models::music::similarity::Melody;
use sea_orm::DatabaseConnection;

use crate::owner::Owner;
use crate::{ServerContext, exclusivity};
use domain::compose::MOTIF_FIELD;
use domain::error::{AppError, FieldError};
use domain::motif::{MAX_BEATS, MAX_FILE_BYTES, MAX_NOTES, Motif, MotifFile, MotifNote, too_large};

/// The notes of `motif` on the models' grid, as the model continues them.
pub fn on_grid(motif: &Motif) -> Vec<GridNote> {
    let steps = |beats: f64| (beats * f64::from(STEPS_PER_BEAT)).round() as u32;
    motif
        .notes()
        .iter()
        .map(|note| GridNote {
            onset: steps(note.start),
            pitch: note.pitch,
            duration: steps(note.length).clamp(1, MAX_DURATION),
            velocity_band: velocity_band(note.velocity),
        })
        .collect()
}

/// The message for a file that is not a motif, on the motif's field.
fn bad_file(message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError::new(MOTIF_FIELD, message)])
}

/// The motif at the start of a standard MIDI file: its first notes, at most
/// [`MAX_NOTES`] of them within [`MAX_BEATS`] of the first, with a word on
/// what was left out.
pub fn read_midi(bytes: &[u8]) -> Result<MotifFile, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(bad_file(too_large(bytes.len())));
    }
    // The reader the training data and the fuzzer go through: it refuses
    // whatever it cannot read with a reason, and never panics.
    let music = models::music::midi::read(bytes).map_err(|err| {
        bad_file(format!(
            "This is not a MIDI file MixTape can read ({err}). Choose a standard MIDI file (.mid)."
        ))
    })?;
    let (notes, _) = quantise(&music);
    let Some(first) = notes.first().map(|n| n.onset) else {
        return Err(bad_file("This MIDI file has no notes to start from."));
    };
    let limit = (MAX_BEATS * f64::from(STEPS_PER_BEAT)) as u32;
    let kept: Vec<MotifNote> = notes
        .iter()
        .filter(|n| n.onset - first < limit)
        .take(MAX_NOTES)
        .map(|n| {
            let start = n.onset - first;
            MotifNote {
                pitch: n.pitch,
                start: f64::from(start) / f64::from(STEPS_PER_BEAT),
                // Notes ring at most to the end of the motif's eight bars.
                length: f64::from(n.duration.min(limit - start)) / f64::from(STEPS_PER_BEAT),
                velocity: band_velocity(n.velocity_band),
            }
        })
        .collect();
    let left_out = notes.len() - kept.len();
    let motif = Motif::new(kept).map_err(bad_file)?;
    Ok(MotifFile {
        note: (left_out > 0).then(|| {
            format!(
                "The motif is the file's first {} notes; the other {left_out} are left out (a motif has at most {MAX_NOTES} notes within 8 bars).",
                motif.notes().len()
            )
        }),
        motif,
    })
}

/// The motif in a MIDI file sent as base64 (standard alphabet, padded).
pub fn read_base64_midi(text: &str) -> Result<MotifFile, AppError> {
    let encoded = text.trim();
    // Base64 is 4/3 of its bytes: a larger text is refused before decoding.
    if encoded.len() > MAX_FILE_BYTES.div_ceil(3) * 4 {
        return Err(bad_file(too_large(encoded.len() / 4 * 3)));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| {
            bad_file("The MIDI file did not arrive whole (it is not base64). Choose it again.")
        })?;
    read_midi(&bytes)
}

/// How long reading one MIDI file may take; the file's size (at most
/// [`MAX_FILE_BYTES`]) bounds its notes, and this its time.
const READ_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// The motif in a MIDI file sent as base64 by `owner` from `client`: counted
/// against the motif limit before anything is decoded, then read on a
/// blocking thread (off the async workers) within [`READ_BUDGET`].
pub async fn read_counted(
    context: &ServerContext,
    client: &str,
    owner: &Owner,
    text: String,
) -> Result<MotifFile, AppError> {
    context
        .limits
        .read_motif(&context.db, client, owner)
        .await?;
    let reading = tokio::task::spawn_blocking(move || read_base64_midi(&text));
    match tokio::time::timeout(READ_BUDGET, reading).await {
        Ok(Ok(read)) => read,
        Ok(Err(failed)) => Err(AppError::internal(
            "This MIDI file could not be read. Please try again.",
            &failed,
        )),
        Err(_) => Err(bad_file(
            "This MIDI file takes too long to read. Choose a shorter standard MIDI file (.mid).",
        )),
    }
}

/// Refuses a motif that is the music of a sold (or reserved) piece, by the
/// rule that keeps exclusive rights exclusive (`services::exclusivity`).
pub async fn check_not_sold(db: &DatabaseConnection, motif: &Motif) -> Result<(), AppError> {
    let melody = Melody::of(&on_grid(motif));
    if exclusivity::sold_alike(db, &melody, 0).await?.is_some() {
        return Err(AppError::Conflict(
            "This motif is the music of a piece whose exclusive rights were sold, so it cannot start a new piece. Play or upload another motif.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn midi_of(notes: &[(u8, f64, f64)]) -> Vec<u8> {
        use models::music::piece::{Note, TimeSignature};
        let notes: Vec<Note> = notes
            .iter()
            .map(|&(pitch, onset, duration)| Note {
                onset,
                duration,
                pitch,
                velocity: 90,
                program: 0,
                part: 0,
            })
            .collect();
        models::music::midi::write(&notes, 0, 120.0, TimeSignature::default())
    }

    #[test]
    fn a_file_becomes_a_motif_from_its_first_note() {
        let midi = midi_of(&[(60, 2.0, 1.0), (64, 3.0, 0.5), (67, 3.5, 1.5)]);
        let file = read_midi(&midi).unwrap();
        let notes: Vec<_> = file
            .motif
            .notes()
            .iter()
            .map(|n| (n.pitch, n.start, n.length, n.velocity))
            .collect();
        let heard = band_velocity(velocity_band(90));
        assert_eq!(
            notes,
            [
                (60, 0.0, 1.0, heard),
                (64, 1.0, 0.5, heard),
                (67, 1.5, 1.5, heard)
            ]
        );
        assert_eq!(file.note, None);
        let primer = on_grid(&file.motif);
        assert_eq!(
            primer
                .iter()
                .map(|n| (n.onset, n.duration))
                .collect::<Vec<_>>(),
            [(0, 12), (12, 6), (18, 18)]
        );
        // The same file as base64.
        let text = base64::engine::general_purpose::STANDARD.encode(&midi);
        assert_eq!(read_base64_midi(&text).unwrap(), file);
    }

    #[test]
    fn a_long_file_keeps_its_opening() {
        // 200 eighth notes: 100 beats.
        let notes: Vec<_> = (0..200)
            .map(|i| (60 + (i % 12) as u8, f64::from(i) * 0.5, 0.5))
            .collect();
        let file = read_midi(&midi_of(&notes)).unwrap();
        assert_eq!(file.motif.notes().len(), 64);
        assert_eq!(file.motif.beats(), MAX_BEATS);
        assert_eq!(
            file.note.as_deref(),
            Some(
                "The motif is the file's first 64 notes; the other 136 are left out (a motif has at most 128 notes within 8 bars)."
            )
        );
    }

    fn message(err: AppError) -> String {
        match err {
            AppError::Invalid(fields) => {
                assert_eq!(fields[0].field, "motif");
                fields[0].message.clone()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_file_gets_one_clear_message() {
        let corrupt = message(read_midi(b"MThd this is not music").unwrap_err());
        assert!(
            corrupt.starts_with("This is not a MIDI file MixTape can read (")
                && corrupt.ends_with("Choose a standard MIDI file (.mid)."),
            "{corrupt}"
        );
        let big = message(read_midi(&vec![0; MAX_FILE_BYTES + 1]).unwrap_err());
        assert_eq!(
            big,
            "This file is 1025 KiB; a motif's MIDI file may be at most 1,024 KiB (1 MiB)."
        );
        let garbled = message(read_base64_midi("@@@@").unwrap_err());
        assert!(garbled.contains("not base64"), "{garbled}");
        let huge = "A".repeat(MAX_FILE_BYTES * 2);
        assert_eq!(
            message(read_base64_midi(&huge).unwrap_err()),
            "This file is 1536 KiB; a motif's MIDI file may be at most 1,024 KiB (1 MiB)."
        );
    }
}
