//! The event vocabulary that sequence models read and write.
//!
//! A piece becomes a stream of four kinds of event on a grid of 1/12 beat,
//! which holds sixteenths (3 steps) and eighth-note triplets (4 steps) alike:
//!
//! - `Shift(n)`: time moves on by `n` steps (1 to 48, four beats); longer gaps
//!   are several shifts. Rests are simply time that passes with no note.
//! - `Velocity(b)`: the loudness of the notes that follow, in 8 bands; written
//!   only when it changes, because most music holds a dynamic for a while.
//! - `Note(p)`: a note of MIDI pitch `p` starts now. Notes at the same moment
//!   form a chord and are written lowest first, each at its real octave.
//! - `Duration(d)`: the length of the note just written, 1 to 96 steps (eight beats).
//!
//! Against the paper's one token per note or chord, this keeps rhythm, rests,
//! voicing and dynamics, and the vocabulary stays small (280 events) instead of
//! growing with every chord seen. The cost is longer sequences: about three
//! events per note. Against bar and position events (REMI), it needs no time
//! signature and never has to represent an empty bar, but the model must count
//! shifts to feel the beat.
//!
//! Quantising snaps onsets and durations to the grid, caps durations at eight
//! beats and the time between onsets at [`MAX_SILENCE_STEPS`] (so a long pause,
//! or silence before the first note, becomes eight beats), keeps one note per
//! pitch and onset (the longest), and ends a note where its pitch sounds again.

use serde::{Deserialize, Serialize};

use crate::music::piece::{Note, Piece};

/// Grid steps per beat, as every crate counts them.
pub use vocabulary::STEPS_PER_BEAT;
/// The longest single shift, in steps.
pub const MAX_SHIFT: u32 = 48;
/// The longest duration, in steps.
pub const MAX_DURATION: u32 = 96;
/// The longest time kept between two onsets (or before the first), in steps.
pub const MAX_SILENCE_STEPS: u32 = 96;
/// Velocity bands.
pub const VELOCITY_BANDS: u8 = 8;

/// One event of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// Time moves on by this many steps (1..=[`MAX_SHIFT`]).
    Shift(u8),
    /// The velocity band (0..[`VELOCITY_BANDS`]) of the following notes.
    Velocity(u8),
    /// A note of this MIDI pitch starts.
    Note(u8),
    /// The previous note lasts this many steps (1..=[`MAX_DURATION`]).
    Duration(u8),
}

const SHIFT_BASE: usize = 0;
const VELOCITY_BASE: usize = SHIFT_BASE + MAX_SHIFT as usize;
const NOTE_BASE: usize = VELOCITY_BASE + VELOCITY_BANDS as usize;
const DURATION_BASE: usize = NOTE_BASE + 128;

/// The number of distinct events, i.e. of token ids.
pub const VOCAB_SIZE: usize = DURATION_BASE + MAX_DURATION as usize;

impl Event {
    /// The token id of the event, in `0..VOCAB_SIZE`.
    pub fn token(self) -> usize {
        match self {
            Event::Shift(n) => SHIFT_BASE + usize::from(n) - 1,
            Event::Velocity(b) => VELOCITY_BASE + usize::from(b),
            Event::Note(p) => NOTE_BASE + usize::from(p),
            Event::Duration(d) => DURATION_BASE + usize::from(d) - 1,
        }
    }

    /// The event of a token id; `None` outside the vocabulary.
    pub fn from_token(token: usize) -> Option<Event> {
        // Every arm's value is below its range's size (<= 128), so the casts are exact.
        Some(match token {
            t if t < VELOCITY_BASE => Event::Shift((t - SHIFT_BASE + 1) as u8),
            t if t < NOTE_BASE => Event::Velocity((t - VELOCITY_BASE) as u8),
            t if t < DURATION_BASE => Event::Note((t - NOTE_BASE) as u8),
            t if t < VOCAB_SIZE => Event::Duration((t - DURATION_BASE + 1) as u8),
            _ => return None,
        })
    }
}

/// A note on the event grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GridNote {
    /// Onset in steps.
    pub onset: u32,
    /// MIDI pitch.
    pub pitch: u8,
    /// Length in steps, 1..=[`MAX_DURATION`].
    pub duration: u32,
    /// Velocity band, 0..[`VELOCITY_BANDS`].
    pub velocity_band: u8,
}

impl GridNote {
    /// The note in beats, at the middle velocity of its band, played by `program`.
    pub fn to_note(self, program: u8) -> Note {
        Note {
            onset: f64::from(self.onset) / f64::from(STEPS_PER_BEAT),
            duration: f64::from(self.duration) / f64::from(STEPS_PER_BEAT),
            pitch: self.pitch,
            velocity: band_velocity(self.velocity_band),
            program,
            part: 0,
        }
    }
}

/// The velocity band (0..8) of a MIDI velocity.
pub fn velocity_band(velocity: u8) -> u8 {
    (velocity.min(127) / 16).min(VELOCITY_BANDS - 1)
}

/// The MIDI velocity that stands for a band: its middle.
pub fn band_velocity(band: u8) -> u8 {
    band.min(VELOCITY_BANDS - 1) * 16 + 8
}

/// How quantising changed a piece.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuantiseReport {
    /// Notes whose onset or duration was snapped to the grid, or whose duration
    /// was capped or cut where the same pitch sounds again.
    pub changed: usize,
    /// Notes dropped as duplicates of another note of the same pitch and onset.
    pub merged: usize,
    /// Silences shortened to [`MAX_SILENCE_STEPS`].
    pub silences_shortened: usize,
}

/// Snaps a piece's notes onto the grid; see the module documentation.
pub fn quantise(piece: &Piece) -> (Vec<GridNote>, QuantiseReport) {
    const EPSILON: f64 = 1e-6;
    let step = f64::from(STEPS_PER_BEAT);
    let mut report = QuantiseReport::default();
    // (onset, note, whether snapping or capping changed it)
    let mut snapped: Vec<(u64, GridNote, bool)> = piece
        .notes
        .iter()
        .map(|note| {
            let onset = (note.onset * step).round().max(0.0);
            let duration = (note.duration * step)
                .round()
                .clamp(1.0, f64::from(MAX_DURATION));
            let changed = (onset - note.onset * step).abs() > EPSILON
                || (duration - note.duration * step).abs() > EPSILON;
            let grid_note = GridNote {
                onset: 0, // set below, once silences are capped
                pitch: note.pitch,
                duration: duration as u32,
                velocity_band: velocity_band(note.velocity),
            };
            (onset as u64, grid_note, changed)
        })
        .collect();
    snapped.sort_by_key(|&(onset, note, _)| (onset, note.pitch, std::cmp::Reverse(note.duration)));

    let mut notes: Vec<GridNote> = Vec::with_capacity(snapped.len());
    let mut changed: Vec<bool> = Vec::with_capacity(snapped.len());
    let mut previous_onset = 0u64;
    let mut time = 0u32;
    for (onset, mut note, snapped_changed) in snapped {
        let gap = onset - previous_onset;
        if gap > u64::from(MAX_SILENCE_STEPS) {
            report.silences_shortened += 1;
        }
        time += gap.min(u64::from(MAX_SILENCE_STEPS)) as u32;
        previous_onset = onset;
        note.onset = time;
        if notes
            .last()
            .is_some_and(|last| last.onset == time && last.pitch == note.pitch)
        {
            report.merged += 1;
            continue;
        }
        notes.push(note);
        changed.push(snapped_changed);
    }
    for index in release_repeated_pitches(&mut notes) {
        changed[index] = true;
    }
    report.changed = changed.iter().filter(|&&c| c).count();
    (notes, report)
}

/// Ends every note at the latest where the next note of its pitch starts, as a
/// key struck again releases the previous note. In MIDI an overlap of one pitch
/// is ambiguous (which note-off ends which note?), so without this a piece
/// would not read back as written. Returns the indices of the notes shortened.
fn release_repeated_pitches(notes: &mut [GridNote]) -> Vec<usize> {
    let mut last_of_pitch: [Option<usize>; 128] = [None; 128];
    let mut shortened = Vec::new();
    for i in 0..notes.len() {
        let pitch = usize::from(notes[i].pitch & 0x7f);
        if let Some(previous) = last_of_pitch[pitch] {
            let gap = notes[i].onset - notes[previous].onset;
            if notes[previous].duration > gap {
                notes[previous].duration = gap;
                shortened.push(previous);
            }
        }
        last_of_pitch[pitch] = Some(i);
    }
    shortened
}

/// Writes grid notes (sorted by onset, then pitch) as events.
pub fn encode(notes: &[GridNote]) -> Vec<Event> {
    let mut events = Vec::with_capacity(notes.len() * 3);
    let mut time = 0u32;
    let mut band = None;
    for note in notes {
        let mut gap = note.onset.saturating_sub(time);
        while gap > 0 {
            let shift = gap.min(MAX_SHIFT);
            events.push(Event::Shift(shift as u8));
            gap -= shift;
        }
        time = time.max(note.onset);
        if band != Some(note.velocity_band) {
            events.push(Event::Velocity(note.velocity_band));
            band = Some(note.velocity_band);
        }
        events.push(Event::Note(note.pitch));
        events.push(Event::Duration(note.duration.clamp(1, MAX_DURATION) as u8));
    }
    events
}

/// Reads events back into grid notes.
///
/// Any sequence decodes, since a model may write one that breaks the grammar:
/// a note with no duration after it lasts one beat, a stray duration is ignored,
/// notes before any velocity get the middle band.
pub fn decode(events: &[Event]) -> Vec<GridNote> {
    const DEFAULT_DURATION: u32 = STEPS_PER_BEAT;
    let mut notes: Vec<GridNote> = Vec::with_capacity(events.len() / 3 + 1);
    let mut time = 0u32;
    let mut band = VELOCITY_BANDS / 2;
    let mut awaiting_duration = false;
    for &event in events {
        match event {
            Event::Duration(d) if awaiting_duration => {
                if let Some(last) = notes.last_mut() {
                    last.duration = u32::from(d).clamp(1, MAX_DURATION);
                }
                awaiting_duration = false;
                continue;
            }
            Event::Duration(_) => {}
            Event::Shift(n) => time += u32::from(n),
            Event::Velocity(b) => band = b.min(VELOCITY_BANDS - 1),
            Event::Note(pitch) => {
                notes.push(GridNote {
                    onset: time,
                    pitch: pitch.min(127),
                    duration: DEFAULT_DURATION,
                    velocity_band: band,
                });
                awaiting_duration = true;
                continue;
            }
        }
        awaiting_duration = false;
    }
    notes.sort();
    notes.dedup_by(|later, earlier| later.onset == earlier.onset && later.pitch == earlier.pitch);
    release_repeated_pitches(&mut notes);
    notes
}

/// The music's identity whatever its key or tempo: a digest of every note's
/// onset and length on the beat grid and its pitch relative to the lowest one.
/// The same notes transposed, or played at another tempo, share it; velocities
/// do not count.
pub fn fingerprint(notes: &[GridNote]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&GridNote> = notes.iter().collect();
    sorted.sort_by_key(|n| (n.onset, n.pitch));
    let start = sorted.first().map_or(0, |n| n.onset);
    let lowest = sorted.iter().map(|n| n.pitch).min().unwrap_or(0);
    let mut digest = Sha256::new();
    for note in sorted {
        digest.update((note.onset - start).to_le_bytes());
        digest.update([note.pitch - lowest]);
        digest.update(note.duration.to_le_bytes());
    }
    format!("v1-{}", hex::encode(&digest.finalize()[..16]))
}

/// One event as the network reads it, with the music's key and where in the bar it leaves time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// The event's token.
    pub token: usize,
    /// The key of the music (see [`crate::music::key::Key::index`]).
    pub key: u8,
    /// The position in the bar, in grid steps, after the event (below [`crate::network::BAR_POSITIONS`]).
    pub position: u8,
    /// The music's meter (see [`vocabulary::Meter::index`]).
    pub meter: u8,
    /// The energy class of the bar the event leaves time in (see [`crate::music::energy`]).
    pub energy: u8,
}

/// The tokens of notes.
pub fn tokens_of(notes: &[GridNote]) -> Vec<u16> {
    // Tokens are below VOCAB_SIZE (280), so they fit in u16.
    encode(notes)
        .into_iter()
        .map(|e| e.token() as u16)
        .collect()
}

/// The position in a bar of `bar_steps` after each of `tokens`, starting `start` steps into a bar.
pub fn bar_positions(tokens: &[u16], bar_steps: u32, start: u32) -> Vec<u8> {
    let mut time = start;
    tokens
        .iter()
        .map(|&token| {
            if let Some(Event::Shift(n)) = Event::from_token(usize::from(token)) {
                time = (time + u32::from(n)) % bar_steps;
            }
            // Below BAR_POSITIONS (96), so it fits.
            time as u8
        })
        .collect()
}
